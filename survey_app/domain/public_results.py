"""What the public sees on /publik (issue 20): the published rounds a coordinator made public.

- A round is public when a coordinator says so (``Round.public``, ``set_public``: audit-logged)
  and it is published: an unpublished round is never shown, whatever its flag.
- Everything comes from the publication in force (survey_app/domain/publication.py), never from
  today's data: what is public does not change after publishing (DOMAIN.md section 5a), except
  by an explicit, audited re-publication.
- Per post: the IKM with its grade and 95% CI, respondents against the required sample, the rank
  among the posts of the tier that meet it, and the complaint figures. A post below the required
  sample shows no score at all (``rank_status`` says why). No free-text comment, no official's
  name or NIP, nothing about a respondent: the public table is about posts.

``COLUMNS`` are the open data's stable names (CSV header, JSON keys); the data dictionary page
describes each (``DICTIONARY``). New columns may be added at the end; none is renamed or dropped.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from survey_app.domain import audit, exports, ikm, ranking, results
from survey_app.domain.published import published_document
from survey_app.domain.results_model import PositionEntry, ResultsDocument
from survey_app.extensions import db
from survey_app.models import Round

COLUMNS = ("round", "publication", "kota_code", "kota_name", "position", "area_code",
           "area_name", "unit_code", "unit_name", "respondents", "required_sample",
           "meets_required_sample", "ikm", "grade", "category", "ci95_low", "ci95_high",
           "rank_status", "rank", "peers", "complaints_received", "complaints_rejected",
           "complaints_resolved", "complaints_resolved_in_time", "complaints_in_time_rate",
           "complaints_median_days_to_resolve", "complaints_open_overdue",
           "complaints_deadline_days", "complaints_final")

DICTIONARY = {
    "round": _l("The quarter's round, e.g. 2026-Q3."),
    "publication": _l("The publication number (1, or higher after an audited re-publication)."),
    "kota_code": _l("Kemendagri code of the kota or kabupaten; empty for a provincial unit."),
    "kota_name": _l("Name of the kota or kabupaten."),
    "position": _l("The post: lurah, camat, walikota, bupati or kepala_dinas."),
    "area_code": _l("Kemendagri code of the area the post heads (kelurahan, kecamatan, kota)."),
    "area_name": _l("Name of that area."),
    "unit_code": _l("Code of the unit (dinas) a kepala dinas heads."),
    "unit_name": _l("Name of that unit."),
    "respondents": _l("Respondents whose answers enter the score (groups of at least the "
                      "round's minimum)."),
    "required_sample": _l("The minimum number of respondents (Krejcie and Morgan, from the "
                          "number invited)."),
    "meets_required_sample": _l("true when respondents reach the required sample; false "
                                "below it (then no score is published); empty when nobody was "
                                "invited."),
    "ikm": _l("Indeks Kepuasan Masyarakat, 25 to 100 (PermenPANRB 14/2017, group-weighted), two "
              "decimals; empty when there is no score or the sample is too small."),
    "grade": _l("Mutu pelayanan: A from %(a)s, B from %(b)s, C from %(c)s, else D."),
    "category": _l("Kinerja: Sangat baik, Baik, Kurang baik, Tidak baik."),
    "ci95_low": _l("Lower end of the IKM's confidence interval (95%)."),
    "ci95_high": _l("Upper end of the IKM's confidence interval (95%)."),
    "rank_status": _l("ranked; too_few_responses (below the required sample: not ranked and no "
                      "score shown); not_ranked (nothing to rank on)."),
    "rank": _l("Rank among the posts of the same level that meet the required sample (equal "
               "IKM share a rank); kepala dinas by complaint handling."),
    "peers": _l("How many posts of that level are ranked."),
    "complaints_received": _l("Complaints (CRM/LAPOR!) filed in the area or unit that quarter."),
    "complaints_rejected": _l("Of those, rejected (Ditolak): left out of every rate."),
    "complaints_resolved": _l("Resolved (Selesai)."),
    "complaints_resolved_in_time": _l("Resolved within the deadline."),
    "complaints_in_time_rate": _l("Resolved in time over resolved plus still open past the "
                                  "deadline, 0 to 1."),
    "complaints_median_days_to_resolve": _l("Median days from report to resolution."),
    "complaints_open_overdue": _l("Still open with the deadline passed."),
    "complaints_deadline_days": _l("The deadline in days (7 since 2019)."),
    "complaints_final": _l("true when the figures are final (from the quarter's end plus the "
                           "deadline)."),
}

POSITION_ORDER = {"walikota": 0, "bupati": 0, "camat": 1, "lurah": 2, "kepala_dinas": 3}


def set_public(round_: Round, public: bool, user) -> bool:
    """Make a round's published results public on /publik (or withdraw them), audit-logged;
    False when nothing changed. The caller commits."""
    if bool(round_.public) == public:
        return False
    round_.public = public
    audit.record("round-public" if public else "round-private", round_.code, user,
                 {"public": public, "state": round_.state})
    return True


def public_rounds() -> list[Round]:
    """The rounds shown on /publik: published and made public, newest first."""
    return list(db.session.scalars(select(Round).where(Round.public.is_(True),
                                                       Round.state == "published")
                                   .order_by(Round.opens_at.desc())))


def public_round(code: str) -> Round | None:
    """The round of that code if /publik may show it, else None."""
    round_ = db.session.scalar(select(Round).where(Round.code == code))
    if round_ is None or not round_.public or round_.state != "published":
        return None
    return round_


@dataclass(frozen=True)
class Kota:
    code: str | None  # None: the province's units (dinas)
    name: str | None
    rows: list[dict]


@dataclass(frozen=True)
class PublicTable:
    round: str
    publication: int
    published_at: datetime
    rows: list[dict]  # every post, COLUMNS as keys

    def by_kota(self) -> list[Kota]:
        """The rows per kota (in code order), the province's units last."""
        groups: dict[str | None, list[dict]] = {}
        for row in self.rows:
            groups.setdefault(row["kota_code"], []).append(row)
        keys: list[str | None] = [*sorted(k for k in groups if k is not None)]
        if None in groups:
            keys.append(None)
        return [Kota(k, groups[k][0]["kota_name"], groups[k]) for k in keys]


def table(round_: Round) -> PublicTable:
    """The public table of a published round, from its publication in force."""
    published = results.publication_in_force(round_)
    if published is None:
        raise LookupError(round_.code)
    document = published_document(published)
    names = _kota_names(document)
    rows = [public_row(entry, document, published.number, names)
            for entry in sorted(document.positions, key=_order)]
    return PublicTable(round=round_.code, publication=published.number,
                       published_at=published.published_at, rows=rows)


def _order(entry: PositionEntry) -> tuple:
    return (entry.kota_code or "~", POSITION_ORDER.get(entry.position, 9),
            entry.area_name or entry.unit_name or "", entry.position_id)


def _kota_names(document: ResultsDocument) -> dict[str, str]:
    """Kota names as the publication has them (the wali kota's or bupati's entry)."""
    return {e.area_code: e.area_name for e in document.positions
            if e.position in ("walikota", "bupati") and e.area_code and e.area_name}


def public_row(entry: PositionEntry, document: ResultsDocument, number: int,
               kota_names: dict[str, str]) -> dict:
    """One post's public row: COLUMNS as keys. Below the required sample: no score at all."""
    status = ranking.rank_status(entry)
    scored = entry.ikm is not None and ranking.rankable(entry)
    figures = entry.area_complaints  # filed in the area, whoever held the post
    return {
        "round": document.round, "publication": number,
        "kota_code": entry.kota_code,
        "kota_name": kota_names.get(entry.kota_code or ""),
        "position": entry.position, "area_code": entry.area_code, "area_name": entry.area_name,
        "unit_code": entry.unit_code, "unit_name": entry.unit_name,
        "respondents": entry.respondents, "required_sample": entry.required_sample,
        "meets_required_sample": entry.meets_required_sample,
        "ikm": ikm.shown(entry.ikm) if scored and entry.ikm is not None else None,
        "grade": entry.grade if scored else None,
        "category": entry.category if scored else None,
        "ci95_low": entry.ci95[0] if scored and entry.ci95 else None,
        "ci95_high": entry.ci95[1] if scored and entry.ci95 else None,
        "rank_status": status, "rank": entry.rank,
        "peers": entry.peers if entry.rank is not None else None,
        "complaints_received": figures.received if figures else None,
        "complaints_rejected": figures.rejected if figures else None,
        "complaints_resolved": figures.resolved if figures else None,
        "complaints_resolved_in_time": figures.resolved_in_time if figures else None,
        "complaints_in_time_rate": (round(figures.in_time_rate, 4)
                                    if figures and figures.in_time_rate is not None else None),
        "complaints_median_days_to_resolve": (
            round(figures.median_days_to_resolve, 2)
            if figures and figures.median_days_to_resolve is not None else None),
        "complaints_open_overdue": figures.open_overdue if figures else None,
        "complaints_deadline_days": figures.deadline_days if figures else None,
        "complaints_final": figures.final if figures else None,
    }


def to_csv(data: PublicTable) -> str:
    """The public table as CSV: COLUMNS as the header, every cell through exports.csv_text."""
    return exports.csv_text(COLUMNS, ([exports.plain(row[c]) for c in COLUMNS]
                                      for row in data.rows))


def to_json(data: PublicTable) -> dict:
    """The public table as JSON: the columns, then one object per post (COLUMNS as keys)."""
    return {"round": data.round, "publication": data.publication,
            "published_at": data.published_at.isoformat(), "columns": list(COLUMNS),
            "rows": data.rows}

