"""Follow-up plans (rencana tindak lanjut): after a round is published, an official writes one
plan per priority element of their card; the superior reviews it, the official gives evidence,
the superior verifies it (survey_app/domain/followups.py holds the rules).

Evidence files are kept in the database (``FollowupFile.data``): a backup holds them with the
plans they belong to, and no path on disk can be guessed or served by mistake.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.domain.vocabulary import FOLLOWUP_STATES
from survey_app.extensions import db
from survey_app.models.area import _in
from survey_app.models.official import Official, Position
from survey_app.models.round import Round
from survey_app.models.types import UTCDateTime, utcnow


class FollowupPlan(db.Model):
    """One plan: for an element of a post's card in a round, written by the official judged."""

    __tablename__ = "followup_plans"
    __table_args__ = (
        CheckConstraint(_in("state", FOLLOWUP_STATES), name="state"),
        UniqueConstraint("round_id", "position_id", "official_id", "element_code"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    official_id: Mapped[int] = mapped_column(ForeignKey("officials.id"), index=True)
    element_code: Mapped[str] = mapped_column(String(10))
    action: Mapped[str] = mapped_column(Text)
    due_quarter: Mapped[str] = mapped_column(String(7))  # 2027-Q3
    responsible: Mapped[str] = mapped_column(String(160))
    state: Mapped[str] = mapped_column(String(10), default="draft")
    review_note: Mapped[str | None] = mapped_column(Text)  # the superior's, on a return
    evidence: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the first submission
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    verified_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    round: Mapped[Round] = relationship()
    position: Mapped[Position] = relationship()
    official: Mapped[Official] = relationship()
    files: Mapped[list[FollowupFile]] = relationship(
        back_populates="plan", order_by="FollowupFile.id", cascade="all, delete-orphan")


class FollowupFile(db.Model):
    """An evidence file of a plan (an image or a PDF, its type checked by its first bytes)."""

    __tablename__ = "followup_files"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(ForeignKey("followup_plans.id"), index=True)
    filename: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    plan: Mapped[FollowupPlan] = relationship(back_populates="files")
