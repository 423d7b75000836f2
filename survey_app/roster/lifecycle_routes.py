"""Roster lifecycle pages: a round's respondents, deactivate, reactivate, replace; the response
rates as a file. Registered on the roster blueprint (survey_app/roster/routes.py)."""
from __future__ import annotations

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from survey_app.auth.roles import get_round_or_404, role_required
from survey_app.domain import exports, lifecycle, responses, result_tables
from survey_app.domain.errors import DomainError
from survey_app.domain.rounds import effective_state, state_label
from survey_app.extensions import db
from survey_app.roster.forms import LifecycleForm, ReplaceForm, RosterSearchForm
from survey_app.roster.routes import bp

PAGE_SIZE = 50


@bp.get("/<round:code>/respondents")
@role_required("coordinator")
def respondents(code: str):
    round_ = get_round_or_404(code)
    search = RosterSearchForm(request.args)
    page = max(search.page.data or 1, 1) if search.validate() else 1
    query = (search.q.data or "").strip()[:80]
    rows, total = lifecycle.roster_rows(round_, query, PAGE_SIZE, (page - 1) * PAGE_SIZE)
    return render_template("roster/respondents.html", round=round_,
                           state=effective_state(round_), state_label=state_label, rows=rows,
                           total=total, page=page, pages=max((total - 1) // PAGE_SIZE + 1, 1),
                           q=query, search=search, form=LifecycleForm())


def _back(code: str):
    """Back to the roster page the button was on (its search and page), never elsewhere."""
    back = request.form.get("back") or ""
    if not back.startswith(f"/coordinator/roster/{code}/respondents?") or "//" in back:
        back = url_for("roster.respondents", code=code)
    return redirect(back)


@bp.post("/<round:code>/respondents/<action>/<path:ref>")
@role_required("coordinator")
def lifecycle_action(code: str, action: str, ref: str):
    if action not in ("deactivate", "reactivate"):
        abort(404)
    get_round_or_404(code)
    if not LifecycleForm().validate_on_submit():
        abort(400)
    try:
        respondent = lifecycle.by_ref(ref)
        getattr(lifecycle, action)(respondent, current_user)
    except lifecycle.UnknownRespondent:
        abort(404)
    except DomainError as e:
        db.session.rollback()
        flash(str(e), "error")
        return _back(code)
    db.session.commit()
    flash(_("Respondent %(ref)s is now inactive: no letters, not counted as invited, not "
            "copied to the next quarter.", ref=ref) if action == "deactivate" else
          _("Respondent %(ref)s is active again.", ref=ref), "success")
    return _back(code)


@bp.route("/<round:code>/respondents/replace/<path:ref>", methods=["GET", "POST"])
@role_required("coordinator")
def replace(code: str, ref: str):
    round_ = get_round_or_404(code)
    try:
        old = lifecycle.by_ref(ref)
    except lifecycle.UnknownRespondent:
        abort(404)
    form = ReplaceForm()
    if form.validate_on_submit():
        try:
            new = lifecycle.replace(old, lifecycle.Newcomer(
                form.ref.data, form.name.data, form.phone.data or "", form.email.data or ""),
                current_app.config["SECRET_KEY"], current_user)
        except DomainError as e:
            db.session.rollback()
            form.ref.errors = [*form.ref.errors, str(e)]
        else:
            db.session.commit()
            flash(_("%(new)s replaces %(old)s, with a new personal link; %(old)s is inactive.",
                    new=new.ref, old=old.ref), "success")
            return redirect(url_for("roster.respondents", code=round_.code, q=new.ref))
    return render_template("roster/replace.html", round=round_, old=old, form=form)


@bp.get("/<round:code>/rates.<fmt>")
@role_required("coordinator")
def rates_file(code: str, fmt: str):
    """The response rates of the page, by group, kota, kecamatan and kelurahan."""
    round_ = get_round_or_404(code)
    if fmt not in exports.FORMATS:
        abort(404)
    return file_response(result_tables.rate_rows(responses.response_rates(round_)),
                         result_tables.RATE_COLUMNS, f"tingkat-respons-{round_.code}", fmt)


def file_response(rows: list[list], columns: list[str], name: str, fmt: str) -> Response:
    """A table as a CSV or XLSX download (cells neutralised, survey_app/domain/exports.py)."""
    return Response(exports.table_file(columns, rows, fmt, name), mimetype=exports.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})
