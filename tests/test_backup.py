"""`skm backup OUT` / `skm restore IN` (DESIGN.md): a consistent copy of the whole database, and
back into an empty one, on both engines (PostgreSQL: pg_dump / pg_restore into a throw-away
database made for the test)."""
from __future__ import annotations

import glob
import os
import shutil
import stat
import threading
import uuid
from datetime import UTC, datetime

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url

from survey_app import create_app
from survey_app.domain import audit
from survey_app.domain.backup import DEBIAN_PG_BIN, find_tool
from survey_app.domain.complaints import import_complaints, read_complaints
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.models import Round
from tests.conftest import PG_URL
from tests.respondent_setup import load_roster, token_of, world
from tests.test_respond import answer

if PG_URL and not (shutil.which("pg_dump") or glob.glob(DEBIAN_PG_BIN + "/pg_dump")):
    pytest.skip("pg_dump is not installed: the PostgreSQL backups cannot be tested",
                allow_module_level=True)

COMPLAINTS = (
    "complaint_id,channel,category,area_code,unit_code,status,reported_at,first_response_at,"
    "resolved_at\n"
    "OK1,JAKI,Jalan,3171010001,,Selesai,2026-05-01 10:00,2026-05-01 11:00,2026-05-02 10:00\n"
    "OK2,SMS,Sampah,3171010001,,Proses,2026-05-03 09:00,,\n")


@pytest.fixture
def empty_target(tmp_path):
    """Makes URLs of new, empty databases (a database of its own on PostgreSQL, created and
    dropped here: pg_restore works on a whole database)."""
    made = []
    admin = create_engine(PG_URL, isolation_level="AUTOCOMMIT") if PG_URL else None

    def make() -> str:
        name = f"skm_restore_{uuid.uuid4().hex[:12]}"
        made.append(name)
        if admin is None:
            return f"sqlite:///{tmp_path / (name + '.sqlite')}"
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
        return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)

    yield make
    if admin is not None:
        with admin.connect() as conn:
            for name in made:
                conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()


def app_on(url: str, migrated: bool = False):
    app = create_app({"TESTING": True, "SECRET_KEY": "test-secret",
                      "SQLALCHEMY_DATABASE_URI": url})
    if migrated:
        with app.app_context():
            db.create_all()
    return app


def rows_of(url: str) -> dict[str, list[tuple]]:
    """Every row (all columns) of every table, sorted, by table name."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {table: sorted((tuple(row) for row in conn.execute(
                        text(f'SELECT * FROM "{table}"'))), key=repr)
                    for table in sorted(inspect(conn).get_table_names())}
    finally:
        engine.dispose()


def run(app, *args):
    result = app.test_cli_runner().invoke(args=["skm", *args])
    with app.app_context():
        db.engine.dispose()  # let the test's own engines and DROP DATABASE in
    return result


@pytest.fixture
def survey_data(app, client):
    """A roster of 4 respondents, one web form sent (R1 rates its lurah: a held response), two
    complaints and an audit record."""
    with app.app_context():
        world()
        load_roster(db.session.scalar(select(Round)))
        db.session.commit()
        link = "/s/" + token_of("R1")
    response, _groups = answer(client, link, positions=1)
    assert response.status_code == 303  # sent: on to the thank-you page
    with app.app_context():
        table = read_complaints(COMPLAINTS.encode(), "export.csv", None)
        import_complaints(table, now=datetime(2026, 8, 1, tzinfo=UTC))
        audit.record("import-complaints", "export.csv")
        db.session.commit()
    return app.config["SQLALCHEMY_DATABASE_URI"]


@pytest.mark.parametrize("migrated", [False, True], ids=["new database", "migrated, empty"])
def test_backup_and_restore_bring_back_every_row(app, survey_data, empty_target, tmp_path,
                                                 migrated):
    source = survey_data
    out = tmp_path / "skm.backup"
    result = run(app, "backup", str(out))
    assert result.exit_code == 0, result.output
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600  # as sensitive as the database

    target = empty_target()
    result = run(app_on(target, migrated), "restore", str(out))
    assert result.exit_code == 0, result.output

    before, after = rows_of(source), rows_of(target)
    assert after == before
    # The data is really there (counted by hand): the 4 roster lines R1-R4, one invitation
    # each, the 2 complaint lines, and R1's one form (held until the next release).
    assert len(after["respondents"]) == 4 and len(after["invitations"]) == 4
    assert len(after["complaints"]) == 2
    assert len(after["held_responses"]) + len(after["responses"]) == 1
    assert len(after["audit_log"]) >= 1


def test_restore_into_a_database_with_data_is_refused_and_writes_nothing(
        app, survey_data, empty_target, tmp_path):
    out = tmp_path / "skm.backup"
    assert run(app, "backup", str(out)).exit_code == 0

    # The source itself, and a database holding a single row of one table.
    target = empty_target()
    holding_one = app_on(target, migrated=True)
    with holding_one.app_context():
        db.session.execute(text("INSERT INTO units (code, name) VALUES ('DBM', 'Bina Marga')"))
        db.session.commit()
    for url, app_, full in ((survey_data, app, "(appointments, areas, "),
                            (target, holding_one, "(units)")):
        before = rows_of(url)
        result = run(app_, "restore", str(out))
        assert result.exit_code == 1
        assert "Tidak ada yang dipulihkan: basis data tujuan sudah berisi data " + full \
            in result.output
        assert rows_of(url) == before
    assert rows_of(target)["units"] == [(1, "DBM", "Bina Marga")]


def test_a_backup_never_overwrites_a_file(app, survey_data, tmp_path):
    out = tmp_path / "old.backup"
    out.write_bytes(b"yesterday's backup")
    result = run(app, "backup", str(out))
    assert result.exit_code == 1 and "sudah ada" in result.output
    assert out.read_bytes() == b"yesterday's backup"
    assert sorted(p.name for p in tmp_path.iterdir() if "backup" in p.name) == ["old.backup"]


def test_only_a_backup_of_the_same_engine_is_restored(app, empty_target, tmp_path):
    target = empty_target()
    not_a_backup = tmp_path / "areas.csv"
    not_a_backup.write_text("code,parent_code,level,name\n31,,provinsi,DKI\n")
    other_engine = tmp_path / "other.backup"
    other_engine.write_bytes(b"SQLite format 3\x00" if PG_URL else b"PGDMP\x01\x0e\x00")
    for path, message in ((not_a_backup, "bukan cadangan"), (other_engine, "adalah cadangan")):
        result = run(app_on(target), "restore", str(path))
        assert result.exit_code == 1 and message in result.output, result.output
    assert rows_of(target) == {}


def test_a_backup_taken_while_the_app_writes_holds_whole_transactions(app, empty_target, tmp_path):
    """A writer commits pairs of units (W<n>-a, W<n>-b: one transaction, a pause between the two
    inserts) while three backups are taken: each backup holds the pairs 0..k-1 whole, for some
    k between 1 and the number the writer reached, never one half of a pair."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    writer_engine = create_engine(url)
    stop, committed = threading.Event(), []

    def write_pairs():
        n = 0
        while not stop.is_set():
            with writer_engine.begin() as conn:
                conn.execute(text("INSERT INTO units (code, name) VALUES (:c, 'first')"),
                             {"c": f"W{n}-a"})
                stop.wait(0.002)
                conn.execute(text("INSERT INTO units (code, name) VALUES (:c, 'second')"),
                             {"c": f"W{n}-b"})
            committed.append(n)
            n += 1

    writer = threading.Thread(target=write_pairs)
    writer.start()
    try:
        while len(committed) < 20:
            stop.wait(0.01)
        backups = []
        for i in range(3):
            backups.append(tmp_path / f"during-{i}.backup")
            result = run(app, "backup", str(backups[-1]))
            assert result.exit_code == 0, result.output
        after_backups = len(committed)
        while len(committed) < after_backups + 2:  # the writer was still going after them
            stop.wait(0.01)
    finally:
        stop.set()
        writer.join()
        writer_engine.dispose()
    reached = len(committed)

    for path in backups:
        target = empty_target()
        assert run(app_on(target), "restore", str(path)).exit_code == 0
        codes = {row[1] for row in rows_of(target)["units"]}
        pairs = len(codes) // 2
        assert 20 <= pairs < reached  # taken after 20 pairs, before the writer stopped
        assert codes == {f"W{n}-{half}" for n in range(pairs) for half in "ab"}


def test_the_client_tools_must_be_there_and_as_new_as_the_server(english, tmp_path):
    def fake_tool(folder: str, version: str) -> None:
        """A real executable that answers --version like pg_dump does."""
        os.makedirs(tmp_path / folder)
        path = tmp_path / folder / "pg_dump"
        path.write_text(f"#!/bin/sh\necho 'pg_dump (PostgreSQL) {version}'\n")
        path.chmod(0o755)

    with pytest.raises(DomainError, match="pg_dump was not found: install the PostgreSQL client "
                                          "tools, version 15 or newer"):
        find_tool("pg_dump", 15, dirs=[str(tmp_path)])
    fake_tool("old", "9.6.24")
    with pytest.raises(DomainError, match=r"pg_dump is version 9 \(.*old/pg_dump\) but the "
                                          r"server is PostgreSQL 15"):
        find_tool("pg_dump", 15, dirs=[str(tmp_path / "old")])
    fake_tool("new", "16.4 (Debian 16.4-1)")
    # The newest of the two is taken, wherever it stands in the search order.
    assert find_tool("pg_dump", 15, dirs=[str(tmp_path / "old"), str(tmp_path / "new")]) == \
        str(tmp_path / "new" / "pg_dump")
