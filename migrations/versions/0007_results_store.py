"""The results document kept beside a round's base results: the key of the data it was built
from (the round's own and its earlier rounds'), so that a look at a round's results reads it
instead of rebuilding the trend, ranks and ladder (survey_app/domain/results.py).

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 19:00:00

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('result_snapshots', schema=None) as batch_op:
        batch_op.add_column(sa.Column('document_key', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('results', sa.JSON(), nullable=True))


def downgrade():
    with op.batch_alter_table('result_snapshots', schema=None) as batch_op:
        batch_op.drop_column('results')
        batch_op.drop_column('document_key')
