"""`upgrade head` on an empty database gives exactly the models' schema, on both engines."""
from __future__ import annotations

import uuid

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from survey_app import create_app
from survey_app.extensions import db
from tests.conftest import PG_URL


@pytest.fixture
def empty_database(tmp_path):
    """A URL of an empty database (a throw-away schema on PostgreSQL)."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'migrated.sqlite'}", None
        return
    schema = "mig_" + uuid.uuid4().hex[:12]
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}options=-csearch_path%3D{schema},public", schema
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


def test_upgrade_head_equals_models(empty_database):
    url, _schema = empty_database
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.connect() as conn:
            context = MigrationContext.configure(conn, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
            tables = set(inspect(conn).get_table_names())
        db.engine.dispose()
    assert diff == []
    assert set(db.metadata.tables) | {"alembic_version"} == tables


def test_migrated_database_refuses_overlapping_appointments(empty_database):
    url, _schema = empty_database
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        with db.engine.begin() as conn:
            conn.execute(text("INSERT INTO areas (id, code, level, name) VALUES (1, '31', 'provinsi', 'P')"))
            conn.execute(text("INSERT INTO areas (id, code, parent_id, level, name) "
                              "VALUES (2, '3171', 1, 'kota', 'K')"))
            conn.execute(text("INSERT INTO positions (id, kind, area_id) VALUES (1, 'walikota', 2)"))
            conn.execute(text("INSERT INTO officials (id, nip, name) VALUES (1, 'a', 'A'), (2, 'b', 'B')"))
            conn.execute(text("INSERT INTO appointments (official_id, position_id, start_date, end_date)"
                              " VALUES (1, 1, '2026-01-01', '2026-03-31')"))
        with pytest.raises(Exception, match="overlap"):
            with db.engine.begin() as conn:
                conn.execute(text("INSERT INTO appointments (official_id, position_id, start_date) "
                                  "VALUES (2, 1, '2026-03-31')"))
        with db.engine.begin() as conn:  # the day after is fine
            conn.execute(text("INSERT INTO appointments (official_id, position_id, start_date) "
                              "VALUES (2, 1, '2026-04-01')"))
        db.engine.dispose()
