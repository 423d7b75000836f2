"""A round's fewest complaints to judge: an in-time rate over fewer complaints never fails anyone
(DOMAIN.md section 5). Rounds that exist get the default, 5.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 10:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.add_column(sa.Column('min_complaints', sa.Integer(), server_default='5',
                                      nullable=False))
        batch_op.create_check_constraint(op.f('ck_rounds_min_complaints'), 'min_complaints >= 1')
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.alter_column('min_complaints', server_default=None)


def downgrade():
    with op.batch_alter_table('rounds', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_rounds_min_complaints'), type_='check')
        batch_op.drop_column('min_complaints')
