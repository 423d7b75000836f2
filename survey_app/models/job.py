"""Background jobs as coordinators see them (survey_app/jobs.py runs them): who started what and
when, how far it got, and its result (a file to download, or a message) or its error in words."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.domain.vocabulary import JOB_STATES
from survey_app.extensions import db
from survey_app.models.area import _in
from survey_app.models.types import UTCDateTime, utcnow


class Job(db.Model):
    """One run of a long piece of work. ``attempt`` counts the runs that claimed it: a run writes
    progress and its result only while the attempt is still its own (a stale run that a later
    one replaced writes nothing). ``result_path`` is set only once the file is complete."""

    __tablename__ = "jobs"
    __table_args__ = (CheckConstraint(_in("state", JOB_STATES), name="state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    params: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(8), default="queued", index=True)
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int] = mapped_column(Integer, default=0)
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    actor: Mapped[str] = mapped_column(String(254))  # the user's email, or "cli"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    result_path: Mapped[str | None] = mapped_column(String(500))
    result_name: Mapped[str | None] = mapped_column(String(200))  # the download's file name
    message: Mapped[dict | None] = mapped_column(JSON)  # {"text": msgid, "params": {...}}
    error: Mapped[dict | None] = mapped_column(JSON)  # the failure in words, as ``message``
