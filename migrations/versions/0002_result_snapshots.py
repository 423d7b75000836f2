"""Computed base results of a round, with the fingerprint of the data they came from.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-24 19:36:58.773355

"""
import sqlalchemy as sa
from alembic import op

from survey_app.models.types import UTCDateTime

# revision identifiers, used by Alembic.
revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('result_snapshots',
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('method_version', sa.String(length=20), nullable=False),
    sa.Column('computed_at', UTCDateTime(), nullable=False),
    sa.Column('document', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_result_snapshots_round_id_rounds')),
    sa.PrimaryKeyConstraint('round_id', name=op.f('pk_result_snapshots'))
    )


def downgrade():
    op.drop_table('result_snapshots')
