"""Settings from the environment: SETTINGS is the one list of them (name, default, meaning).

Development (the default) works out of the box: SQLite in the instance folder and a
per-instance secret key written there on first start. Production (SKM_ENV=production)
refuses to start without SECRET_KEY. Tests pass their own mapping to create_app().

Every variable the app, the worker or the gunicorn settings (survey_app/gunicorn_conf.py) read
is in SETTINGS and read through ``env()``; docs/deploy.md shows the table that
`skm check-config --table` prints, and tests/test_deploy.py checks that the two agree and that no
module reads a variable missing from the list.
"""
from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path


class ConfigError(RuntimeError):
    """The environment does not describe a runnable app."""


@dataclass(frozen=True)
class Setting:
    name: str
    default: str  # as it would be written in the environment; a description in <...> if computed
    meaning: str
    read_by: str = "app"  # app (web and worker) | gunicorn


# How old the results of a round that is not final (the open round) may get: the worker computes
# them anew once they are this old or their data changed (survey_app/jobs.py, refresh_results,
# which looks every minute), and the pages show the latest stored figures with the time they were
# computed (survey_app/domain/results.py, latest).
RESULTS_REFRESH_SECONDS = 60

SETTINGS: tuple[Setting, ...] = (
    Setting("SKM_ENV", "development",
            "`production`: SECRET_KEY required, Secure cookies, HSTS; `skm check-config` then "
            "refuses SQLite and warns of development defaults"),
    Setting("SECRET_KEY", "<random, kept in INSTANCE/secret_key>",
            "signs sessions, derives respondents' links and the key that seals job results and "
            "waiting uploads: the same on every server, kept as long as printed letters are out"),
    Setting("DATABASE_URL", "sqlite:///INSTANCE/skm.sqlite",
            "`postgresql://user@host/db` in production (`postgres://` is accepted)"),
    Setting("RATELIMIT_STORAGE_URI", "memory://",
            "where rate limits are counted: `redis://host:6379/0` so that all workers and "
            "servers count once"),
    Setting("JOBS_URL", "sqlite:///INSTANCE/jobs.sqlite3",
            "the job queue: `redis://host:6379/1` in production; `memory://` "
            "runs jobs at once (tests)"),
    Setting("JOBS_NAME", "skm", "the queue's name, to tell installations sharing one Redis apart"),
    Setting("PUBLIC_BASE_URL", "http://127.0.0.1:5000",
            "the address printed in invitation links, QR codes and card checks"),
    Setting("TRUSTED_PROXIES", "0",
            "how many proxies stand in front (nginx: 1); their X-Forwarded-For/-Proto is trusted"),
    Setting("SKM_INSTANCE_PATH", "<Flask's: ./instance in a checkout, VENV/var/survey_app-instance "
            "installed>", "the instance folder (development key, SQLite files, uploads)"),
    Setting("RESULTS_REFRESH_SECONDS", str(RESULTS_REFRESH_SECONDS),
            "how old the open round's results may get: the worker (which looks every minute) "
            "computes them anew at this age or when their data changed; pages show the latest "
            "with the time they were computed"),
    Setting("SKM_COUNT_QUERIES", "",
            "`1`: each response says how many SQL statements it ran (X-Query-Count; "
            "benchmarks/pages.py); off in production"),
    Setting("BIND", "127.0.0.1:8000", "gunicorn's address", "gunicorn"),
    Setting("WEB_CONCURRENCY", "<2 per core>", "gunicorn worker processes", "gunicorn"),
    Setting("ACCESS_LOG", "", "gunicorn's access log (`-` or a file; off by default: "
            "anonymity)", "gunicorn"),
    Setting("METRICS_BIND", "",
            "address of the Prometheus metrics (e.g. `127.0.0.1:9100`, never public); off when "
            "empty", "gunicorn"),
    Setting("PROMETHEUS_MULTIPROC_DIR", "<a new temporary folder when METRICS_BIND is set>",
            "where the workers write their metrics (prometheus_client); leave unset", "gunicorn"),
)

BY_NAME = {setting.name: setting for setting in SETTINGS}


def env(name: str) -> str | None:
    """The variable ``name`` (which must be in SETTINGS) from the environment, None if unset or
    empty."""
    if name not in BY_NAME:
        raise KeyError(f"{name} is not in config.SETTINGS")
    return os.environ.get(name) or None


def env_or_default(name: str) -> str:
    """The variable, or its literal default from SETTINGS."""
    value = env(name)
    return value if value is not None else BY_NAME[name].default


def markdown_table() -> str:
    """The settings as the Markdown table of docs/deploy.md."""
    lines = ["| variable | default | read by | meaning |", "|---|---|---|---|"]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        lines.append(f"| `{s.name}` | {default} | {s.read_by} | {s.meaning} |")
    return "\n".join(lines) + "\n"


def instance_path() -> str:
    """The instance folder: SKM_INSTANCE_PATH, else where Flask puts it for this package (the
    checkout's instance/, or VENV/var/survey_app-instance when installed): the same for the app
    and the job queue (survey_app.jobs), which needs it before any app exists."""
    chosen = env("SKM_INSTANCE_PATH")
    if chosen:
        return str(Path(chosen).resolve())
    from flask.sansio.scaffold import find_package

    prefix, package_path = find_package(__name__.rsplit(".", 1)[0])
    if prefix is None:
        return os.path.join(package_path, "instance")
    return os.path.join(prefix, "var", "survey_app-instance")


def bundled_directory(name: str) -> Path:
    """A directory of the project outside the package (``migrations``, ``questionnaires``): in
    a checkout at the top level beside survey_app/, in an installed package inside it (setup.py
    copies them there, so an installed app finds them from any working directory)."""
    package = Path(__file__).resolve().parent
    inside = package / name
    return inside if inside.is_dir() else package.parent / name


def database_url(instance_path: str) -> str:
    url = env("DATABASE_URL")
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
    url = env("JOBS_URL") or "sqlite:///" + str(Path(instance_path) / "jobs.sqlite3")
    return url, env_or_default("JOBS_NAME")


def _dev_secret_key(instance_path: str) -> str:
    """A random key kept in the instance folder, so sessions and links survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def from_environment(instance_path: str) -> dict:
    env_name = env_or_default("SKM_ENV")
    secret = env("SECRET_KEY")
    if env_name == "production" and not secret:
        raise ConfigError("SECRET_KEY must be set when SKM_ENV=production")
    try:
        proxies = int(env_or_default("TRUSTED_PROXIES"))
    except ValueError:
        raise ConfigError("TRUSTED_PROXIES must be a whole number (nginx in front: 1)") from None
    try:
        refresh_seconds = int(env_or_default("RESULTS_REFRESH_SECONDS"))
    except ValueError:
        raise ConfigError("RESULTS_REFRESH_SECONDS must be a whole number of seconds") from None
    jobs_url, _name = jobs_settings(instance_path)
    return {
        "ENV_NAME": env_name,
        "SECRET_KEY": secret or _dev_secret_key(instance_path),
        "SECRET_KEY_FROM_ENVIRONMENT": bool(secret),
        "SQLALCHEMY_DATABASE_URI": database_url(instance_path),
        "SESSION_COOKIE_SECURE": env_name == "production",
        "REMEMBER_COOKIE_SECURE": env_name == "production",
        "RATELIMIT_STORAGE_URI": env_or_default("RATELIMIT_STORAGE_URI"),
        "JOBS_URL": jobs_url,
        # The address printed in invitation links and QR codes.
        "PUBLIC_BASE_URL": env_or_default("PUBLIC_BASE_URL"),
        # How many reverse proxies (nginx, a load balancer) stand in front: their X-Forwarded-For
        # is then trusted, so rate limits key on each respondent's address, not the proxy's.
        "TRUSTED_PROXIES": proxies,
        "RESULTS_REFRESH_SECONDS": refresh_seconds,
        # SKM_COUNT_QUERIES=1: every response says how many SQL statements it took
        # (X-Query-Count; benchmarks/pages.py reads it). Off unless asked for.
        "COUNT_QUERIES": env("SKM_COUNT_QUERIES") == "1",
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
    # 64 KB), complaint exports higher (COMPLAINT_MAX_UPLOAD, 64 MB: a year is some 20 MB,
    # streamed to disk by survey_app/uploads.py).
    # deploy/nginx-skm.conf's client_max_body_size follows the largest (tests/test_install.py).
    "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
    "COMPLAINT_MAX_UPLOAD": 64 * 1024 * 1024,  # the complaint upload page's own limit
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
    # How old the shown results of a round that is not final (open, or closed before its
    # complaints' moment of judgment) may get before the worker computes them anew: its complaint
    # figures move with the clock (complaints fall overdue). Changed data (a response, a
    # complaint, an appointment, a setting) is computed at the worker's next look, within a
    # minute (survey_app/domain/results.py, latest and refresh).
    "RESULTS_REFRESH_SECONDS": RESULTS_REFRESH_SECONDS,
    "COUNT_QUERIES": False,
}
