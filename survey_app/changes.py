"""The hint that a round's results need computing anew, given in one place: whatever commits a
change to the data results are computed from (a paper import, a roster import or withdrawal, a
complaint import, a rotation, a round's settings or state, a publication) asks the worker for a
refresh (jobs.note_results_changed) once its commit is done.

Pages do not look at the data to tell whether the stored results still hold (results.latest:
that look costs a tenth of a second and more on the province): the worker does, every minute
(results.due_for_refresh), and this hint has it look at once. While the asked refresh is on its
way, the pages say newer figures are being computed (shown.shown_results).

How a change is seen: every INSERT, UPDATE, DELETE (or COPY) statement on one of RESULTS_TABLES
marks its connection (an engine event; the statements run on the DBAPI cursor itself mark it
by ``mark``); the ORM session that commits on that connection then asks for a refresh. The
respondents' forms write on a connection of their own, outside the session (survey_app/respond):
they ask nothing (an open round's results are computed anew every minute anyway, and a form a
minute would keep the worker computing without a pause); a session's transaction forgets a mark
left on its connection before it began. The worker's own refresh asks nothing (``quiet``)."""
from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from flask import current_app, has_app_context
from flask_sqlalchemy.session import Session
from sqlalchemy import event
from sqlalchemy.engine import Engine

# What a round's results (results.fingerprint, results._document_key) are computed from.
RESULTS_TABLES = frozenset({
    "rounds", "questionnaires", "invitations", "invitation_positions", "responses", "answers",
    "held_responses", "held_answers", "complaints", "appointments", "officials", "positions",
    "publications", "sanction_decisions", "followup_plans",
})
_CHANGED = "results-data-changed"  # in a connection's info: a statement changed results data
_CONNECTION = "results-connection"  # in a session's info: its transaction's connection's info
_QUIET = "results-quiet"  # in a session's info: commits ask for nothing (the worker's refresh)


_WRITE = re.compile(r'\s*(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM|COPY)\s+"?(\w+)', re.IGNORECASE)


def writes_results(sql: str) -> bool:
    """Whether the statement writes one of RESULTS_TABLES."""
    found = _WRITE.match(sql)
    return found is not None and found.group(1).lower() in RESULTS_TABLES


def mark(connection) -> None:
    """Note a write of results data on ``connection``: for what writes on the DBAPI cursor
    itself, out of sight of the engine's events (models/driver_sql.py, domain/bulk.py)."""
    connection.info[_CHANGED] = True


def _seen(conn, _cursor, statement, _parameters, _context, _executemany) -> None:
    if writes_results(statement):
        mark(conn)


def _begun(session, _transaction, connection) -> None:
    connection.info.pop(_CHANGED, None)  # left by a write outside any session (a form)
    session.info[_CONNECTION] = connection.info  # the DBAPI connection's: kept after the commit


def _committed(session) -> None:
    marks = session.info.pop(_CONNECTION, None)
    changed = marks is not None and marks.pop(_CHANGED, False)  # the commit's flush included
    if changed and not session.info.get(_QUIET) and has_app_context():
        from survey_app import jobs  # the job library loads when it is first needed

        try:
            jobs.note_results_changed()
        except Exception as error:  # noqa: BLE001 (the queue is down: the worker looks anyway)
            current_app.logger.warning("Asking for newer results failed: %s",
                                       type(error).__name__)


def _rolled_back(session) -> None:
    marks = session.info.pop(_CONNECTION, None)
    if marks is not None:
        marks.pop(_CHANGED, None)


def install() -> None:
    """Listen for changes (once per process; create_app calls it)."""
    if event.contains(Engine, "before_cursor_execute", _seen):
        return
    event.listen(Engine, "before_cursor_execute", _seen)
    event.listen(Session, "after_begin", _begun)
    event.listen(Session, "after_commit", _committed)
    event.listen(Session, "after_rollback", _rolled_back)


@contextmanager
def quiet(session) -> Iterator[None]:
    """Commits of ``session`` inside the block ask for no refresh (the worker's refresh: the
    clock transitions it records are computed by that same run)."""
    session.info[_QUIET] = True
    try:
        yield
    finally:
        session.info.pop(_QUIET, None)
