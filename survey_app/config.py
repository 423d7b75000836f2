"""Settings from the environment.

Development (the default) works out of the box: SQLite in the instance folder and a
per-instance secret key written there on first start. Production (SKM_ENV=production)
refuses to start without SECRET_KEY. Tests pass their own mapping to create_app().
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


def _database_url(instance_path: str) -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        # Accept the common short forms and use psycopg 3.
        if url.startswith("postgres://"):
            url = "postgresql://" + url[len("postgres://"):]
        if url.startswith("postgresql://"):
            url = "postgresql+psycopg://" + url[len("postgresql://"):]
        return url
    return "sqlite:///" + str(Path(instance_path) / "skm.sqlite")


def jobs_settings(instance_path: str) -> tuple[str, str]:
    """Where background jobs wait (survey_app.jobs) and the queue's name: JOBS_URL, by default a
    SQLite file in the instance folder (no server needed); ``redis://...`` in production;
    ``memory://`` runs each job at once in the process that asks for it (tests). JOBS_NAME
    (default ``skm``) tells apart the queues of several installations on one Redis."""
    url = os.environ.get("JOBS_URL") or "sqlite:///" + str(Path(instance_path) / "jobs.sqlite3")
    return url, os.environ.get("JOBS_NAME") or "skm"


def _dev_secret_key(instance_path: str) -> str:
    """A random key kept in the instance folder, so sessions and links survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment(instance_path: str) -> dict:
    env = os.environ.get("SKM_ENV", "development")
    secret = os.environ.get("SECRET_KEY")
    if env == "production" and not secret:
        raise ConfigError("SECRET_KEY must be set when SKM_ENV=production")
    return {
        "ENV_NAME": env,
        "SECRET_KEY": secret or _dev_secret_key(instance_path),
        "SQLALCHEMY_DATABASE_URI": _database_url(instance_path),
        "SESSION_COOKIE_SECURE": env == "production",
        "REMEMBER_COOKIE_SECURE": env == "production",
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        # The address printed in invitation links and QR codes.
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # How many reverse proxies (nginx, a load balancer) stand in front: their X-Forwarded-For
        # is then trusted, so rate limits key on each respondent's address, not the proxy's.
        "TRUSTED_PROXIES": int(os.environ.get("TRUSTED_PROXIES", "0")),
        # Where background jobs keep their result files (letters, ZIPs): instance/job-results
        # unless set (survey_app/jobs.py).
        "JOB_RESULTS_DIR": os.environ.get("JOB_RESULTS_DIR") or None,
        "RESULTS_CACHE_SECONDS": int(os.environ.get("RESULTS_CACHE_SECONDS",
                                                    DEFAULTS["RESULTS_CACHE_SECONDS"])),
        # SKM_COUNT_QUERIES=1: every response says how many SQL statements it took
        # (X-Query-Count; benchmarks/pages.py reads it). Off unless asked for.
        "COUNT_QUERIES": os.environ.get("SKM_COUNT_QUERIES") == "1",
    }


DEFAULTS = {
    "SQLALCHEMY_TRACK_MODIFICATIONS": False,
    # Hand out the connection returned last: the busiest connection stays warm, and on
    # PostgreSQL it keeps the statements psycopg has prepared on it (on its fifth use) in use.
    # hide_parameters: a database error's message (logged with a 500's traceback) never shows
    # the values bound to its statement, such as a link's hash or an invitation id, which would
    # name a respondent (docs/anonymity.md).
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_use_lifo": True, "hide_parameters": True},
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the session
    # Uploads (rosters, officials). The public form is capped lower (RESPOND_MAX_CONTENT_LENGTH,
    # 64 KB), complaint exports higher (COMPLAINT_MAX_UPLOAD, 64 MB: a year is some 20 MB).
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    # An upload larger than this is imported by a background job (survey_app/jobs.py) and the
    # page answers at once with the job's progress; a smaller one within the request.
    "JOB_IMPORT_BYTES": 1024 * 1024,
    "BABEL_DEFAULT_LOCALE": "id",
    "BABEL_DEFAULT_TIMEZONE": "Asia/Jakarta",
    "LANGUAGES": ("id", "en"),
    "PASSWORD_HASH_METHOD": "scrypt",
    # Login (survey_app/auth/routes.py), per client address: every attempt, failed attempts,
    # and failed attempts on one account. Over a limit the address waits; the account itself is
    # never locked, so nobody can keep its owner out from another address.
    "LOGIN_RATE_LIMIT": "20 per minute",
    "LOGIN_FAILURES_PER_ADDRESS": "30 per 15 minutes",
    "LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS": "10 per 15 minutes",
    # One-time links to set a password (survey_app/domain/accounts.py): how long a new account's
    # link and an admin's reset link work, the login given to officials' accounts made in bulk
    # (NIP@domain: a login name; .invalid is never a real mailbox), and requests per address on
    # the link's page.
    "ACCOUNT_LINK_DAYS": 14,
    "PASSWORD_RESET_HOURS": 48,
    "OFFICIAL_LOGIN_DOMAIN": "pejabat.skm.invalid",
    "SET_PASSWORD_RATE_LIMIT": "10 per minute",
    "RATELIMIT_STORAGE_URI": "memory://",
    # One counter per address and minute. It lets a burst of up to twice a limit through across
    # the turn of a minute, which is harmless for limits this generous, and costs the public
    # form 5% less CPU than two counters (sliding-window-counter; benchmarks/respond_load.py).
    "RATELIMIT_STRATEGY": "fixed-window",
    # How long the results of a round that is not final (open, or closed before its complaints'
    # moment of judgment) may be served as computed, when none of its data changed: its
    # complaint figures move with the clock (complaints fall overdue), by at most this much.
    # Changed data (a response, a complaint, an appointment, a setting) is seen at once
    # (survey_app/domain/results.py, base_results).
    "RESULTS_CACHE_SECONDS": 60,
    "COUNT_QUERIES": False,
}
