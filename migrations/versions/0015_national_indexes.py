"""Indexes for national scale (benchmarks/national.py, issue 21): counting a round's invited and
a quarter's complaints, which every look at a round's results does (results.fingerprint), from
the indexes alone on PostgreSQL (INCLUDE columns; a plain index on SQLite).

- invitations (round_id, id) INCLUDE (withdrawn), replacing ix_invitations_round_id;
- complaints (reported_at) INCLUDE (id, imported_at).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 22:30:00
"""
from alembic import op

revision = '0015'
down_revision = '0014'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_round_id_id', ['round_id', 'id'], unique=False,
                              postgresql_include=['withdrawn'])
        batch_op.drop_index('ix_invitations_round_id')
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.create_index('ix_complaints_reported_at', ['reported_at'], unique=False,
                              postgresql_include=['id', 'imported_at'])


def downgrade():
    with op.batch_alter_table('complaints', schema=None) as batch_op:
        batch_op.drop_index('ix_complaints_reported_at')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_round_id', ['round_id'], unique=False)
        batch_op.drop_index('ix_invitations_round_id_id')
