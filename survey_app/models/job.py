"""Background jobs as coordinators see them (survey_app/jobs.py runs them): who started what and
when, how far it got, and its result (a file to download, or a message) or its error in words."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, CheckConstraint, ForeignKey, Integer, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from survey_app.domain.vocabulary import JOB_STATES
from survey_app.extensions import db
from survey_app.models.area import _in
from survey_app.models.types import UTCDateTime, utcnow


class Job(db.Model):
    """One run of a long piece of work. ``attempt`` counts the runs that claimed it: a run writes
    progress and its result only while the attempt is still its own (a stale run that a later
    one replaced writes nothing). ``result_size`` is set, in the transaction that records the job
    done and writes its file's chunks (JobFile), only once the file is complete: a job without it
    offers nothing to download."""

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
    result_size: Mapped[int | None] = mapped_column(BigInteger)  # bytes; None: no file (now)
    result_name: Mapped[str | None] = mapped_column(String(200))  # the download's file name
    message: Mapped[dict | None] = mapped_column(JSON)  # {"text": msgid, "params": {...}}
    error: Mapped[dict | None] = mapped_column(JSON)  # the failure in words, as ``message``


class JobFile(db.Model):
    """A job's result file, kept in the database so that any app server hands it out (nothing on
    one server's disk): its bytes in chunks of at most survey_app.jobs.CHUNK_BYTES, numbered from
    0. Written with the job's "done" in one transaction; removed with the job's result when it
    is old (jobs.remove_old_results)."""

    __tablename__ = "job_files"

    job_id: Mapped[int] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"),
                                        primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    data: Mapped[bytes] = mapped_column(LargeBinary)
