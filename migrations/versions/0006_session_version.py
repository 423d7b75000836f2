"""Session version: a user's sessions end on logout, password change and deactivation, copies of
the cookie included (survey_app/models/user.py, User.get_id).

Sessions opened before this revision carry no version and are refused: everyone logs in again.

Create Date: 2027-01-05 10:00:00
"""
import sqlalchemy as sa
from revision_helpers import add_columns, drop_columns, required

revision, down_revision = '0006', '0005'


def upgrade():
    add_columns('users', required('session_version', sa.Integer(), server_default='0'))


def downgrade():
    drop_columns('users', 'session_version')
