"""The public form at /s/<token>: what most people ever see of the product.

No account, no JavaScript needed, Bahasa Indonesia by default. One section per rated position;
a respondent may answer some now and the rest later with the same link. Every state other than
"open with something left to answer" gets its own plain page; an unknown link is the ordinary 404.
"""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import lazy_gettext as _l

from survey_app.domain import invitations as invitation_rules
from survey_app.domain import responses
from survey_app.domain.rounds import effective_state
from survey_app.extensions import db, limiter
from survey_app.respond.forms import RespondForm, field_name, read_sections

bp = Blueprint("respond", __name__)

POSITION_LABELS = {"lurah": _l("Lurah"), "camat": _l("Camat"), "walikota": _l("Wali Kota"),
                   "bupati": _l("Bupati")}


def _rate_limit() -> str:
    return current_app.config.get("RESPOND_RATE_LIMIT", "1200 per minute")


def _unknown_link_limit() -> str:
    return current_app.config.get("RESPOND_UNKNOWN_LINK_LIMIT", "60 per minute")


# Generous per address: a whole kelurahan may share one mobile gateway. Unknown links are
# limited much more tightly (only failed look-ups count), which real respondents never hit.
limiter.limit(_rate_limit)(bp)
limiter.limit(_unknown_link_limit, deduct_when=lambda response: response.status_code == 404)(bp)


@bp.url_value_preprocessor
def small_requests_only(endpoint, values):
    # The form is a few kilobytes; refuse anything large before it is read. (A URL value
    # preprocessor runs before every before_request function, CSRF's included, which reads the
    # form: a before_request of this blueprint would come too late.)
    request.max_content_length = current_app.config.get("RESPOND_MAX_CONTENT_LENGTH", 64 * 1024)
    request.max_form_parts = 400


def _load(token: str):
    invitation = invitation_rules.find_by_token(token)
    if invitation is None:
        abort(404)
    return invitation


def _state_page(invitation, state: str, status: int = 200):
    round_ = invitation.round
    template = {"draft": "not_open", "scheduled": "not_open"}.get(state, "closed")
    return render_template(f"respond/{template}.html", round=round_, state=state), status


def _context(invitation, positions, sections=None, errors=None, page_error=None):
    round_ = invitation.round
    return dict(round=round_, content=round_.questionnaire.content, positions=positions,
                pending=[p for p in positions if not p.completed],
                answered=[p for p in positions if p.completed], labels=POSITION_LABELS,
                sections={s.position_id: s for s in (sections or [])}, errors=errors or {},
                page_error=page_error, field_name=field_name, form=RespondForm(),
                numbers={code: n for n, (code, _required)
                         in enumerate(responses.item_rules(round_), start=1)},
                token=request.view_args["token"])


@bp.get("/s/<token>")
def form(token: str):
    invitation = _load(token)
    state = effective_state(invitation.round)
    if state != "open":
        return _state_page(invitation, state)
    positions = invitation_rules.rated_positions(invitation)
    if all(p.completed for p in positions):
        return render_template("respond/done.html", round=invitation.round, positions=positions,
                               labels=POSITION_LABELS)
    return render_template("respond/form.html", **_context(invitation, positions))


@bp.post("/s/<token>")
def submit(token: str):
    invitation = _load(token)
    round_ = invitation.round
    state = effective_state(round_)
    if state != "open":
        return _state_page(invitation, state, 409)
    positions = invitation_rules.rated_positions(invitation)
    pending = [p.position_id for p in positions if not p.completed]
    if not pending:
        return _already_answered(invitation, positions)
    form_ = RespondForm()
    if not form_.validate_on_submit():
        abort(400)
    codes = [code for code, _required in responses.item_rules(round_)]
    answered = [p.position_id for p in positions if p.completed]
    if any(s.touched for s in read_sections(request.form, answered, codes)):
        return _already_answered(invitation, positions)  # e.g. the form sent a second time
    sections = read_sections(request.form, pending, codes)
    chosen, errors = {}, {}
    for section in sections:
        if not section.touched:
            continue  # to be answered later
        try:
            chosen[section.position_id] = (responses.check_answers(round_, section.answers),
                                           section.comment)
        except responses.Incomplete as e:
            errors[section.position_id] = set(e.missing) | set(e.invalid)
    if errors or not chosen:
        page_error = None if errors else _l("Choose an answer for at least one official before "
                                            "sending.")
        return render_template("respond/form.html", **_context(
            invitation, positions, sections, errors, page_error)), 400
    try:
        responses.submit_web(invitation, chosen)
        db.session.commit()
    except responses.AlreadyAnswered:
        db.session.rollback()
        return _already_answered(invitation, invitation_rules.rated_positions(invitation))
    except responses.RoundNotOpen:
        db.session.rollback()
        return _state_page(invitation, effective_state(round_), 409)
    return redirect(url_for("respond.thanks", token=token, n=len(chosen)), code=303)


def _already_answered(invitation, positions):
    return render_template("respond/already.html", round=invitation.round, positions=positions,
                           labels=POSITION_LABELS), 409


@bp.get("/s/<token>/terima-kasih")
def thanks(token: str):
    invitation = _load(token)
    positions = invitation_rules.rated_positions(invitation)
    return render_template("respond/thanks.html", round=invitation.round, positions=positions,
                           labels=POSITION_LABELS, token=token,
                           open=effective_state(invitation.round) == "open",
                           remaining=[p for p in positions if not p.completed])
