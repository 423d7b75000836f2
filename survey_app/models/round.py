"""Questionnaires as pinned to a round, and the quarterly rounds themselves."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.domain.vocabulary import (
    DEFAULT_FOLLOWUP_REQUIRED,
    DEFAULT_GROUP_WEIGHTS,
    DEFAULT_RATING_MATRIX,
    DEFAULT_SETTINGS,
    ROUND_STATES,
)
from survey_app.extensions import db
from survey_app.models.area import _in
from survey_app.models.types import UTCDateTime, utcnow


class PinnedQuestionnaire(db.Model):
    """An exact copy of a questionnaire file as a round used it (never changes once stored)."""

    __tablename__ = "questionnaires"
    __table_args__ = (UniqueConstraint("key", "version", "content_hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(80))  # e.g. skm-permenpan-14-2017
    version: Mapped[str] = mapped_column(String(40))
    content_hash: Mapped[str] = mapped_column(String(64))  # sha256 of the canonical JSON
    content: Mapped[dict] = mapped_column(JSON)
    pinned_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class Round(db.Model):
    """One quarter's survey, coded YYYY-Qn.

    ``state`` is the last state recorded; the effective state also follows the clock
    (see survey_app.domain.rounds).
    """

    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint(_in("state", ROUND_STATES), name="state"),
        CheckConstraint("closes_at > opens_at", name="close_after_open"),
        CheckConstraint("deadline_days > 0", name="deadline_days"),
        CheckConstraint("min_group >= 1", name="min_group"),
        CheckConstraint("min_complaints >= 1", name="min_complaints"),
        CheckConstraint("survey_weight >= 0 AND complaint_weight >= 0"
                        " AND survey_weight + complaint_weight > 0", name="composite_weights"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(7), unique=True)  # 2027-Q1
    questionnaire_id: Mapped[int] = mapped_column(ForeignKey("questionnaires.id"), index=True)
    opens_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closes_at: Mapped[datetime] = mapped_column(UTCDateTime)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    group_weights: Mapped[dict] = mapped_column(JSON, default=lambda: dict(DEFAULT_GROUP_WEIGHTS))
    rating_matrix: Mapped[dict] = mapped_column(
        JSON, default=lambda: {g: list(v) for g, v in DEFAULT_RATING_MATRIX.items()})
    deadline_days: Mapped[int] = mapped_column(Integer, default=DEFAULT_SETTINGS["deadline_days"])
    min_group: Mapped[int] = mapped_column(Integer, default=DEFAULT_SETTINGS["min_group"])
    survey_weight: Mapped[float] = mapped_column(Float, default=DEFAULT_SETTINGS["survey_weight"])
    complaint_weight: Mapped[float] = mapped_column(
        Float, default=DEFAULT_SETTINGS["complaint_weight"])
    # Sanctions thresholds: a round is failed below this in-time rate or at these grades.
    min_in_time_rate: Mapped[float] = mapped_column(
        Float, default=DEFAULT_SETTINGS["min_in_time_rate"])
    failing_grades: Mapped[str] = mapped_column(
        String(8), default=DEFAULT_SETTINGS["failing_grades"])
    # An in-time rate over fewer complaints than this never fails anyone (too few to judge).
    min_complaints: Mapped[int] = mapped_column(Integer, default=DEFAULT_SETTINGS["min_complaints"])
    # Whether a missing or overdue follow-up plan counts as a failed quarter on the ladder
    # (survey_app/domain/sanctions.py, followup_failures).
    followup_required: Mapped[bool] = mapped_column(Boolean, default=DEFAULT_FOLLOWUP_REQUIRED)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The coordinator made the round's published results public on /publik (issue 20; shown
    # there only once the round is published; every change is audit-logged).
    public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    questionnaire: Mapped[PinnedQuestionnaire] = relationship()
