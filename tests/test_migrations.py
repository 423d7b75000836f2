"""`upgrade head` on an empty database gives exactly the models' schema, on both engines."""
from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from survey_app import create_app
from survey_app.extensions import db
from tests.conftest import PG_URL


@pytest.fixture
def empty_app(tmp_path):
    """The app on an empty database (a throw-away schema on PostgreSQL), nothing migrated yet."""
    def app_on(url: str):
        return create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "TESTING": True})

    if not PG_URL:
        yield app_on(f"sqlite:///{tmp_path / 'migrated.sqlite'}")
        return
    schema = "mig_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield app_on(f"{PG_URL}{sep}options=-csearch_path%3D{schema},public")
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_upgrade_head_equals_models(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert diff == []
    assert set(db.metadata.tables) | {"alembic_version"} == tables


def test_migrated_database_refuses_overlapping_appointments(empty_app):
    with empty_app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO areas (id, code, level, name) "
                              "VALUES (1, '31', 'provinsi', 'P')"))
            conn.execute(text("INSERT INTO areas (id, code, parent_id, level, name) "
                              "VALUES (2, '3171', 1, 'kota', 'K')"))
            conn.execute(text("INSERT INTO positions (id, kind, area_id) "
                              "VALUES (1, 'walikota', 2)"))
            conn.execute(text("INSERT INTO officials (id, nip, name) "
                              "VALUES (1, 'a', 'A'), (2, 'b', 'B')"))
            conn.execute(text("INSERT INTO appointments (official_id, position_id, start_date, "
                              "end_date) VALUES (1, 1, '2026-01-01', '2026-03-31')"))
        with pytest.raises(Exception, match="overlap"), db.engine.begin() as conn:
            conn.execute(text("INSERT INTO appointments (official_id, position_id, start_date) "
                              "VALUES (2, 1, '2026-03-31')"))
        with db.engine.begin() as conn:  # the day after is fine
            conn.execute(text("INSERT INTO appointments (official_id, position_id, start_date) "
                              "VALUES (2, 1, '2026-04-01')"))
        db.engine.dispose()


def test_0003_keeps_every_response_forgets_the_days_and_shuffles_the_ids(empty_app):
    """Existing data moves to the anonymous shape: every response and answer is kept, each gets
    the official who held the post on its day, and then no day is left; the ids are the same
    set in another order (40 responses: the odds of the same order by chance are 1 in 40!)."""
    with empty_app.app_context():
        upgrade(revision="0002")
        with db.engine.begin() as conn:
            for sql in (
                    "INSERT INTO areas (id, code, level, name) VALUES (1, '31', 'provinsi', 'P')",
                    "INSERT INTO areas (id, code, parent_id, level, name) "
                    "VALUES (2, '3171', 1, 'kota', 'K')",
                    "INSERT INTO positions (id, kind, area_id) VALUES (1, 'walikota', 2)",
                    "INSERT INTO officials (id, nip, name) VALUES (1, 'a', 'A'), (2, 'b', 'B')",
                    # A until 15 March, B from 16 March
                    "INSERT INTO appointments (official_id, position_id, start_date, end_date) "
                    "VALUES (1, 1, '2026-01-01', '2027-03-15')",
                    "INSERT INTO appointments (official_id, position_id, start_date) "
                    "VALUES (2, 1, '2027-03-16')",
                    "INSERT INTO questionnaires (id, key, version, content_hash, content, "
                    "pinned_at) VALUES (1, 'q', '1', 'h', '{}', '2027-01-01 00:00:00+00:00')",
                    "INSERT INTO rounds (id, code, questionnaire_id, opens_at, closes_at, state, "
                    "group_weights, rating_matrix, deadline_days, min_group, survey_weight, "
                    "complaint_weight, min_in_time_rate, failing_grades, created_at) VALUES "
                    "(1, '2027-Q1', 1, '2027-03-01 00:00:00+00:00', '2027-04-01 00:00:00+00:00', "
                    "'closed', '{}', '{}', 7, 3, 0.7, 0.3, 0.8, 'CD', "
                    "'2027-01-01 00:00:00+00:00')"):
                conn.execute(text(sql))
            for n in range(50):
                conn.execute(text(
                    "INSERT INTO respondents (id, ref, name, \"group\", area_id) "
                    "VALUES (:n, :ref, 'R', 'rt', 2)"), {"n": n + 1, "ref": f"R{n}"})
                conn.execute(text(
                    "INSERT INTO invitations (id, round_id, respondent_id, token_hash, "
                    "token_nonce, created_at) VALUES (:n, 1, :n, :h, 'x', "
                    "'2027-01-01 00:00:00+00:00')"), {"n": n + 1, "h": f"h{n}"})
                day = f"2027-03-{n % 28 + 1:02d}" if n < 40 else None
                conn.execute(text("INSERT INTO invitation_positions (invitation_id, position_id, "
                                  "completed_on) VALUES (:n, 1, :day)"), {"n": n + 1, "day": day})
                if day:  # the response of answer n is 1 + n % 4 to every item
                    conn.execute(text(
                        "INSERT INTO responses (id, round_id, position_id, \"group\", area_id, "
                        "submitted_on, source, comment) VALUES (:n, 1, 1, 'rt', 2, :day, 'web', "
                        ":comment)"), {"n": n + 1, "day": day, "comment": f"c{n}"})
                    for item in ("U1", "U2"):
                        conn.execute(text("INSERT INTO answers (response_id, item_code, value) "
                                          "VALUES (:n, :item, :v)"),
                                     {"n": n + 1, "item": item, "v": 1 + n % 4})
        upgrade()
        with db.engine.connect() as conn:
            columns = {c["name"] for c in inspect(conn).get_columns("responses")}
            assert "submitted_on" not in columns and "official_id" in columns
            assert "completed_on" not in {c["name"] for c in
                                          inspect(conn).get_columns("invitation_positions")}
            assert conn.execute(text("SELECT COUNT(*) FROM invitation_positions "
                                     "WHERE answered")).scalar_one() == 40
            rows = conn.execute(text("SELECT id, comment, official_id FROM responses "
                                     "ORDER BY id")).all()
            answers = conn.execute(text("SELECT response_id, item_code, value FROM answers"
                                        )).all()
        db.engine.dispose()
    assert sorted(r.id for r in rows) == list(range(1, 41))
    by_comment = {r.comment: r for r in rows}
    assert set(by_comment) == {f"c{n}" for n in range(40)}
    # days 1..15 of March were A's, 16..28 B's: n % 28 + 1 <= 15
    assert {c: r.official_id for c, r in by_comment.items()} == {
        f"c{n}": 1 if n % 28 + 1 <= 15 else 2 for n in range(40)}
    # each response kept its own answers under its new id
    values = {}
    for response_id, _item, value in answers:
        values.setdefault(response_id, set()).add(value)
    assert len(answers) == 80
    assert {r.comment: values[r.id] for r in rows} == {f"c{n}": {1 + n % 4} for n in range(40)}
    assert [r.comment for r in rows] != [f"c{n}" for n in range(40)]  # no longer in arrival order


def test_0006_gives_existing_accounts_session_version_0(empty_app):
    """Accounts made before 0006 get version 0; sessions opened before it hold no version at
    all ("1" rather than "1:0") and are refused (tests/test_auth.py), so everyone logs in again."""
    with empty_app.app_context():
        upgrade(revision="0005")
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO users (id, email, password_hash, role, active, "
                              "failed_logins, created_at) VALUES (1, 'a@example.id', 'h', "
                              "'viewer', true, 0, '2026-01-01 00:00:00+00:00')"))
        upgrade()
        with db.engine.connect() as conn:
            assert conn.execute(text("SELECT id, session_version FROM users")).all() == [(1, 0)]
        db.engine.dispose()


def test_0014_moves_result_files_still_in_their_folder_into_the_database(empty_app, tmp_path):
    """A result file still on disk becomes its job's chunks (2.5 chunks of 1 MB: three rows);
    a job whose file is gone is left without a download."""
    app = empty_app
    kept = tmp_path / "job-1-abc.zip"
    kept.write_bytes(bytes(range(256)) * (10 * 1024))  # 2.5 MB
    with app.app_context():
        upgrade(revision="0012")
        with db.engine.begin() as conn:
            for job_id, path in ((1, str(kept)), (2, str(tmp_path / "gone.pdf"))):
                conn.execute(text(
                    "INSERT INTO jobs (id, kind, params, state, done, total, attempt, actor, "
                    "created_at, updated_at, result_path, result_name) VALUES (:id, 'letters', "
                    "'{}', 'done', 1, 1, 1, 'cli', :now, :now, :path, 'f')"),
                    {"id": job_id, "now": "2026-12-01 00:00:00", "path": path})
        upgrade(revision="0014")
        with db.engine.connect() as conn:
            sizes = conn.execute(text("SELECT id, result_size FROM jobs ORDER BY id")).all()
            chunks = conn.execute(text("SELECT job_id, seq, data FROM job_files "
                                       "ORDER BY job_id, seq")).all()
        db.engine.dispose()
    assert [tuple(r) for r in sizes] == [(1, len(kept.read_bytes())), (2, None)]
    assert [(job_id, seq) for job_id, seq, _data in chunks] == [(1, 0), (1, 1), (1, 2)]
    assert b"".join(bytes(data) for _j, _s, data in chunks) == kept.read_bytes()


def test_0017_gives_each_invitation_its_respondents_group_and_area(empty_app):
    """The links made before 0017 were made for their respondent's group and area of today."""
    from survey_app.models import Respondent
    from tests import factories

    with empty_app.app_context():
        upgrade(revision="0016")
        areas = factories.small_tree()
        round_id = factories.round_().id
        people = [Respondent(ref="R1", name="A", group="rt", area=areas["3171010001"]),
                  Respondent(ref="R2", name="B", group="fkdm", area=areas["3171020"])]
        db.session.add_all(people)
        db.session.flush()
        ids = [p.id for p in people]
        db.session.commit()
        db.session.remove()
        with db.engine.begin() as conn:
            for respondent_id in ids:
                conn.execute(text(
                    "INSERT INTO invitations (round_id, respondent_id, token_hash, token_nonce, "
                    "created_at) VALUES (:round, :respondent, :h, 'n', "
                    "'2027-01-01 00:00:00+00:00')"),
                    {"round": round_id, "respondent": respondent_id, "h": f"h{respondent_id}"})
        upgrade()
        with db.engine.connect() as conn:
            rows = conn.execute(text(
                'SELECT r.ref, i."group", a.code FROM invitations i '
                "JOIN respondents r ON r.id = i.respondent_id JOIN areas a ON a.id = i.area_id "
                "ORDER BY r.ref")).all()
        db.engine.dispose()
    assert [tuple(r) for r in rows] == [("R1", "rt", "3171010001"), ("R2", "fkdm", "3171020")]
