"""Results of a round for coordinators (every round that opened) and viewers (published ones)."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import format_timedelta
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app.auth.roles import role_required, visible_round_or_404
from survey_app.domain import (
    clock,
    early_warning,
    permissions,
    ranking,
    results,
    rounds,
    sanctions,
)
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.models import Area
from survey_app.results.forms import DecisionForm
from survey_app.results.shown import shown_results

bp = Blueprint("results", __name__, url_prefix="/results")
TIERS = ("lurah", "camat", "walikota", "kepala_dinas")


@bp.get("/")
@role_required("coordinator", "viewer")
def index():
    listing = [(r, state, progress)
               for r, state, progress in rounds.listing(with_progress=False)
               if permissions.may_see(current_user.role, state)]
    db.session.commit()
    return render_template("results/index.html", listing=listing)


@bp.get("/<round:code>")
@role_required("coordinator", "viewer")
def league(code):
    round_, state = visible_round_or_404(code)
    shown = shown_results(round_)
    document = shown.document
    tier = request.args.get("tier", "lurah")
    if tier not in TIERS:
        tier = "lurah"
    kota = request.args.get("kota") or None
    grade = request.args.get("grade") or None
    sort = request.args.get("sort", "rank")
    kotas = db.session.scalars(select(Area).where(Area.level.in_(("kota", "kabupaten")))
                               .order_by(Area.code)).all()
    table = ranking.split(results.league_table(document, tier, kota, grade, sort))
    return render_template(
        "results/league.html", round_=round_, state=state, document=document, shown=shown,
        age=format_timedelta(clock.now() - shown.computed_at, threshold=1),
        tier=tier,
        rows=table.ranked, too_few=table.too_few, kota=kota, grade=grade,
        drops=early_warning.significant_drops(document.positions),
        sort=sort, kotas=kotas, tiers=TIERS, distribution=results.grade_distribution(document),
        sanctions_count=len(results.sanctions_list(document)))


SANCTIONS_PER_PAGE = 50  # the province has some 150 officials on the ladder: a few pages


@bp.get("/<round:code>/sanctions")
@role_required("coordinator", "viewer")
def sanctions_page(code):
    """The officials on the ladder, a page at a time, each with the decisions recorded about
    them; the form to record one opens on its own page (``decision_form``)."""
    round_, state = visible_round_or_404(code)
    document = shown_results(round_).document
    everyone = results.sanctions_list(document)
    pages = max(1, -(-len(everyone) // SANCTIONS_PER_PAGE))
    number = min(max(request.args.get("page", 1, type=int) or 1, 1), pages)
    rows = everyone[(number - 1) * SANCTIONS_PER_PAGE:number * SANCTIONS_PER_PAGE]
    officials = sanctions.officials_by_nip(row.official.nip for row in rows)
    decisions = sanctions.decisions_of(o.id for o in officials.values())
    return render_template("results/sanctions.html", round_=round_, state=state, rows=rows,
                           officials=officials, decisions=decisions, page=number, pages=pages,
                           total=len(everyone), level_labels=sanctions.LEVEL_LABELS,
                           action_labels=sanctions.ACTION_LABELS)


@bp.get("/<round:code>/sanctions/<nip>")
@role_required("coordinator")
def decision_form(code, nip):
    """One official on the ladder, the decisions recorded so far, and the form to record one."""
    round_, state = visible_round_or_404(code)
    document = shown_results(round_).document
    row = next((r for r in results.sanctions_list(document) if r.official.nip == nip), None)
    official = sanctions.officials_by_nip([nip]).get(nip)
    if row is None or official is None:
        abort(404)
    form = DecisionForm(nip=nip)
    return render_template("results/decision.html", round_=round_, state=state, p=row,
                           official=official, form=form,
                           decisions=sanctions.decisions_of([official.id]).get(official.id, []),
                           level_labels=sanctions.LEVEL_LABELS,
                           action_labels=sanctions.ACTION_LABELS)


@bp.post("/<round:code>/decisions")
@role_required("coordinator")
def record_decision(code):
    round_, _state = visible_round_or_404(code)
    form = DecisionForm()
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _back_to_form(code, form.nip.data)
    try:
        official = sanctions.official_by_nip(form.nip.data)
        sanctions.record_decision(official, round_, form.action.data, form.decided_on.data,
                                  form.letter_number.data, form.note.data, current_user)
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "error")
        return _back_to_form(code, form.nip.data)
    db.session.commit()
    flash(_("Decision about %(name)s recorded.", name=official.name), "success")
    return redirect(url_for("results.sanctions_page", code=code))


def _back_to_form(code: str, nip: str | None):
    """After a refused decision: its form again (the list when the NIP is unusable)."""
    if nip and nip.isdigit():
        return redirect(url_for("results.decision_form", code=code, nip=nip))
    return redirect(url_for("results.sanctions_page", code=code))


@bp.get("/officials/<nip>")
@role_required("coordinator", "viewer")
def official_history(nip):
    try:
        official = sanctions.official_by_nip(nip)
    except DomainError:
        abort(404)
    listing = [r for r, state, _p in rounds.listing(with_progress=False)
               if permissions.may_see(current_user.role, state)]
    # Each round's results as its other pages show them (the latest stored, or as published).
    rows = sanctions.history(official, list(reversed(listing)),
                             lambda round_: shown_results(round_).document)
    decisions = sanctions.decisions_of([official.id]).get(official.id, [])
    return render_template("results/official.html", official=official, rows=rows,
                           decisions=decisions, action_labels=sanctions.ACTION_LABELS)

from survey_app.results import downloads  # noqa: E402,F401 - its routes join this blueprint
