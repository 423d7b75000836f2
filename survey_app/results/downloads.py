"""The results pages' tables as CSV or XLSX (survey_app/domain/result_tables.py), each linked
from the page that shows it, with the same filters and the same permissions."""
from __future__ import annotations

from flask import Response, abort, request

from survey_app.auth.roles import role_required, visible_round_or_404
from survey_app.complaints.routes import LEVELS as COMPLAINT_LEVELS
from survey_app.domain import exports, result_tables, results
from survey_app.domain.complaint_figures import figures_table, rank_units
from survey_app.domain.errors import DomainError
from survey_app.results.routes import TIERS, bp
from survey_app.results.shown import shown_results


def _file(header: list, rows: list[list], name: str, fmt: str) -> Response:
    if fmt not in exports.FORMATS:
        abort(404)
    return Response(exports.table_file(header, rows, fmt, name), mimetype=exports.MIMETYPES[fmt],
                    headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'})


@bp.get("/<round:code>/league.<fmt>")
@role_required("coordinator", "viewer")
def league_file(code: str, fmt: str):
    round_, _state = visible_round_or_404(code)
    document = shown_results(round_).document
    tier = request.args.get("tier", "lurah")
    tier = tier if tier in TIERS else "lurah"
    rows = results.league_table(document, tier, request.args.get("kota") or None,
                                request.args.get("grade") or None,
                                request.args.get("sort", "rank"))
    return _file(result_tables.LEAGUE_COLUMNS, result_tables.league_rows(rows),
                 f"peringkat-{round_.code}-{tier}", fmt)


@bp.get("/<round:code>/sanctions.<fmt>")
@role_required("coordinator", "viewer")
def sanctions_file(code: str, fmt: str):
    round_, _state = visible_round_or_404(code)
    document = shown_results(round_).document
    return _file(result_tables.SANCTIONS_COLUMNS,
                 result_tables.sanctions_rows(results.sanctions_list(document)),
                 f"sanksi-{round_.code}", fmt)


@bp.get("/<round:code>/complaints.<fmt>")
@role_required("coordinator", "viewer")
def complaints_file(code: str, fmt: str):
    """The complaint figures per position (the level filter of the page), or with
    ``?table=units`` the ranking of units."""
    round_, _state = visible_round_or_404(code)
    try:  # the figures the page shows: as the results it shows have them (stored, or as
        # published), not the quarter's complaints aggregated again (2.4 s on the province)
        by_position = results.complaint_figures_of(round_, shown_results(round_).document)
    except DomainError:  # a round code that is not YYYY-Qn has no quarter
        abort(404)
    if request.args.get("table") == "units":
        return _file(result_tables.UNIT_COLUMNS,
                     result_tables.unit_rows(rank_units(round_, figures=by_position)),
                     f"peringkat-unit-{round_.code}", fmt)
    rows = figures_table(round_, figures=by_position)
    level = request.args.get("level", "")
    if level in COMPLAINT_LEVELS:
        rows = [p for p in rows if p.kind == level or (level == "walikota" and p.kind == "bupati")]
    return _file(result_tables.COMPLAINT_COLUMNS, result_tables.complaint_rows(rows),
                 f"pengaduan-{round_.code}", fmt)
