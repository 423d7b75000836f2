"""A round's fewest complaints to judge: an in-time rate over fewer complaints never fails anyone
(DOMAIN.md section 5). Rounds that exist get the default, 5.

Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
from alembic import op
from revision_helpers import drop_server_default, required

revision, down_revision = '0004', '0003'


def upgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(required('min_complaints', sa.Integer(), server_default='5'))
        batch_op.create_check_constraint(op.f('ck_rounds_min_complaints'), 'min_complaints >= 1')
    drop_server_default('rounds', 'min_complaints')


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_rounds_min_complaints'), type_='check')
        batch_op.drop_column('min_complaints')
