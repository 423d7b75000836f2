"""Public rounds: a coordinator makes a published round's results public on /publik (issue 20).

Every round starts private (false), so nothing becomes public by this revision.

Create Date: 2027-01-20 10:00:00
"""
import sqlalchemy as sa
from revision_helpers import add_flag, drop_columns

revision, down_revision = '0012', '0011'


def upgrade():
    add_flag('rounds', 'public', sa.false())


def downgrade():
    drop_columns('rounds', 'public')
