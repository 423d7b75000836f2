"""Public rounds: a coordinator makes a published round's results public on /publik (issue 20).

Every round starts private (false), so nothing becomes public by this revision.

Revision ID: 0012
Revises: 0006
Create Date: 2027-01-20 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('public', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('public')
