"""Background jobs (survey_app.jobs): a real worker process takes the release off a SQLite or a
Redis queue; every minute the held responses of rounds no longer open are released and those of
open rounds stay; a failure writes nothing and logs nothing about a respondent; the command
`skm release-responses` does the same by hand."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from survey_app import jobs
from survey_app.domain import responses
from survey_app.extensions import db
from survey_app.models import HeldResponse, Invitation, Respondent, Response, Round
from tests import factories
from tests.conftest import PG_URL
from tests.live import redis_is_up
from tests.respondent_setup import SECRET, load_roster, world

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"
COMMENT = "Pak lurah ramah sekali"  # a respondent's words: must never reach a log


def hold(round_: Round, ref: str = "R1", comment: str | None = None) -> None:
    """R1's first position answered on the form: held, not yet released."""
    invitation = db.session.scalar(select(Invitation).join(Respondent).where(
        Respondent.ref == ref, Invitation.round_id == round_.id))
    answers = responses.check_answers(round_, {f"U{i}": 3 for i in range(1, 10)})
    responses.store_many(db.session.connection(), round_.id, invitation.id,
                         invitation.respondent.group, invitation.respondent.area_id,
                         {invitation.positions[0].position_id: (answers, comment)}, {})


def held_and_released(round_id: int | None = None) -> tuple[int, int]:
    def count(model):
        query = select(func.count()).select_from(model)
        if round_id is not None:
            query = query.where(model.round_id == round_id)
        return db.session.scalar(query)

    return count(HeldResponse), count(Response)


@pytest.fixture
def two_rounds(app):
    """An open round and one the clock has closed (its closing time passed a minute ago; nobody
    looked since, so its stored state is still open), each with one held response. Returns
    their ids (open, closed)."""
    now = datetime.now(UTC)
    with app.app_context():
        _areas, open_round = world()
        closed = factories.round_(code="2026-Q4", opens=now - timedelta(days=30),
                                  closes=now + timedelta(days=1),
                                  questionnaire=open_round.questionnaire)
        for round_ in (open_round, closed):
            load_roster(round_)
            hold(round_, comment=COMMENT)
        closed.closes_at = now - timedelta(minutes=1)
        db.session.commit()
        assert closed.state == "open"
        return open_round.id, closed.id


# --- the every-minute and the hourly job, run at once (JOBS_URL=memory://, tests/conftest.py) ---

def test_every_minute_the_rounds_no_longer_open_are_released_and_open_ones_wait(
        app, two_rounds, caplog):
    open_id, closed_id = two_rounds
    assert jobs.huey.immediate
    caplog.set_level("INFO", logger="survey_app.jobs")
    with app.app_context():
        jobs.release_closed_rounds()  # what the worker enqueues every minute
        assert held_and_released(closed_id) == (0, 1)
        assert held_and_released(open_id) == (1, 0)
        jobs.release_closed_rounds()  # nothing more to do: nothing logged
        assert held_and_released() == (1, 1)
    assert [r.getMessage() for r in caplog.records] == [
        "Released 1 held responses of rounds no longer open."]


def test_every_hour_all_held_responses_are_released(app, two_rounds, caplog):
    caplog.set_level("INFO", logger="survey_app.jobs")
    with app.app_context():
        jobs.release_all_held()
        assert held_and_released() == (0, 2)
    assert [r.getMessage() for r in caplog.records] == ["Released 2 held responses."]


def test_the_jobs_are_periodic_every_minute_and_every_hour():
    minute = jobs.release_closed_rounds.task_class()
    hour = jobs.release_all_held.task_class()
    at = datetime(2027, 1, 15, 8, 0)
    assert minute.validate_datetime(at) and minute.validate_datetime(at.replace(minute=37))
    assert hour.validate_datetime(at) and not hour.validate_datetime(at.replace(minute=37))


def test_a_failed_release_writes_nothing_and_logs_nothing_about_respondents(
        app, two_rounds, caplog):
    caplog.set_level("INFO")
    with app.app_context():
        db.session.execute(text("ALTER TABLE responses RENAME TO responses_away"))
        db.session.commit()
        try:
            jobs.release_all_held()  # fails: huey logs the error and schedules a retry
            with pytest.raises(jobs.ReleaseFailed) as raised:
                jobs.release_responses()
        finally:
            jobs.huey.flush()
            db.session.rollback()
            db.session.execute(text("ALTER TABLE responses_away RENAME TO responses"))
            db.session.commit()
        assert held_and_released() == (2, 0)  # rolled back: nothing moved, nothing lost
    assert "ReleaseFailed: " in caplog.text and "Released" not in caplog.text
    assert str(raised.value).startswith(("ProgrammingError", "OperationalError"))
    for seen in (caplog.text, str(raised.value)):
        assert COMMENT not in seen and "INSERT" not in seen


def test_the_jobs_module_knows_the_instance_folder_without_an_app(app):
    assert Path(app.instance_path) == jobs.INSTANCE_PATH


@pytest.mark.parametrize("url, kind", [("sqlite:///{tmp}/q/jobs.sqlite3", "SqliteHuey"),
                                       ("redis://127.0.0.1:6379/1", "RedisHuey"),
                                       ("memory://", "MemoryHuey")])
def test_the_queue_comes_from_jobs_url(tmp_path, url, kind):
    queue = jobs.huey_for(url.format(tmp=tmp_path), "skm-test")
    assert type(queue).__name__ == kind
    assert queue.immediate == (kind == "MemoryHuey")


def test_an_unknown_jobs_url_is_refused(tmp_path):
    from survey_app.config import ConfigError

    with pytest.raises(ConfigError, match="JOBS_URL"):
        jobs.huey_for("amqp://localhost")


# --- the command ----------------------------------------------------------------------------

def test_release_responses_command(app, runner, two_rounds):
    open_id, closed_id = two_rounds
    result = runner.invoke(args=["skm", "release-responses", "--closed-only"])
    assert result.exit_code == 0, result.output
    assert result.output == "1 tanggapan tertahan dilepas.\n"
    with app.app_context():
        assert held_and_released(open_id) == (1, 0)
    result = runner.invoke(args=["skm", "release-responses"])
    assert result.output == "1 tanggapan tertahan dilepas.\n"
    result = runner.invoke(args=["skm", "release-responses"])
    assert result.output == "0 tanggapan tertahan dilepas.\n"
    with app.app_context():
        assert held_and_released() == (0, 2)


def test_the_worker_command_refuses_a_queue_that_runs_jobs_at_once(runner):
    result = runner.invoke(args=["skm", "worker"])
    assert result.exit_code == 1 and "memory://" in result.output


# --- a real worker process on a real queue ---------------------------------------------------

@pytest.fixture(params=["sqlite", "redis"])
def queue(request, tmp_path):
    """JOBS_URL and JOBS_NAME of a queue of this test's own: a SQLite file in tmp_path, or a
    name of its own on the local Redis (emptied afterwards)."""
    if request.param == "sqlite":
        yield {"JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}", "JOBS_NAME": "skm"}
        return
    if not redis_is_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    name = f"skm-test-{uuid.uuid4().hex}"
    yield {"JOBS_URL": REDIS_URL, "JOBS_NAME": name}
    queue = jobs.huey_for(REDIS_URL, name)
    queue.flush()
    queue.storage.conn.close()
    queue.storage.pool.disconnect()


@pytest.mark.slow
def test_a_worker_process_releases_what_another_process_enqueued(app, two_rounds, queue,
                                                                 tmp_path):
    env = {**os.environ, **queue, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "SECRET_KEY": SECRET, "SKM_ENV": "development"}
    # The web side: a process that only enqueues (the hourly job, without waiting for its hour).
    subprocess.run([sys.executable, "-c", "from survey_app import jobs; jobs.release_all_held()"],
                   cwd=ROOT, env=env, check=True, timeout=30)
    started = datetime.now(UTC)
    log = tmp_path / "worker.log"
    with log.open("wb") as out:
        worker = subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "skm", "worker"],
                                  cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        assert wait_until(lambda: released_everything(app), seconds=20), log.read_text()
        worker.send_signal(signal.SIGINT)  # graceful: after the running job
        assert worker.wait(timeout=10) == 0, log.read_text()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    output = log.read_text()
    assert "Released 2 held responses." in output
    assert COMMENT not in output and "failed" not in output
    if PG_URL:  # the deleted held rows were vacuumed away
        assert wait_until(lambda: vacuumed_since(app, started), seconds=5)
    else:  # the deleted held rows' old pages left SQLite's write-ahead log with it
        database = app.config["SQLALCHEMY_DATABASE_URI"].removeprefix("sqlite:///")
        assert os.path.getsize(database + "-wal") == 0


def vacuumed_since(app, started: datetime) -> bool:
    with app.app_context():
        try:
            last = db.session.scalar(text("SELECT last_vacuum FROM pg_stat_user_tables "
                                          "WHERE relname = 'held_responses'"))
            return last is not None and last >= started
        finally:
            db.session.remove()


def released_everything(app) -> bool:
    with app.app_context():
        try:
            return held_and_released() == (0, 2)
        finally:
            db.session.remove()


def wait_until(condition, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
