"""Anonymous responses: held until released in shuffled batches, no day kept, the holder kept.

- ``held_responses`` and ``held_answers``: where the form's transaction writes (see
  survey_app/domain/holding.py);
- ``invitation_positions.completed_on`` (a day) becomes ``answered`` (a flag);
- ``responses.submitted_on`` is dropped after it has told which official held the post that day
  (``responses.official_id``, DOMAIN.md section 4a);
- existing responses get new ids in a random order and are rewritten in that order, so that
  neither their ids nor their place in the table still follows the order they came in (which the
  rows of ``invitation_positions`` did follow).

The days cannot come back: a downgrade gives every response its round's last day.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 16:40:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

RESPONSE_COLUMNS = 'round_id, position_id, official_id, "group", area_id, source, comment'


def upgrade():
    op.create_table('held_responses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('position_id', sa.Integer(), nullable=False),
    sa.Column('official_id', sa.Integer(), nullable=True),
    sa.Column('group', sa.String(length=8), nullable=False),
    sa.Column('area_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=5), nullable=False),
    sa.Column('comment', sa.Text(), nullable=True),
    sa.CheckConstraint("source IN ('web', 'paper')", name=op.f('ck_held_responses_source')),
    sa.CheckConstraint('"group" IN (\'rt\', \'rw\', \'lmk\', \'fkdm\', \'tokoh\')', name=op.f('ck_held_responses_group')),
    sa.ForeignKeyConstraint(['area_id'], ['areas.id'], name=op.f('fk_held_responses_area_id_areas')),
    sa.ForeignKeyConstraint(['official_id'], ['officials.id'], name=op.f('fk_held_responses_official_id_officials')),
    sa.ForeignKeyConstraint(['position_id'], ['positions.id'], name=op.f('fk_held_responses_position_id_positions')),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_held_responses_round_id_rounds')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_held_responses'))
    )
    with op.batch_alter_table('held_responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_held_responses_round_id'), ['round_id'], unique=False)

    op.create_table('held_answers',
    sa.Column('held_response_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=20), nullable=False),
    sa.Column('value', sa.SmallInteger(), nullable=False),
    sa.CheckConstraint('value BETWEEN 1 AND 4', name=op.f('ck_held_answers_scale')),
    sa.ForeignKeyConstraint(['held_response_id'], ['held_responses.id'], name=op.f('fk_held_answers_held_response_id_held_responses')),
    sa.PrimaryKeyConstraint('held_response_id', 'item_code', name=op.f('pk_held_answers'))
    )

    # Answered: a flag instead of a day.
    with op.batch_alter_table('invitation_positions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('answered', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    op.execute("UPDATE invitation_positions SET answered = (completed_on IS NOT NULL)")
    with op.batch_alter_table('invitation_positions', schema=None) as batch_op:
        batch_op.drop_column('completed_on')

    # The official in post on the day each response was given; then the day goes.
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('official_id', sa.Integer(), nullable=True))
    op.execute("""
        UPDATE responses SET official_id = (
            SELECT a.official_id FROM appointments a
            WHERE a.position_id = responses.position_id AND a.start_date <= responses.submitted_on
              AND (a.end_date IS NULL OR a.end_date >= responses.submitted_on))""")
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_column('submitted_on')
        batch_op.create_index(batch_op.f('ix_responses_official_id'), ['official_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_responses_official_id_officials'), 'officials',
                                    ['official_id'], ['id'])

    _renumber_in_random_order()


def _renumber_in_random_order():
    """Give the responses the same ids in a random order, and write them (and their answers)
    back in that order."""
    op.execute("CREATE TABLE renumbering (old_id INTEGER PRIMARY KEY, new_id INTEGER NOT NULL)")
    op.execute("INSERT INTO renumbering (old_id, new_id) "
               "SELECT id, ROW_NUMBER() OVER (ORDER BY random()) FROM responses")
    op.execute(f'CREATE TABLE shuffled_responses AS SELECT r.new_id AS id, {RESPONSE_COLUMNS} '
               'FROM responses JOIN renumbering r ON r.old_id = responses.id')
    op.execute('CREATE TABLE shuffled_answers AS SELECT r.new_id AS response_id, item_code, value '
               'FROM answers JOIN renumbering r ON r.old_id = answers.response_id')
    op.execute("DELETE FROM answers")
    op.execute("DELETE FROM responses")
    op.execute(f"INSERT INTO responses (id, {RESPONSE_COLUMNS}) "
               f"SELECT id, {RESPONSE_COLUMNS} FROM shuffled_responses ORDER BY id")
    op.execute("INSERT INTO answers (response_id, item_code, value) "
               "SELECT response_id, item_code, value FROM shuffled_answers "
               "ORDER BY response_id, item_code")
    for table in ("shuffled_answers", "shuffled_responses", "renumbering"):
        op.execute(f"DROP TABLE {table}")


def downgrade():
    # Held responses first go where the older code reads them (their order is lost anyway).
    bind = op.get_bind()
    top = bind.execute(sa.text("SELECT COALESCE(MAX(id), 0) FROM responses")).scalar_one()
    op.execute(f"INSERT INTO responses (id, {RESPONSE_COLUMNS}) "
               f"SELECT id + {top}, {RESPONSE_COLUMNS} FROM held_responses")
    op.execute(f"INSERT INTO answers (response_id, item_code, value) "
               f"SELECT held_response_id + {top}, item_code, value FROM held_answers")
    if bind.dialect.name == "postgresql":
        op.execute("SELECT setval(pg_get_serial_sequence('responses', 'id'), "
                   "(SELECT COALESCE(MAX(id), 0) + 1 FROM responses), false)")
    op.drop_table('held_answers')
    with op.batch_alter_table('held_responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_held_responses_round_id'))
    op.drop_table('held_responses')

    closing_day = ("CAST(rounds.closes_at AS DATE)" if bind.dialect.name == "postgresql"
                   else "substr(rounds.closes_at, 1, 10)")
    last_day = f"(SELECT {closing_day} FROM rounds WHERE rounds.id = responses.round_id)"
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('submitted_on', sa.Date(), nullable=True))
    op.execute(f"UPDATE responses SET submitted_on = {last_day}")
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.alter_column('submitted_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_responses_official_id_officials'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_responses_official_id'))
        batch_op.drop_column('official_id')

    with op.batch_alter_table('invitation_positions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('completed_on', sa.Date(), nullable=True))
    op.execute(f"UPDATE invitation_positions SET completed_on = (SELECT {closing_day} "
               "FROM invitations JOIN rounds ON rounds.id = invitations.round_id "
               "WHERE invitations.id = invitation_positions.invitation_id) WHERE answered")
    with op.batch_alter_table('invitation_positions', schema=None) as batch_op:
        batch_op.drop_column('answered')
