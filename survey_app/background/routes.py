"""Coordinators' background jobs (survey_app/jobs.py): the list, one job's page with its progress
(refreshing itself while it runs: no JavaScript needed), the download of its result (streamed
from the database, opened a chunk at a time: any app server hands it out), and the forms that
start the heavy work as a job."""
from __future__ import annotations

import mimetypes

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.auth.roles import get_round_or_404, role_required, visible_round_or_404
from survey_app.background.forms import LettersForm
from survey_app.domain import audit
from survey_app.extensions import db
from survey_app.models import Job

bp = Blueprint("jobs", __name__, url_prefix="/coordinator/jobs")
REFRESH_SECONDS = 3
LISTED = 100


def _job_or_404(job_id: int) -> Job:
    job = db.session.get(Job, job_id)
    if job is None:
        abort(404)
    return job


@bp.get("/")
@role_required("coordinator")
def index():
    listed = db.session.scalars(select(Job).order_by(Job.id.desc()).limit(LISTED)).all()
    return render_template("jobs/index.html", jobs=listed)


@bp.get("/<int:job_id>")
@role_required("coordinator")
def job_page(job_id: int):
    job = _job_or_404(job_id)
    running = job.state in ("queued", "running")
    return render_template("jobs/job.html", job=job, running=running,
                           refresh=REFRESH_SECONDS if running else None,
                           available=job.result_size is not None)


@bp.get("/<int:job_id>/download")
@role_required("coordinator")
def download(job_id: int):
    job = _job_or_404(job_id)
    if job.state != "done" or job.result_size is None:
        abort(404)
    from survey_app import jobs  # the job library loads when it is first needed
    if not jobs.result_readable(job.id):  # sealed under a SECRET_KEY since changed, or altered
        flash(_(jobs.RESULT_UNREADABLE), "error")
        return redirect(url_for("jobs.job_page", job_id=job.id))
    audit.record("download-job-result", f"{job.kind} #{job.id}", current_user,
                 {"file": job.result_name})
    name, size = job.result_name or f"job-{job.id}", job.result_size
    db.session.commit()
    response = Response(stream_with_context(jobs.result_chunks(job.id)),
                        mimetype=mimetypes.guess_type(name)[0] or "application/octet-stream")
    response.headers.set("Content-Disposition", "attachment", filename=name)
    response.headers["Content-Length"] = str(size)
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/letters/<round:code>")
@role_required("coordinator")
def letters(code: str):
    round_ = get_round_or_404(code)
    form = LettersForm()
    if not form.validate_on_submit():
        return render_template("jobs/letters_refused.html", round=round_, form=form), 400
    return start_job("letters", {"round": round_.code, "format": form.format.data,
                                 "area": (form.area.data or "").strip() or None,
                                 "pending": bool(form.pending.data)})


def start_job(kind: str, params: dict):
    """Start a job of ``kind`` for the current user and answer with its page (a 303: reloading
    that page does not start the job again)."""
    from survey_app import jobs  # the job library loads when a job is started

    job = jobs.submit(kind, params, current_user)
    return redirect(url_for("jobs.job_page", job_id=job.id), 303)


@bp.post("/results/<round:code>")
@role_required("coordinator")
def results_csv(code: str):
    """Every position's results of the round as a CSV file, prepared by a job."""
    round_, _state = visible_round_or_404(code)
    return start_job("results-csv", {"round": round_.code})


def job_words(words: dict | None) -> str:
    """A job's message or error in the visitor's language."""
    if not words:
        return ""
    if "plain" in words:
        return str(words["plain"])
    return _(words.get("text", ""), **(words.get("params") or {}))


@bp.context_processor
def job_helpers():
    from survey_app.domain.vocabulary import JOB_KIND_LABELS, JOB_RESULT_HOURS, JOB_STATE_LABELS

    return {"job_words": job_words, "job_kinds": JOB_KIND_LABELS, "job_states": JOB_STATE_LABELS,
            "result_hours": JOB_RESULT_HOURS}
