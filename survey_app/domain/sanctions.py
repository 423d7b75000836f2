"""Decisions people record about officials after the ladder's recommendation, and an official's
history (results from post to post, and the decisions). The product never acts by itself."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select

from survey_app.domain import audit, clock, priorities, quarters
from survey_app.domain.errors import DomainError
from survey_app.domain.results_model import FollowupFailure, ResultsDocument
from survey_app.domain.vocabulary import SANCTION_ACTIONS
from survey_app.extensions import db
from survey_app.models import FollowupPlan, Official, Round, SanctionDecision

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


def history(official: Official, rounds_: list[Round], results_of) -> list[HistoryRow]:
    """The official's results in each round, whatever post they held (``results_of(round)``
    gives the round's results: its ``positions``)."""
    rows = []
    for round_ in rounds_:
        for entry in results_of(round_).positions:
            if entry.official is not None and entry.official.nip == official.nip:
                rows.append(HistoryRow(round_.code, entry.position,
                                       entry.area_name or entry.unit_name, entry.ikm,
                                       entry.grade,
                                       (entry.complaints.in_time_rate
                                        if entry.complaints is not None else None),
                                       entry.failed))
    return rows


# --- follow-up plans on the ladder (issue 20) -----------------------------------------------------

def followup_failures(round_: Round, document_of: Callable[[Round], ResultsDocument],
                      now: datetime | None = None) -> dict[str, FollowupFailure]:
    """The officials whose quarter ``round_`` counts as failed because of follow-up plans, by NIP
    (``document_of(round)`` gives a published round's results document as published, as
    ``history``'s ``base_of``: the results, which call this, pass their own).

    The rule, where the round a plan is written after has ``followup_required`` set (it is off
    by default: then plans never fail anyone):
    - missing: the previous quarter's round is published and the official's card there marked
      priority elements (survey_app/domain/priorities.py) with no plan submitted by the end of
      this round's quarter;
    - overdue: a plan due in this quarter or before is not done by the end of this quarter
      (marked done, with its evidence, and not sent back).
    Judged as of min(now, the quarter's end), so the answer does not depend on when one looks
    once the quarter is over."""
    _start, end = quarters.window(round_.code)
    as_of = min(now or clock.now(), end)
    missing = _missing_plans(round_, document_of, as_of)
    overdue = _overdue_plans(round_.code, as_of)
    return {nip: FollowupFailure(rule="followup", missing=missing.get(nip, 0),
                                 overdue=overdue.get(nip, 0))
            for nip in sorted(set(missing) | set(overdue))}


def _missing_plans(round_: Round, document_of: Callable[[Round], ResultsDocument],
                   as_of: datetime) -> dict[str, int]:
    previous = db.session.scalar(select(Round).where(
        Round.code == quarters.code_of(*quarters.preceding(*quarters.parse(round_.code)))))
    if previous is None or not previous.followup_required or previous.state != "published":
        return {}
    document = document_of(previous)
    submitted = {(pid, nip, element) for pid, nip, element in db.session.execute(
        select(FollowupPlan.position_id, Official.nip, FollowupPlan.element_code)
        .join(Official, Official.id == FollowupPlan.official_id)
        .where(FollowupPlan.round_id == previous.id, FollowupPlan.submitted_at.is_not(None),
               FollowupPlan.submitted_at <= as_of))}
    names = priorities.element_names(previous)
    found: dict[str, int] = {}
    for entry in document.positions:
        if entry.official is None:
            continue
        nip = entry.official.nip
        lacking = [code for code in priorities.priority_elements(entry, names)
                   if (entry.position_id, nip, code) not in submitted]
        if lacking:
            found[nip] = found.get(nip, 0) + len(lacking)
    return found


def _overdue_plans(code: str, as_of: datetime) -> dict[str, int]:
    found: dict[str, int] = {}
    rows = db.session.execute(
        select(Official.nip, FollowupPlan.done_at)
        .join(Official, Official.id == FollowupPlan.official_id)
        .join(Round, Round.id == FollowupPlan.round_id)
        .where(Round.followup_required.is_(True), FollowupPlan.due_quarter <= code))
    for nip, done_at in rows:
        if done_at is None or done_at > as_of:
            found[nip] = found.get(nip, 0) + 1
    return found


def followup_fingerprint() -> list:
    """What followup_failures reads besides the round itself, for the results' fingerprint: the
    plans as they change, and which rounds require them."""
    plans = db.session.execute(select(func.count(), func.max(FollowupPlan.updated_at))).one()
    required = db.session.execute(select(Round.code, Round.state)
                                  .where(Round.followup_required.is_(True))
                                  .order_by(Round.code)).all()
    return [tuple(plans), [tuple(r) for r in required]]
