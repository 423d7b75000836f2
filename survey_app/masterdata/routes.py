"""Master data pages (coordinators and admins): areas, units, officials and posts, each listed a
page at a time with a search; loaded from a file (CSV or XLSX) with a preview before anything is
saved, as rosters are; downloaded in the very format they are loaded in; and a post's history of
holders with the form that records a rotation. The import templates of every upload live here too.

The preview runs the domain importer itself (no second parser) and rolls it back; the file waits
in the instance folder under a random name until it is confirmed (removed then, or after a day):
survey_app/uploads.py, as for rosters.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from survey_app import uploads
from survey_app.auth.roles import get_round_or_404, role_required
from survey_app.domain import areas, audit, clock, exports, officials, templates
from survey_app.domain.areas import ImportSummary
from survey_app.domain.paging import page_number
from survey_app.domain.tabular import Table, read_table
from survey_app.domain.vocabulary import LEVELS, POSITION_KINDS, POSITION_LABELS
from survey_app.extensions import db
from survey_app.masterdata.forms import NewRotationForm, RotationForm, UploadForm
from survey_app.models import Position

bp = Blueprint("masterdata", __name__, url_prefix="/coordinator")

PREVIEW_ROWS = 500


@dataclass(frozen=True)
class MasterImport:
    """One kind of master data: the importer's columns, the importer, the rows written back."""

    columns: list[str]
    run: Callable[[Table], ImportSummary]
    rows: Callable[[], list[list[str]]]
    title: str  # lazy


IMPORTS = {
    "areas": MasterImport(areas.AREA_COLUMNS, areas.import_areas, areas.area_rows, _l("Areas")),
    "units": MasterImport(areas.UNIT_COLUMNS, areas.import_units, areas.unit_rows,
                          _l("Units (dinas)")),
    "officials": MasterImport(officials.OFFICIAL_COLUMNS, officials.import_officials,
                              officials.official_rows, _l("Officials and appointments")),
}


def _spec(kind: str) -> MasterImport:
    if kind not in IMPORTS:
        abort(404)
    return IMPORTS[kind]


def _download(data: bytes, filename: str, fmt: str) -> Response:
    return Response(data, mimetype=exports.MIMETYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="{filename}.{fmt}"',
        "Cache-Control": "no-store"})


# --- the lists ------------------------------------------------------------------------------

@bp.get("/master/")
@role_required("coordinator")
def index():
    return render_template("masterdata/index.html", template_kinds=templates.KINDS)


def _search() -> str:
    return request.args.get("q", "").strip()[:100]


def _areas_page() -> dict:
    level = request.args.get("level", "")
    return {"page": areas.list_areas(_search(), level, page_number(request.args.get("page"))),
            "level": level if level in LEVELS else "",
            "level_options": [(name, name) for name in LEVELS]}


def _units_page() -> dict:
    return {"page": areas.list_units(_search(), page_number(request.args.get("page")))}


def _officials_page() -> dict:
    page, terms = officials.list_officials(_search(), page_number(request.args.get("page")))
    return {"page": page, "terms": terms, "today": clock.jakarta_day(clock.now())}


LIST_PAGES = {"areas": _areas_page, "units": _units_page, "officials": _officials_page}


def _list_page(kind: str, status: int = 200, **extra):
    context = LIST_PAGES[kind]()
    return render_template(f"masterdata/{kind}.html", kind=kind, spec=IMPORTS[kind],
                           search=_search(), upload_form=extra.pop("upload_form", None)
                           or UploadForm(), position_labels=POSITION_LABELS,
                           **context, **extra), status


@bp.get("/master/areas")
@role_required("coordinator")
def areas_list():
    return _list_page("areas")


@bp.get("/master/units")
@role_required("coordinator")
def units_list():
    return _list_page("units")


@bp.get("/master/officials")
@role_required("coordinator")
def officials_list():
    return _list_page("officials")


@bp.get("/master/<kind>.<fmt>")
@role_required("coordinator")
def download(kind: str, fmt: str):
    """The stored data in its import format: loading the file back changes nothing."""
    spec = _spec(kind)
    if fmt == "csv":
        data = exports.csv_text(spec.columns, spec.rows(), lineterminator="\r\n").encode("utf-8")
    elif fmt == "xlsx":
        data = exports.xlsx_bytes(spec.columns, spec.rows(), title=kind)
    else:
        abort(404)
    stamp = clock.jakarta_day(clock.now()).isoformat()
    return _download(data, f"{kind}-{stamp}", fmt)


# --- upload, preview, confirm -----------------------------------------------------------------

def _upload(kind: str) -> tuple[MasterImport, uploads.Upload]:
    spec = _spec(kind)
    return spec, uploads.Upload(
        page=lambda status, form, **errors: _list_page(kind, status, upload_form=form, **errors),
        back=url_for(f"masterdata.{kind}_list"), action=f"import-{kind}", target=kind,
        read=lambda data, name: read_table(data, name, required=spec.columns))


@bp.post("/master/<kind>/preview")
@role_required("coordinator")
def preview(kind: str):
    spec, upload = _upload(kind)
    return upload.preview(UploadForm(), spec.run, lambda summary, filename, form: render_template(
        "masterdata/preview.html", kind=kind, spec=spec, summary=summary, filename=filename,
        preview_rows=PREVIEW_ROWS, form=form))


@bp.post("/master/<kind>/import")
@role_required("coordinator")
def confirm(kind: str):
    spec, upload = _upload(kind)
    return upload.confirm(spec.run, lambda summary: flash(
        _("%(what)s imported: %(summary)s.", what=spec.title, summary=summary), "success"))


# --- posts and rotations ----------------------------------------------------------------------

@bp.get("/master/posts")
@role_required("coordinator")
def posts_list():
    kind = request.args.get("kind", "")
    today = clock.jakarta_day(clock.now())
    page = officials.list_posts(today, _search(), kind, page_number(request.args.get("page")))
    return render_template("masterdata/posts.html", kind="posts", page=page, search=_search(),
                           position_kind=kind if kind in POSITION_KINDS else "",
                           kind_options=[(k, POSITION_LABELS[k]) for k in POSITION_KINDS],
                           position_labels=POSITION_LABELS, today=today)


def _post_or_404(position_id: int) -> Position:
    position = db.session.get(Position, position_id)
    if position is None:
        abort(404)
    return position


def _post_page(position: Position, form: RotationForm, status: int = 200):
    code, name = officials.place_of(position)
    return render_template("masterdata/post.html", kind="posts", position=position,
                           place_code=code, place_name=name,
                           history=officials.post_history(position.id),
                           position_labels=POSITION_LABELS, form=form,
                           today=clock.jakarta_day(clock.now())), status


@bp.get("/master/posts/<int:position_id>")
@role_required("coordinator")
def post(position_id: int):
    return _post_page(_post_or_404(position_id), RotationForm())


def _record_rotation(position: Position, form: RotationForm) -> bool:
    """Record the rotation the form describes, audit it and commit; False (form errors set,
    nothing written) when the domain refuses it."""
    try:
        rotation = officials.record_rotation(position, form.nip.data, form.name.data or "",
                                             form.start_date.data, form.end_date.data)
    except officials.RotationInvalid as e:
        db.session.rollback()
        form.show_domain_errors(e.errors)
        return False
    code, _name = officials.place_of(position)
    ended = rotation.ended
    audit.record("rotation", f"{position.kind} {code}", current_user, {
        "outgoing": ended and {"nip": ended.official.nip, "end_date": ended.end_date.isoformat()},
        "incoming": {"nip": rotation.started.official.nip,
                     "start_date": rotation.started.start_date.isoformat(),
                     "end_date": form.end_date.data and form.end_date.data.isoformat()}})
    db.session.commit()
    started = rotation.started
    flash(_("Rotation recorded: %(name)s holds the post from %(day)s.",
            name=started.official.name, day=started.start_date.isoformat()), "success")
    for term in officials.other_posts_held(started.official_id, started.start_date, position.id):
        flash(_("%(name)s also holds the post of %(position)s %(place)s on that day: record "
                "its next holder too if they leave it.", name=started.official.name,
                position=POSITION_LABELS[term.kind], place=term.place_name), "info")
    return True


@bp.post("/master/posts/<int:position_id>/rotation")
@role_required("coordinator")
def post_rotation(position_id: int):
    position = _post_or_404(position_id)
    form = RotationForm()
    if form.validate_on_submit() and _record_rotation(position, form):
        return redirect(url_for("masterdata.post", position_id=position.id))
    return _post_page(position, form, 400)


@bp.route("/master/rotation", methods=["GET", "POST"])
@role_required("coordinator")
def rotation():
    """A rotation for a post named by kind and code (also one that never had a holder yet)."""
    form = NewRotationForm()
    if form.validate_on_submit():
        try:
            position = officials.find_post(form.kind.data, form.place_code.data.strip())
        except officials.RotationInvalid as e:
            db.session.rollback()
            form.show_domain_errors(e.errors)
        else:
            if _record_rotation(position, form):
                return redirect(url_for("masterdata.post", position_id=position.id))
    status = 400 if request.method == "POST" else 200
    return render_template("masterdata/rotation.html", kind="posts", form=form), status


# --- import templates -----------------------------------------------------------------------

@bp.get("/templates/<kind>.<fmt>")
@role_required("coordinator")
def template(kind: str, fmt: str):
    try:
        found = templates.template_for(kind)
        data = found.as_bytes(fmt)
    except templates.UnknownTemplate:
        abort(404)
    return _download(data, found.filename, fmt)


@bp.get("/templates/paper/<round:code>.<fmt>")
@role_required("coordinator")
def paper_template(code: str, fmt: str):
    found = templates.paper_template(get_round_or_404(code))
    try:
        data = found.as_bytes(fmt)
    except templates.UnknownTemplate:
        abort(404)
    return _download(data, found.filename, fmt)
