"""The group and area an invitation's link was made for: invitations.group and area_id.

A response carried the respondent's group and area as they were when the form was sent, while
the link's positions stay fixed once its round is open: a respondent moved to another area (or
group) by a roster re-import during the round answered their old area's posts with the new area,
a combination nobody else had (docs/anonymity.md). The invitation now keeps the group and area
its positions were chosen for, and a form is stored with those.

Existing invitations get their respondent's group and area of today: the values their links were
made for, unless a respondent was moved during a round that is still open (such a round's forms
were stored with the new values until now too).

On PostgreSQL the backfill rewrites every invitation and leaves the planner without statistics
of the two new columns: the table is analysed before the migration ends (ANALYZE runs inside the
migration's transaction; the VACUUM that marks the rewritten pages visible again cannot, and is
left to autovacuum or to the upgrade steps of docs/deploy.md).

Create Date: 2027-02-09 10:00:00
"""
import sqlalchemy as sa
from alembic import op
from revision_helpers import GROUPS, drop_columns, optional

revision, down_revision = '0017', '0016'


def upgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.add_column(optional('group', sa.String(8)))
        batch_op.add_column(optional('area_id', sa.Integer()))
    op.execute('UPDATE invitations SET '
               '"group" = (SELECT r."group" FROM respondents r '
               'WHERE r.id = invitations.respondent_id), '
               'area_id = (SELECT r.area_id FROM respondents r '
               'WHERE r.id = invitations.respondent_id)')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.alter_column('group', existing_type=sa.String(8), nullable=False)
        batch_op.alter_column('area_id', existing_type=sa.Integer(), nullable=False)
        batch_op.create_check_constraint(op.f('ck_invitations_group'), GROUPS)
        batch_op.create_foreign_key(op.f('fk_invitations_area_id_areas'), 'areas',
                                    ['area_id'], ['id'])
    if op.get_bind().dialect.name == 'postgresql':
        op.execute('ANALYZE invitations')


def downgrade():
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('fk_invitations_area_id_areas'), type_='foreignkey')
        batch_op.drop_constraint(op.f('ck_invitations_group'), type_='check')
    drop_columns('invitations', 'area_id', 'group')
