"""Complaint pages: upload an export, preview its column mapping, rows and errors, import it;
and a round's figures per position with the ranking of units.

The uploaded file is streamed to disk and waits between preview and import where every upload
waits (survey_app/uploads.py: its folder, name rule and sweep), under a random name that only the
uploader's session knows (never a name taken from the user), and is removed once imported.
"""
from __future__ import annotations

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from survey_app import at_rest, uploads
from survey_app.auth.roles import role_required, visible_round_or_404
from survey_app.complaints.forms import ImportForm, UploadForm, mapping_from
from survey_app.domain import audit, permissions, results
from survey_app.domain.complaint_figures import (
    cutoff_of,
    figures_table,
    is_final,
    judgment_moment,
    rank_units,
)
from survey_app.domain.complaints import (
    COMPLAINT_COLUMNS,
    IMPORTED,
    import_checked,
    preview_export,
)
from survey_app.domain.errors import DomainError, ImportRejected
from survey_app.domain.rounds import effective_state
from survey_app.extensions import db
from survey_app.models import Round
from survey_app.results.shown import shown_results

bp = Blueprint("complaints", __name__, url_prefix="/coordinator/complaints")

KEEP_UPLOADS = 5  # per session
LEVELS = ("walikota", "camat", "lurah", "kepala_dinas")


@bp.url_value_preprocessor
def exports_may_be_large(endpoint, values):
    # A year of a city's complaints is some 20 MB of CSV: more than the app's general limit on
    # uploads (MAX_CONTENT_LENGTH). The file is streamed to disk, not held in memory. (Set here,
    # before any before_request: CSRF's reads the form.)
    if endpoint == "complaints.upload":
        request.max_content_length = current_app.config["COMPLAINT_MAX_UPLOAD"]


def _stored_upload(token: str):
    """The path, original name and bytes of an upload of this session (``token``: its name in
    survey_app/uploads.py), or 404; one that no longer opens (SECRET_KEY changed) is removed and
    the upload page says so."""
    mine = session.get("complaint_uploads", {})
    if not uploads.NAME.match(token) or token not in mine:
        abort(404)
    path = uploads.kept(token)
    if not path.is_file():
        abort(404)
    try:
        return path, mine[token], uploads.read(path)
    except at_rest.Unreadable:
        path.unlink(missing_ok=True)
        flash(_(uploads.UNREADABLE), "error")
        abort(redirect(url_for("complaints.index")))


def _checked_whole(path) -> bool:
    """Whether the preview reads and checks every row of the upload (a small one), or its first
    rows only (a large one, imported by a job: uploads.large)."""
    return not uploads.large(uploads.size(path))


def _forget_upload(token: str) -> None:
    """The upload is no longer this session's to preview (imported, or handed to a job)."""
    session["complaint_uploads"] = {k: v for k, v in session["complaint_uploads"].items()
                                    if k != token}


@bp.get("/")
@role_required("coordinator", "viewer")
def index():
    rounds = [r for r in db.session.scalars(select(Round).order_by(Round.code.desc()))
              if permissions.may_see(current_user.role, effective_state(r))]
    return render_template("complaints/index.html", form=UploadForm(), rounds=rounds,
                           can_import=current_user.role in ("coordinator", "admin"))


@bp.post("/upload")
@role_required("coordinator")
def upload():
    form = UploadForm()
    if not form.validate_on_submit():
        rounds = db.session.scalars(select(Round).order_by(Round.code.desc())).all()
        return render_template("complaints/index.html", form=form, rounds=rounds,
                               can_import=True), 400
    export = form.export.data
    token = uploads.keep_stream(export.stream, export.filename or "",
                                current_app.config["COMPLAINT_MAX_UPLOAD"])
    mine = dict(list(session.get("complaint_uploads", {}).items())[-(KEEP_UPLOADS - 1):])
    mine[token] = (export.filename or "")[-120:] or "export" + uploads.kept(token).suffix
    session["complaint_uploads"] = mine
    return redirect(url_for("complaints.preview", token=token))


@bp.get("/upload/<token>")
@role_required("coordinator")
def preview(token: str):
    path, name, data = _stored_upload(token)
    result = preview_export(data, name, whole=_checked_whole(path))
    return render_template("complaints/preview.html", preview=result, name=name, token=token,
                           form=ImportForm(), columns=COMPLAINT_COLUMNS)


@bp.post("/upload/<token>")
@role_required("coordinator")
def confirm(token: str):
    path, name, data = _stored_upload(token)
    form = ImportForm()
    valid = form.validate_on_submit()
    result = preview_export(data, name, lambda columns: mapping_from(request.form, columns),
                            form.as_of_time if valid else None, whole=_checked_whole(path))
    if valid and form.submit.data and not result.whole and not result.file_errors:
        return _import_as_job(token, name, result.rename, form)
    if valid and form.submit.data and result.checked is not None:
        try:
            summary = import_checked(result.table, result.checked, form.skip_bad.data)
        except ImportRejected:
            db.session.rollback()
            flash(_("Nothing was imported: correct the errors below, or choose to skip the bad "
                    "rows."), "error")
        else:
            audit.record("import-complaints", name, current_user,
                         {"summary": str(summary), "as_of": summary.as_of.isoformat()})
            db.session.commit()
            path.unlink(missing_ok=True)
            _forget_upload(token)
            flash(_(IMPORTED, **summary.counts()), "success")
            return redirect(url_for("complaints.index"))
    status = 200 if valid and form.preview.data else 400
    return render_template("complaints/preview.html", preview=result, name=name, token=token,
                           form=form, columns=COMPLAINT_COLUMNS), status


def _import_as_job(token: str, name: str, rename: dict[str, str], form: ImportForm):
    """A large export is checked and imported by a job (survey_app/job_kinds.py), which removes
    the file when it ends; the page answers at once with the job's progress."""
    from survey_app.background.routes import start_job

    _forget_upload(token)
    as_of = form.as_of_time.isoformat() if form.as_of_time else None
    return start_job("import-complaints", {"upload": token, "name": name, "rename": rename,
                                           "as_of": as_of, "skip_bad": form.skip_bad.data})


@bp.get("/rounds/<round:code>")
@role_required("coordinator", "viewer")
def figures(code: str):
    round_, _state = visible_round_or_404(code)
    level = request.args.get("level", "")
    try:  # as the results the results pages show have them (stored, or as published)
        by_position = results.complaint_figures_of(round_, shown_results(round_).document)
    except DomainError:  # a round code that is not YYYY-Qn has no quarter
        abort(404)
    rows = figures_table(round_, figures=by_position)
    if level in LEVELS:
        rows = [p for p in rows if p.kind == level or (level == "walikota" and p.kind == "bupati")]
    return render_template("complaints/figures.html", round=round_, rows=rows, level=level,
                           cutoff=cutoff_of(round_), final=is_final(round_),
                           moment=judgment_moment(round_),
                           levels=LEVELS,
                           ranking=rank_units(round_, figures=by_position))
