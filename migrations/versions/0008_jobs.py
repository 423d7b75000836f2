"""Jobs: background work that coordinators follow (who started what, when, how far, the result
file or the error in words); survey_app/jobs.py runs them.

Create Date: 2026-12-01 19:00:00
"""
import sqlalchemy as sa
from alembic import op
from revision_helpers import UTC_DATETIME, create_table, drop_indexes, optional, required

revision, down_revision = '0008', '0007'

INDEXES = ('created_at', 'state', 'user_id')


def upgrade():
    create_table('jobs',
                 required('kind', sa.String(40)),
                 required('params', sa.JSON()),
                 required('state', sa.String(8)),
                 *(required(name, sa.Integer()) for name in ('done', 'total', 'attempt')),
                 optional('user_id', sa.Integer()),
                 required('actor', sa.String(254)),
                 required('created_at', UTC_DATETIME),
                 optional('started_at', UTC_DATETIME),
                 required('updated_at', UTC_DATETIME),
                 optional('finished_at', UTC_DATETIME),
                 optional('result_path', sa.String(500)),
                 optional('result_name', sa.String(200)),
                 *(optional(name, sa.JSON()) for name in ('message', 'error')),
                 checks={'state': "state IN ('queued', 'running', 'done', 'failed')"},
                 references=dict(user_id='users'),
                 indexes=INDEXES)


def downgrade():
    drop_indexes('jobs', *INDEXES)
    op.drop_table('jobs')
