"""An index for national scale (benchmarks/national.py, issue 21): counting a round's invited,
which every look at a round's results does (results.fingerprint), from the index alone on
PostgreSQL (an INCLUDE column; a plain index on SQLite): invitations (round_id, id) INCLUDE
(withdrawn), replacing ix_invitations_round_id. (The quarter's complaints are counted from
0013's index.)

Create Date: 2026-12-01 22:30:00
"""
from alembic import op

revision, down_revision = '0015', '0014'


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_round_id_id', ['round_id', 'id'], unique=False,
                              postgresql_include=['withdrawn'])
        batch_op.drop_index('ix_invitations_round_id')


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index('ix_invitations_round_id', ['round_id'], unique=False)
        batch_op.drop_index('ix_invitations_round_id_id')
