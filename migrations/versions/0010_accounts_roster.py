"""Roster lifecycle and account links: respondents.active, invitations.withdrawn, and the
one-time set-password link of an account (only its hash) with its expiry and when the password
was last set (survey_app/domain/lifecycle.py, survey_app/domain/accounts.py).

Existing respondents are active, existing invitations not withdrawn; existing accounts have
their password set (at their creation).

Create Date: 2027-01-20 10:00:00
"""
import sqlalchemy as sa
from alembic import op
from revision_helpers import UTC_DATETIME, add_flag, drop_columns, optional

revision, down_revision = '0010', '0008'


def upgrade():
    add_flag('respondents', 'active', sa.true())
    add_flag('invitations', 'withdrawn', sa.false())
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(optional('password_token_hash', sa.String(64)))
        batch_op.add_column(optional('password_token_expires_at', UTC_DATETIME))
        batch_op.add_column(optional('password_set_at', UTC_DATETIME))
        batch_op.create_unique_constraint('uq_users_password_token_hash', ['password_token_hash'])
    op.execute("UPDATE users SET password_set_at = created_at")


def downgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint('uq_users_password_token_hash', type_='unique')
        for name in ('password_set_at', 'password_token_expires_at', 'password_token_hash'):
            batch_op.drop_column(name)
    drop_columns('invitations', 'withdrawn')
    drop_columns('respondents', 'active')
