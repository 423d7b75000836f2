"""Computed base results of a round, with the fingerprint of the data they came from.

Create Date: 2026-11-24 19:36:58.773355
"""
import sqlalchemy as sa
from alembic import op
from revision_helpers import UTC_DATETIME, create_table, required

revision, down_revision = '0002', '0001'


def upgrade():
    create_table('result_snapshots',
                 required('round_id', sa.Integer()),
                 required('fingerprint', sa.String(64)),
                 required('method_version', sa.String(20)),
                 required('computed_at', UTC_DATETIME),
                 required('document', sa.JSON()),
                 references=dict(round_id='rounds'),
                 key=('round_id',))


def downgrade():
    op.drop_table('result_snapshots')
