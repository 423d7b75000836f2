"""The whole data model of DESIGN.md.

Create Date: 2026-11-24 02:39:51.493804
"""
import sqlalchemy as sa
from alembic import op
from revision_helpers import (
    GROUPS,
    SOURCES,
    create_answers_table,
    create_table,
    drop_tables,
    optional,
    required,
)

# Frozen copies of the overlap rule in survey_app/models/official.py (a migration never imports
# code that may change after it was written).
APPOINTMENT_OVERLAP_SQLITE = [
    f"""
    CREATE TRIGGER appointments_no_overlap_{op_.lower()} BEFORE {op_} ON appointments
    FOR EACH ROW WHEN EXISTS (
        SELECT 1 FROM appointments a
        WHERE a.position_id = NEW.position_id AND a.id IS NOT NEW.id
          AND a.start_date <= COALESCE(NEW.end_date, '9999-12-31')
          AND NEW.start_date <= COALESCE(a.end_date, '9999-12-31'))
    BEGIN SELECT RAISE(ABORT, 'overlapping appointments for one position'); END
    """
    for op_ in ("INSERT", "UPDATE")
]
APPOINTMENT_OVERLAP_POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap
       EXCLUDE USING gist (position_id WITH =, daterange(start_date, end_date, '[]') WITH &&)""",
]


revision, down_revision = '0001', None

# The tables in the order they are created, each with its indexes (create_indexes).
INDEXES = {
    'areas': ('parent_id',),
    'officials': (),
    'questionnaires': (),
    'units': (),
    'positions': ('area_id', 'unit_id'),
    'respondents': ('area_id',),
    'rounds': ('questionnaire_id',),
    'users': ('official_id',),
    'appointments': ('official_id', 'position_id'),
    'audit_log': ('at', 'user_id'),
    'complaints': ('area_id', 'official_id',
                   ('ix_complaints_position_reported', ['position_id', 'reported_at']), 'unit_id'),
    'invitations': ('respondent_id', 'round_id'),
    'issued_documents': ('round_id',),
    'responses': ('area_id', 'position_id',
                  ('ix_responses_round_position_group', ['round_id', 'position_id', 'group'])),
    'sanction_decisions': ('official_id', 'round_id'),
    'answers': (),
    'invitation_positions': ('position_id',),
}


def create(name, *columns, **constraints):
    """create_table with the table's INDEXES."""
    create_table(name, *columns, indexes=INDEXES[name], **constraints)


def create_register(name, code, code_length):
    """A table of things known by a unique code, with a name (officials by NIP, units)."""
    create(name, required(code, sa.String(code_length)), required('name', sa.String(160)),
           unique=[(code,)])


def upgrade():
    create('areas',
           required('code', sa.String(20)),
           optional('parent_id', sa.Integer()),
           required('level', sa.String(12)),
           required('name', sa.String(120)),
           checks={'level': "level IN ('provinsi', 'kota', 'kabupaten', 'kecamatan', 'kelurahan')"},
           references=dict(parent_id='areas'),
           unique=[('code',)])
    create_register('officials', 'nip', 30)
    create('questionnaires',
           required('key', sa.String(80)),
           required('version', sa.String(40)),
           required('content_hash', sa.String(64)),
           required('content', sa.JSON()),
           required('pinned_at', sa.DateTime(timezone=True)),
           unique=[('key', 'version', 'content_hash')])
    create_register('units', 'code', 40)
    create('positions',
           required('kind', sa.String(16)),
           optional('area_id', sa.Integer()),
           optional('unit_id', sa.Integer()),
           checks={'area_or_unit':
                   "(kind = 'kepala_dinas' AND unit_id IS NOT NULL AND area_id IS NULL) OR "
                   "(kind <> 'kepala_dinas' AND area_id IS NOT NULL AND unit_id IS NULL)",
                   'kind': "kind IN ('lurah', 'camat', 'walikota', 'bupati', 'kepala_dinas')"},
           references=dict(area_id='areas', unit_id='units'),
           unique=[('kind', 'area_id', 'unit_id')])
    create('respondents',
           required('ref', sa.String(40)),
           required('name', sa.String(160)),
           required('group', sa.String(8)),
           required('area_id', sa.Integer()),
           optional('rw', sa.String(8)),
           optional('rt', sa.String(8)),
           optional('phone', sa.String(20)),
           optional('email', sa.String(254)),
           checks={'group': GROUPS},
           references=dict(area_id='areas'),
           unique=[('ref',)])
    create('rounds',
           required('code', sa.String(7)),
           required('questionnaire_id', sa.Integer()),
           required('opens_at', sa.DateTime(timezone=True)),
           required('closes_at', sa.DateTime(timezone=True)),
           required('state', sa.String(10)),
           *(required(name, sa.JSON()) for name in ('group_weights', 'rating_matrix')),
           *(required(name, sa.Integer()) for name in ('deadline_days', 'min_group')),
           *(required(name, sa.Float())
             for name in ('survey_weight', 'complaint_weight', 'min_in_time_rate')),
           required('failing_grades', sa.String(8)),
           optional('note', sa.Text()),
           required('created_at', sa.DateTime(timezone=True)),
           *(optional(name, sa.DateTime(timezone=True))
             for name in ('opened_at', 'closed_at', 'published_at')),
           checks={'state': "state IN ('draft', 'scheduled', 'open', 'closed', 'published')",
                   'close_after_open': 'closes_at > opens_at',
                   'deadline_days': 'deadline_days > 0',
                   'min_group': 'min_group >= 1',
                   'composite_weights': 'survey_weight >= 0 AND complaint_weight >= 0 '
                                        'AND survey_weight + complaint_weight > 0'},
           references=dict(questionnaire_id='questionnaires'),
           unique=[('code',)])
    create('users',
           required('email', sa.String(254)),
           required('password_hash', sa.String(256)),
           required('role', sa.String(12)),
           optional('official_id', sa.Integer()),
           required('active', sa.Boolean()),
           required('failed_logins', sa.Integer()),
           optional('last_failed_login_at', sa.DateTime(timezone=True)),
           required('created_at', sa.DateTime(timezone=True)),
           checks={'role': "role IN ('admin', 'coordinator', 'official', 'viewer')"},
           references=dict(official_id='officials'),
           unique=[('email',)])
    create('appointments',
           *(required(name, sa.Integer()) for name in ('official_id', 'position_id')),
           required('start_date', sa.Date()),
           optional('end_date', sa.Date()),
           checks={'dates': 'end_date IS NULL OR end_date >= start_date'},
           references=dict(official_id='officials', position_id='positions'),
           unique=[('official_id', 'position_id', 'start_date')])
    # Appointments of one position never overlap (the same DDL as the model's create_all hook).
    dialect = op.get_bind().dialect.name
    for statement in {"sqlite": APPOINTMENT_OVERLAP_SQLITE,
                      "postgresql": APPOINTMENT_OVERLAP_POSTGRESQL}.get(dialect, []):
        op.execute(statement)

    create('audit_log',
           required('at', sa.DateTime(timezone=True)),
           optional('user_id', sa.Integer()),
           required('actor', sa.String(254)),
           required('action', sa.String(60)),
           optional('target', sa.String(200)),
           optional('detail', sa.JSON()),
           references=dict(user_id='users'))
    create('complaints',
           required('external_id', sa.String(64)),
           optional('channel', sa.String(40)),
           optional('category', sa.String(120)),
           *(optional(name, sa.Integer()) for name in ('area_id', 'unit_id')),
           required('status', sa.String(12)),
           required('reported_at', sa.DateTime(timezone=True)),
           *(optional(name, sa.DateTime(timezone=True))
             for name in ('first_response_at', 'resolved_at')),
           *(optional(name, sa.Integer()) for name in ('position_id', 'official_id')),
           optional('source_as_of', sa.DateTime(timezone=True)),
           required('imported_at', sa.DateTime(timezone=True)),
           checks={'resolved_has_time': "status <> 'resolved' OR resolved_at IS NOT NULL",
                   'status': "status IN ('waiting', 'coordination', 'disposition', "
                             "'in_progress', 'resolved', 'rejected')",
                   'area_or_unit': 'area_id IS NOT NULL OR unit_id IS NOT NULL',
                   'resolved_after_report': 'resolved_at IS NULL OR resolved_at >= reported_at'},
           references=dict(area_id='areas', official_id='officials', position_id='positions',
                           unit_id='units'),
           unique=[('external_id',)])
    create('invitations',
           *(required(name, sa.Integer()) for name in ('round_id', 'respondent_id')),
           *(required(name, sa.String(64)) for name in ('token_hash', 'token_nonce')),
           required('created_at', sa.DateTime(timezone=True)),
           references=dict(respondent_id='respondents', round_id='rounds'),
           unique=[('round_id', 'respondent_id'), ('token_hash',)])
    create('issued_documents',
           required('number', sa.String(40)),
           required('round_id', sa.Integer()),
           *(optional(name, sa.Integer()) for name in ('position_id', 'official_id')),
           required('kind', sa.String(20)),
           required('fingerprint', sa.String(64)),
           required('figures', sa.JSON()),
           required('issued_at', sa.DateTime(timezone=True)),
           references=dict(official_id='officials', position_id='positions', round_id='rounds'),
           unique=[('number',)])
    create('responses',
           *(required(name, sa.Integer()) for name in ('round_id', 'position_id')),
           required('group', sa.String(8)),
           required('area_id', sa.Integer()),
           required('submitted_on', sa.Date()),
           required('source', sa.String(5)),
           optional('comment', sa.Text()),
           checks={'source': SOURCES, 'group': GROUPS},
           references=dict(area_id='areas', position_id='positions', round_id='rounds'))
    create('sanction_decisions',
           required('official_id', sa.Integer()),
           optional('round_id', sa.Integer()),
           required('action', sa.String(12)),
           required('decided_on', sa.Date()),
           optional('letter_number', sa.String(80)),
           optional('note', sa.Text()),
           optional('recorded_by_id', sa.Integer()),
           required('recorded_at', sa.DateTime(timezone=True)),
           checks={'action': "action IN ('perhatian', 'sp1', 'sp2', 'rotasi', 'mutasi', 'demosi', "
                             "'dibatalkan')"},
           references=dict(official_id='officials', recorded_by_id='users', round_id='rounds'))
    create_answers_table('answers', 'response_id', 'responses')
    create('invitation_positions',
           *(required(name, sa.Integer()) for name in ('invitation_id', 'position_id')),
           optional('completed_on', sa.Date()),
           references=dict(invitation_id='invitations', position_id='positions'),
           key=('invitation_id', 'position_id'))


def downgrade():
    drop_tables(INDEXES)
