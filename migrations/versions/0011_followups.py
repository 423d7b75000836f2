"""Follow-up plans (rencana tindak lanjut) and their evidence files; a round's setting whether a
missing or overdue plan counts as a failed quarter on the sanctions ladder (off for rounds that
exist).

Revision ID: 0011
Revises: 0006
Create Date: 2026-12-01 19:00:00
"""
import sqlalchemy as sa
from alembic import op

from survey_app.models.types import UTCDateTime

revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None

STATES = "state IN ('draft', 'submitted', 'returned', 'approved', 'done', 'verified')"


def upgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('followup_required', sa.Boolean(), nullable=False,
                                      server_default=sa.false()))
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.alter_column('followup_required', server_default=None)

    op.create_table('followup_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=False),
    sa.Column('element_code', sa.String(length=10), nullable=False),
    sa.Column('action', sa.Text(), nullable=False),
    sa.Column('due_quarter', sa.String(length=7), nullable=False),
    sa.Column('responsible', sa.String(length=160), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('review_note', sa.Text(), nullable=True),
    sa.Column('evidence', sa.Text(), nullable=True),
    sa.Column('created_at', UTCDateTime(), nullable=False),
    sa.Column('updated_at', UTCDateTime(), nullable=False),
    sa.Column('submitted_at', UTCDateTime(), nullable=True),
    sa.Column('approved_at', UTCDateTime(), nullable=True),
    sa.Column('done_at', UTCDateTime(), nullable=True),
    sa.Column('verified_at', UTCDateTime(), nullable=True),
    sa.CheckConstraint(STATES, name=op.f('ck_followup_plans_state')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'],
                            name=op.f('fk_followup_plans_official_id_officials')),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'],
                            name=op.f('fk_followup_plans_position_id_positions')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'],
                            name=op.f('fk_followup_plans_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_plans')),
    sa.UniqueConstraint('round_id', 'position_id', 'official_id', 'element_code',
                        name=op.f('uq_followup_plans_round_id_position_id_official_id_element_code'))
    )
    with op.batch_alter_table('followup_plans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_plans_official_id'), ['official_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_followup_plans_position_id'), ['position_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_followup_plans_round_id'), ['round_id'],
                              unique=False)

    op.create_table('followup_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=120), nullable=False),
    sa.Column('content_type', sa.String(length=40), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by_id', sa.Integer(), nullable=True),
    sa.Column('uploaded_at', UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['plan_id'], ['followup_plans.id'],
                            name=op.f('fk_followup_files_plan_id_followup_plans')),
    sa.ForeignKeyConstraint(['uploaded_by_id'], ['users.id'],
                            name=op.f('fk_followup_files_uploaded_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_followup_files'))
    )
    with op.batch_alter_table('followup_files', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_followup_files_plan_id'), ['plan_id'], unique=False)


def downgrade():
    with op.batch_alter_table('followup_files', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_files_plan_id'))
    op.drop_table('followup_files')
    with op.batch_alter_table('followup_plans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_followup_plans_round_id'))
        batch_op.drop_index(batch_op.f('ix_followup_plans_position_id'))
        batch_op.drop_index(batch_op.f('ix_followup_plans_official_id'))
    op.drop_table('followup_plans')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_column('followup_required')
