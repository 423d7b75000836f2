"""Coordinator pages for a round's roster (coordinators and admins)."""
from __future__ import annotations

import base64
from functools import partial

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select

from survey_app import uploads
from survey_app.auth.roles import get_round_or_404, role_required
from survey_app.background.forms import LettersForm
from survey_app.domain import invitations, responses, roster, templates
from survey_app.domain.rounds import effective_state
from survey_app.domain.tabular import Table
from survey_app.extensions import db
from survey_app.models import Invitation, Round
from survey_app.roster.forms import PaperForm, UploadForm

bp = Blueprint("roster", __name__, url_prefix="/coordinator/roster")


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
        rates=responses.response_rates(round_),
        upload_form=forms.get("upload_form") or UploadForm(),
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


def _upload(round_: Round, form_name: str, action: str, read) -> uploads.Upload:
    """The roster file (form_name "upload_form") or the paper forms ("paper_form") of a round;
    a large one is imported by a job."""
    return uploads.Upload(
        page=lambda status, form, **errors: _round_page(round_, status, **{form_name: form},
                                                        **errors),
        back=url_for("roster.round_page", code=round_.code), read=read, action=action,
        target=round_.code, job={"round": round_.code}, plain_refusals=True)


def _roster_upload(round_: Round) -> uploads.Upload:
    return _upload(round_, "upload_form", "import-respondents", roster.read_roster)


@bp.post("/<round:code>/preview")
@role_required("coordinator")
def preview(code: str):
    round_ = get_round_or_404(code)
    return _roster_upload(round_).preview(
        UploadForm(), partial(roster.plan, round_), lambda plan, filename, form: render_template(
            "roster/preview.html", round=round_, plan=plan, filename=filename, form=form))


def _roster_imported(summary: roster.RosterSummary) -> None:
    flash(_(roster.IMPORTED, **summary.counts()), "success")
    if summary.nothing_to_rate:
        flash(ngettext("%(num)s respondent has no official to rate in this round (no one holds "
                       "the posts above their area) and got no link.",
                       "%(num)s respondents have no official to rate in this round (no one holds "
                       "the posts above their area) and got no link.", summary.nothing_to_rate),
              "error")
    if summary.inactive:
        flash(f"{summary.inactive_notice()}.", "error")
    if summary.moved:
        flash(summary.moved_notice(), "error")


@bp.post("/<round:code>/import")
@role_required("coordinator")
def confirm(code: str):
    round_ = get_round_or_404(code)
    importer = partial(roster.import_roster, round_, secret_key=current_app.config["SECRET_KEY"])
    return _roster_upload(round_).confirm(importer, _roster_imported)


@bp.post("/<round:code>/paper")
@role_required("coordinator")
def paper(code: str):
    round_ = get_round_or_404(code)
    form = PaperForm()

    def done(table: Table, summary: responses.PaperSummary):
        if summary.skipped:
            # The bad rows come back as a file in the page itself: nothing of them is kept here.
            bad_rows = base64.b64encode(summary.skipped_csv(table.header).encode("utf-8")).decode()
            return render_template("roster/paper_skipped.html", round=round_, summary=summary,
                                   bad_rows=bad_rows)
        flash(f"{summary}.", "success")  # the summary is translated: stored forms and blanks
        return redirect(url_for("roster.round_page", code=round_.code))

    upload = _upload(round_, "paper_form", "import-responses",
                     partial(responses.read_paper, round_))
    return upload.import_now(form, lambda table: responses.import_paper(
        round_, table, skip_bad=form.skip_bad.data), done)


from survey_app.roster import lifecycle_routes  # noqa: E402,F401 - its routes join this blueprint
