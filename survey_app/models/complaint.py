"""Complaints imported from CRM / LAPOR! exports, attributed to a position and official."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.domain.vocabulary import COMPLAINT_STATUSES
from survey_app.extensions import db
from survey_app.models.area import Area, Unit, _in
from survey_app.models.types import UTCDateTime, utcnow


class Complaint(db.Model):
    __tablename__ = "complaints"
    __table_args__ = (
        CheckConstraint(_in("status", COMPLAINT_STATUSES), name="status"),
        CheckConstraint("resolved_at IS NULL OR resolved_at >= reported_at",
                        name="resolved_after_report"),
        CheckConstraint("status <> 'resolved' OR resolved_at IS NOT NULL",
                        name="resolved_has_time"),
        CheckConstraint("area_id IS NOT NULL OR unit_id IS NOT NULL", name="area_or_unit"),
        # The only index besides the key and the external id (each index costs every row of an
        # import, migration 0016): a quarter's complaints, read without the table (the results
        # fingerprint), and those of a few positions within the quarter (complaint figures).
        Index("ix_complaints_reported", "reported_at", "position_id", "imported_at",
              postgresql_include=["id"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    external_id: Mapped[str] = mapped_column(String(64), unique=True)  # complaint_id / TrackingID
    channel: Mapped[str | None] = mapped_column(String(40))
    category: Mapped[str | None] = mapped_column(String(120))
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"))
    unit_id: Mapped[int | None] = mapped_column(ForeignKey("units.id"))
    status: Mapped[str] = mapped_column(String(12))
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Attribution, fixed at import: the responsible position, and who held it on the report day.
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    # When the export this row came from was taken: an older export never overwrites newer facts.
    source_as_of: Mapped[datetime | None] = mapped_column(UTCDateTime)
    imported_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    area: Mapped[Area | None] = relationship()
    unit: Mapped[Unit | None] = relationship()
