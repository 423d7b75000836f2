"""Roster lifecycle and account links: respondents.active, invitations.withdrawn, and the
one-time set-password link of an account (only its hash) with its expiry and when the password
was last set (survey_app/domain/lifecycle.py, survey_app/domain/accounts.py).

Existing respondents are active, existing invitations not withdrawn; existing accounts have
their password set (at their creation).

Revision ID: 0010
Revises: 0006
Create Date: 2027-01-20 10:00:00
"""
import sqlalchemy as sa
from alembic import op

from survey_app.models.types import UTCDateTime

revision = '0010'
down_revision = '0008'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.add_column(sa.Column('active', sa.Boolean(), nullable=False,
                                      server_default=sa.true()))
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('withdrawn', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('password_token_hash', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('password_token_expires_at', UTCDateTime(), nullable=True))
        batch_op.add_column(sa.Column('password_set_at', UTCDateTime(), nullable=True))
        batch_op.create_unique_constraint('uq_users_password_token_hash', ['password_token_hash'])
    op.execute("UPDATE users SET password_set_at = created_at")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_password_token_hash', type_='unique')
        batch_op.drop_column('password_set_at')
        batch_op.drop_column('password_token_expires_at')
        batch_op.drop_column('password_token_hash')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_column('withdrawn')
    with op.batch_alter_table('respondents', schema=None) as batch_op:
        batch_op.drop_column('active')
