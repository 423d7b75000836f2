"""The results document of a round (DESIGN.md): scores joined with who held each post, complaint
figures, the trend, the rank among peers, the composite score and the sanctions ladder.

Two layers:
- the *base* results of one round depend on that round's data only (scores, holders, complaint
  figures, whether the round was failed). They are kept in ResultSnapshot with a fingerprint of
  the data, and recomputed whenever that data changes;
- the *document* adds what needs other rounds: the change from the previous round with its
  significance, the trend over up to eight quarters, the rank and the consecutive failed rounds.

Who a round's result belongs to: the official holding the post on the reference day, the round's
closing day (Jakarta), or today while it is still open.

The sanctions ladder counts an official's consecutive failed rounds, following them from post to
post: a round is failed at a failing grade or an in-time rate below the round's minimum (only a
rate over at least the round's ``min_complaints`` complaints: fewer are too few to judge). A round
where the official has neither figure (no counting group, too few complaints) neither breaks nor
extends the run. 1 failed round: perhatian (watch); 2: SP1; 3: SP2; 4 or more: a recommendation
for rotation, transfer or demotion. The product recommends; people decide (SanctionDecision).
"""
from __future__ import annotations

import hashlib
import json
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from survey_app.domain import clock, holding, ikm, scoring
from survey_app.domain.vocabulary import GROUPS, POSITION_TIER, SANCTION_LEVELS
from survey_app.extensions import db
from survey_app.models import (Appointment, Area, Complaint, Invitation, InvitationPosition,
                               Official, Position, ResultSnapshot, Round, Unit)

METHOD_VERSION = "4"  # bump whenever the computation changes: stored base results are redone
HISTORY = 8  # quarters shown in the trend
SIGNIFICANCE = 0.05


def reference_day(round_: Round, now: datetime | None = None) -> date:
    """The last day the round was open (a close at midnight belongs to the day before)."""
    now = now or clock.now()
    return clock.jakarta_day(min(round_.closes_at - timedelta(microseconds=1), now))


# --- the base results of one round -------------------------------------------------------------

def fingerprint(round_: Round, now: datetime | None = None) -> str:
    """A digest of everything a round's base results are computed from."""
    # Responses are only ever added (a release moves them without changing any figure): their
    # count, released and held together, and the positions marked answered say what changed.
    responses = db.session.execute(
        select(func.count()).select_from(holding.stored_responses(round_.id))).one()
    invited = db.session.execute(
        select(func.count(), func.count().filter(InvitationPosition.answered))
        .join(Invitation, Invitation.id == InvitationPosition.invitation_id)
        .where(Invitation.round_id == round_.id)).one()
    appointments = db.session.execute(select(func.count(), func.max(Appointment.id),
                                             func.max(Appointment.end_date),
                                             func.count(Appointment.end_date))).one()
    officials = db.session.execute(select(func.count(), func.max(Official.id))).one()
    complaints = db.session.execute(select(func.count(), func.max(Complaint.imported_at))).one()
    parts = [METHOD_VERSION, round_.code, round_.questionnaire.content_hash,
             round_.opens_at, round_.closes_at, round_.group_weights, round_.rating_matrix,
             round_.min_group, round_.deadline_days, round_.survey_weight, round_.complaint_weight,
             round_.min_in_time_rate, round_.failing_grades, round_.min_complaints,
             reference_day(round_, now),
             tuple(responses), tuple(invited), tuple(appointments), tuple(officials),
             tuple(complaints)]
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _holders(day: date) -> dict[int, Official]:
    rows = db.session.execute(
        select(Appointment.position_id, Official)
        .join(Official, Official.id == Appointment.official_id)
        .where(Appointment.start_date <= day,
               (Appointment.end_date.is_(None)) | (Appointment.end_date >= day))).all()
    return {position_id: official for position_id, official in rows}


def _complaint_figures(round_: Round, now: datetime | None) -> dict[int, dict]:
    """Each position's complaint figures for the round's quarter (every complaint filed there)."""
    from survey_app.domain.complaint_figures import figures_for_round

    return {pid: f.as_dict() for pid, f in figures_for_round(round_, now).items()}


def _changed_hands(round_: Round) -> set[int]:
    """Positions held by more than one official during the round's quarter."""
    from survey_app.domain.rounds import parse_code, quarter_bounds

    first, last = quarter_bounds(*parse_code(round_.code))
    rows = db.session.execute(
        select(Appointment.position_id).where(
            Appointment.start_date <= last,
            (Appointment.end_date.is_(None)) | (Appointment.end_date >= first))
        .group_by(Appointment.position_id).having(func.count() > 1)).all()
    return {position_id for (position_id,) in rows}


def _official_complaints(round_: Round, now: datetime | None, positions: set[int]
                         ) -> dict[tuple[int, str], dict]:
    """(position_id, NIP) -> the complaints reported while that official held the post, for
    posts that changed hands in the quarter (the ladder judges each official on their own)."""
    if not positions:
        return {}
    from survey_app.domain.complaint_figures import figures_by_official

    nips = dict(db.session.execute(select(Official.id, Official.nip)).all())
    return {(pid, nips[oid]): f.as_dict() for (pid, oid), f in figures_by_official(round_, now).items()
            if pid in positions and oid is not None}


def compute_base(round_: Round, now: datetime | None = None) -> dict:
    """The base results of one round: everything that depends on this round's data only."""
    scores = scoring.score_round(round_)
    complaint_figures = _complaint_figures(round_, now)
    position_ids = set(scores) | {pid for pid, f in complaint_figures.items() if f["received"]}
    own_complaints = _official_complaints(round_, now, _changed_hands(round_) & position_ids)
    positions = {p.id: p for p in db.session.scalars(
        select(Position).where(Position.id.in_(position_ids)))} if position_ids else {}
    areas = {a.id: a for a in db.session.scalars(select(Area))}
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    holders = _holders(reference_day(round_, now))
    entries = []
    for position_id in sorted(position_ids):
        position = positions[position_id]
        score = scores.get(position_id) or scoring.PositionScore(position_id)
        area = areas.get(position.area_id)
        unit = units.get(position.unit_id)
        official = holders.get(position_id)
        complaints = complaint_figures.get(position_id)
        entry = {
            "position_id": position_id,
            "position": position.kind,
            "tier": POSITION_TIER[position.kind],
            "area_code": area.code if area else None,
            "area_name": area.name if area else None,
            "unit_code": unit.code if unit else None,
            "unit_name": unit.name if unit else None,
            "kota_code": _ancestor_code(area, areas, ("kota", "kabupaten")),
            "kecamatan_code": _ancestor_code(area, areas, ("kecamatan",)),
            "official": ({"nip": official.nip, "name": official.name}
                         if official is not None else None),
            **_survey_part(round_, score),
            "complaints": complaints,
        }
        if official is not None and (position_id, official.nip) in own_complaints:
            entry["official_complaints"] = own_complaints[(position_id, official.nip)]
        entry["failed"] = _failed(round_, entry)
        entry["composite"], entry["composite_basis"] = _composite(round_, entry)
        entries.append(entry)
    return {"round": round_.code, "method_version": METHOD_VERSION,
            "reference_day": reference_day(round_, now).isoformat(), "positions": entries}


def _ancestor_code(area: Area | None, areas: dict[int, Area], levels: tuple[str, ...]) -> str | None:
    while area is not None:
        if area.level in levels:
            return area.code
        area = areas.get(area.parent_id)
    return None


def _survey_part(round_: Round, score: scoring.PositionScore) -> dict:
    counting = {g: r for g, r in score.groups.items() if r.counts and r.index is not None}
    weights = {g: float(round_.group_weights.get(g, 0.0)) for g in counting
               if float(round_.group_weights.get(g, 0.0)) > 0}
    total = sum(weights.values())
    graded = score.grade
    return {
        "invited": score.invited,
        "respondents": score.respondents,
        "response_rate": round(score.response_rate, 4) if score.response_rate is not None else None,
        "required_sample": score.required_sample,
        "meets_required_sample": score.respondents >= score.required_sample if score.invited else None,
        "elements": score.elements,
        "items": score.items,
        "groups": {g: ({"n": counting[g].respondents, "mean": counting[g].index}
                       if g in counting else None) for g in GROUPS},
        "groups_left_out": sorted(g for g, r in score.groups.items()
                                  if r.respondents and g not in counting),
        "weights_used": {g: w / total for g, w in weights.items()} if total else {},
        "min_group": round_.min_group,
        "index": score.index,
        "ikm": score.ikm,
        "grade": graded[0] if graded else None,
        "category": graded[1] if graded else None,
        "ci95": [ikm.shown(score.ci95[0], 1), ikm.shown(score.ci95[1], 1)] if score.ci95 else None,
        "scores": list(score.pooled_scores()) if score.pooled_scores() else None,
    }


def _failed(round_: Round, entry: dict) -> bool | None:
    """Failed at a failing grade, or an in-time rate under the minimum (the official's own
    complaints when the post changed hands in the quarter) over enough complaints to judge."""
    grade_known = entry["grade"] is not None
    rate = _judged_rate(entry.get("official_complaints") or entry["complaints"])
    if not grade_known and rate is None:
        return None
    return bool((grade_known and entry["grade"] in round_.failing_grades)
                or (rate is not None and rate < round_.min_in_time_rate))


def _judged_rate(complaints: dict | None) -> float | None:
    """The in-time rate when it is over enough complaints to judge, else None."""
    if not complaints or not complaints["enough_to_judge"]:
        return None
    return complaints["in_time_rate"]


def base_results(round_: Round, now: datetime | None = None) -> dict:
    """The stored base results when their data has not changed, else computed anew and stored
    (the caller commits). An open round is always computed: its complaint figures move with the
    clock (complaints fall overdue) even when no data changes; so does any round before its
    complaints' moment of judgment (their figures are provisional until then)."""
    from survey_app.domain.complaint_figures import is_final
    from survey_app.domain.rounds import effective_state

    if effective_state(round_, now) not in ("closed", "published") or not is_final(round_, now):
        return compute_base(round_, now)
    digest = fingerprint(round_, now)
    snapshot = db.session.get(ResultSnapshot, round_.id)
    if snapshot is not None and snapshot.fingerprint == digest \
            and snapshot.method_version == METHOD_VERSION:
        return snapshot.document
    document = compute_base(round_, now)
    if snapshot is None:
        snapshot = ResultSnapshot(round_id=round_.id)
        db.session.add(snapshot)
    snapshot.fingerprint, snapshot.method_version = digest, METHOD_VERSION
    snapshot.computed_at, snapshot.document = clock.now(), document
    return document


# --- the document --------------------------------------------------------------------------------

def earlier_rounds(round_: Round, limit: int = HISTORY - 1) -> list[Round]:
    """The rounds before this one that have opened (by the clock too), newest first."""
    from survey_app.domain.rounds import effective_state

    candidates = db.session.scalars(
        select(Round).where(Round.opens_at < round_.opens_at, Round.state != "draft")
        .order_by(Round.opens_at.desc())).all()
    return [r for r in candidates if effective_state(r) != "scheduled"][:limit]


def results_document(round_: Round, now: datetime | None = None) -> dict:
    """DESIGN.md's results document for a round (the caller commits: snapshots may be stored)."""
    base = base_results(round_, now)
    history = [(r.code, base_results(r, now)) for r in earlier_rounds(round_)]
    by_position = [{e["position_id"]: e for e in doc["positions"]} for _code, doc in history]
    ranks, peers = _ranks(base["positions"])
    positions = []
    for entry in base["positions"]:
        pid = entry["position_id"]
        previous = by_position[0].get(pid) if by_position else None
        change = p_value = None
        if previous and previous["ikm"] is not None and entry["ikm"] is not None:
            change = entry["ikm"] - previous["ikm"]
            if entry["scores"] and previous["scores"]:
                p_value = ikm.welch_p_value(tuple(entry["scores"]), tuple(previous["scores"]))
        trend = [{"round": code, "ikm": positions_[pid]["ikm"]}
                 for (code, _doc), positions_ in zip(reversed(history), reversed(by_position))
                 if pid in positions_] + [{"round": base["round"], "ikm": entry["ikm"]}]
        streak = _failed_streak(entry, by_position)
        document = {key: value for key, value in entry.items() if key not in ("scores",)}
        document.update({
            "grade_bounds": {"A": 88.31, "B": 76.61, "C": 65.00},
            "previous_round": history[0][0] if history else None,
            "previous_ikm": previous["ikm"] if previous else None,
            "change": change,
            "change_p_value": p_value,
            "change_significant": (p_value is not None and p_value < SIGNIFICANCE),
            "trend": trend,
            "rank": ranks.get(pid),
            "peers": peers.get(entry["tier"], 0),
            "failed_rounds_in_a_row": streak,
            "sanction_level": SANCTION_LEVELS[min(streak, len(SANCTION_LEVELS) - 1)],
        })
        positions.append(document)
    return {"round": round_.code, "state": round_.state, "method_version": METHOD_VERSION,
            "reference_day": base["reference_day"],
            "settings": {"group_weights": round_.group_weights, "min_group": round_.min_group,
                         "deadline_days": round_.deadline_days,
                         "survey_weight": round_.survey_weight,
                         "complaint_weight": round_.complaint_weight,
                         "min_in_time_rate": round_.min_in_time_rate,
                         "failing_grades": round_.failing_grades,
                         "min_complaints": round_.min_complaints,
                         "questionnaire": {"key": round_.questionnaire.key,
                                           "version": round_.questionnaire.version,
                                           "sha256": round_.questionnaire.content_hash}},
            "positions": positions}


def _ranks(entries: list[dict]) -> tuple[dict[int, int], dict[str, int]]:
    """Competition ranks within each tier (equal shown values share a rank): by IKM, or, in a
    tier nobody rates, by the composite score. Kepala dinas (never surveyed) by the one ranking
    of units by complaint handling, the one ``skm complaints`` prints, among the units with
    enough complaints to judge."""
    from survey_app.domain.complaint_figures import complaint_handling_ranks

    by_tier: dict[str, dict[int, float]] = {}
    surveyed = {e["tier"] for e in entries if e["ikm"] is not None}
    for entry in entries:
        if entry["tier"] == "kepala_dinas":
            continue
        value = entry["ikm"] if entry["tier"] in surveyed else entry["composite"]
        if value is not None:
            by_tier.setdefault(entry["tier"], {})[entry["position_id"]] = value
    ranks: dict[int, int] = {}
    for values in by_tier.values():
        ranks.update(ikm.competition_ranks(values))
    peers = {tier: len(values) for tier, values in by_tier.items()}
    units = complaint_handling_ranks({e["position_id"]: e["complaints"] for e in entries
                                      if e["tier"] == "kepala_dinas"})
    ranks.update(units)
    if units:
        peers["kepala_dinas"] = len(units)
    return ranks, peers


COMPOSITE_BASES = ("survey+complaints", "survey", "complaints")


def _composite(round_: Round, entry: dict) -> tuple[float | None, str | None]:
    """Survey and complaint handling combined with the round's weights, renormalised over the
    parts present (a kepala dinas is judged on complaints only; a post with too few complaints
    to judge on the survey alone), and which parts those were (COMPOSITE_BASES, None for none)."""
    parts = {}
    if entry["ikm"] is not None:
        parts["survey"] = (round_.survey_weight, entry["ikm"])
    rate = _judged_rate(entry["complaints"])
    if rate is not None:
        parts["complaints"] = (round_.complaint_weight, rate * 100)
    parts = {name: (w, v) for name, (w, v) in parts.items() if w > 0}
    total = sum(w for w, _ in parts.values())
    if not total:
        return None, None
    return sum(w * v for w, v in parts.values()) / total, "+".join(parts)


def _failed_streak(entry: dict, earlier: list[dict[int, dict]]) -> int:
    """Consecutive failed rounds of this entry's official, newest first, across posts."""
    if entry["official"] is None or entry["failed"] is not True:
        return 0
    nip = entry["official"]["nip"]
    streak = 1
    for positions in earlier:
        outcomes = [e["failed"] for e in positions.values()
                    if e["official"] and e["official"]["nip"] == nip and e["failed"] is not None]
        if not outcomes:
            continue  # not rated that round: neither breaks nor extends the run
        if any(outcomes):
            streak += 1
        else:
            break
    return streak


# --- output ----------------------------------------------------------------------------------

def to_json(document: dict) -> str:
    return json.dumps(document, ensure_ascii=False, indent=1)


CSV_COLUMNS = ["position", "area_code", "area_name", "unit_code", "unit_name", "kota_code",
               "official_nip", "official_name", "invited", "respondents", "response_rate",
               "required_sample", "meets_required_sample", "index", "ikm", "grade", "category",
               "ci95_low", "ci95_high", "previous_ikm", "change", "change_p_value", "rank",
               "peers", "complaints_received", "complaints_resolved", "complaints_resolved_in_time",
               "complaints_in_time_rate", "complaints_median_days_to_resolve",
               "complaints_open_overdue", "complaints_deadline_days", "composite",
               "failed_rounds_in_a_row", "sanction_level", "groups_left_out"]


def to_csv(document: dict) -> str:
    """One row per position; element NRR and group means as extra columns (E_U1, G_rt...)."""
    import csv
    import io

    elements = sorted({code for p in document["positions"] for code in p["elements"]})
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS + [f"E_{e}" for e in elements] + [f"G_{g}" for g in GROUPS])
    for p in document["positions"]:
        complaints = p.get("complaints") or {}
        flat = {**p, "official_nip": (p["official"] or {}).get("nip"),
                "official_name": (p["official"] or {}).get("name"),
                "ci95_low": p["ci95"][0] if p["ci95"] else None,
                "ci95_high": p["ci95"][1] if p["ci95"] else None,
                "groups_left_out": " ".join(p["groups_left_out"]),
                **{f"complaints_{k}": v for k, v in complaints.items()}}
        writer.writerow([_cell(flat.get(c)) for c in CSV_COLUMNS]
                        + [_cell(p["elements"].get(e)) for e in elements]
                        + [_cell((p["groups"].get(g) or {}).get("mean")) for g in GROUPS])
    return out.getvalue()


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


# --- league tables -----------------------------------------------------------------------------

SORT_KEYS = {
    "rank": lambda p: (p["rank"] is None, p["rank"] or 0),
    "ikm": lambda p: (p["ikm"] is None, -(p["ikm"] or 0)),
    "composite": lambda p: (p["composite"] is None, -(p["composite"] or 0)),
    "response_rate": lambda p: (p["response_rate"] is None, -(p["response_rate"] or 0)),
    "in_time_rate": lambda p: ((p["complaints"] or {}).get("in_time_rate") is None,
                               -((p["complaints"] or {}).get("in_time_rate") or 0)),
    "change": lambda p: (p["change"] is None, -(p["change"] or 0)),
    "area": lambda p: (p["area_name"] or p["unit_name"] or ""),
}


def league_table(document: dict, tier: str, kota: str | None = None, grade: str | None = None,
                 sort: str = "rank") -> list[dict]:
    """The positions of one tier, filtered by kota and grade, in the chosen order."""
    rows = [p for p in document["positions"] if p["tier"] == tier
            and (not kota or p["kota_code"] == kota)
            and (not grade or (p["grade"] or "-") == grade)]
    return sorted(rows, key=SORT_KEYS.get(sort, SORT_KEYS["rank"]))


def grade_distribution(document: dict) -> dict[str, dict[str, int]]:
    """Per tier, how many positions got each grade ('-' for no score)."""
    found: dict[str, dict[str, int]] = {}
    for p in document["positions"]:
        counts = found.setdefault(p["tier"], {g: 0 for g in ("A", "B", "C", "D", "-")})
        counts[p["grade"] or "-"] += 1
    return found


def sanctions_list(document: dict) -> list[dict]:
    """Positions whose official is on a rung of the ladder, the highest rung first."""
    rows = [p for p in document["positions"] if p["sanction_level"] != "none"]
    return sorted(rows, key=lambda p: (-p["failed_rounds_in_a_row"], p["composite"] or 0))
