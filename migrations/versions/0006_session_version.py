"""Session version: a user's sessions end on logout, password change and deactivation, copies of
the cookie included (survey_app/models/user.py, User.get_id).

Sessions opened before this revision carry no version and are refused: everyone logs in again.

Revision ID: 0006
Revises: 0005
Create Date: 2027-01-05 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), nullable=False,
                                      server_default='0'))


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('session_version')
