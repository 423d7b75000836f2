"""The results pages show stored results; the worker computes them (issue 17).

A page never computes a round that has stored results: it shows the latest with the time they
were computed and how long ago that was. The worker's every-minute task computes anew the rounds
that are due: data changed, or (a round that is not final) figures RESULTS_REFRESH_SECONDS old.
Closing a round stores its results by a job; publishing is a job that freezes the figures the
pages showed.

The open round 2026-Q4: the lurah of 3171010001 rated by RT heads answering 3 on all nine
elements (IKM = 25 x 3 = 75.00); with a fourth answering 4: each element's mean is
(3 + 3 + 3 + 4) / 4 = 3.25, IKM = 25 x 3.25 = 81.25.
"""
from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from survey_app import changes, jobs
from survey_app.domain import clock, results
from survey_app.extensions import db
from survey_app.models import Job, Position, Publication, ResultSnapshot, Round
from survey_app.results.shown import shown_results
from tests import factories
from tests.conftest import csrf_token
from tests.respondent_setup import load_roster, world
from tests.test_paper_and_rates import HEADER, load, row

U = [f"U{i}" for i in range(1, 10)]


def _round(code: str = "2026-Q4", answers: int = 3, **kwargs) -> Round:
    round_ = factories.round_(code, questionnaire=factories.regulation_questionnaire(), **kwargs)
    lurah = db.session.scalar(select(Position).where(Position.kind == "lurah"))
    for _ in range(answers):
        factories.response(round_, lurah, "rt", {c: 3 for c in U})
    db.session.commit()
    return round_


def _add_a_four(round_: Round) -> None:
    lurah = db.session.scalar(select(Position).where(Position.kind == "lurah"))
    factories.response(round_, lurah, "rt", {c: 4 for c in U})
    db.session.commit()


def _no_computing(*_args, **_kwargs):
    raise AssertionError("a round was computed")


def test_the_worker_computes_the_open_rounds_results_anew(app, users, no_worker):
    """With RESULTS_REFRESH_SECONDS at 180 (at its default, a minute, an open round is due at
    every look of the worker: its figures would be over a minute old by the next one)."""
    app.config["RESULTS_REFRESH_SECONDS"] = 180
    with app.app_context():
        round_ = _round()
        assert no_worker == ["refresh"]  # the commit of its forms asked for one
        assert [r.code for r in results.due_for_refresh()] == ["2026-Q4"]  # nothing stored
        jobs.refresh_results.call_local()  # the every-minute task, as the worker runs it
        assert not jobs.refresh_pending()  # it took what was asked
        shown = results.latest(round_)
        assert shown is not None and shown.current
        assert (shown.document.positions[0].respondents, shown.document.positions[0].ikm) \
            == (3, 75.0)
        assert results.due_for_refresh() == []
        _add_a_four(round_)  # its data changed: due, and shown as it was until the worker runs
        assert no_worker == ["refresh"] * 2 and jobs.refresh_pending()
        assert [r.code for r in results.due_for_refresh()] == ["2026-Q4"]
        stale = shown_results(round_)
        assert not stale.current and stale.document.positions[0].ikm == 75.0
        jobs.refresh_results.call_local()
        fresh = shown_results(round_)
        assert fresh.current and fresh.computed_at > shown.computed_at
        assert (fresh.document.positions[0].respondents, fresh.document.positions[0].ikm) \
            == (4, 81.25)
        # Unchanged data of a round that is not final: due when its figures would be over
        # RESULTS_REFRESH_SECONDS old by the worker's next look, a minute later.
        db.session.execute(update(ResultSnapshot).values(
            computed_at=clock.now() - timedelta(seconds=110)))
        db.session.commit()
        assert results.due_for_refresh() == [] and results.latest(round_).current
        db.session.execute(update(ResultSnapshot).values(
            computed_at=clock.now() - timedelta(seconds=130)))
        db.session.commit()
        assert [r.code for r in results.due_for_refresh()] == ["2026-Q4"]
        assert results.latest(round_).current  # a page asks for nothing until 180 s
        db.session.execute(update(ResultSnapshot).values(
            computed_at=clock.now() - timedelta(seconds=181)))
        db.session.commit()
        assert not results.latest(round_).current


def test_the_worker_finds_a_change_of_a_final_rounds_data(app, users, no_worker):
    """2026-Q2 closed on 5 July 2026, its moment of judgment (12 July) has passed: its figures
    are final, and a page shows them as current without looking at the data. A change that
    nobody announced (written outside the app: no refresh was asked) is found by the worker's
    next look, which compares the round's fingerprint."""
    with app.app_context():
        round_ = _round("2026-Q2", state="closed", opens=datetime(2026, 6, 15, tzinfo=UTC),
                        closes=datetime(2026, 7, 5, 5, tzinfo=UTC), deadline_days=7)
        jobs.refresh_results.call_local()
        shown = results.latest(round_)
        assert shown.current and shown.document.positions[0].ikm == 75.0
        assert results.due_for_refresh() == []
        with changes.quiet(db.session()):
            _add_a_four(round_)
        assert no_worker == ["refresh"] and not jobs.refresh_pending()  # the first only
        assert results.latest(round_).current  # a page cannot tell
        assert [r.code for r in results.due_for_refresh()] == ["2026-Q2"]
        jobs.refresh_results.call_local()
        fresh = results.latest(round_)
        assert fresh.current and fresh.computed_at > shown.computed_at
        assert (fresh.document.positions[0].respondents, fresh.document.positions[0].ikm) \
            == (4, 81.25)
        assert results.due_for_refresh() == []


def test_a_paper_import_asks_the_worker_for_newer_figures_once_committed(ctx, no_worker):
    """The hint comes from the commit (survey_app/changes.py): a paper import asks for
    a refresh when its forms are committed, not before, and an import rolled back asks
    nothing; the page says newer figures are being computed until the worker starts."""
    _areas, round_ = world()
    load_roster(round_)
    db.session.commit()
    assert no_worker == ["refresh"]  # the roster's commit
    jobs.refresh_results.call_local()
    assert not jobs.refresh_pending() and shown_results(round_).current
    paper = HEADER + row("R1", "lurah", "3171010001")
    load(round_, paper)
    db.session.rollback()
    assert no_worker == ["refresh"] and shown_results(round_).current
    load(round_, paper)
    assert no_worker == ["refresh"]
    db.session.commit()
    assert no_worker == ["refresh"] * 2 and jobs.refresh_pending()
    assert not shown_results(round_).current  # newer figures are being computed
    jobs.refresh_results.call_local()
    assert shown_results(round_).current


def test_a_page_after_the_stated_age_shows_the_stored_figures_and_their_age(
        app, client, auth, users, monkeypatch, no_worker):
    with app.app_context():
        round_ = _round()
        results.refresh(round_)
        db.session.commit()
        _add_a_four(round_)
        db.session.execute(update(ResultSnapshot).values(
            computed_at=clock.now() - timedelta(minutes=10)))
        db.session.commit()
    asked = []
    monkeypatch.setattr(jobs, "ask_refresh", lambda: asked.append("refresh"))  # a worker's
    monkeypatch.setattr(results, "compute_base", _no_computing)
    auth.login(users["coordinator"])
    page = client.get("/results/2026-Q4?tier=lurah").get_data(as_text=True)
    assert "75,00" in page and "81,25" not in page  # the stored figures, not today's
    assert "Angka dihitung pada" in page and "10 menit yang lalu" in page
    assert "60 detik" in page and "Angka yang lebih baru sedang dihitung" in page
    english = client.get("/results/2026-Q4?tier=lurah&lang=en").get_data(as_text=True)
    assert "WIB, 10 minutes ago." in english and "once they are 60 seconds old" in english
    assert "Newer figures are being computed" in english
    assert asked == ["refresh", "refresh"]  # each look asked the worker; none computed
    with app.app_context():
        assert db.session.scalar(select(ResultSnapshot.computed_at)) < clock.now() - timedelta(
            minutes=9)  # the GET wrote nothing


def test_figures_of_an_older_method_are_shown_while_the_worker_redoes_them(
        app, client, auth, users, monkeypatch):
    """After an upgrade that changes the method (METHOD_VERSION), a page shows the stored
    figures as not current and asks the worker, instead of computing the round in the request
    (12 s for a province's closed round); the worker finds the round due."""
    app.config["RESULTS_REFRESH_SECONDS"] = 3600  # fresh by age: only the method is old
    with app.app_context():
        results.refresh(_round())
        db.session.execute(update(ResultSnapshot).values(method_version="0"))
        db.session.commit()
        assert [r.code for r in results.due_for_refresh()] == ["2026-Q4"]
    asked = []
    monkeypatch.setattr(jobs, "ask_refresh", lambda: asked.append("refresh"))
    monkeypatch.setattr(results, "compute_base", _no_computing)
    auth.login(users["coordinator"])
    page = client.get("/results/2026-Q4?tier=lurah").get_data(as_text=True)
    assert "75,00" in page and "Angka yang lebih baru sedang dihitung" in page
    assert asked == ["refresh"]
    with app.app_context():
        assert db.session.scalar(select(ResultSnapshot.method_version)) == "0"  # GET wrote none


def test_a_page_with_current_figures_asks_nothing(app, client, auth, users, monkeypatch):
    app.config["RESULTS_REFRESH_SECONDS"] = 3600  # however slow the machine running the test
    with app.app_context():
        results.refresh(_round())
        db.session.commit()
    monkeypatch.setattr(jobs, "ask_refresh", _no_computing)
    monkeypatch.setattr(results, "compute_base", _no_computing)
    auth.login(users["coordinator"])
    page = client.get("/results/2026-Q4?tier=lurah").get_data(as_text=True)
    assert "75,00" in page and "Angka dihitung pada" in page
    assert "sedang dihitung" not in page


def test_closing_a_round_stores_its_results_by_a_job(app, client, auth, users, monkeypatch,
                                                    no_worker):
    app.config["RESULTS_REFRESH_SECONDS"] = 3600  # however slow the machine running the test
    # Every progress call writes, as when the work takes over a second (a province): a write on
    # the job's own connection after the work wrote in its session waited out SQLite's lock.
    monkeypatch.setattr(jobs, "_PROGRESS_EVERY", 0)
    with app.app_context():
        results.refresh(_round())
        db.session.commit()
        jobs.refresh_results.call_local()
    waiting = []
    monkeypatch.setattr(jobs, "run_job", waiting.append)  # the worker has not taken it yet
    auth.login(users["coordinator"])
    url = "/coordinator/rounds/2026-Q4/close"
    closed = client.post(url, data={"csrf_token": csrf_token(client, url)}, follow_redirects=True)
    assert "2026-Q4 telah ditutup" in closed.get_data(as_text=True)
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "round-results"))
        assert (job.state, job.params, waiting) == ("queued", {"round": "2026-Q4"}, [job.id])
        job_id = job.id
    assert no_worker == ["refresh"] * 2  # the forms' commit, and the round's state
    page = client.get("/results/2026-Q4?tier=lurah").get_data(as_text=True)
    assert "75,00" in page and "Angka yang lebih baru sedang dihitung" in page  # as it was open
    with app.app_context():
        jobs.execute(job_id)  # the worker runs it, and the refresh asked for
        jobs.refresh_results.call_local()
        assert db.session.get(Job, job_id).state == "done"
        shown = results.latest(db.session.scalar(select(Round)))
        assert shown.current and shown.document.state == "closed"
    page = client.get("/results/2026-Q4?tier=lurah").get_data(as_text=True)
    assert "75,00" in page and "sedang dihitung" not in page


def test_publishing_is_a_job_that_freezes_the_figures_shown(app, client, auth, users,
                                                            monkeypatch):
    """2026-Q2 closed on 5 July 2026 (its moment of judgment, 12 July, has passed): its stored
    results are what the page showed; the publication holds exactly them, computed by nobody."""
    monkeypatch.setattr(jobs, "_PROGRESS_EVERY", 0)  # every progress call writes, as above
    with app.app_context():
        round_ = _round("2026-Q2", state="closed", opens=datetime(2026, 6, 15, tzinfo=UTC),
                        closes=datetime(2026, 7, 5, 5, tzinfo=UTC), deadline_days=7)
        results.refresh(round_)  # as the job after the close did
        db.session.commit()
    auth.login(users["coordinator"])
    shown = client.get("/api/rounds/2026-Q2/results").get_json()
    monkeypatch.setattr(results, "compute_base", _no_computing)
    url = "/coordinator/rounds/2026-Q2/publish"
    checklist = client.get(url).get_data(as_text=True)
    assert "Ya, lanjutkan" in checklist
    answered = client.post(url, data={"csrf_token": csrf_token(client, url)})
    assert answered.status_code == 303 and "/jobs/" in answered.headers["Location"]
    job_page = client.get(answered.headers["Location"]).get_data(as_text=True)
    assert "2026-Q2 telah diterbitkan" in job_page
    with app.app_context():
        assert db.session.scalar(select(Round.state)) == "published"
        frozen = db.session.scalar(select(Publication.document))
        assert frozen["positions"] == shown["positions"] and frozen["positions"][0]["ikm"] == 75.0
        assert frozen["state"] == "published" and shown["state"] == "closed"


def test_a_refused_publication_is_said_on_the_rounds_page_and_starts_no_job(app, client, auth,
                                                                            users):
    with app.app_context():
        _round()
    auth.login(users["coordinator"])
    url = "/coordinator/rounds/2026-Q4/publish"
    refused = client.post(url, data={"csrf_token": csrf_token(client, url)},
                          follow_redirects=True).get_data(as_text=True)
    assert "Putaran 2026-Q4 tidak dapat" in refused and "statusnya" in refused
    with app.app_context():
        assert db.session.scalar(select(Job.id)) is None


@pytest.mark.parametrize("kind", ["sqlite", "redis"])
def test_many_pages_asking_send_one_message_until_a_refresh_starts(tmp_path, monkeypatch, kind):
    """On the queues the worker reads (SQLite by default, Redis in production): however many
    pages find the figures out of date, one message waits; a refresh that starts takes the
    marker away, and the next page to ask sends another."""
    import uuid

    from tests.test_jobs import redis_is_up

    if kind == "redis" and not redis_is_up():
        pytest.skip("Redis is not running on 127.0.0.1:6379")
    # Redis: a queue name of this test's own, in database 3 (flush removes that queue's keys only)
    url = f"sqlite:///{tmp_path / 'jobs.sqlite3'}" if kind == "sqlite" else "redis://127.0.0.1:6379/3"
    queue = jobs.huey_for(url, f"skm-test-{uuid.uuid4().hex}")
    sent = []
    monkeypatch.setattr(jobs, "huey", queue)
    monkeypatch.setattr(jobs, "refresh_results_now", lambda: sent.append("message"))
    try:
        jobs.ask_refresh()
        jobs.ask_refresh()
        assert sent == ["message"]
        monkeypatch.setattr(jobs, "refresh_due_results", lambda: [])
        monkeypatch.setattr(jobs, "app_context", contextlib.nullcontext)
        jobs._refresh()  # what the worker runs: the marker goes
        jobs.ask_refresh()
        assert sent == ["message", "message"]
    finally:
        queue.flush()


def test_the_app_starts_without_the_libraries_only_some_commands_and_pages_need(tmp_path):
    """`skm results` (and every command) starts the whole app: the job library (huey, and redis
    with it), the migrations' (alembic), the PDF one (reportlab) and the other heavy libraries
    load only where they are used (issue 17: start-up was half of the command). The PostgreSQL
    dialect is not in the list: the models' covering indexes (INCLUDE, migrations 0015 and 0016)
    name a PostgreSQL option, which loads the dialect's module (17 ms) with the models."""
    import subprocess
    import sys
    from pathlib import Path

    found = subprocess.run(
        [sys.executable, "-c", "import sys, wsgi; print(' '.join(sorted(m for m in ('huey', "
         "'redis', 'alembic', 'reportlab', 'openpyxl', 'scipy', 'qrcode', "
         "'prometheus_client', 'cryptography') if m in sys.modules)))"],
        cwd=Path(__file__).resolve().parent.parent, capture_output=True, text=True, check=True,
        env={"PATH": "/usr/bin:/bin", "SECRET_KEY": "x", "SKM_INSTANCE_PATH": str(tmp_path),
             "DATABASE_URL": f"sqlite:///{tmp_path / 'skm.sqlite'}"})
    assert found.stdout.split() == []
