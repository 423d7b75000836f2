"""The results pages' tables as rows for a file (CSV or XLSX through domain/exports.py): the
league table, the sanctions list, the complaint figures and unit ranking, the response rates.

Plain data in, (header, rows) out: figures stay numbers (unrounded, as in the results document),
names stay text; exports.table_file neutralises any cell that would start a formula.
"""
from __future__ import annotations

from collections.abc import Iterable

from survey_app.domain.complaint_figures import ComplaintFigures, PositionFigures, UnitRank
from survey_app.domain.responses import Rate, Rates
from survey_app.domain.results_model import PositionEntry

LEAGUE_COLUMNS = ["rank", "peers", "position", "area_code", "area_name", "unit_code", "unit_name",
                  "official_nip", "official_name", "invited", "respondents", "response_rate",
                  "required_sample", "meets_required_sample", "ikm", "grade", "change",
                  "change_significant", "complaints_in_time_rate", "composite", "sanction_level"]
SANCTIONS_COLUMNS = ["official_nip", "official_name", "position", "area_code", "area_name",
                     "unit_code", "unit_name", "ikm", "grade", "complaints_in_time_rate",
                     "composite", "failed_rounds_in_a_row", "sanction_level"]
FIGURE_COLUMNS = ["received", "rejected", "resolved", "resolved_in_time", "in_time_rate",
                  "median_days_to_resolve", "median_hours_to_first_response", "open_overdue"]
COMPLAINT_COLUMNS = ["position", "code", "name", *FIGURE_COLUMNS]
UNIT_COLUMNS = ["rank", "unit_code", "unit_name", *FIGURE_COLUMNS]
RATE_COLUMNS = ["level", "code", "name", "invited", "responded", "rate", "finished", "forms",
                "forms_received"]


def _in_time(p: PositionEntry) -> float | None:
    return p.complaints.in_time_rate if p.complaints is not None else None


def _official(p: PositionEntry) -> list:
    return [p.official.nip, p.official.name] if p.official is not None else [None, None]


def league_rows(entries: Iterable[PositionEntry]) -> list[list]:
    """The league table's positions, in the page's order (its filters applied by the caller)."""
    return [[p.rank, p.peers, p.position, p.area_code, p.area_name, p.unit_code, p.unit_name,
             *_official(p), p.invited, p.respondents, p.response_rate, p.required_sample,
             p.meets_required_sample, p.ikm, p.grade, p.change, p.change_significant,
             _in_time(p), p.composite, p.sanction_level] for p in entries]


def sanctions_rows(entries: Iterable[PositionEntry]) -> list[list]:
    return [[*_official(p), p.position, p.area_code, p.area_name, p.unit_code, p.unit_name,
             p.ikm, p.grade, _in_time(p), p.composite, p.failed_rounds_in_a_row,
             p.sanction_level] for p in entries]


def _figures(f: ComplaintFigures) -> list:
    return [f.received, f.rejected, f.resolved, f.resolved_in_time, f.in_time_rate,
            f.median_days_to_resolve, f.median_hours_to_first_response, f.open_overdue]


def complaint_rows(rows: Iterable[PositionFigures]) -> list[list]:
    return [[p.kind, p.code, p.name, *_figures(p.figures)] for p in rows]


def unit_rows(ranking: Iterable[UnitRank]) -> list[list]:
    return [[u.rank, u.unit_code, u.unit_name, *_figures(u.figures)] for u in ranking]


def _rate(r: Rate) -> list:
    return [r.invited, r.responded, round(r.rate, 4), r.finished, r.forms, r.forms_done]


def rate_rows(rates: Rates) -> list[list]:
    """The response rates in total, then by group, kota, kecamatan and kelurahan."""
    table = [["total", "", "", *_rate(rates.total)]]
    for level, rows in (("group", rates.by_group), ("kota", rates.by_kota),
                        ("kecamatan", rates.by_kecamatan), ("kelurahan", rates.by_kelurahan)):
        table += [[level, r.key, r.label, *_rate(r)] for r in rows]
    return table
