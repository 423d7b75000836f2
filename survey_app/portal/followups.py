"""Follow-up plans in the portal (issue 20): an official writes a plan for each priority element of
their card in a published round; the superior reviews, the official gives evidence, the superior
verifies. The rules and who may do what: survey_app/domain/followups.py; these views load, check
that the user may see the plan (404 otherwise, as for what does not exist), call one step, commit,
flash and redirect.
"""
from __future__ import annotations

import io

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.auth.roles import role_required, visible_round_or_404
from survey_app.domain import cards, followups, permissions, results
from survey_app.domain.followups import FollowupError
from survey_app.domain.paging import page_number
from survey_app.domain.vocabulary import FOLLOWUP_STATE_LABELS
from survey_app.extensions import db
from survey_app.models import FollowupPlan, Round
from survey_app.portal.forms import EvidenceForm, FileForm, NoteForm, PlanForm, StepForm

bp = Blueprint("followups", __name__)
ROLES = permissions.PORTAL_ROLES


def _element_names(round_: Round) -> dict[str, str]:
    lang = str(get_locale())
    return {code: (name_id if lang == "id" else name_en)
            for code, name_id, name_en in cards.element_names(round_)}


def _plan_or_404(plan_id: int) -> FollowupPlan:
    plan = followups.plan_or_none(plan_id)
    if plan is None or not followups.may_see(current_user, plan):
        abort(404)
    return plan


@bp.get("/portal/<round:code>/rencana")
@role_required(*ROLES)
def round_plans(code):
    """The official's own priorities and plans, and the plans the user reviews (or, for those
    who read every result, all plans of the round)."""
    round_, state = visible_round_or_404(code)
    official = current_user.official if current_user.role == "official" else None
    document = results.results_document(round_) if state == "published" and official else None
    # Before the plans are read: a commit expires what was loaded, and each plan the page
    # shows would be read again one by one.
    db.session.commit()  # clock transitions, stored base results
    mine = followups.priorities(round_, document, official) if document and official else []
    reviewed = followups.reviewed_position_ids(current_user)
    to_review = followups.plans_of_round(round_, reviewed, with_posts=True) if reviewed else []
    everything = (followups.plans_page(round_, page_number(request.args.get("page")))
                  if current_user.role in ("coordinator", "viewer", "admin") else None)
    return render_template("portal/followups.html", round_=round_, state=state, mine=mine,
                           to_review=to_review, everything=everything,
                           names=_element_names(round_), labels=FOLLOWUP_STATE_LABELS,
                           awaiting=followups.AWAITING_REVIEW)


@bp.route("/portal/<round:code>/rencana/<int:position_id>/<element>", methods=["GET", "POST"])
@role_required("official")
def write(code, position_id, element):
    """Write (or change) the plan for one priority element of the official's card."""
    round_, state = visible_round_or_404(code)
    if state != "published" or current_user.official is None:
        abort(404)
    document = results.results_document(round_)
    priority = next((p for p in followups.priorities(round_, document, current_user.official)
                     if p.entry.position_id == position_id), None)
    if priority is None or element not in priority.elements:
        abort(404)
    plan = priority.plans.get(element)
    if plan is not None and plan.state not in followups.EDITABLE:
        return redirect(url_for("followups.detail", plan_id=plan.id))
    form = PlanForm(obj=plan)
    form.due_quarter.choices = [(q, q) for q in followups.due_choices(round_.code)]
    if form.validate_on_submit():
        try:
            plan = followups.save(current_user, round_, document, position_id, element,
                                  form.action.data, form.due_quarter.data, form.responsible.data)
            if form.submit_plan.data:
                followups.submit(current_user, plan)
        except FollowupError as e:
            db.session.rollback()
            flash(str(e), "error")
        else:
            db.session.commit()
            flash(_("The plan was submitted for review.") if form.submit_plan.data
                  else _("The plan was saved as a draft."), "success")
            return redirect(url_for("followups.detail", plan_id=plan.id))
    db.session.commit()
    return render_template("portal/followup_write.html", round_=round_, entry=priority.entry,
                           element=element, name=_element_names(round_).get(element, element),
                           plan=plan, form=form, labels=FOLLOWUP_STATE_LABELS)


@bp.get("/portal/rencana/<int:plan_id>")
@role_required(*ROLES)
def detail(plan_id):
    plan = _plan_or_404(plan_id)
    return render_template(
        "portal/followup_detail.html", plan=plan, names=_element_names(plan.round),
        labels=FOLLOWUP_STATE_LABELS, author=followups.is_author(current_user, plan),
        reviewer=followups.may_review(current_user, plan),
        reviewer_of=followups.reviewer_of(plan.position), step_form=StepForm(),
        note_form=NoteForm(), evidence_form=EvidenceForm(evidence=plan.evidence),
        file_form=FileForm(), max_files=followups.MAX_FILES,
        editable=followups.EDITABLE)


def _step(plan: FollowupPlan, step: str) -> str | None:
    """Take one step; returns the success message, or None when the form was not valid (its
    errors are flashed)."""
    note_form, evidence_form, file_form = NoteForm(), EvidenceForm(), FileForm()
    forms = {"return": note_form, "reject-evidence": note_form, "complete": evidence_form,
             "upload": file_form}
    form = forms.get(step) or StepForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return None
    if step == "submit":
        followups.submit(current_user, plan)
        return _("The plan was submitted for review.")
    if step == "approve":
        followups.approve(current_user, plan)
        return _("The plan was approved.")
    if step == "return":
        followups.return_(current_user, plan, note_form.note.data)
        return _("The plan was returned to the official with your note.")
    if step == "complete":
        followups.complete(current_user, plan, evidence_form.evidence.data)
        return _("The plan was marked done; the superior will verify it.")
    if step == "reject-evidence":
        followups.reject_evidence(current_user, plan, note_form.note.data)
        return _("The evidence was sent back with your note.")
    if step == "verify":
        followups.verify(current_user, plan)
        return _("The plan was verified.")
    upload = file_form.file.data
    followups.add_file(current_user, plan, upload.filename,
                       upload.read(followups.MAX_FILE_BYTES + 1))
    return _("The file was added.")


STEP_NAMES = ("submit", "approve", "return", "complete", "reject-evidence", "verify", "upload")


@bp.post("/portal/rencana/<int:plan_id>/<step>")
@role_required(*ROLES)
def take_step(plan_id, step):
    plan = _plan_or_404(plan_id)
    if step not in STEP_NAMES:
        abort(404)
    try:
        message = _step(plan, step)
    except FollowupError as e:
        db.session.rollback()
        flash(str(e), "error")
    else:
        if message:
            db.session.commit()
            flash(message, "success")
    return redirect(url_for("followups.detail", plan_id=plan_id))


@bp.get("/portal/rencana/<int:plan_id>/berkas/<int:file_id>")
@role_required(*ROLES)
def evidence_file(plan_id, file_id):
    """An evidence file, to those who may see the plan: always as a download, with the type its
    first bytes were checked to be (nosniff is on every response: survey_app/headers.py)."""
    plan = _plan_or_404(plan_id)
    stored = next((f for f in plan.files if f.id == file_id), None)
    if stored is None:
        abort(404)
    response = send_file(io.BytesIO(stored.data), mimetype=stored.content_type,
                         as_attachment=True, download_name=stored.filename)
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

