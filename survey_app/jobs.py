"""Background jobs: the project's job queue (huey) and the jobs that run on it.

Long work runs here, never inside a web request. The queue's storage comes from the environment
(config.jobs_settings): by default a SQLite file in the instance folder, so `make run` needs no
server; Redis in production (JOBS_URL=redis://...); ``memory://`` runs each job at once in the
process that asks for it (the tests). A worker process takes the jobs off the queue and runs the
periodic ones: `flask --app wsgi skm worker` (or `huey_consumer survey_app.jobs.huey`, which
logs huey's own lines only, not the jobs' counts).

Releasing held responses (survey_app.domain.holding, docs/anonymity.md) is what runs now: every
minute the held responses of rounds that are no longer open (closed by hand or by the clock: a
round's state follows the clock lazily, so something has to look), and every hour all of them,
so that a batch leaves at least once an hour. Without a worker the held responses still count in
the results, but they wait longer to be released (`flask --app wsgi skm release-responses` does
the same from cron or by hand).

Importing this module creates the queue but no Flask app: a job runs in an app context of the
process's app, created once per worker process (jobs_app), or of the app already there. What a
job logs is counted, never described: nothing about a respondent reaches a log, and an error is
logged by its type (a database error's text can carry the row it was writing).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from survey_app import config

logger = logging.getLogger(__name__)

# The Flask instance folder of create_app() (the checkout's instance/, SKM_INSTANCE_PATH when
# set), known without an app.
INSTANCE_PATH = Path(config.instance_path())


def huey_for(url: str, name: str = "skm") -> Huey:
    """The queue ``url`` names: sqlite:///FILE, redis://... (rediss://, unix://) or memory://."""
    if url.startswith("sqlite:///"):
        filename = Path(url[len("sqlite:///"):])
        filename.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(name, filename=str(filename))
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(name, url=url)
    if url == "memory://":
        return MemoryHuey(name, immediate=True)
    raise config.ConfigError(f"JOBS_URL {url!r}: expected sqlite:///FILE, redis://... or "
                             "memory://")


huey = huey_for(*config.jobs_settings(str(INSTANCE_PATH)))

_app: Flask | None = None
_app_lock = threading.Lock()


def use_app(app: Flask) -> None:
    """Run jobs in ``app`` (the worker command's own), instead of creating one."""
    global _app
    _app = app


def jobs_app() -> Flask:
    """The app jobs run in: created from the environment on first use, once per process."""
    global _app
    with _app_lock:
        if _app is None:
            from survey_app import create_app

            _app = create_app()
        return _app


@contextmanager
def app_context() -> Iterator[Flask]:
    """A fresh app context (and so a database session of its own) for one job: of the app in
    use if there is one (a job run at once, in tests or a command), else of jobs_app()."""
    app = current_app._get_current_object() if has_app_context() else jobs_app()
    with app.app_context():
        yield app


class ReleaseFailed(RuntimeError):
    """Releasing held responses failed and nothing was released. The message names the error's
    type only: its text may quote the rows it was writing."""


def release_responses(closed_only: bool = False) -> int:
    """Release held responses (only those of rounds no longer open, with ``closed_only``) and
    commit: one unit of work. Then, if anything moved, clear what the deleted held rows leave
    behind in the database's files (best effort). Returns how many were released; on failure
    rolls back and raises ReleaseFailed. Needs an app context."""
    from survey_app.domain import holding, rounds
    from survey_app.extensions import db

    try:
        moved = rounds.release_closed_rounds() if closed_only else holding.release_held()
        db.session.commit()
    except Exception as error:
        db.session.rollback()
        raise ReleaseFailed(_error_type(error)) from None
    if moved:
        clear_released_traces()
    return moved


def _error_type(error: BaseException) -> str:
    """The type of an error (and of the driver's error under a database error), without text."""
    orig = getattr(error, "orig", None)
    named = type(error).__name__
    if orig is not None:
        named += f" ({type(orig).__module__}.{type(orig).__name__}"
        named += f", SQLSTATE {orig.sqlstate})" if getattr(orig, "sqlstate", None) else ")"
    return named


def clear_released_traces() -> None:
    """After a release: SQLite keeps page images of the deleted held rows in its write-ahead
    log until a checkpoint resets it (TRUNCATE: the log is emptied, which waits for readers up
    to the busy timeout); PostgreSQL keeps the dead rows until VACUUM. Best effort: a failure
    is logged and the release stands."""
    from survey_app.extensions import db

    engine = db.engine
    try:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if engine.dialect.name == "sqlite":
                busy, _log, _checkpointed = connection.exec_driver_sql(
                    "PRAGMA wal_checkpoint(TRUNCATE)").one()
                if busy:
                    logger.info("The write-ahead log was busy and is truncated at a later "
                                "release.")
            elif engine.dialect.name == "postgresql":
                connection.exec_driver_sql("VACUUM held_responses, held_answers")
    except Exception as error:  # noqa: BLE001 (best effort: the release is committed)
        logger.warning("Clearing the released rows' traces failed: %s", _error_type(error))


def _release(closed_only: bool) -> None:
    with app_context():
        moved = release_responses(closed_only)
    if moved:
        logger.info("Released %d held responses%s.", moved,
                    " of rounds no longer open" if closed_only else "")


@huey.periodic_task(crontab())
def release_closed_rounds() -> None:
    """Every minute: release the held responses of rounds that are no longer open. A failure
    is not retried: the next minute runs it again."""
    _release(closed_only=True)


@huey.periodic_task(crontab(minute="0"), retries=5, retry_delay=60)
def release_all_held() -> None:
    """Every hour (minute 0): release every held response, so that a batch leaves at least once
    an hour. Retried a minute later, up to five times, if it fails."""
    _release(closed_only=False)


# --- a job whose result any server hands out (issue 21) -----------------------------------------

@huey.task()
def results_csv(code: str) -> dict:
    """The results CSV of round ``code``, built by a worker. Kept in the queue's result store
    (Redis in production), so that the server that did not start it hands it out as well; read
    back with ``huey.result(id, preserve=True)`` (survey_app/exports.py)."""
    from survey_app.domain import results, rounds
    from survey_app.extensions import db

    with app_context():
        round_ = rounds.by_code(code)
        rounds.record_clock_transitions([round_])
        document = results.results_document(round_)
        db.session.commit()  # clock transitions and stored base results
        return {"code": code, "csv": results.to_csv(document)}
