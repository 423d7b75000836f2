"""Computed results of a round: the base results kept with a fingerprint of the data they came
from, and the results as published (frozen).

Results are always reproducible from the raw rows; a snapshot saves recomputing them. Its
fingerprint (the round's settings, responses, and the complaints and appointments of its quarter)
says whether it is current. Pages show the latest snapshot with the time it was computed; the
worker computes it anew when its data changed, and for a round whose figures are not final yet,
also once it is RESULTS_REFRESH_SECONDS old (survey_app/domain/results.py, latest and refresh).

A publication is an official document (DOMAIN.md section 5a): the base results and the results
document of a round exactly as published, never recomputed. A re-publication (explicit, with a
reason, audited) adds the next number; the highest number is the one in force.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.extensions import db
from survey_app.models.types import UTCDateTime, utcnow


class ResultSnapshot(db.Model):
    __tablename__ = "result_snapshots"

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    method_version: Mapped[str] = mapped_column(String(20))
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    document: Mapped[dict] = mapped_column(JSON)  # results.base_results
    # The results document built around these base results (results.results_document), and the
    # key of everything it was built from (this round's fingerprint and state, and each earlier
    # round's); None until built, and again whenever the base results are stored anew.
    document_key: Mapped[str | None] = mapped_column(String(64))
    results: Mapped[dict | None] = mapped_column(JSON)


class Publication(db.Model):
    __tablename__ = "publications"
    __table_args__ = (UniqueConstraint("round_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)  # 1 at publication, 2.. at each re-publication
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(Text)  # why it was re-published (None: the first)
    method_version: Mapped[str] = mapped_column(String(20))
    # Loaded when read (deferred): a look-up of the publication in force loads neither.
    base: Mapped[dict] = mapped_column(JSON, deferred=True)  # results.base_results as published
    document: Mapped[dict] = mapped_column(JSON, deferred=True)  # results_document as published
