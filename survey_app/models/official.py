"""Positions (lurah of X, ...), the officials who hold them, and their dated appointments."""
from __future__ import annotations

from datetime import date

from sqlalchemy import DDL, CheckConstraint, Date, ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.domain.vocabulary import POSITION_KINDS
from survey_app.extensions import db
from survey_app.models.area import Area, Unit, _in


class Position(db.Model):
    """A post that outlives the person in it: the head of an area, or of a unit."""

    __tablename__ = "positions"
    __table_args__ = (
        CheckConstraint(_in("kind", POSITION_KINDS), name="kind"),
        CheckConstraint(
            "(kind = 'kepala_dinas' AND unit_id IS NOT NULL AND area_id IS NULL)"
            " OR (kind <> 'kepala_dinas' AND area_id IS NOT NULL AND unit_id IS NULL)",
            name="area_or_unit",
        ),
        UniqueConstraint("kind", "area_id", "unit_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"), index=True)

    area: Mapped[Area | None] = relationship()
    unit: Mapped[Unit | None] = relationship()


class Official(db.Model):
    __tablename__ = "officials"

    id: Mapped[int] = mapped_column(primary_key=True)
    nip: Mapped[str] = mapped_column(String(30), unique=True)
    name: Mapped[str] = mapped_column(String(160))


class Appointment(db.Model):
    """An official holding a position from start_date to end_date (inclusive; open-ended if null).

    Appointments of one position never overlap: enforced by the database (an exclusion
    constraint on PostgreSQL, triggers on SQLite; see below and the migration).
    """

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("official_id", "position_id", "start_date"),
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="dates"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    start_date: Mapped[date] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)

    official: Mapped[Official] = relationship()
    position: Mapped[Position] = relationship()


# The overlap rule as database DDL, shared by create_all (tests) and the migration.
APPOINTMENT_OVERLAP_SQLITE = [
    f"""
    CREATE TRIGGER appointments_no_overlap_{op.lower()} BEFORE {op} ON appointments
    FOR EACH ROW WHEN EXISTS (
        SELECT 1 FROM appointments a
        WHERE a.position_id = NEW.position_id AND a.id IS NOT NEW.id
          AND a.start_date <= COALESCE(NEW.end_date, '9999-12-31')
          AND NEW.start_date <= COALESCE(a.end_date, '9999-12-31'))
    BEGIN SELECT RAISE(ABORT, 'overlapping appointments for one position'); END
    """
    for op in ("INSERT", "UPDATE")
]
APPOINTMENT_OVERLAP_POSTGRESQL = [
    "CREATE EXTENSION IF NOT EXISTS btree_gist",
    """ALTER TABLE appointments ADD CONSTRAINT appointments_no_overlap
       EXCLUDE USING gist (position_id WITH =, daterange(start_date, end_date, '[]') WITH &&)""",
]
for _stmt in APPOINTMENT_OVERLAP_SQLITE:
    event.listen(Appointment.__table__, "after_create", DDL(_stmt).execute_if(dialect="sqlite"))
for _stmt in APPOINTMENT_OVERLAP_POSTGRESQL:
    event.listen(Appointment.__table__, "after_create", DDL(_stmt).execute_if(dialect="postgresql"))
