"""Coordinator pages for a round's roster (coordinators and admins)."""
from __future__ import annotations

import base64

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlalchemy import func, select

from survey_app import uploads
from survey_app.auth.roles import get_round_or_404, role_required
from survey_app.background.forms import LettersForm
from survey_app.domain import audit, invitations, responses, roster, templates
from survey_app.domain.errors import DomainError, ImportRejected
from survey_app.domain.rounds import effective_state
from survey_app.domain.tabular import read_table
from survey_app.extensions import db
from survey_app.models import Invitation, Round
from survey_app.roster.forms import ConfirmForm, DownloadForm, PaperForm, UploadForm

bp = Blueprint("roster", __name__, url_prefix="/coordinator/roster")


def _nothing_imported(rejected: ImportRejected) -> str:
    return ngettext("Nothing was imported: %(num)s problem found.",
                    "Nothing was imported: %(num)s problems found.", len(rejected.errors))


def _read_roster(data: bytes, name: str):
    return read_table(data, name, required=roster.REQUIRED_COLUMNS, optional=roster.OPTIONAL_COLUMNS)


@bp.get("/")
@role_required("coordinator")
def index():
    rounds = db.session.scalars(select(Round).order_by(Round.code.desc())).all()
    invited = dict(db.session.execute(select(Invitation.round_id, func.count())
                                      .group_by(Invitation.round_id)).all())
    return render_template("roster/index.html", rounds=rounds, invited=invited,
                           state_of=effective_state)


def _round_page(round_: Round, status: int = 200, **forms):
    return render_template(
        "roster/round.html", round=round_, state=effective_state(round_),
        rates=responses.response_rates(round_), upload_form=forms.get("upload_form") or UploadForm(),
        paper_form=forms.get("paper_form") or PaperForm(), letters_form=LettersForm(),
        errors=forms.get("errors"), error_title=forms.get("error_title"),
        accepts_roster=effective_state(round_) in invitations.ROSTER_STATES,
        accepts_paper=effective_state(round_) in responses.PAPER_STATES,
        paper_header=templates.paper_template(round_).columns,
        paper_items=templates.paper_items(round_)), status


@bp.get("/<round:code>")
@role_required("coordinator")
def round_page(code: str):
    return _round_page(get_round_or_404(code))


@bp.post("/<round:code>/preview")
@role_required("coordinator")
def preview(code: str):
    round_ = get_round_or_404(code)
    form = UploadForm()
    if not form.validate_on_submit():
        return _round_page(round_, 400, upload_form=form)
    data = form.file.data.read()
    name = form.file.data.filename or ""
    try:
        plan = roster.plan(round_, _read_roster(data, name))
    except ImportRejected as e:
        return _round_page(round_, 400, upload_form=form, errors=e.errors,
                           error_title=_nothing_imported(e))
    except DomainError as e:
        flash(str(e), "error")
        return redirect(url_for("roster.round_page", code=round_.code))
    upload = uploads.keep(data, name)
    return render_template("roster/preview.html", round=round_, plan=plan, filename=name,
                           form=ConfirmForm(upload=upload))


@bp.post("/<round:code>/import")
@role_required("coordinator")
def confirm(code: str):
    round_ = get_round_or_404(code)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    path = uploads.kept(form.upload.data)
    if not path.exists():
        flash(_("The uploaded file is no longer here; upload it again."), "error")
        return redirect(url_for("roster.round_page", code=round_.code))
    if path.stat().st_size > current_app.config["JOB_IMPORT_BYTES"]:  # a large file: a job
        from survey_app import jobs  # the job library loads when a job is started

        job = jobs.submit("import-respondents", {"round": round_.code, "upload": path.name},
                          current_user)
        return redirect(url_for("jobs.job_page", job_id=job.id), 303)
    try:
        summary = roster.import_roster(round_, _read_roster(path.read_bytes(), path.name),
                                       current_app.config["SECRET_KEY"])
        audit.record("import-respondents", round_.code, current_user, {"summary": str(summary)})
        db.session.commit()
    except DomainError as e:  # the data changed since the preview: say so, write nothing
        db.session.rollback()
        flash(_("Nothing was imported: %(error)s", error=str(e)), "error")
        return redirect(url_for("roster.round_page", code=round_.code))
    finally:
        path.unlink(missing_ok=True)
    flash(_("Roster imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged; "
            "%(invited)s new invitations.", created=summary.created, updated=summary.updated,
            unchanged=summary.unchanged, invited=summary.invitations_created), "success")
    if summary.nothing_to_rate:
        flash(ngettext("%(num)s respondent has no official to rate in this round (no one holds "
                       "the posts above their area) and got no link.",
                       "%(num)s respondents have no official to rate in this round (no one holds "
                       "the posts above their area) and got no link.", summary.nothing_to_rate),
              "error")
    return redirect(url_for("roster.round_page", code=round_.code))


@bp.post("/<round:code>/paper")
@role_required("coordinator")
def paper(code: str):
    round_ = get_round_or_404(code)
    form = PaperForm()
    if not form.validate_on_submit():
        return _round_page(round_, 400, paper_form=form)
    data, name = form.file.data.read(), form.file.data.filename or ""
    if len(data) > current_app.config["JOB_IMPORT_BYTES"]:  # a large file: a job
        upload = uploads.keep(data, name)
        from survey_app import jobs  # the job library loads when a job is started

        job = jobs.submit("import-responses", {"round": round_.code, "upload": upload},
                          current_user)
        return redirect(url_for("jobs.job_page", job_id=job.id), 303)
    try:
        table = responses.read_paper(round_, data, name)
        summary = responses.import_paper(round_, table, skip_bad=form.skip_bad.data)
        audit.record("import-responses", round_.code, current_user, {"summary": str(summary)})
        db.session.commit()
    except ImportRejected as e:
        db.session.rollback()
        return _round_page(round_, 400, paper_form=form, errors=e.errors,
                           error_title=_nothing_imported(e))
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("roster.round_page", code=round_.code))
    if summary.skipped:
        # The bad rows come back as a file in the page itself: nothing of them is kept here.
        bad_rows = base64.b64encode(summary.skipped_csv(table.header).encode("utf-8")).decode()
        return render_template("roster/paper_skipped.html", round=round_, summary=summary,
                               bad_rows=bad_rows)
    flash(f"{summary}.", "success")  # the summary is translated: stored forms and blanks
    return redirect(url_for("roster.round_page", code=round_.code))


@bp.get("/<round:code>/invitations.<fmt>")
@role_required("coordinator")
def download(code: str, fmt: str):
    round_ = get_round_or_404(code)
    if fmt not in ("csv", "pdf"):
        abort(404)
    pending = DownloadForm(request.args).pending.data
    try:
        rows = invitations.export_rows(round_, current_app.config["PUBLIC_BASE_URL"],
                                       current_app.config["SECRET_KEY"], pending_only=pending)
    except invitations.KeyChanged as e:
        flash(str(e), "error")
        return redirect(url_for("roster.round_page", code=round_.code))
    if fmt == "csv":
        data, mimetype = invitations.export_csv(rows), "text/csv; charset=utf-8"
    else:
        from reports.invitations import render_letters

        data, mimetype = render_letters(invitations.letter_batch(round_, rows)), "application/pdf"
    audit.record("download-invitations", round_.code, current_user,
                 {"format": fmt, "pending": bool(pending), "count": len(rows)})
    db.session.commit()
    name = f"undangan-{round_.code}{'-belum-selesai' if pending else ''}.{fmt}"
    return Response(data, mimetype=mimetype, headers={
        "Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"})

from survey_app.roster import lifecycle_routes  # noqa: E402,F401 - its routes join this blueprint
