"""Decisions people record about officials after the ladder's recommendation, and an official's
history (results from post to post, and the decisions). The product never acts by itself."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from survey_app.domain import audit
from survey_app.domain.errors import DomainError
from survey_app.domain.vocabulary import SANCTION_ACTIONS
from survey_app.extensions import db
from survey_app.models import Official, Round, SanctionDecision

LEVEL_LABELS = {"none": _l("no step"), "perhatian": _l("watch (perhatian)"),
                "sp1": _l("warning letter 1 (SP1)"), "sp2": _l("warning letter 2 (SP2)"),
                "rotasi": _l("rotation, transfer or demotion recommended")}
ACTION_LABELS = {"perhatian": _l("watch (perhatian)"), "sp1": _l("warning letter 1 (SP1)"),
                 "sp2": _l("warning letter 2 (SP2)"), "rotasi": _l("rotation"),
                 "mutasi": _l("transfer (mutasi)"), "demosi": _l("demotion"),
                 "dibatalkan": _l("no action (recommendation set aside)")}
assert set(ACTION_LABELS) == set(SANCTION_ACTIONS)


def official_by_nip(nip: str) -> Official:
    official = db.session.scalar(select(Official).where(Official.nip == nip))
    if official is None:
        raise DomainError(str(_l("There is no official with NIP %(nip)s.", nip=nip)))
    return official


def officials_by_nip(nips) -> dict[str, Official]:
    """The officials with these NIPs, in one query (those that do not exist are left out)."""
    wanted = sorted(set(nips))
    if not wanted:
        return {}
    return {o.nip: o for o in db.session.scalars(select(Official).where(Official.nip.in_(wanted)))}


def record_decision(official: Official, round_: Round | None, action: str, decided_on: date,
                    letter_number: str | None, note: str | None, user=None) -> SanctionDecision:
    """Record what was actually decided (the caller commits)."""
    if action not in SANCTION_ACTIONS:
        raise DomainError(str(_l("Unknown decision '%(action)s'.", action=action)))
    if decided_on > date.today():
        raise DomainError(str(_l("A decision cannot be dated in the future.")))
    decision = SanctionDecision(official_id=official.id, round_id=round_.id if round_ else None,
                                action=action, decided_on=decided_on,
                                letter_number=(letter_number or "").strip() or None,
                                note=(note or "").strip() or None,
                                recorded_by_id=getattr(user, "id", None))
    db.session.add(decision)
    audit.record("sanction-decision", official.nip, user,
                 {"action": action, "round": round_.code if round_ else None,
                  "letter": decision.letter_number})
    return decision


def decisions_of(official_ids) -> dict[int, list[SanctionDecision]]:
    found: dict[int, list[SanctionDecision]] = {}
    for decision in db.session.scalars(
            select(SanctionDecision).where(SanctionDecision.official_id.in_(list(official_ids)))
            .order_by(SanctionDecision.decided_on)):
        found.setdefault(decision.official_id, []).append(decision)
    return found


@dataclass
class HistoryRow:
    round_code: str
    position: str
    area_name: str | None
    ikm: float | None
    grade: str | None
    in_time_rate: float | None
    failed: bool | None


def history(official: Official, rounds_: list[Round], base_of) -> list[HistoryRow]:
    """The official's results in each round, whatever post they held (``base_of(round)`` gives
    the round's base results)."""
    rows = []
    for round_ in rounds_:
        for entry in base_of(round_).positions:
            if entry.official is not None and entry.official.nip == official.nip:
                rows.append(HistoryRow(round_.code, entry.position,
                                       entry.area_name or entry.unit_name, entry.ikm,
                                       entry.grade,
                                       (entry.complaints.in_time_rate
                                        if entry.complaints is not None else None),
                                       entry.failed))
    return rows
