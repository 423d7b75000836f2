"""What a coordinator checks before publishing a round (irreversible, DOMAIN.md section 5a): the
response rate, the posts below the required sample, the posts with no score, when complaints
were last imported, and background jobs still queued or running."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from survey_app.domain import responses, results
from survey_app.domain.results_model import ResultsDocument
from survey_app.extensions import db
from survey_app.models import Complaint, Job, Round

OPEN_JOB_STATES = ("queued", "running")


@dataclass(frozen=True)
class Post:
    position: str
    name: str
    respondents: int
    invited: int
    required_sample: int


@dataclass(frozen=True)
class PublishChecklist:
    invited: int
    responded: int
    below_sample: list[Post]
    no_score: list[Post]
    latest_complaint_import: datetime | None
    open_jobs: int

    @property
    def response_rate(self) -> float | None:
        return self.responded / self.invited if self.invited else None


def _post(p) -> Post:
    return Post(p.position, p.area_name or p.unit_name or "", p.respondents, p.invited,
                p.required_sample)


def open_jobs() -> int:
    """Background jobs (survey_app/jobs.py) still queued or running."""
    return db.session.scalar(select(func.count(Job.id))
                             .where(Job.state.in_(OPEN_JOB_STATES))) or 0


def publish_checklist(round_: Round, document: ResultsDocument | None = None
                      ) -> PublishChecklist:
    """What to check before publishing, from ``document`` (the results the page shows; the
    round's results document when not given)."""
    document = document or results.results_document(round_)
    surveyed = [p for p in document.positions if p.invited or p.respondents]
    total = responses.response_rates(round_).total
    return PublishChecklist(
        invited=total.invited, responded=total.responded,
        below_sample=[_post(p) for p in surveyed if p.meets_required_sample is False],
        no_score=[_post(p) for p in surveyed if p.ikm is None],
        latest_complaint_import=db.session.scalar(select(func.max(Complaint.imported_at))),
        open_jobs=open_jobs())
