"""The results document kept beside a round's base results: the key of the data it was built
from (the round's own and its earlier rounds'), so that a look at a round's results reads it
instead of rebuilding the trend, ranks and ladder (survey_app/domain/results.py).

Create Date: 2026-12-01 19:00:00
"""
import sqlalchemy as sa
from revision_helpers import add_columns, drop_columns, optional

revision, down_revision = '0007', '0006'


def upgrade():
    add_columns('result_snapshots', optional('document_key', sa.String(64)),
                optional('results', sa.JSON()))


def downgrade():
    drop_columns('result_snapshots', 'results', 'document_key')
