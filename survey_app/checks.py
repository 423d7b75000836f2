"""What `skm check-config` checks: the environment (survey_app/config.py's SETTINGS) read as the
app and the worker would read it, and the services it names, before anything starts.

An error stops a deployment (the command exits 1): production without its own SECRET_KEY or on
SQLite, a database or a configured Redis that does not answer, a message catalog missing (every
page would come out in English), a questionnaire file the app would refuse. A warning names a
setting left at its development default in production. ``python -m survey_app.checks`` runs the
same checks where the app itself refuses to start (production without SECRET_KEY).

readiness() is the part that /readyz asks on every probe: the database and the configured Redis.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from functools import cache

from flask_babel import gettext as _

from survey_app import catalogs, config

ERROR, WARNING = "error", "warning"
# SECRET_KEY values from examples and tests, never fit for production.
KNOWN_KEYS = {"dev", "secret", "change-me", "changeme", "test-secret", "please-change-me"}
MIN_KEY_LENGTH = 32
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")


@dataclass(frozen=True)
class Finding:
    level: str  # ERROR | WARNING
    text: str


def _secret_key(production: bool) -> list[Finding]:
    key = config.env("SECRET_KEY")
    if key is None:
        if production:
            return [Finding(ERROR, _("SECRET_KEY is not set: the app refuses to start in "
                                     "production."))]
        return [Finding(WARNING, _("SECRET_KEY is not set: a key kept in the instance folder is "
                                   "used, which other servers do not share."))]
    if key.lower() in KNOWN_KEYS or len(key) < MIN_KEY_LENGTH:
        level = ERROR if production else WARNING
        return [Finding(level, _("SECRET_KEY is a sample value or shorter than %(num)s "
                                 "characters: make one with `python -c \"import secrets; "
                                 "print(secrets.token_urlsafe(48))\"`.", num=MIN_KEY_LENGTH))]
    return []


def _settings(production: bool) -> list[Finding]:
    out = []
    if production and (config.env("DATABASE_URL") or "sqlite").startswith("sqlite"):
        out.append(Finding(ERROR, _("DATABASE_URL is SQLite: production runs on PostgreSQL "
                                    "(one server file cannot be shared by several servers).")))
    if production and config.env_or_default("RATELIMIT_STORAGE_URI").startswith("memory"):
        out.append(Finding(WARNING, _("RATELIMIT_STORAGE_URI is memory://: every worker counts "
                                      "on its own; point it at Redis.")))
    jobs_url = config.env("JOBS_URL") or "sqlite"
    if production and jobs_url.startswith("sqlite"):
        out.append(Finding(WARNING, _("JOBS_URL is a SQLite file: the queue serves one machine "
                                      "only; point it at Redis.")))
    if jobs_url.startswith("memory"):
        out.append(Finding(ERROR, _("JOBS_URL is memory://: jobs would run inside web requests "
                                    "and the periodic releases never.")))
    base = config.env_or_default("PUBLIC_BASE_URL")
    if production and base == config.BY_NAME["PUBLIC_BASE_URL"].default:
        out.append(Finding(ERROR, _("PUBLIC_BASE_URL is not set: letters would print links to "
                                    "%(url)s.", url=base)))
    elif production and not base.startswith("https://"):
        out.append(Finding(WARNING, _("PUBLIC_BASE_URL is not https://.")))
    proxies = config.env_or_default("TRUSTED_PROXIES")
    if not proxies.isdigit():
        out.append(Finding(ERROR, _("TRUSTED_PROXIES must be a whole number.")))
    elif production and proxies == "0":
        out.append(Finding(WARNING, _("TRUSTED_PROXIES is 0: behind nginx set it to 1, or every "
                                      "respondent shares the proxy's rate limits.")))
    return out


def _catalogs() -> list[Finding]:
    return [Finding(ERROR, _("The message catalog %(path)s is missing or older than its .po: "
                             "pages would be in English (`make translations`, or `pip install "
                             ".` again).", path=str(po.with_suffix(".mo"))))
            for po in catalogs.stale()]


def _questionnaires() -> list[Finding]:
    from survey_app.domain import questionnaires

    try:
        questionnaires.load_all(questionnaires.DEFAULT_DIRECTORY)
    except questionnaires.QuestionnaireError as error:
        return [Finding(ERROR, str(error))]
    return []


def _database(url: str) -> list[Finding]:
    import sqlalchemy

    engine = sqlalchemy.create_engine(url, hide_parameters=True, poolclass=sqlalchemy.NullPool)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as error:  # noqa: BLE001 (any failure is the finding)
        return [Finding(ERROR, _("The database does not answer (%(error)s).",
                                 error=type(error).__name__))]
    finally:
        engine.dispose()
    return []


@cache
def _redis(url: str):
    import redis

    return redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)


def redis_urls(settings) -> dict[str, str]:
    """The settings that name a Redis, and their URLs."""
    return {name: settings[name] for name in ("RATELIMIT_STORAGE_URI", "JOBS_URL")
            if str(settings.get(name) or "").startswith(REDIS_SCHEMES)}


def unreachable_redis(settings) -> list[str]:
    """The settings whose Redis does not answer a PING."""
    failed = []
    for name, url in redis_urls(settings).items():
        try:
            _redis(url).ping()
        except Exception:  # noqa: BLE001 (down, refused, bad address: not reachable)
            failed.append(name)
    return failed


def readiness(app) -> list[str]:
    """For /readyz: what this server needs and cannot reach ("database", a Redis setting)."""
    from sqlalchemy import text

    from survey_app.extensions import db

    failed = []
    try:
        db.session.execute(text("SELECT 1"))
    except Exception:  # noqa: BLE001
        failed.append("database")
    finally:
        db.session.remove()
    return failed + unreachable_redis(app.config)


def run() -> list[Finding]:
    """Every check, on the environment of this process."""
    production = config.env_or_default("SKM_ENV") == "production"
    findings = _secret_key(production) + _settings(production) + _catalogs()
    findings += _questionnaires()
    instance = config.instance_path()
    settings = {"RATELIMIT_STORAGE_URI": config.env_or_default("RATELIMIT_STORAGE_URI"),
                "JOBS_URL": config.jobs_settings(instance)[0]}
    findings += _database(config.database_url(instance))
    findings += [Finding(ERROR, _("%(setting)s names a Redis that does not answer.",
                                  setting=name)) for name in unreachable_redis(settings)]
    return findings


def report(findings: list[Finding], write=print) -> int:
    """Print the findings, errors first; the exit status (1 if any error)."""
    labels = {ERROR: _("ERROR"), WARNING: _("WARNING")}
    for finding in sorted(findings, key=lambda f: f.level != ERROR):
        write(f"{labels[finding.level]}: {finding.text}")
    errors = sum(f.level == ERROR for f in findings)
    if not errors:
        write(_("Configuration OK (%(num)s warnings).", num=len(findings)))
    return 1 if errors else 0


if __name__ == "__main__":  # without an app: where create_app() refuses the environment
    sys.exit(report(run()))
