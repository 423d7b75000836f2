"""Computed base results of a round, with the fingerprint of the data they came from.

Create Date: 2026-11-24 19:36:58.773355
"""
import sqlalchemy as sa
from alembic import op
from revision_helpers import UTC_DATETIME, foreign_keys, primary_key, required

revision, down_revision = '0002', '0001'


def upgrade():
    op.create_table('result_snapshots',
                    required('round_id', sa.Integer()),
                    required('fingerprint', sa.String(64)),
                    required('method_version', sa.String(20)),
                    required('computed_at', UTC_DATETIME),
                    required('document', sa.JSON()),
                    *foreign_keys('result_snapshots', round_id='rounds'),
                    primary_key('result_snapshots', 'round_id'))


def downgrade():
    op.drop_table('result_snapshots')
