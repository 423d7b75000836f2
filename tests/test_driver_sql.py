"""Statements run on the DBAPI cursor (survey_app/models/driver_sql.py) give and store exactly
what they would through SQLAlchemy, on SQLite and (under `make test`) on PostgreSQL."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlalchemy import bindparam, select

from survey_app.domain.invitations import _link_query, token_hash
from survey_app.extensions import db
from survey_app.models import Appointment, Invitation, InvitationPosition, Position, Response, Round
from survey_app.models.driver_sql import DriverStatement
from tests import factories
from tests.respondent_setup import load_roster, token_of, world


def test_the_link_look_up_reads_what_sqlalchemy_reads(ctx):
    world()
    load_roster(db.session.scalar(select(factories.Round)))
    round_ = db.session.scalar(select(Round))
    round_.closed_at = datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)  # a value in every column
    answered = db.session.scalars(select(InvitationPosition)).first()
    answered.answered = True
    db.session.commit()
    connection = db.session.connection()
    for invitation in db.session.scalars(select(Invitation)):
        params = {"digest": invitation.token_hash, "day": date.today()}
        through_sqlalchemy = [tuple(r) for r in
                              connection.execute(_link_query().statement, params).all()]
        on_the_cursor = _link_query().rows(connection, params)
        assert on_the_cursor == through_sqlalchemy and on_the_cursor
    row = _link_query().rows(connection, {"digest": token_hash(token_of("R1")),
                                          "day": date.today()})[0]
    assert row[6] == datetime(2027, 1, 2, 3, 4, 5, tzinfo=UTC)  # aware, in UTC
    assert isinstance(row[4], datetime) and row[4].tzinfo is not None


def test_values_are_bound_as_sqlalchemy_binds_them(ctx):
    """A date bound on the cursor (the link look-up binds today's date) is stored as the ORM
    stores it (SQLite keeps dates as text), and RETURNING comes back on the cursor."""
    world()
    position = db.session.scalar(select(Position))
    official = factories.official("N-DRIVER")
    table = Appointment.__table__
    insert = DriverStatement(
        table.insert().values({name: bindparam(name, type_=table.c[name].type)
                               for name in ("official_id", "position_id", "start_date",
                                            "end_date")})
        .returning(table.c.id, table.c.start_date))
    day = date(2026, 11, 24)
    values = {"official_id": official.id, "position_id": position.id, "start_date": day,
              "end_date": day}
    db.session.execute(Appointment.__table__.delete())
    (new_id, returned_day), = insert.rows(db.session.connection(), values)
    db.session.add(Appointment(**{**values, "start_date": day + timedelta(days=1),
                                  "end_date": None}))
    db.session.commit()
    stored = dict(db.session.execute(select(Appointment.id, Appointment.start_date)).all())
    assert returned_day == day and stored[new_id] == day
    raw = db.session.connection().exec_driver_sql(
        "SELECT start_date FROM appointments ORDER BY id").scalars().all()
    # stored alike: ISO text on SQLite, a DATE on PostgreSQL
    assert [str(value) for value in raw] == ["2026-11-24", "2026-11-25"]


def test_compiled_once_per_driver_and_paramstyle_not_per_database_name():
    """Two dialects of one database with other placeholders each get their own SQL."""
    from sqlalchemy.dialects import sqlite

    statement = DriverStatement(select(Response.id).where(Response.id == bindparam("wanted")))
    qmark = statement._compiled(sqlite.dialect())
    named = statement._compiled(sqlite.dialect(paramstyle="named"))
    assert "= ?" in qmark.sql and qmark.order == ("wanted",)
    assert "= :wanted" in named.sql and named.order is None
