"""Who did what: sanction decisions as recorded by people, the audit log, issued documents."""
from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.domain.vocabulary import SANCTION_ACTIONS
from survey_app.extensions import db
from survey_app.models.area import _in
from survey_app.models.official import Official
from survey_app.models.types import UTCDateTime, utcnow


class SanctionDecision(db.Model):
    """What people actually decided about an official (the product only recommends)."""

    __tablename__ = "sanction_decisions"
    __table_args__ = (CheckConstraint(_in("action", SANCTION_ACTIONS), name="action"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)
    action: Mapped[str] = mapped_column(String(12))
    decided_on: Mapped[date] = mapped_column(Date)
    letter_number: Mapped[str | None] = mapped_column(String(80))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    official: Mapped[Official] = relationship()


class AuditEntry(db.Model):
    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(254))  # the user's email, or "cli"
    action: Mapped[str] = mapped_column(String(60))
    target: Mapped[str | None] = mapped_column(String(200))
    detail: Mapped[dict | None] = mapped_column(JSON)


class IssuedDocument(db.Model):
    """A rendered report card: its number and the fingerprint of the figures it shows.

    ``publication_id``: the publication of the round it was issued from (None before the round
    was published); ``superseded_at``: when a re-publication replaced it (None while in force).
    """

    __tablename__ = "issued_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(40), unique=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    position_id: Mapped[int | None] = mapped_column(ForeignKey("positions.id"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    kind: Mapped[str] = mapped_column(String(20), default="card")  # card | summary
    fingerprint: Mapped[str] = mapped_column(String(64))
    figures: Mapped[dict] = mapped_column(JSON)  # what the document shows, to re-check it
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    publication_id: Mapped[int | None] = mapped_column(ForeignKey("publications.id"), index=True)
    superseded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
