"""Backups: a consistent copy of the whole database, and back into an empty one.

SQLite: the online backup API (``sqlite3.Connection.backup``) copies every page of the database in
one step, inside one read snapshot: a backup taken while the app writes holds each transaction
whole or not at all. The copy is a single self-contained file (rollback journal, not WAL).
Restoring copies the backup's pages into the app's database file the same way, in one write
transaction (a failure leaves the target as it was).

PostgreSQL: ``pg_dump --format=custom`` of the whole database (pg_dump reads in one snapshot, so
the same holds), and ``pg_restore --no-owner --single-transaction`` into the app's database (a
failure writes nothing). pg_dump refuses a server newer than itself; we look for the newest
client tools (PATH, then Debian's /usr/lib/postgresql/<major>/bin) and say so clearly before it.

A restore never mixes two databases: the target must hold no row in any table. Empty tables (a
database that was just migrated) are allowed and replaced; the backup brings its own schema and
alembic revision (run ``flask db upgrade`` after restoring a backup from older code).

A backup holds everything the database holds, including the links of responses still held when
it was taken (docs/anonymity.md): it is written readable by its owner only, and it is as
sensitive as the database.
"""
from __future__ import annotations

import glob
import os
import re
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import URL

from survey_app.domain.errors import DomainError

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_CUSTOM_MAGIC = b"PGDMP"
# Tables whose rows do not make a database "hold data": the migration stamp.
BOOKKEEPING_TABLES = {"alembic_version"}
DEBIAN_PG_BIN = "/usr/lib/postgresql/*/bin"


@dataclass(frozen=True)
class Restored:
    tables: int
    rows: int
    revision: str | None


def _is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


# --- what is in a database ------------------------------------------------------------------

def tables_with_data(engine: Engine) -> list[str]:
    """The tables that hold at least one row (the migration stamp aside), in name order."""
    found = []
    with engine.connect() as conn:
        inspector = inspect(conn)
        schemas = [None] if _is_sqlite(engine) else [
            s for s in inspector.get_schema_names()
            if s not in ("information_schema",) and not s.startswith("pg_")]
        for schema in schemas:
            for table in sorted(inspector.get_table_names(schema=schema)):
                if table in BOOKKEEPING_TABLES:
                    continue
                name = f'"{table}"' if schema is None else f'"{schema}"."{table}"'
                if conn.execute(text(f"SELECT EXISTS (SELECT 1 FROM {name})")).scalar():
                    found.append(table if schema in (None, "public") else f"{schema}.{table}")
    return found


def _contents(engine: Engine) -> Restored:
    """How many tables and rows the database holds, and its alembic revision."""
    tables = rows = 0
    revision = None
    with engine.connect() as conn:
        names = inspect(conn).get_table_names()
        for table in names:
            tables += 1
            rows += conn.execute(text(f'SELECT count(*) FROM "{table}"')).scalar_one()
        if "alembic_version" in names:
            revision = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return Restored(tables, rows, revision)


def _refuse_unless_empty(engine: Engine) -> None:
    full = tables_with_data(engine)
    if full:
        raise DomainError(gettext(
            "Nothing was restored: the target database already holds data (%(tables)s). Restore "
            "only into an empty database: create a new one, point DATABASE_URL at it and run "
            "the restore again.", tables=", ".join(full[:5]) + (", ..." if len(full) > 5 else "")))


def _new_file(out: Path) -> Path:
    """Where to write a backup before it is complete: beside OUT, renamed into place at the end
    (a backup cut short never sits under OUT's name)."""
    if out.exists():
        raise DomainError(gettext("%(path)s already exists: a backup never overwrites a file. "
                                  "Choose a new name (e.g. with the date in it).", path=str(out)))
    if not out.parent.is_dir():
        raise DomainError(gettext("The folder %(path)s does not exist.", path=str(out.parent)))
    partial = out.with_name(out.name + ".partial")
    partial.unlink(missing_ok=True)
    return partial


def _finish(partial: Path, out: Path) -> None:
    os.chmod(partial, 0o600)  # as sensitive as the database (docs/anonymity.md)
    os.replace(partial, out)


def _magic(path: Path) -> bytes:
    if not path.is_file():
        raise DomainError(gettext("%(path)s is not a file.", path=str(path)))
    with path.open("rb") as f:
        return f.read(len(SQLITE_MAGIC))


# --- the two commands -------------------------------------------------------------------------

def backup(engine: Engine, out: Path) -> int:
    """Write a consistent copy of the whole database to OUT (a new file); returns its size."""
    partial = _new_file(out)
    try:
        if _is_sqlite(engine):
            _sqlite_backup(engine, partial)
        else:
            _pg_backup(engine, partial)
        _finish(partial, out)
    finally:
        partial.unlink(missing_ok=True)
    return out.stat().st_size


def restore(engine: Engine, source: Path) -> Restored:
    """Bring the backup SOURCE back into the app's database, which must hold no data."""
    magic = _magic(source)
    if _is_sqlite(engine):
        if not magic.startswith(SQLITE_MAGIC):
            raise DomainError(_not_a_backup(source, magic, "SQLite"))
        _refuse_unless_empty(engine)
        _sqlite_restore(engine, source)
    else:
        if not magic.startswith(PG_CUSTOM_MAGIC):
            raise DomainError(_not_a_backup(source, magic, "PostgreSQL"))
        _refuse_unless_empty(engine)
        _pg_restore(engine, source)
    engine.dispose()  # pooled connections may have seen the schema before it
    return _contents(engine)


def _not_a_backup(source: Path, magic: bytes, engine_name: str) -> str:
    if magic.startswith(SQLITE_MAGIC) or magic.startswith(PG_CUSTOM_MAGIC):
        other = "SQLite" if magic.startswith(SQLITE_MAGIC) else "PostgreSQL"
        return gettext("Nothing was restored: %(path)s is a %(other)s backup and the database is "
                       "%(engine)s. Restore it into a %(other)s database.", path=str(source),
                       other=other, engine=engine_name)
    return gettext("Nothing was restored: %(path)s is not a backup made by `skm backup`.",
                   path=str(source))


# --- SQLite ---------------------------------------------------------------------------------

def _sqlite_backup(engine: Engine, partial: Path) -> None:
    raw = engine.raw_connection()
    target = sqlite3.connect(partial)
    try:
        assert raw.driver_connection is not None  # open: just connected
        raw.driver_connection.backup(target)  # all pages in one step: one snapshot
        # One self-contained file: the copy of the WAL flag would want -wal/-shm files beside it.
        target.execute("PRAGMA journal_mode=DELETE")
    except sqlite3.Error as e:
        raise DomainError(gettext("The backup failed and nothing was written: %(reason)s",
                                  reason=str(e))) from None
    finally:
        target.close()
        raw.close()


def _sqlite_restore(engine: Engine, source: Path) -> None:
    try:
        backup_file = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as e:
        raise DomainError(gettext("Nothing was restored: %(path)s cannot be read (%(reason)s).",
                                  path=str(source), reason=str(e))) from None
    raw = engine.raw_connection()
    try:
        check = backup_file.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise DomainError(gettext("Nothing was restored: %(path)s is damaged (%(reason)s).",
                                      path=str(source), reason=check))
        assert raw.driver_connection is not None  # open: just connected
        backup_file.backup(raw.driver_connection)
    except sqlite3.Error as e:
        raise DomainError(gettext("Nothing was restored: %(path)s cannot be read (%(reason)s).",
                                  path=str(source), reason=str(e))) from None
    finally:
        raw.close()
        backup_file.close()


# --- PostgreSQL -----------------------------------------------------------------------------

def tool_version(path: str) -> int | None:
    """The major version of a PostgreSQL client tool (``pg_dump (PostgreSQL) 15.20`` -> 15)."""
    try:
        out = subprocess.run([path, "--version"], capture_output=True, text=True, timeout=30)
    except OSError:
        return None
    match = re.search(r"\)\s*(\d+)", out.stdout)
    return int(match.group(1)) if out.returncode == 0 and match else None


def find_tool(name: str, server_major: int, dirs: list[str] | None = None) -> str:
    """The newest ``name`` (pg_dump, pg_restore) in ``dirs`` (default: PATH, then Debian's
    versioned folders); refused when there is none or it is older than the server."""
    if dirs is None:
        dirs = os.environ.get("PATH", "").split(os.pathsep) + sorted(glob.glob(DEBIAN_PG_BIN))
    versions = {}
    for folder in dirs:
        path = shutil.which(name, path=folder) if folder else None
        if path and path not in versions:
            version = tool_version(path)
            if version is not None:
                versions[path] = version
    if not versions:
        raise DomainError(gettext(
            "%(tool)s was not found: install the PostgreSQL client tools, version %(server)s or "
            "newer (Debian/Ubuntu: postgresql-client-%(server)s).", tool=name,
            server=server_major))
    path, version = max(versions.items(), key=lambda item: item[1])
    if version < server_major:
        raise DomainError(gettext(
            "%(tool)s is version %(found)s (%(path)s) but the server is PostgreSQL %(server)s: "
            "install the PostgreSQL %(server)s client tools (Debian/Ubuntu: "
            "postgresql-client-%(server)s).", tool=name, found=version, path=path,
            server=server_major))
    return path


def _server_major(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(text("SHOW server_version_num")).scalar_one()) // 10000


def _libpq(engine: Engine) -> tuple[str, dict]:
    """The database as a libpq URI for the client tools, and their environment: the password
    goes in PGPASSWORD, never on the command line (where `ps` would show it)."""
    url: URL = engine.url
    env = dict(os.environ)
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    uri = url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)
    return uri, env


def _run(command: list[str], env: dict) -> str | None:
    """Run a client tool; None when it succeeded, else why it failed (its stderr, one line)."""
    result = subprocess.run(command, env=env, capture_output=True, text=True)
    if result.returncode == 0:
        return None
    return " ".join(result.stderr.split())[:2000] or f"exit status {result.returncode}"


def _pg_backup(engine: Engine, partial: Path) -> None:
    pg_dump = find_tool("pg_dump", _server_major(engine))
    uri, env = _libpq(engine)
    failed = _run([pg_dump, "--format=custom", "--no-password", "--file", str(partial),
                   "--dbname", uri], env)
    if failed:
        raise DomainError(gettext("The backup failed and nothing was written: %(reason)s",
                                  reason=failed))


def _pg_restore(engine: Engine, source: Path) -> None:
    pg_restore = find_tool("pg_restore", _server_major(engine))
    uri, env = _libpq(engine)
    # --clean --if-exists: the empty tables of a migrated target make way for the backup's.
    # --no-owner --no-acl: the roles of the source server need not exist here.
    # --single-transaction: all or nothing.
    failed = _run([pg_restore, "--no-owner", "--no-acl", "--clean", "--if-exists",
                   "--single-transaction", "--exit-on-error", "--no-password", "--dbname", uri,
                   str(source)], env)
    if failed:
        raise DomainError(gettext("Nothing was restored: pg_restore refused (%(reason)s).",
                                  reason=failed))
