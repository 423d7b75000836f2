"""The SKM survey platform: create_app() builds the Flask application."""
from __future__ import annotations

import os
import re
from datetime import UTC, datetime
from functools import cache

from babel import Locale
from flask import Flask, jsonify, render_template, request, session
from sqlalchemy import event
from sqlalchemy.engine import Engine

from survey_app import config as config_module
from survey_app import querycount
from survey_app.extensions import (
    SessionInterface,
    babel,
    csrf,
    db,
    login_manager,
    migrate,
    ratelimits,
)


def create_app(config: dict | None = None) -> Flask:
    app = Flask(__name__, instance_relative_config=True,
                instance_path=config_module.instance_path())
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.from_mapping(config_module.DEFAULTS)
    if config is None:
        app.config.from_mapping(config_module.from_environment(app.instance_path))
    else:
        app.config.from_mapping(config)
    register_logging(app)
    register_catalogs(app)
    register_questionnaires(app)
    register_extensions(app)
    register_url_converters(app)
    register_blueprints(app)
    register_access_rule(app)
    register_security_headers(app)
    register_error_handlers(app)
    register_template_helpers(app)
    register_commands(app)
    querycount.install(app)  # only with SKM_COUNT_QUERIES=1
    register_probes(app)
    register_metrics(app)
    if app.config.get("TRUSTED_PROXIES"):
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=app.config["TRUSTED_PROXIES"],
                                x_proto=app.config["TRUSTED_PROXIES"])
    return app


def register_logging(app: Flask) -> None:
    """No log line holds a respondent's link: it is logged as /s/… (survey_app/logsafe.py)."""
    from survey_app import logsafe

    logsafe.install(app.logger)


def register_catalogs(app: Flask) -> None:
    """Compile a message catalog that is missing or older than its .po (a checkout installed with
    `pip install -r requirements.txt` has none: every page would be in English). Where the
    package is read-only, `skm check-config` reports the missing catalog instead."""
    from survey_app import catalogs

    try:
        catalogs.compile_stale()
    except OSError as error:
        app.logger.warning("Message catalogs could not be compiled (%s): pages stay in "
                           "English until `make translations` or `pip install .`.",
                           type(error).__name__)


def register_questionnaires(app: Flask) -> None:
    """Load every questionnaire file now: an app that will not start on a broken file is better
    than one that shows a broken form (the error names the file and the field)."""
    from survey_app.domain import questionnaires

    directory = app.config.get("QUESTIONNAIRE_DIR") or questionnaires.DEFAULT_DIRECTORY
    app.config["QUESTIONNAIRE_DIR"] = str(directory)
    app.extensions["skm_questionnaires"] = questionnaires.load_all(directory)


def register_extensions(app: Flask) -> None:
    from survey_app import models  # noqa: F401  (complete metadata before anything uses it)

    app.session_interface = SessionInterface()
    db.init_app(app)
    from survey_app import changes

    changes.install()  # a commit that changes results data asks the worker for a refresh
    # The package's migrations wherever it runs from (the checkout's, or the installed copy):
    # `flask --app survey_app db upgrade` works from any directory.
    migrate.init_app(app, directory=str(config_module.bundled_directory("migrations")),
                     render_as_batch=True)
    csrf.init_app(app)
    ratelimits.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=lambda: "Asia/Jakarta")
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None  # the login page explains itself

    @login_manager.user_loader
    def load_user(user_id: str):
        from survey_app.domain.accounts import user_for_session

        return user_for_session(user_id)


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    """SQLite: enforce foreign keys, use WAL so readers do not block the writer, and overwrite
    deleted rows with zeros (secure_delete): a released held response leaves no readable copy in
    the file's free pages (docs/anonymity.md). (A bulk write enlarges its own connection's page
    cache while it runs: bulk.larger_cache.)"""
    import sqlite3

    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()


def select_locale() -> Locale:
    """Bahasa Indonesia unless the visitor chose English (?lang=en, kept in the session).

    Respondents get no cookie, not even for this: on their pages the choice is kept in the URL
    instead (survey_app/respond/routes.py, _own_url)."""
    from flask import current_app, has_request_context

    languages = current_app.config["LANGUAGES"]
    if not has_request_context():  # command line, PDF rendering: the default language
        return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])
    chosen = request.args.get("lang")
    if request.blueprint == "public":  # the address alone decides: its pages are cached
        return _locale(chosen if chosen in languages
                       else current_app.config["BABEL_DEFAULT_LOCALE"])
    if chosen in languages:
        if request.blueprint != "respond":
            session["lang"] = chosen
        return _locale(chosen)
    if session.get("lang") in languages:
        return _locale(session["lang"])
    return _locale(current_app.config["BABEL_DEFAULT_LOCALE"])


@cache
def _locale(code: str) -> Locale:
    """Parsed once: Flask-Babel parses what the selector returns on every request, unless it is
    a Locale already."""
    return Locale.parse(code)


def register_url_converters(app: Flask) -> None:
    """``<round:code>``: an address whose round code is not a code (2027-Q1) is a plain 404
    before any view runs, so no lookup ever sees a stray character (a NUL on PostgreSQL)."""
    from werkzeug.routing import BaseConverter

    from survey_app.domain.quarters import CODE_REGEX

    class RoundCode(BaseConverter):
        regex = re.sub(r"\((?!\?)", "(?:", CODE_REGEX)  # the same pattern, without groups

    app.url_map.converters["round"] = RoundCode


def register_blueprints(app: Flask) -> None:
    from survey_app.admin.routes import bp as admin_bp
    from survey_app.api.routes import bp as api_bp
    from survey_app.auth.routes import bp as auth_bp
    from survey_app.background.routes import bp as jobs_bp
    from survey_app.complaints.routes import bp as complaints_bp
    from survey_app.coordinator.routes import bp as coordinator_bp
    from survey_app.main import bp as main_bp
    from survey_app.portal.followups import bp as followups_bp
    from survey_app.portal.routes import bp as portal_bp
    from survey_app.public.routes import bp as public_bp
    from survey_app.respond.routes import bp as respond_bp
    from survey_app.results.routes import bp as results_bp
    from survey_app.roster.routes import bp as roster_bp

    for blueprint in (main_bp, auth_bp, admin_bp, coordinator_bp, roster_bp, respond_bp,
                      results_bp, complaints_bp, portal_bp, followups_bp, api_bp, public_bp,
                      jobs_bp):
        app.register_blueprint(blueprint)

    from survey_app.masterdata.routes import bp as masterdata_bp

    app.register_blueprint(masterdata_bp)


# Endpoints anyone may reach without logging in; everything else is denied by default.
# /verify: anyone holding a printed report card may check that it is genuine. /publik: the
# published rounds a coordinator made public (survey_app/public).
# /auth/password/set/<token>: a one-time link to set a password (the link is the key).
# /healthz, /readyz: the proxy's probes.
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.set_password", "main.health", "portal.verify",
                    "healthz", "readyz"}
PUBLIC_BLUEPRINTS = {"respond", "public"}


def is_public(endpoint: str | None) -> bool:
    if endpoint is None:
        return True  # no route matched: let the 404 handler answer
    blueprint = endpoint.rsplit(".", 1)[0] if "." in endpoint else None
    return endpoint in PUBLIC_ENDPOINTS or blueprint in PUBLIC_BLUEPRINTS


def register_access_rule(app: Flask) -> None:
    from flask_login import current_user

    @app.before_request
    def deny_by_default():
        if is_public(request.endpoint) or current_user.is_authenticated:
            return None
        return login_manager.unauthorized()


def register_security_headers(app: Flask) -> None:
    from survey_app import headers

    headers.install(app)


def register_error_handlers(app: Flask) -> None:
    from flask_babel import lazy_gettext as _l
    from flask_wtf.csrf import CSRFError

    def page(status: int, title, message):
        if request.path.startswith("/api/"):
            return jsonify(error=str(message)), status
        return render_template("errors/error.html", title=title, message=message), status

    # What each refusal says: (error, status, title, message).
    pages = [
        (400, 400, _l("Bad request"), _l("The request could not be understood.")),
        (CSRFError, 400, _l("Form expired"),
         _l("The form was out of date. Go back, reload the page and try again.")),
        (403, 403, _l("Not allowed"), _l("You do not have access to this page.")),
        (404, 404, _l("Not found"), _l("The page you asked for does not exist.")),
        (405, 405, _l("Not allowed"), _l("This action is not available here.")),
        (413, 413, _l("Too large"), _l("What you sent is too large.")),
        (429, 429, _l("Too many requests"),
         _l("Too many requests from your address. Please wait a minute and try again.")),
    ]
    for error, status, title, message in pages:
        app.register_error_handler(
            error, lambda e, status=status, title=title, message=message: page(
                status, str(title), str(message)))

    @app.errorhandler(500)
    def server_error(e):
        db.session.rollback()
        return page(500, _l("Something went wrong"),
                    _l("Something went wrong on our side. Nothing you entered was saved "
                       "half-way; please try again."))


def register_template_helpers(app: Flask) -> None:
    from flask_babel import get_locale

    def lang_url(code: str) -> str:
        """The current page in another language (a plain link: works without JavaScript).

        The query keeps every argument as it came, passed as a query string and never to
        url_for as keywords: ``?_method=PUT`` or ``?_external=`` are url_for's own options."""
        from urllib.parse import urlencode

        from flask import url_for

        args = request.args.copy()
        args["lang"] = code
        query = "?" + urlencode(list(args.items(multi=True)))
        if request.endpoint is None:
            return query
        return url_for(request.endpoint, **(request.view_args or {})) + query

    @app.context_processor
    def inject_helpers():
        from survey_app.domain.rounds import state_label
        from survey_app.domain.vocabulary import POSITION_LABELS

        return {"current_locale": str(get_locale()), "now_utc": datetime.now(UTC),
                "lang_url": lang_url, "state_label": state_label,
                "position_labels": POSITION_LABELS}

    @app.template_filter("p_value")
    def p_value(value):
        """A p-value written the one way (reports.fmt.p_value: 'p = 0,21', 'p < 0,01')."""
        from reports.fmt import p_value as written

        return written(value, str(get_locale()))

    @app.template_filter("jakarta")
    def to_jakarta(value, fmt: str = "%d-%m-%Y %H:%M"):
        from survey_app.domain.clock import to_jakarta as convert

        if not value:
            return ""
        text = convert(value).strftime(fmt)
        return text + " WIB" if "%H" in fmt else text


def register_commands(app: Flask) -> None:
    from survey_app.cli import skm

    app.cli.add_command(skm)


def register_probes(app: Flask) -> None:
    """For the proxy and the service manager: /healthz answers while the process serves (it
    touches nothing), /readyz says whether this server can do its work: the database and every
    Redis it is configured with (rate limits, jobs) answer; 503 with what failed otherwise.
    Neither sets a cookie, and neither says more than "ok" or the failing part's name."""
    from survey_app import checks

    @app.get("/healthz", endpoint="healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz", endpoint="readyz")
    def readyz():
        failed = checks.readiness(app)
        return jsonify(status="fail" if failed else "ok", failed=failed), 503 if failed else 200


def register_metrics(app: Flask) -> None:
    """Request counts and durations per endpoint, in the Prometheus text format, when the
    gunicorn settings turned metrics on (METRICS_BIND: served there, never on the app's own
    address; survey_app/metrics.py)."""
    from survey_app import metrics

    metrics.install(app)
