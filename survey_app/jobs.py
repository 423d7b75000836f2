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
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO

from flask import Flask, current_app, has_app_context
from huey import Huey, MemoryHuey, RedisHuey, SqliteHuey, crontab

from survey_app import at_rest, config
from survey_app.domain.errors import N_

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
        if engine.dialect.name == "sqlite":
            truncate_sqlite_log()
        elif engine.dialect.name == "postgresql":
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
                connection.exec_driver_sql("VACUUM held_responses, held_answers")
    except Exception as error:  # noqa: BLE001 (best effort: the release is committed)
        logger.warning("Clearing the released rows' traces failed: %s", _error_type(error))


def truncate_sqlite_log() -> None:
    """Empty SQLite's write-ahead log (a TRUNCATE checkpoint: the pages go into the database
    file, which waits for readers up to the busy timeout); a busy log is left for next time.
    The worker's tasks end with it whenever they wrote: the log holds no page images between
    them. Needs an app context on a SQLite database."""
    from survey_app.extensions import db

    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        busy, _log, _checkpointed = connection.exec_driver_sql(
            "PRAGMA wal_checkpoint(TRUNCATE)").one()
    if busy:
        logger.info("The write-ahead log was busy and is truncated later.")


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


# --- coordinators' jobs: long work with progress and a result ---------------------------------
#
# A job is a row of the jobs table (models/job.py) and a message on the queue that names it. The
# page that starts one answers at once with the job's page; the worker claims the row (queued ->
# running, attempt + 1), reports progress on it, and records its result. What a job writes to
# the database commits in one transaction with its "done" (all-or-nothing; an import's rows and
# its done together), and so does its result file: written first to a nameless temporary file on
# the worker, then copied into the job_files table in chunks (models/job.py, JobFile) in that same
# transaction, each chunk sealed with a key derived from SECRET_KEY (survey_app/at_rest.py). Any
# app server hands it out from there (no shared folder), and a job killed half-way never offers
# half a file: its chunks were never committed.
# A worker killed mid-job (kill -9) leaves the row running: the every-minute task puts a running
# job whose progress has not moved for JOB_STALE_MINUTES back on the queue (up to
# JOB_MAX_ATTEMPTS runs), and a run that a later attempt replaced writes nothing more.

JOB_STALE_MINUTES = 5
JOB_MAX_ATTEMPTS = 3
JOB_QUEUED_RESEND_MINUTES = 60  # a queued job whose message was lost is sent again
_PROGRESS_EVERY = 1.0  # seconds between two progress writes
CHUNK_BYTES = 1024 * 1024  # a result file's plain bytes per job_files row (sealed: at_rest)
RESULT_UNREADABLE = N_("This job's result can no longer be read: it was stored under another "
                       "SECRET_KEY (the key was changed since) or altered. Start the job again.")


class JobFailed(Exception):
    """A job ends with a message for the coordinator: an untranslated template and its values
    (N_-marked), or ``plain`` text already in words (a domain error's own message)."""

    def __init__(self, template: str = "", plain: str | None = None, **params) -> None:
        super().__init__(template or plain)
        self.words = {"plain": plain} if plain is not None else {"text": template,
                                                                  "params": params}


class Superseded(Exception):
    """This run no longer owns its job (a later attempt took it over): it stops, writing
    nothing."""


class Run:
    """What a job's work is given: its parameters, progress reporting, and the result file."""

    def __init__(self, job_id: int, attempt: int, params: dict,
                 user_id: int | None = None) -> None:
        self.job_id, self.attempt, self.params, self.user_id = job_id, attempt, params, user_id
        self.to_remove: list[Path] = []
        self.done = self.total = 0
        self.result: IO[bytes] | None = None  # the finished file, stored with the job's done
        self.result_name: str | None = None
        self.message: dict | None = None
        self._last = 0.0

    def progress(self, done: int, total: int | None = None, force: bool = False) -> None:
        """Record how far the job is (at most once a second unless ``force``), on a connection
        of its own so that the job's own transaction stays open. Raises Superseded when a later
        attempt owns the job."""
        import time as _time

        self.done = done
        if total is not None:
            self.total = total
        now = _time.monotonic()
        if not force and now - self._last < _PROGRESS_EVERY:
            return
        self._last = now
        _update_owned(self.job_id, self.attempt, done=self.done, total=self.total)

    def say(self, template: str, **params) -> None:
        """The job's message when it is done (an N_-marked template and its values)."""
        self.message = {"text": template, "params": params}

    def link_round(self, code: str) -> None:
        """The job's page links to round ``code`` (its roster, or the new draft)."""
        assert self.message is not None
        self.message["round"] = code

    def user(self):
        """Who started the job (a User), or None (the command line)."""
        from survey_app.extensions import db
        from survey_app.models import User

        return db.session.get(User, self.user_id) if self.user_id else None

    def remove_when_ended(self, path: Path) -> None:
        """Remove ``path`` (an upload) once the job is done or failed, but not when its worker
        dies: the next attempt reads it again."""
        self.to_remove.append(path)

    @contextmanager
    def result_file(self, download_name: str) -> Iterator[IO[bytes]]:
        """A binary file to write the result to: a nameless temporary file on the worker (gone
        with the process if it is killed). If the block ends without error it becomes the job's
        result, copied into the database with the job's "done" (_finish); if not, it is
        dropped."""
        import tempfile

        out = tempfile.TemporaryFile()  # noqa: SIM115 (kept open until the job's done)
        try:
            yield out
        except BaseException:
            out.close()
            raise
        self.discard()
        self.result, self.result_name = out, download_name

    def discard(self) -> None:
        """Drop the result file (the job failed or another attempt took it over)."""
        if self.result is not None:
            self.result.close()
            self.result = None


def _update_owned(job_id: int, attempt: int, **values) -> None:
    """Update the running job ``job_id`` if ``attempt`` still owns it, in a transaction of its
    own; Superseded if not."""
    from sqlalchemy import update

    from survey_app.domain import clock
    from survey_app.extensions import db
    from survey_app.models import Job

    with db.engine.begin() as connection:
        moved = connection.execute(
            update(Job).where(Job.id == job_id, Job.attempt == attempt, Job.state == "running")
            .values(updated_at=clock.now(), **values)).rowcount
    if moved != 1:
        raise Superseded(job_id)


KINDS: dict[str, object] = {}


def job_kind(name: str):
    """Register the function that does the work of jobs of kind ``name``."""

    def register(work):
        KINDS[name] = work
        return work

    return register


def submit(kind: str, params: dict, user=None):
    """Record a job of ``kind``, commit, and put it on the queue. Returns the Job (with its id).
    With JOBS_URL=memory:// (the tests) it has run by the time this returns."""
    from survey_app.domain import audit
    from survey_app.extensions import db
    from survey_app.models import Job

    if kind not in KINDS:
        raise ValueError(f"unknown job kind {kind!r}")
    job = Job(kind=kind, params=params, state="queued", user_id=getattr(user, "id", None),
              actor=getattr(user, "email", None) or "cli")
    db.session.add(job)
    db.session.flush()
    audit.record("job-started", f"{kind} #{job.id}", user, {"params": params})
    db.session.commit()
    job_id = job.id
    run_job(job_id)
    db.session.expire_all()
    return db.session.get(Job, job_id)


@huey.task()
def run_job(job_id: int) -> None:
    """The worker's side of submit(): run the job in an app context of its own."""
    with app_context():
        execute(job_id)


def _claim(job_id: int) -> tuple[int, str, dict, int | None] | None:
    """queued -> running, attempt + 1, in a transaction of its own: (attempt, kind, params,
    user id), or
    None when the job is not queued (already taken: a message sent twice runs it once)."""
    from sqlalchemy import select, update

    from survey_app.domain import clock
    from survey_app.extensions import db
    from survey_app.models import Job

    now = clock.now()
    with db.engine.begin() as connection:
        claimed = connection.execute(
            update(Job).where(Job.id == job_id, Job.state == "queued")
            .values(state="running", attempt=Job.attempt + 1, started_at=now, updated_at=now,
                    done=0)).rowcount
        if claimed != 1:
            return None
        attempt, kind, params, user_id = connection.execute(
            select(Job.attempt, Job.kind, Job.params, Job.user_id).where(Job.id == job_id)).one()
    return attempt, kind, params or {}, user_id


def execute(job_id: int) -> None:
    """Claim job ``job_id`` and run its work; record done (with its result) or failed (with its
    error in words). Needs an app context. Never raises for the work's errors: they are the
    job's result, shown on its page and logged by type."""
    from survey_app.extensions import db

    claimed = _claim(job_id)
    if claimed is None:
        return
    attempt, kind, params, user_id = claimed
    run = Run(job_id, attempt, params, user_id)
    try:
        _work(run, kind)
    except Superseded:
        db.session.rollback()
        logger.info("Job %d (%s) was taken over by a later attempt; this run stopped.",
                    job_id, kind)
    except JobFailed as failure:
        db.session.rollback()
        _fail(job_id, attempt, failure.words)
        logger.warning("Job %d (%s) failed: %s", job_id, kind, failure.words.get("text")
                       or "refused")
    except Exception as error:  # noqa: BLE001 (the job's failure is its result, in words)
        db.session.rollback()
        _fail(job_id, attempt, {"text": N_("The job stopped on an error (%(error)s); nothing "
                                   "was saved. Try again, or tell the administrator."),
                                "params": {"error": _error_type(error)}})
        logger.error("Job %d (%s) failed: %s", job_id, kind, _error_type(error))
    finally:
        run.discard()
    for path in run.to_remove:
        path.unlink(missing_ok=True)


def _work(run: Run, kind: str) -> None:
    """Do the work and record done; a domain error (bad rows, a refused action) becomes the
    job's failure in words (in the worker's language: the default one, Bahasa Indonesia)."""
    from survey_app.domain.errors import DomainError, ImportRejected

    try:
        KINDS[kind](run)  # type: ignore[operator]
    except ImportRejected as rejected:
        raise JobFailed(plain=rejected.listing()) from None
    except DomainError as refused:
        raise JobFailed(plain=str(refused)) from None
    _finish(run)


def _finish(run: Run) -> None:
    """Record done, with the result file's chunks, in the job's own transaction (so an import's
    rows, the file and the done commit together); Superseded (and a rollback) if a later
    attempt owns the job."""
    from sqlalchemy import insert, update

    from survey_app.domain import clock
    from survey_app.extensions import db
    from survey_app.models import Job, JobFile

    now = clock.now()
    done = max(run.done, run.total)
    size = None
    if run.result is not None:
        size = run.result.seek(0, 2)  # the plain file's size, offered as the download's
        run.result.seek(0)
        sealed = at_rest.seal_chunks(at_rest.exact_chunks(run.result, CHUNK_BYTES),
                                     _sealed_as(run.job_id))
        for seq, chunk in enumerate(sealed):
            db.session.execute(insert(JobFile).values(job_id=run.job_id, seq=seq, data=chunk))
    moved = db.session.execute(
        update(Job).where(Job.id == run.job_id, Job.attempt == run.attempt,
                          Job.state == "running")
        .values(state="done", done=done, total=max(run.total, done), updated_at=now,
                finished_at=now, message=run.message, result_size=size,
                result_name=run.result_name)).rowcount
    if moved != 1:
        raise Superseded(run.job_id)
    db.session.commit()


def _sealed_as(job_id: int) -> str:
    """What a job's result file is sealed as (survey_app/at_rest.py): its chunks belong to it."""
    return f"job-file:{job_id}"


def result_chunks(job_id: int) -> Iterator[bytes]:
    """The bytes of job ``job_id``'s result file, a chunk at a time (each opened as it comes:
    survey_app/at_rest.py), read by one statement (one snapshot: a removal meanwhile does not
    cut it short); at_rest.Unreadable when a chunk does not open. Needs an app context."""
    from sqlalchemy import select

    from survey_app.extensions import db
    from survey_app.models import JobFile

    rows = db.session.execute(select(JobFile.data).where(JobFile.job_id == job_id)
                              .order_by(JobFile.seq).execution_options(yield_per=1))
    try:
        yield from at_rest.open_chunks((bytes(data) for (data,) in rows), _sealed_as(job_id))
    finally:
        rows.close()  # also when a chunk does not open: the server-side cursor is not left open


def result_readable(job_id: int) -> bool:
    """Whether job ``job_id``'s result file opens with this app's key: its first chunk is
    opened (a SECRET_KEY changed since it was written makes every chunk unreadable). Needs an
    app context."""
    from sqlalchemy import select

    from survey_app.extensions import db
    from survey_app.models import JobFile

    first = db.session.scalar(select(JobFile.data).where(JobFile.job_id == job_id,
                                                         JobFile.seq == 0))
    try:
        at_rest.open_chunk(bytes(first or b""), _sealed_as(job_id), 0)
    except at_rest.Unreadable:
        return False
    return True


def _fail(job_id: int, attempt: int, words: dict) -> None:
    from survey_app.domain import clock

    with suppress(Superseded):
        _update_owned(job_id, attempt, state="failed", error=words, finished_at=clock.now())


def requeue_stale(now=None) -> int:
    """Put back on the queue the running jobs whose progress has not moved for
    JOB_STALE_MINUTES (their worker died: kill -9, a restart, the machine), and send again the
    queued jobs waiting for over JOB_QUEUED_RESEND_MINUTES (a message lost with a queue);
    a job that has already run JOB_MAX_ATTEMPTS times fails instead. Returns how many were sent.
    Needs an app context."""
    from datetime import timedelta

    from sqlalchemy import select, update

    from survey_app.domain import clock
    from survey_app.extensions import db
    from survey_app.models import Job

    now = now or clock.now()
    stale = list(db.session.execute(select(Job.id, Job.attempt).where(
        Job.state == "running", Job.updated_at < now - timedelta(minutes=JOB_STALE_MINUTES))))
    lost = list(db.session.scalars(select(Job.id).where(
        Job.state == "queued",
        Job.updated_at < now - timedelta(minutes=JOB_QUEUED_RESEND_MINUTES))))
    again = []
    for job_id, attempt in stale:
        if attempt >= JOB_MAX_ATTEMPTS:
            values = {"state": "failed", "finished_at": now, "error": {
                "text": N_("The job stopped %(num)s times before it ended (its worker was "
                           "stopped); nothing was saved. Try again."), "params": {"num": attempt}}}
        else:
            values = {"state": "queued"}
            again.append(job_id)
        db.session.execute(update(Job).where(Job.id == job_id, Job.attempt == attempt,
                                             Job.state == "running")
                           .values(updated_at=now, **values))
    if lost:
        db.session.execute(update(Job).where(Job.id.in_(lost)).values(updated_at=now))
    db.session.commit()
    for job_id in again + lost:
        run_job(job_id)
    if stale:
        logger.warning("%d stopped job(s) found: %d sent again.", len(stale), len(again))
    return len(again) + len(lost)


def remove_old_results(now=None) -> int:
    """Remove result files older than JOB_RESULT_HOURS (letters hold names and links): their
    chunks go and their jobs forget them, in one transaction. Returns how many result files
    went. Needs an app context."""
    from datetime import timedelta

    from sqlalchemy import delete, select, update

    from survey_app.domain import clock
    from survey_app.domain.vocabulary import JOB_RESULT_HOURS
    from survey_app.extensions import db
    from survey_app.models import Job, JobFile

    now = now or clock.now()
    old = db.session.scalars(select(Job.id).where(
        Job.result_size.is_not(None),
        Job.finished_at < now - timedelta(hours=JOB_RESULT_HOURS))).all()
    if old:
        db.session.execute(delete(JobFile).where(JobFile.job_id.in_(old)))
        db.session.execute(update(Job).where(Job.id.in_(old)).values(result_size=None))
    db.session.commit()
    return len(old)


@huey.periodic_task(crontab())
def look_after_jobs() -> None:
    """Every minute: send again the jobs whose worker died."""
    with app_context():
        requeue_stale()


@huey.periodic_task(crontab(minute="30"))
def clean_job_results() -> None:
    """Every hour (minute 30): remove result files older than JOB_RESULT_HOURS."""
    with app_context():
        removed = remove_old_results()
    if removed:
        logger.info("Removed %d old job result(s).", removed)


# --- the stored results the pages show (survey_app/domain/results.py, latest) -----------------
#
# A page never computes a whole round: it shows the latest stored results with the time they were
# computed. The worker computes them anew every minute for the rounds that are due (a round that
# is not published, whose data or state changed, or that is not final and whose figures are
# RESULTS_REFRESH_SECONDS old), and at once when a page finds them out of date (ask_refresh).

_REFRESH_ASKED = "results-refresh-asked"  # in the queue's store: a refresh is on its way


def refresh_due_results() -> list[str]:
    """Compute anew and store the results of every round that is due (results.due_for_refresh),
    one commit per round: a round that fails is logged by its error's type and the others go on.
    Returns the codes of the rounds refreshed. Needs an app context."""
    from sqlalchemy import select

    from survey_app import changes
    from survey_app.domain import results, rounds
    from survey_app.extensions import db
    from survey_app.models import Round

    with changes.quiet(db.session()):  # what it commits is computed by this very run
        rounds.record_clock_transitions(db.session.scalars(
            select(Round).where(Round.state.in_(("scheduled", "open")))).all())
        db.session.commit()
        done = []
        for round_ in results.due_for_refresh():
            try:
                results.refresh(round_)
                db.session.commit()
            except Exception as error:
                db.session.rollback()
                logger.error("The results of a round were not computed: %s",
                             _error_type(error))
            else:
                done.append(round_.code)
    if done and db.engine.dialect.name == "sqlite":
        try:
            truncate_sqlite_log()
        except Exception as error:  # noqa: BLE001 (best effort: the results are committed)
            logger.warning("Emptying the write-ahead log failed: %s", _error_type(error))
    return done


def _refresh() -> None:
    huey.get(_REFRESH_ASKED)  # whoever asks from now on gets another run
    with app_context():
        done = refresh_due_results()
    if done:
        logger.info("Results computed anew for %d round(s).", len(done))


@huey.periodic_task(crontab())
def refresh_results() -> None:
    """Every minute: the results of the rounds that are due, computed anew and stored."""
    _refresh()


@huey.task()
def refresh_results_now() -> None:
    """What a page asks for when it found stored results out of date (ask_refresh)."""
    _refresh()


def ask_refresh() -> None:
    """Have the worker compute the due rounds' results now: one message however many pages ask
    before it starts (a marker in the queue's store, which every run of the refresh, the
    every-minute one too, takes away: a lost message holds nothing up for long). With
    JOBS_URL=memory:// it has run when this returns (a refresh a commit noted included)."""
    if huey.put_if_empty(_REFRESH_ASKED, "1") or (huey.immediate and refresh_pending()):
        refresh_results_now()


def note_results_changed() -> None:
    """A commit changed data results are computed from (survey_app/changes.py): a
    refresh is asked for. With JOBS_URL=memory:// (what is asked runs at once) it only waits,
    as it would for a worker, until the next page that shows results asks (``ask_refresh`` runs
    it then): a commit does not compute every round inside itself."""
    if huey.immediate:
        huey.put_if_empty(_REFRESH_ASKED, "1")
    else:
        ask_refresh()


def refresh_pending() -> bool:
    """Whether a refresh was asked for and has not started yet (ask_refresh)."""
    from huey.constants import EmptyData

    return huey.storage.peek_data(_REFRESH_ASKED) is not EmptyData


from survey_app import job_kinds  # noqa: E402,F401  (registers the kinds of jobs)
