"""Computed base results of a round, kept with a fingerprint of the data they came from.

Results are always reproducible from the raw rows; this only saves recomputing earlier rounds
for trends and the sanctions ladder. A snapshot is used only while its fingerprint (counts and
latest ids of the round's responses, complaints, appointments and settings) still matches.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import db
from survey_app.models.types import UTCDateTime, utcnow


class ResultSnapshot(db.Model):
    __tablename__ = "result_snapshots"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    method_version: Mapped[str] = mapped_column(String(20))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    document: Mapped[dict] = mapped_column(JSON)
