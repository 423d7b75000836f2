"""Follow-up plans (rencana tindak lanjut) and their evidence files; a round's setting whether a
missing or overdue plan counts as a failed quarter on the sanctions ladder (off for rounds that
exist).

Create Date: 2026-12-01 19:00:00
"""
import sqlalchemy as sa
from revision_helpers import (
    UTC_DATETIME,
    add_flag,
    create_table,
    drop_columns,
    drop_server_default,
    drop_tables,
    optional,
    required,
)

revision, down_revision = '0011', '0010'

STATES = "state IN ('draft', 'submitted', 'returned', 'approved', 'done', 'verified')"
# The tables in the order they are created, each with its indexes.
INDEXES = {
    'followup_plans': ('official_id', 'position_id', 'round_id'),
    'followup_files': ('plan_id',),
}


def upgrade():
    add_flag('rounds', 'followup_required', sa.false())
    drop_server_default('rounds', 'followup_required')

    create_table('followup_plans',
                 *(required(name, sa.Integer())
                   for name in ('round_id', 'position_id', 'official_id')),
                 required('element_code', sa.String(10)),
                 required('action', sa.Text()),
                 required('due_quarter', sa.String(7)),
                 required('responsible', sa.String(160)),
                 required('state', sa.String(10)),
                 *(optional(name, sa.Text()) for name in ('review_note', 'evidence')),
                 *(required(name, UTC_DATETIME) for name in ('created_at', 'updated_at')),
                 *(optional(name, UTC_DATETIME)
                   for name in ('submitted_at', 'approved_at', 'done_at', 'verified_at')),
                 checks={'state': STATES},
                 references=dict(official_id='officials', position_id='positions',
                                 round_id='rounds'),
                 unique=[('round_id', 'position_id', 'official_id', 'element_code')],
                 indexes=INDEXES['followup_plans'])

    create_table('followup_files',
                 required('plan_id', sa.Integer()),
                 required('filename', sa.String(120)),
                 required('content_type', sa.String(40)),
                 required('size', sa.Integer()),
                 required('sha256', sa.String(64)),
                 required('data', sa.LargeBinary()),
                 optional('uploaded_by_id', sa.Integer()),
                 required('uploaded_at', UTC_DATETIME),
                 references=dict(plan_id='followup_plans', uploaded_by_id='users'),
                 indexes=INDEXES['followup_files'])


def downgrade():
    drop_tables(INDEXES)
    drop_columns('rounds', 'followup_required')
