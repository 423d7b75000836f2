"""Fixtures: a fresh database per test, on SQLite by default or PostgreSQL when
SKM_TEST_DATABASE_URL is set (make test runs the suite on both)."""
from __future__ import annotations

import os

import pytest
from sqlalchemy import text

from survey_app import create_app
from survey_app.extensions import db


def _database_of_this_worker(url: str | None) -> str | None:
    """With pytest-xdist (make test runs ``-n 2``) each worker process gets a PostgreSQL
    database of its own, ``<name>_gw0``, ``<name>_gw1``..., created on the same server when
    missing: the suite truncates its tables after every test, so two workers cannot share one."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    base = make_url(url)
    mine = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        if not conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :name"),
                            {"name": mine}).first():
            conn.execute(text(f'CREATE DATABASE "{mine}"'))
    admin.dispose()
    return base.set(database=mine).render_as_string(hide_password=False)


PG_URL = _database_of_this_worker(os.environ.get("SKM_TEST_DATABASE_URL"))
if PG_URL:  # what tests and the processes they start read (a worker's database, see above)
    os.environ["SKM_TEST_DATABASE_URL"] = PG_URL
# Jobs run at once in the test's own process (survey_app.jobs reads this when it is first
# imported): never on the developer's queue.
os.environ["JOBS_URL"] = "memory://"


def _config(tmp_path) -> dict:
    return {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": PG_URL or f"sqlite:///{tmp_path / 'test.sqlite'}",
        "WTF_CSRF_ENABLED": True,
        "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1",  # cheap in tests only
        "RATELIMIT_ENABLED": True,
        "RATELIMIT_STORAGE_URI": "memory://",
        "PUBLIC_BASE_URL": "http://127.0.0.1:5000",
    }


_pg_schema_ready = False


@pytest.fixture
def app(tmp_path):
    global _pg_schema_ready
    app = create_app(_config(tmp_path))
    with app.app_context():
        if PG_URL:
            if not _pg_schema_ready:
                db.drop_all()
                db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
                db.session.commit()
                db.create_all()
                _pg_schema_ready = True
        else:
            db.create_all()
    from survey_app import jobs

    jobs.huey.flush()  # the in-memory queue lives as long as the process: nothing of a test before
    # Requests get their own app context (as in production); tests that call domain code
    # directly ask for the `ctx` fixture or open `with app.app_context():` themselves.
    yield app
    with app.app_context():
        db.session.remove()
        if PG_URL:
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as conn:
                conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@pytest.fixture
def ctx(app):
    """An application context for calling domain code and the database directly."""
    with app.app_context():
        yield
        db.session.remove()


@pytest.fixture
def english(ctx):
    """Domain messages in English (their msgids) rather than the default Bahasa Indonesia, for
    tests about a rule's wording rather than its translation."""
    from flask_babel import force_locale

    with force_locale("en"):
        yield


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


def csrf_token(client, url: str) -> str:
    """The CSRF token of the form on a page (tests fill real forms, CSRF and all)."""
    import re

    html = client.get(url).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class AuthActions:
    def __init__(self, client):
        self._client = client

    def login(self, email: str, password: str = "password123", next_url: str = ""):
        token = csrf_token(self._client, "/auth/login")
        return self._client.post("/auth/login", data={
            "email": email, "password": password, "next": next_url, "csrf_token": token})

    def logout(self):
        token = csrf_token(self._client, "/")
        return self._client.post("/auth/logout", data={"csrf_token": token})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def users(app):
    """One user per role (password 'password123'); the official is the lurah of 3171010001."""
    from datetime import date

    from tests import factories

    with app.app_context():
        areas = factories.small_tree()
        lurah = factories.official("198001012005011001", "Budi Santoso")
        factories.appoint(lurah, factories.position("lurah", areas["3171010001"]), date(2026, 1, 1))
        made = {role: factories.user(f"{role}@example.id", role) for role in
                ("admin", "coordinator", "viewer")}
        made["official"] = factories.user("official@example.id", "official", official_=lurah)
        db.session.commit()
        return {role: u.email for role, u in made.items()}


@pytest.fixture
def no_worker(tmp_path, monkeypatch):
    """A queue no worker reads yet (JOBS_URL=memory:// runs what is asked at once): a refresh of
    the results that is asked for waits (jobs.refresh_pending), and is recorded in the list this
    returns; the worker's every-minute task (jobs.refresh_results.call_local()) takes it."""
    from survey_app import jobs

    queue = jobs.huey_for(f"sqlite:///{tmp_path / 'waiting-jobs.sqlite3'}", "skm-test-waiting")
    sent: list[str] = []
    monkeypatch.setattr(jobs, "huey", queue)
    monkeypatch.setattr(jobs, "refresh_results_now", lambda: sent.append("refresh"))
    return sent
