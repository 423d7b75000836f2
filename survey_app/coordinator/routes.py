"""Round pages: list, create, edit, and the lifecycle actions (each confirmed, each a POST)."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.auth.roles import get_round_or_404, role_required
from survey_app.background.routes import start_job
from survey_app.coordinator.forms import ConfirmForm, ExtendForm, RepublishForm, RoundForm
from survey_app.domain import clock, rounds
from survey_app.domain.errors import DomainError
from survey_app.domain.rounds import RoundInvalid
from survey_app.extensions import db

bp = Blueprint("coordinator", __name__, url_prefix="/coordinator")


def _questionnaire_choices() -> list[tuple[str, str]]:
    """(key, title in the page's language) of every questionnaire file."""
    from flask_babel import get_locale

    lang = str(get_locale())
    found = current_app.extensions["skm_questionnaires"]
    return [(key, f"{found[key]['title'].get(lang, key)} ({key})") for key in sorted(found)]


@bp.get("/rounds")
@role_required("coordinator")
def rounds_list():
    listing = rounds.listing()
    db.session.commit()  # record the openings and closings the clock made
    return render_template("coordinator/rounds.html", listing=listing,
                           state_label=rounds.state_label, next_form=ConfirmForm())


@bp.route("/rounds/new", methods=["GET", "POST"])
@role_required("coordinator")
def round_new():
    form = RoundForm(questionnaire_choices=_questionnaire_choices())
    if form.validate_on_submit():
        try:
            round_ = rounds.create(form.code.data, form.settings(), current_user)
        except RoundInvalid as e:
            db.session.rollback()
            form.show_domain_errors(e.errors)
        else:
            db.session.commit()
            flash(_("Round %(code)s created as a draft.", code=round_.code), "success")
            return redirect(url_for("coordinator.round_detail", code=round_.code))
    return render_template("coordinator/round_form.html", form=form, round_=None)


@bp.get("/rounds/<round:code>")
@role_required("coordinator")
def round_detail(code):
    round_ = get_round_or_404(code)
    state = rounds.record_clock_transitions([round_])[round_.id]
    db.session.commit()
    progress = rounds.progress_by_round().get(round_.id, rounds.Progress(0, 0))
    return render_template("coordinator/round.html", round_=round_, state=state,
                           state_label=rounds.state_label, progress=progress,
                           actions=rounds.ALLOWED_ACTIONS[state], form=ConfirmForm())


@bp.route("/rounds/<round:code>/edit", methods=["GET", "POST"])
@role_required("coordinator")
def round_edit(code):
    round_ = get_round_or_404(code)
    form = RoundForm(questionnaire_choices=_questionnaire_choices())
    if request.method == "GET":
        form.fill_from(rounds.Settings.of(round_), round_.code)
    elif form.validate_on_submit():
        def saved():
            flash(_("Round %(code)s saved.", code=round_.code), "success")
            return redirect(url_for("coordinator.round_detail", code=round_.code))

        answer = _change_round(code, lambda: rounds.update(round_, form.settings(), current_user),
                               form.show_domain_errors, saved)
        if answer is not None:
            return answer
    return render_template("coordinator/round_form.html", form=form, round_=round_)


def _change_round(code: str, change, invalid, done):
    """Run ``change()`` on round ``code`` and commit, then answer ``done()``. A RoundInvalid is
    rolled back and shown on the form by ``invalid(errors)`` (None back: the form again); another
    refusal is rolled back and said on the round's page."""
    try:
        change()
    except RoundInvalid as e:
        db.session.rollback()
        invalid(e.errors)
        return None
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "error")
        return redirect(url_for("coordinator.round_detail", code=code))
    db.session.commit()
    return done()


ACTIONS = {"schedule": rounds.schedule, "open": rounds.open_now, "close": rounds.close_now,
           "publish": rounds.publish, "delete": rounds.delete, "extend": None}


@bp.route("/rounds/<round:code>/<action>", methods=["GET", "POST"])
@role_required("coordinator")
def round_action(code, action):
    """GET asks for confirmation; POST does it. Refusals come back as a message, not an error."""
    if action not in ACTIONS:
        abort(404)
    round_ = get_round_or_404(code)
    form = ExtendForm() if action == "extend" else ConfirmForm()
    if request.method == "POST" and form.validate_on_submit():
        def change() -> None:
            if action == "extend":
                rounds.extend(round_, form.closes_at.data.replace(tzinfo=clock.JAKARTA),
                              current_user)
            elif action == "publish":  # freezing the figures is a job: the page answers at once
                rounds.may_publish(round_)
            else:
                ACTIONS[action](round_, current_user)

        def invalid(errors: dict) -> None:
            form.closes_at.errors = list(errors.values())

        def done():
            if action == "publish":  # the job's page says when the publication is there
                return start_job("publish-round", {"round": round_.code})
            flash(DONE_MESSAGES[action](round_.code), "success")
            if action == "close":  # its results are stored by a job (the results page says so)
                from survey_app import jobs  # the job library loads when a job is started

                jobs.submit("round-results", {"round": round_.code}, current_user)
            if action == "delete":
                return redirect(url_for("coordinator.rounds_list"))
            return redirect(url_for("coordinator.round_detail", code=code))

        answer = _change_round(code, change, invalid, done)
        if answer is not None:
            return answer
    elif request.method == "GET" and action == "extend":
        form.closes_at.data = clock.to_jakarta(round_.closes_at).replace(tzinfo=None)
    state = rounds.record_clock_transitions([round_])[round_.id]
    checklist = None
    if action == "publish" and state == "closed":  # irreversible: what to check first
        from survey_app.domain.checklist import publish_checklist
        from survey_app.results.shown import shown_results

        checklist = publish_checklist(round_, shown_results(round_).document)
    return render_template("coordinator/confirm.html", round_=round_, action=action, form=form,
                           state=state, state_label=rounds.state_label, checklist=checklist,
                           question=QUESTIONS[action](round_.code))


@bp.route("/rounds/<round:code>/republish", methods=["GET", "POST"])
@role_required("coordinator")
def round_republish(code):
    """GET asks for the reason and confirmation; POST publishes the round again."""
    from survey_app.domain import publication

    round_ = get_round_or_404(code)
    form = RepublishForm()
    if request.method == "POST" and form.validate_on_submit():
        try:
            published = publication.republish(round_, form.reason.data, current_user)
        except DomainError as e:
            db.session.rollback()
            flash(str(e), "error")
        else:
            db.session.commit()
            flash(_("Round %(code)s is published again (publication %(number)s); the earlier "
                    "cards are marked as replaced.", code=round_.code, number=published.number),
                  "success")
        return redirect(url_for("coordinator.round_detail", code=code))
    state = rounds.record_clock_transitions([round_])[round_.id]
    return render_template("coordinator/confirm.html", round_=round_, action="republish",
                           form=form, state=state, state_label=rounds.state_label,
                           question=_("Publish round %(code)s again from today's data? Late "
                                      "complaints, appointments and corrections enter its "
                                      "figures; every card issued so far is marked as replaced "
                                      "on the verification page, and new cards get new numbers.",
                                      code=round_.code))


@bp.post("/rounds/<round:code>/next")
@role_required("coordinator")
def round_next(code):
    previous = get_round_or_404(code)
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    # Copying a province's roster takes seconds: a job, whose page says when the draft is there.
    return start_job("next-quarter", {"round": previous.code})


QUESTIONS = {
    "schedule": lambda c: _("Schedule round %(code)s? It opens and closes by itself at its "
                            "times; its settings can change until it opens.", code=c),
    "open": lambda c: _("Open round %(code)s now? Respondents' links work from this moment and "
                        "its settings are frozen.", code=c),
    "close": lambda c: _("Close round %(code)s now? Links stop working; nothing is deleted. "
                         "A closed round cannot be reopened.", code=c),
    "extend": lambda c: _("Extend round %(code)s: choose the new, later closing time.", code=c),
    "publish": lambda c: _("Publish round %(code)s? Officials will see their results. "
                           "This cannot be undone.", code=c),
    "delete": lambda c: _("Delete draft round %(code)s? It has no responses.", code=c),
}
DONE_MESSAGES = {
    "schedule": lambda c: _("Round %(code)s is scheduled.", code=c),
    "open": lambda c: _("Round %(code)s is open.", code=c),
    "close": lambda c: _("Round %(code)s is closed.", code=c),
    "extend": lambda c: _("Round %(code)s now closes later.", code=c),
    "publish": lambda c: _("Round %(code)s is published.", code=c),
    "delete": lambda c: _("Round %(code)s was deleted.", code=c),
}


@bp.post("/rounds/<round:code>/public")
@role_required("coordinator")
def round_public(code):
    """Make the round's published results public on /publik, or withdraw them (audit-logged)."""
    from survey_app.domain import public_results

    round_ = get_round_or_404(code)
    if ConfirmForm().validate_on_submit():
        public = request.form.get("public") == "1"
        if public_results.set_public(round_, public, current_user):
            db.session.commit()
            flash(_("Round %(code)s is public on /publik once published.", code=round_.code)
                  if public else _("Round %(code)s is no longer public.", code=round_.code),
                  "success")
    else:
        flash(_("The form was out of date. Go back, reload the page and try again."), "error")
    return redirect(url_for("coordinator.round_detail", code=code))
