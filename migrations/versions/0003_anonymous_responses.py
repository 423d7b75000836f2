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

Create Date: 2026-12-01 16:40:00
"""
import sqlalchemy as sa
from alembic import op
from revision_helpers import (
    GROUPS,
    SOURCES,
    add_columns,
    add_flag,
    create_answers_table,
    create_table,
    drop_columns,
    drop_indexes,
    optional,
    required,
)

revision, down_revision = '0003', '0002'

RESPONSE_COLUMNS = 'round_id, position_id, official_id, "group", area_id, source, comment'


def upgrade():
    create_table('held_responses',
                 *(required(name, sa.Integer()) for name in ('round_id', 'position_id')),
                 optional('official_id', sa.Integer()),
                 required('group', sa.String(8)),
                 required('area_id', sa.Integer()),
                 required('source', sa.String(5)),
                 optional('comment', sa.Text()),
                 checks={'source': SOURCES, 'group': GROUPS},
                 references=dict(area_id='areas', official_id='officials', position_id='positions',
                                 round_id='rounds'),
                 indexes=('round_id',))

    create_answers_table('held_answers', 'held_response_id', 'held_responses')

    # Answered: a flag instead of a day.
    add_flag('invitation_positions', 'answered', sa.false())
    op.execute("UPDATE invitation_positions SET answered = (completed_on IS NOT NULL)")
    drop_columns('invitation_positions', 'completed_on')

    # The official in post on the day each response was given; then the day goes.
    add_columns('responses', optional('official_id', sa.Integer()))
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
    drop_indexes('held_responses', 'round_id')
    op.drop_table('held_responses')

    closing_day = ("CAST(rounds.closes_at AS DATE)" if bind.dialect.name == "postgresql"
                   else "substr(rounds.closes_at, 1, 10)")
    last_day = f"(SELECT {closing_day} FROM rounds WHERE rounds.id = responses.round_id)"
    add_columns('responses', optional('submitted_on', sa.Date()))
    op.execute(f"UPDATE responses SET submitted_on = {last_day}")
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.alter_column('submitted_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint(batch_op.f('fk_responses_official_id_officials'),
                                 type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_responses_official_id'))
        batch_op.drop_column('official_id')

    add_columns('invitation_positions', optional('completed_on', sa.Date()))
    op.execute(f"UPDATE invitation_positions SET completed_on = (SELECT {closing_day} "
               "FROM invitations JOIN rounds ON rounds.id = invitations.round_id "
               "WHERE invitations.id = invitation_positions.invitation_id) WHERE answered")
    drop_columns('invitation_positions', 'answered')
