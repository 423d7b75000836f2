"""Flask extensions, created unbound; create_app() binds them to an app."""
import click
from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from flask_babel import Babel
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import MetaData

from survey_app.ratelimits import RateLimits

# Stable constraint names, so that migrations can find and alter them (SQLite batch mode needs it).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))


class Migrations:
    """Flask-Migrate (`flask db ...`, ``flask_migrate.upgrade()``), set up when first used: it
    loads alembic, a third of a second at every start of the app and of every command otherwise.
    ``init_app`` puts a stand-in in ``app.extensions["migrate"]`` and a ``db`` command group
    that both set up the real thing (Migrate.init_app) the first time anything asks them."""

    def init_app(self, app: Flask, **options) -> None:
        def real():
            if isinstance(app.extensions.get("migrate"), _PendingMigrate):
                from flask_migrate import Migrate

                Migrate(app, db, **options)  # replaces both stand-ins
            from flask_migrate.cli import db as group

            return group

        app.extensions["migrate"] = _PendingMigrate(real, app)
        app.cli.add_command(_LazyGroup("db", real, help="Perform database migrations."))


class _PendingMigrate:
    def __init__(self, setup, app: Flask) -> None:
        self._setup, self._app = setup, app

    def __getattr__(self, name: str):
        self._setup()
        return getattr(self._app.extensions["migrate"], name)


class _LazyGroup(click.Group):
    """A command group that is another one, loaded when it is first run or listed."""

    def __init__(self, name: str, load, **attrs) -> None:
        super().__init__(name, **attrs)
        self._load = load

    def make_context(self, info_name, args, parent=None, **extra):
        return self._load().make_context(info_name, args, parent=parent, **extra)

    def invoke(self, ctx):
        return self._load().invoke(ctx)

    def get_command(self, ctx, cmd_name):
        return self._load().get_command(ctx, cmd_name)

    def list_commands(self, ctx):
        return self._load().list_commands(ctx)


migrate = Migrations()
login_manager = LoginManager()
csrf = CSRFProtect()
babel = Babel()
ratelimits = RateLimits()


class SessionInterface(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions, with the signing serializer built once per secret key.

    Flask builds it anew on every request, cookie or not: on the public form (which sets no
    cookie) that was more than half of what the session machinery cost there
    (benchmarks/respond_profile.py). Signing and checking are Flask's own, unchanged."""

    def __init__(self) -> None:
        self._serializers: dict[tuple, URLSafeTimedSerializer | None] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        key = (app.secret_key, tuple(app.config.get("SECRET_KEY_FALLBACKS") or ()))
        if key not in self._serializers:
            self._serializers[key] = super().get_signing_serializer(app)
        return self._serializers[key]
