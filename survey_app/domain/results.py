"""The results document of a round (DESIGN.md): scores joined with who held each post, complaint
figures, the trend, the rank among peers, the composite score and the sanctions ladder.

Two layers:
- the *base* results of one round depend on that round's data only (scores, holders, complaint
  figures, whether the round was failed). They are kept in ResultSnapshot with a fingerprint of
  the data, and recomputed whenever that data changes;
- the *document* adds what needs other rounds: the change from the previous round with its
  significance, the trend over up to eight quarters, the rank and the consecutive failed rounds.

Whose figures they are (DOMAIN.md section 4a): a post's entry names the official holding it on the
reference day (the round's closing day in Jakarta, or today while it is open). Where the post did
not have one holder for the whole quarter, each official gets their own part of it: the forms
given and the complaints reported while they held it (the entry of the holder on the reference
day in ``positions``, the others in ``earlier_holders``). The trend is the post's, each point
with its official; the change is measured against the official's own previous score.

The sanctions ladder counts an official's consecutive failed rounds, following them from post to
post: a round is failed at a failing grade (from at least the required sample: a smaller one is
shown, marked, and neither ranked nor used for sanctions) or an in-time rate below the round's
minimum (only a rate over at least the round's ``min_complaints`` complaints: fewer are too few to
judge). A round where the official has neither figure (no counting group, too few complaints)
neither breaks nor
extends the run. 1 failed round: perhatian (watch); 2: SP1; 3: SP2; 4 or more: a recommendation
for rotation, transfer or demotion. The product recommends; people decide (SanctionDecision).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
from datetime import date, datetime, timedelta
from fractions import Fraction
from typing import cast

from sqlalchemy import func, select, update

from survey_app.domain import (
    clock,
    exports,
    holding,
    ikm,
    published,
    quarters,
    ranking,
    sanctions,
    scoring,
)
from survey_app.domain.bulk import dialect_insert
from survey_app.domain.complaint_figures import (
    ComplaintFigures,
    complaint_handling_ranks,
    empty_figures,
    figures_by_official,
    figures_for_round,
    is_final,
    judgment_moment,
)
from survey_app.domain.officials import holders_on
from survey_app.domain.results_model import (
    GRADE_BOUNDS,
    BaseResults,
    ComparedWith,
    FailureReason,
    GradeBounds,
    GradeFailure,
    GroupFigures,
    OfficialRef,
    PositionEntry,
    PositionResult,
    PublicationRef,
    QuestionnaireRef,
    RateFailure,
    ResultsDocument,
    Settings,
    StoredDocumentError,
    SummedFigures,
    TrendPoint,
    parse_base,
    parse_document,
    read_once,
    to_dict,
)
from survey_app.domain.round_clock import effective_state
from survey_app.domain.vocabulary import GROUPS, POSITION_TIER, SANCTION_LEVELS
from survey_app.extensions import db
from survey_app.models import (
    Appointment,
    Area,
    Complaint,
    Invitation,
    InvitationPosition,
    Official,
    Position,
    Publication,
    ResultSnapshot,
    Round,
    Unit,
)

METHOD_VERSION = "6"  # bump whenever the computation changes: stored base results are redone
HISTORY = 8  # quarters shown in the trend
SIGNIFICANCE = 0.05


def reference_day(round_: Round, now: datetime | None = None) -> date:
    """The last day the round was open (a close at midnight belongs to the day before); a round
    closed early by hand ended at ``closed_at``, before its scheduled ``closes_at``."""
    now = now or clock.now()
    ended = min(round_.closed_at or round_.closes_at, round_.closes_at)
    return clock.jakarta_day(min(ended - timedelta(microseconds=1), now))


# --- the base results of one round -------------------------------------------------------------

def fingerprint(round_: Round, now: datetime | None = None) -> str:
    """A digest of everything a round's base results are computed from, and of nothing else:
    data of the round's own quarter (an import of another quarter's complaints, a later round
    or a later appointment leaves it as it was).

    - the round's settings and questionnaire, and its reference day;
    - whether its complaint figures are final (results stored before J are not);
    - its responses (only ever added: their count, released and held together) and the posts
      marked answered;
    - the complaints reported in its quarter (Jakarta days): how many, the latest id and the
      latest import that changed one (an import sets ``imported_at`` only on the rows it adds
      or changes, so a complaint that moves to another quarter changes both quarters' counts);
    - the appointments in force on some day of its quarter or on its reference day, with their
      officials' NIP and name (a rotation recorded late moves that quarter's figures, and only
      that quarter's)."""
    day = reference_day(round_, now)
    first, last = quarters.bounds(*quarters.parse(round_.code))
    start, end = quarters.window(round_.code)
    responses = db.session.execute(
        select(func.count()).select_from(holding.stored_responses(round_.id))).one()
    invited = db.session.execute(
        select(func.count(), func.count().filter(InvitationPosition.answered),
               func.count().filter(Invitation.withdrawn))  # lifecycle: withdrawn invitations
        .join(Invitation, Invitation.id == InvitationPosition.invitation_id)
        .where(Invitation.round_id == round_.id)).one()
    appointments = db.session.execute(
        select(Appointment.id, Appointment.position_id, Appointment.start_date,
               Appointment.end_date, Official.id, Official.nip, Official.name)
        .join(Official, Official.id == Appointment.official_id)
        .where(Appointment.start_date <= max(last, day),
               Appointment.end_date.is_(None) | (Appointment.end_date >= min(first, day)))
        .order_by(Appointment.id)).all()
    complaints = db.session.execute(
        select(func.count(), func.max(Complaint.id), func.max(Complaint.imported_at))
        .where(Complaint.reported_at >= start, Complaint.reported_at < end)).one()
    parts = [METHOD_VERSION, round_.code, round_.questionnaire.content_hash,
             round_.opens_at, round_.closes_at, round_.group_weights, round_.rating_matrix,
             round_.min_group, round_.deadline_days, round_.survey_weight, round_.complaint_weight,
             round_.min_in_time_rate, round_.failing_grades, round_.min_complaints, day,
             is_final(round_, now), tuple(responses), tuple(invited),
             [tuple(a) for a in appointments], tuple(complaints)]
    if followups_may_count():
        parts.append(sanctions.followup_fingerprint())
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _complaint_figures(round_: Round, now: datetime | None) -> dict[int, ComplaintFigures]:
    """Each position's complaint figures for the round's quarter (every complaint filed there)."""
    return figures_for_round(round_, now)


def _changed_hands(round_: Round) -> set[int]:
    """Positions not held by one official for the whole of the round's quarter: a holder came
    or went during it (a rotation, or a vacancy at either end)."""
    first, last = quarters.bounds(*quarters.parse(round_.code))
    in_quarter = (
        select(Appointment.position_id, Appointment.start_date, Appointment.end_date)
        .where(Appointment.start_date <= last,
               (Appointment.end_date.is_(None)) | (Appointment.end_date >= first)))
    return {position_id for position_id, start, end in db.session.execute(in_quarter)
            if start > first or (end is not None and end < last)}


def _forms_of_several(round_: Round) -> set[int]:
    """Positions whose forms belong to more than one official (or partly to nobody: given
    while the post was vacant)."""
    stored = holding.stored_responses(round_.id)
    holder = func.coalesce(stored.c.official_id, -1)
    return set(db.session.scalars(select(stored.c.position_id).group_by(stored.c.position_id)
                                  .having(func.count(func.distinct(holder)) > 1)))


def _sum_figures(parts: list[ComplaintFigures]) -> SummedFigures:
    """One official's complaint figures over several posts: the counts add up and the in-time
    rate is taken over the sum (and judged only over enough complaints, as each part is);
    medians cannot be added and are left out."""
    total = {key: sum(getattr(p, key) for p in parts) for key in
             ("received", "rejected", "resolved", "resolved_in_time", "open_overdue")}
    denominator = total["resolved"] + total["open_overdue"]
    first = parts[0]
    return SummedFigures(**{
        **first.as_dict(), **total,
        "in_time_rate": total["resolved_in_time"] / denominator if denominator else None,
        "median_days_to_resolve": None, "median_hours_to_first_response": None,
        "enough_to_judge": denominator >= first.min_complaints, "posts": len(parts)})


def compute_base(round_: Round, now: datetime | None = None) -> BaseResults:
    """The base results of one round: everything that depends on this round's data only.

    Whose figures (DOMAIN.md section 4a): a form belongs to the official who held the post when
    it was filled in, a complaint to the one who held it on the day it was reported. A post that
    changed hands in the quarter (or got forms while vacant) is therefore scored once per
    official: ``positions`` has the post with its holder on the reference day and that holder's
    own part, ``earlier_holders`` the parts of the others. An official judged on the ladder is
    judged on everything that fell to them, across every post they held in the quarter; a
    newcomer with nothing of their own is not judged on the predecessor's record.

    Each entry is drafted as a dict of every field of PositionResult and becomes one at the end
    (a field left out is an error there)."""
    complaint_figures = _complaint_figures(round_, now)
    split = frozenset(_changed_hands(round_) | _forms_of_several(round_))
    by_official = figures_by_official(round_, now, positions=split)
    scores = scoring.score_round(round_, split)
    position_ids = ({k[0] if isinstance(k, tuple) else k for k in scores}
                    | {pid for pid, f in complaint_figures.items() if f.received})
    positions = {p.id: p for p in db.session.scalars(
        select(Position).where(Position.id.in_(position_ids)))} if position_ids else {}
    areas = {a.id: a for a in db.session.scalars(select(Area))}
    units = {u.id: u for u in db.session.scalars(select(Unit))}
    officials = {o.id: o for o in db.session.scalars(select(Official))}
    holders = holders_on(reference_day(round_, now))
    empty = empty_figures(round_, now)

    def entry_for(position_id: int, official: Official | None, score, complaints) -> dict:
        position = positions[position_id]
        area = areas.get(position.area_id) if position.area_id is not None else None
        unit = units.get(position.unit_id) if position.unit_id is not None else None
        return {
            "position_id": position_id,
            "position": position.kind,
            "tier": POSITION_TIER[position.kind],
            "area_code": area.code if area else None,
            "area_name": area.name if area else None,
            "unit_code": unit.code if unit else None,
            "unit_name": unit.name if unit else None,
            "kota_code": _ancestor_code(area, areas, ("kota", "kabupaten")),
            "kecamatan_code": _ancestor_code(area, areas, ("kecamatan",)),
            "official": (OfficialRef(nip=official.nip, name=official.name)
                         if official is not None else None),
            **_survey_part(round_, score or scoring.PositionScore(position_id)),
            "complaints": complaints,
            "post_complaints": None,
            "holder_part": False,
            "official_complaints": None,
        }

    entries: list[dict] = []
    earlier: list[dict] = []
    for position_id in sorted(position_ids):
        official = holders.get(position_id)
        if position_id not in split:
            entries.append(entry_for(position_id, official, scores.get(position_id),
                                     complaint_figures.get(position_id)))
            continue
        # The post's parts: every official with forms or complaints of their own in it.
        parts = ({k[1] for k in scores if isinstance(k, tuple) and k[0] == position_id}
                 | {oid for (pid, oid) in by_official if pid == position_id})
        current = official.id if official is not None else None
        for oid in sorted(parts | {current}, key=lambda o: (o is None, o or 0)):
            entry = entry_for(position_id, officials.get(oid) if oid is not None else None,
                              scores.get((position_id, oid)),
                              by_official.get((position_id, oid), empty))
            entry["post_complaints"] = complaint_figures.get(position_id)
            entry["holder_part"] = True  # the figures are this official's part of the post
            (entries if oid == current else earlier).append(entry)
    # Each official's own complaint figures, over every post that fell to them in the quarter.
    own: dict[str, list[ComplaintFigures]] = {}
    for entry in entries + earlier:
        if entry["official"] is not None and entry["complaints"] is not None:
            own.setdefault(entry["official"].nip, []).append(entry["complaints"])
    for entry in entries + earlier:
        nip = entry["official"].nip if entry["official"] is not None else None
        if nip is not None and len(own.get(nip, ())) > 1:
            entry["official_complaints"] = _sum_figures(own[nip])
        entry["failed"] = _failed(round_, entry)
        entry["failed_because"] = _failed_because(round_, entry)
        entry["composite"], entry["composite_basis"] = _composite(round_, entry)
    # The ladder judges the person: failed if anything that fell to them failed, for the
    # reasons of every post (the same complaint rule, over all their posts, is said once).
    outcome: dict[str, bool | None] = {}
    reasons: dict[str, list[FailureReason]] = {}
    for entry in entries + earlier:
        if entry["official"] is not None and entry["failed"] is not None:
            nip = entry["official"].nip
            outcome[nip] = bool(outcome.get(nip)) or entry["failed"]
            for reason in entry["failed_because"]:
                if reason not in reasons.setdefault(nip, []):
                    reasons[nip].append(reason)
    _followup_failures(round_, now, outcome, reasons)
    for entry in entries + earlier:
        if entry["official"] is not None:
            entry["official_failed"] = outcome.get(entry["official"].nip)
            entry["official_failed_because"] = tuple(reasons.get(entry["official"].nip, []))
        else:  # nobody to judge: not written (results_model)
            entry["official_failed"], entry["official_failed_because"] = None, ()
    return BaseResults(round=round_.code, method_version=METHOD_VERSION,
                       reference_day=reference_day(round_, now).isoformat(),
                       positions=tuple(PositionResult(**e) for e in entries),
                       earlier_holders=tuple(PositionResult(**e) for e in earlier))


def _followup_failures(round_: Round, now: datetime | None, outcome: dict[str, bool | None],
                       reasons: dict[str, list[FailureReason]]) -> None:
    """Missing or overdue follow-up plans fail the person too, where a round requires plans
    (survey_app/domain/sanctions.py, followup_failures)."""
    if not followups_may_count():
        return
    for nip, reason in sanctions.followup_failures(round_, results_document, now).items():
        outcome[nip] = True
        reasons.setdefault(nip, []).append(reason)


def followups_may_count() -> bool:
    """Whether any round requires follow-up plans (else the plans never touch the ladder, and
    the results do not depend on them)."""
    return bool(db.session.scalar(select(func.count()).select_from(Round)
                                  .where(Round.followup_required.is_(True))))


def _ancestor_code(area: Area | None, areas: dict[int, Area],
                   levels: tuple[str, ...]) -> str | None:
    while area is not None:
        if area.level in levels:
            return area.code
        area = areas.get(area.parent_id) if area.parent_id is not None else None
    return None


def _survey_part(round_: Round, score: scoring.PositionScore) -> dict:
    """The survey's figures of one post. ``respondents`` and ``meets_required_sample`` count the
    groups that enter the score only (at the round's minimum, with a positive weight); the others
    are listed in ``groups_left_out``. Exact figures become floats here, with no float noise (an
    exact 65 is 65.0), and the grade is that of the IKM as written (``ikm.grade``: half up to 2
    decimals)."""
    counting = {g: r for g, r in score.groups.items() if r.counts and r.index is not None}
    weights = {g: float(round_.group_weights.get(g, 0.0)) for g in counting
               if float(round_.group_weights.get(g, 0.0)) > 0}
    total = sum(weights.values())
    respondents = sum(counting[g].respondents for g in weights)
    value = ikm.to_float(score.ikm)
    graded = ikm.grade(value) if value is not None else None
    return {
        "invited": score.invited,
        "respondents": respondents,
        "response_rate": round(respondents / score.invited, 4) if score.invited else None,
        "required_sample": score.required_sample,
        "meets_required_sample": respondents >= score.required_sample if score.invited else None,
        "elements": {code: float(nrr) for code, nrr in score.elements.items()},
        "items": {code: float(nrr) for code, nrr in score.items.items()},
        # a counting group has its index
        "groups": {g: (GroupFigures(n=counting[g].respondents,
                                    mean=float(cast(Fraction, counting[g].index)))
                       if g in counting else None) for g in GROUPS},
        "groups_left_out": tuple(sorted(g for g, r in score.groups.items()
                                        if r.respondents and g not in weights)),
        "weights_used": {g: w / total for g, w in weights.items()} if total else {},
        "min_group": round_.min_group,
        "index": ikm.to_float(score.index),
        "ikm": value,
        "grade": graded[0] if graded else None,
        "category": graded[1] if graded else None,
        "ci95": (ikm.shown(score.ci95[0], 1), ikm.shown(score.ci95[1], 1)) if score.ci95 else None,
        "index_variance": score.index_variance,
    }


def _failed(round_: Round, entry: dict) -> bool | None:
    """Failed at a failing grade, or an in-time rate under the minimum (the official's own
    complaints: of this post while they held it, or of every post they held in the quarter)
    over enough complaints to judge. A grade from fewer respondents than the required sample is
    shown but never fails anyone on its own (DOMAIN.md section 3): it counts as no survey figure
    ("no invitations recorded", None, has no sample to fall short of)."""
    grade_known = entry["grade"] is not None and entry["meets_required_sample"] is not False
    rate = _judged_rate(entry["official_complaints"] or entry["complaints"])
    if not grade_known and rate is None:
        return None
    return bool((grade_known and entry["grade"] in round_.failing_grades)
                or (rate is not None and rate < round_.min_in_time_rate))


def _failed_because(round_: Round, entry: dict) -> tuple[FailureReason, ...]:
    """Which rule failed the entry, with its figure and its threshold (the card prints them):
    a GradeFailure (the grade, the IKM, the failing grades, and where) or a RateFailure (the
    rate, the minimum, ``complaints`` (the rate's denominator), ``posts`` (how many posts it
    covers), and where, when it is one post). The same test as _failed, said in figures."""
    where = {"position": entry["position"], "area_name": entry["area_name"] or entry["unit_name"]}
    found: list[FailureReason] = []
    if (entry["grade"] is not None and entry["meets_required_sample"] is not False
            and entry["grade"] in round_.failing_grades):
        found.append(GradeFailure(rule="grade", grade=entry["grade"], ikm=entry["ikm"],
                                  failing_grades=round_.failing_grades, **where))
    complaints = entry["official_complaints"] or entry["complaints"]
    rate = _judged_rate(complaints)
    if rate is not None and rate < round_.min_in_time_rate:
        summed = isinstance(complaints, SummedFigures)
        found.append(RateFailure(
            rule="in_time_rate", rate=rate, minimum=round_.min_in_time_rate,
            complaints=complaints.resolved + complaints.open_overdue,
            posts=complaints.posts if summed else 1,
            **({"position": None, "area_name": None} if summed else where)))
    return tuple(found)


def _judged_rate(complaints: ComplaintFigures | None) -> float | None:
    """The in-time rate when it is over enough complaints to judge, else None."""
    if complaints is None or not complaints.enough_to_judge:
        return None
    return complaints.in_time_rate


def base_results(round_: Round, now: datetime | None = None) -> BaseResults:
    """The base results of a round: stored ones when they still hold, else computed anew and
    stored (the caller commits).

    - A published round's are those published, whatever its data says now
      (survey_app/domain/publication.py): never recomputed.
    - A round whose figures are final (closed, and its complaints' moment of judgment J has
      come) keeps its stored results as long as its own data is unchanged (``fingerprint``).
    - Any other round (open, or closed before J: its complaint figures move with the clock as
      complaints fall overdue) reuses stored results of unchanged data for
      RESULTS_REFRESH_SECONDS (a setting, 60 s by default) after they were computed; results
      asked for at a given moment (``now``) are computed for that moment and not stored.

    Storing is an upsert (``store``): two first looks at once both succeed, and write the same.
    A stored snapshot that does not have today's shape is a stale cache: computed anew."""
    published_now = publication_in_force(round_)
    if published_now is not None:
        return published.published_base(published_now)
    final = (effective_state(round_, now) in ("closed", "published")
             and is_final(round_, now))
    if not final and now is not None:
        return compute_base(round_, now)
    digest = fingerprint(round_, now)
    stored = _stored(round_, digest, fresh_after=None if final else _cache_start())
    if stored is not None:
        return stored
    return store(round_, compute_base(round_, now), digest)


def current_base(round_: Round, now: datetime | None = None) -> BaseResults:
    """The round's base results from its data as it is (at ``now``): the stored ones while their
    fingerprint holds (the figures the pages show), else computed (and not stored). Publishing
    freezes these (survey_app/domain/publication.py)."""
    return _stored(round_, fingerprint(round_, now), fresh_after=None) or compute_base(round_, now)


def _cache_start() -> datetime:
    """The oldest moment a stored result of a round that is not final may come from."""
    from flask import current_app

    return clock.now() - timedelta(seconds=current_app.config["RESULTS_REFRESH_SECONDS"])


def _stored(round_: Round, digest: str, fresh_after: datetime | None) -> BaseResults | None:
    """The stored base results of the round, if computed from this data (and, when given,
    after ``fresh_after``); read from the database once per process (results_model.read_once:
    the digest and the moment they were stored say which they are)."""
    computed_at = db.session.scalar(
        select(ResultSnapshot.computed_at)
        .where(ResultSnapshot.round_id == round_.id, ResultSnapshot.fingerprint == digest,
               ResultSnapshot.method_version == METHOD_VERSION))
    if computed_at is None or (fresh_after is not None and computed_at < fresh_after):
        return None

    def parse() -> BaseResults | None:
        try:
            return parse_base(db.session.scalar(select(ResultSnapshot.document)
                                                .where(ResultSnapshot.round_id == round_.id))
                              or {})
        except StoredDocumentError:
            return None  # stored before a key was added without a new METHOD_VERSION: recompute

    return read_once(("base", round_.id, digest, computed_at.isoformat()), parse)


def store(round_: Round, base: BaseResults, digest: str | None = None) -> BaseResults:
    """Keep a round's base results with the fingerprint of their data (the caller commits).

    One statement, INSERT .. ON CONFLICT (round) DO UPDATE, on SQLite and PostgreSQL alike:
    two requests that compute the same round at once both store, the later one's row stays,
    and neither fails on the round's key."""
    values = {"fingerprint": digest or fingerprint(round_), "method_version": METHOD_VERSION,
              "computed_at": clock.now(), "document": base.to_dict(),
              "document_key": None, "results": None}  # its document is built anew
    statement = dialect_insert(ResultSnapshot).values(round_id=round_.id, **values)
    db.session.execute(statement.on_conflict_do_update(index_elements=["round_id"], set_=values))
    return base


# --- a published round: its publication (survey_app/domain/publication.py) ------------------

def publication_in_force(round_: Round) -> Publication | None:
    """A published round's publication in force (frozen at the first look if it was published
    before publications were stored); None for a round that is not published."""
    if round_.state != "published":
        return None
    found = published.current(round_)
    if found is None:
        _insert_once(round_, clock.now())
        found = published.current(round_)
    return found


def publication_columns(round_: Round, number: int, now: datetime | None) -> dict:
    """The columns of publication ``number`` of a round: its base results from its data as it
    is now (the stored figures the pages show while that data is unchanged: ``current_base``)
    and the document built around them, stored as JSON (results_model.to_dict)."""
    now = now or clock.now()
    base = current_base(round_, now)
    document = dataclasses.replace(
        build_document(round_, base, now),
        publication=PublicationRef(number=number, published_at=now.isoformat()))
    return {"published_at": now, "method_version": METHOD_VERSION,
            "base": base.to_dict(), "document": document.to_dict()}


def _insert_once(round_: Round, now: datetime) -> None:
    """Publication 1 of a round published before publications were stored, unless another
    first look stored it already (INSERT .. ON CONFLICT DO NOTHING on (round, number))."""
    db.session.execute(dialect_insert(Publication).values(round_id=round_.id, number=1,
                                                          **publication_columns(round_, 1, now))
                       .on_conflict_do_nothing(index_elements=["round_id", "number"]))


def complaint_figures_of(round_: Round, known: BaseResults | ResultsDocument | None = None
                         ) -> dict[int, ComplaintFigures]:
    """Every position's complaint figures for the round, as its results have them (stored,
    or as published: ``base_results``; ``known``, the round's base results or document when the
    caller has them already), so that the complaint pages show the figures the results and
    cards show, without aggregating the quarter's complaints again. The same as
    complaint_figures.figures_for_round computed when the results were: each post's figures
    (a post that changed hands: the whole post's), and empty ones where nothing was filed."""
    base = known if known is not None else base_results(round_)
    found = {e.position_id: e.area_complaints for e in base.positions + base.earlier_holders}
    figures = {pid: f for pid, f in found.items() if f is not None}
    empty = empty_figures(round_, None)
    if figures:  # at the moment the stored figures describe (the same for all of them)
        first = next(iter(figures.values()))
        empty = dataclasses.replace(empty, as_of=first.as_of, final=first.final)
    return {pid: figures.get(pid, empty) for pid in db.session.scalars(select(Position.id))}


# --- the document --------------------------------------------------------------------------------

def earlier_rounds(round_: Round, limit: int = HISTORY - 1) -> list[Round]:
    """The rounds before this one that have opened (by the clock too), newest first."""
    candidates = db.session.scalars(
        select(Round).where(Round.opens_at < round_.opens_at, Round.state != "draft")
        .order_by(Round.opens_at.desc())).all()
    return [r for r in candidates if effective_state(r) != "scheduled"][:limit]


class _Earlier:
    """One earlier round's entries (posts and earlier holders), in their order, looked up by
    post and by official's NIP: the document asks each of them for every post of the round
    (a dict look-up each, not a pass over the round)."""
    def __init__(self, entries: tuple[PositionResult, ...]):
        self.by_post: dict[int, list[PositionResult]] = {}
        self.by_nip: dict[str, list[PositionResult]] = {}
        for e in entries:
            self.by_post.setdefault(e.position_id, []).append(e)
            if e.official:
                self.by_nip.setdefault(e.official.nip, []).append(e)


def _own_previous(entry: PositionResult, earlier: list[_Earlier]
                  ) -> tuple[int, PositionResult] | None:
    """(how many rounds back, entry) of this entry's official's latest earlier result with a
    score: on the same post if they had one there that round, else on another post. None for an
    official with no earlier score of their own (a newcomer is not compared with the
    predecessor, DOMAIN.md section 4a). A post nobody holds is compared with its own previous
    score, whoever had it."""
    if entry.official is None:
        for back, entries in enumerate(earlier):
            post = [e for e in entries.by_post.get(entry.position_id, ())
                    if e.ikm is not None and not e.holder_part]
            if post:
                return back, post[0]
        return None
    nip = entry.official.nip
    for back, entries in enumerate(earlier):
        theirs = [e for e in entries.by_nip.get(nip, ()) if e.ikm is not None]
        if theirs:
            same = [e for e in theirs if e.position_id == entry.position_id]
            return back, (same or theirs)[0]
    return None


def results_document(round_: Round, now: datetime | None = None) -> ResultsDocument:
    """DESIGN.md's results document for a round (the caller commits: results may be stored);
    for a published round, the document as published (survey_app/domain/publication.py).

    The document built around stored base results is kept beside them, with the key of what it
    was built from (``_document_key``: this round's fingerprint and state, and each earlier
    round's publication or fingerprint); it is read back while that key holds and the base
    results do (``base_results``), else built anew (``refresh``). A document asked for at a
    given moment (``now``) is built for that moment.

    Pages do not call this for a round that is not published: they show the latest stored
    results whatever their age (``latest``), which the worker keeps fresh."""
    if now is not None and publication_in_force(round_) is None:
        return build_document(round_, base_results(round_, now), now)
    shown = latest(round_)
    if shown is not None and (shown.published or (
            shown.current and shown.document_key == _document_key(round_))):
        return shown.document
    return refresh(round_, recompute=False)


@dataclasses.dataclass(frozen=True)
class Shown:
    """A round's results as the pages show them: the latest stored document, when it was
    computed (a published round's: when it was published), and whether it is current as far as
    a page can tell without looking at the data (``latest``: else newer figures are due), with
    the key of what it was built from (``_document_key``; None for a published round's)."""
    document: ResultsDocument
    computed_at: datetime
    current: bool
    published: bool = False
    document_key: str | None = None


def latest(round_: Round) -> Shown | None:
    """The round's latest stored results (``Shown``), whatever their age; None when none are
    stored (or only in an older shape). Writes nothing: a GET may call it. Results of an older
    METHOD_VERSION are shown too, as not current (the worker redoes them: ``due_for_refresh``),
    rather than computed in the request: after an upgrade that changes the method, the first
    look at each round would otherwise compute it (12 s for a province's closed round).

    Cheap: it does not look at the round's data (the fingerprint counts all of the round's
    invitations, a tenth of a second and more on the province), so ``current`` says only what
    the clock and the round's state tell: a round whose figures are final has current results
    once they were computed after its moment of judgment (they stay while its data is
    unchanged), any other round for RESULTS_REFRESH_SECONDS. A change of the data is the
    worker's to find (``due_for_refresh`` compares the document's key, every minute) and is
    announced at once by whatever committed it (survey_app/changes.py, which asks the
    worker for a refresh: the page says newer figures are being computed meanwhile)."""
    in_force = publication_in_force(round_)
    if in_force is not None:
        return Shown(published.published_document(in_force), in_force.published_at,
                     current=True, published=True)
    stored = db.session.execute(
        select(ResultSnapshot.computed_at, ResultSnapshot.document_key,
               ResultSnapshot.method_version)
        .where(ResultSnapshot.round_id == round_.id,
               ResultSnapshot.document_key.is_not(None))).first()
    if stored is None:
        return None

    def parse() -> ResultsDocument | None:
        try:
            return parse_document(db.session.scalar(
                select(ResultSnapshot.results).where(ResultSnapshot.round_id == round_.id))
                or {})
        except StoredDocumentError:
            return None  # a document of an older shape: built anew

    document = read_once(("document", round_.id, stored.document_key,
                          stored.computed_at.isoformat()), parse)
    if document is None:
        return None
    current = stored.method_version == METHOD_VERSION and (
        stored.computed_at >= _final_since(round_) if _final(round_)
        else _base_still_holds(round_, stored.computed_at))
    return Shown(document, stored.computed_at, current, document_key=stored.document_key)


def refresh(round_: Round, recompute: bool = True) -> ResultsDocument:
    """Build the round's results document and store it with its base results (an upsert, as
    ``store``): what the pages show from then on. The worker does this for the rounds that are
    due (``due_for_refresh``), a job after a round closes, ``skm demo`` for its rounds. With
    ``recompute`` the base results of a round that is not final are computed anew whatever their
    age (a final round's stored ones are used while its data is unchanged). The caller commits."""
    fresh = recompute and not _final(round_)
    # The keys of the data as it is before computing (a change meanwhile: computed again next
    # time); everything is computed before anything is written (on SQLite a write locks out the
    # other writers, respondents among them, until the commit).
    key, digest = _document_key(round_), fingerprint(round_)
    base = compute_base(round_) if fresh else base_results(round_)
    document = build_document(round_, base)
    if fresh:
        store(round_, base, digest)
    # An UPDATE of the row just read or stored (two at once write the same).
    db.session.execute(update(ResultSnapshot).where(ResultSnapshot.round_id == round_.id)
                       .values(document_key=key, results=document.to_dict()))
    return document


WORKER_LOOKS_EVERY = timedelta(minutes=1)  # survey_app/jobs.py, refresh_results


def due_for_refresh() -> list[Round]:
    """The rounds whose stored results the worker computes anew: every round that has opened
    and is not published, whose results are missing or not current (``latest``), or would no
    longer be by the worker's next look (so that a round that is not final is computed every
    look while RESULTS_REFRESH_SECONDS is a minute, not every other one)."""
    due = []
    for round_ in db.session.scalars(select(Round).where(Round.state.in_(
            ("scheduled", "open", "closed"))).order_by(Round.opens_at)):
        if effective_state(round_) not in ("open", "closed"):
            continue
        stored = db.session.execute(
            select(ResultSnapshot.computed_at, ResultSnapshot.document_key)
            .where(ResultSnapshot.round_id == round_.id,
                   ResultSnapshot.method_version == METHOD_VERSION)).first()
        if (stored is None or stored.document_key != _document_key(round_)
                or not _base_still_holds(round_, stored.computed_at - WORKER_LOOKS_EVERY)):
            due.append(round_)
    return due


def _base_still_holds(round_: Round, computed_at: datetime) -> bool:
    """Whether the stored base results of the round (computed then) would be used as they are
    (base_results): a round whose figures are final keeps them, any other for
    RESULTS_REFRESH_SECONDS."""
    if _final(round_):
        return True
    return computed_at >= _cache_start()


def _final_since(round_: Round) -> datetime:
    """When a final round's figures became final: it had closed and its moment of judgment had
    come."""
    return max(judgment_moment(round_), min(round_.closed_at or round_.closes_at,
                                            round_.closes_at))


def _final(round_: Round) -> bool:
    """Whether the round's figures are final now: closed, and its moment of judgment has come."""
    return effective_state(round_) in ("closed", "published") and is_final(round_)


def _document_key(round_: Round) -> str:
    """A digest of what a round's document is built from: its own data (``fingerprint``) and
    state, and for each earlier round of its trend the publication in force, or its own
    fingerprint and when its base results were stored."""
    parts: list = [round_.code, round_.state, fingerprint(round_)]
    for earlier in earlier_rounds(round_):
        key = published.current_key(earlier) if earlier.state == "published" else None
        if key is not None:
            parts.append((earlier.code, "published", *key))
        else:
            computed = db.session.scalar(select(ResultSnapshot.computed_at)
                                         .where(ResultSnapshot.round_id == earlier.id))
            parts.append((earlier.code, fingerprint(earlier), computed))
    return hashlib.sha256(json.dumps(parts, default=str).encode()).hexdigest()


def _base_fields(entry: PositionResult) -> dict:
    return {f.name: getattr(entry, f.name) for f in dataclasses.fields(PositionResult)}


def build_document(round_: Round, base: BaseResults, now: datetime | None = None
                   ) -> ResultsDocument:
    """The results document around a round's base results: the trend, ranks and ladder."""
    history = [(r.code, base_results(r, now)) for r in earlier_rounds(round_)]
    by_position = [{e.position_id: e for e in doc.positions} for _code, doc in history]
    everyone = [_Earlier(doc.positions + doc.earlier_holders) for _code, doc in history]
    ranks, peers = _ranks(base.positions)
    positions = []
    for entry in base.positions:
        pid = entry.position_id
        found = _own_previous(entry, everyone)
        previous = found[1] if found else None
        change = p_value = None
        if previous and entry.ikm is not None:
            assert previous.ikm is not None  # _own_previous finds scored entries only
            # the difference of the two IKM as written (no float noise: 80.0 - 65.3 is 14.7)
            change = float(ikm.exact(entry.ikm) - ikm.exact(previous.ikm))
            p_value = ikm.change_p_value(change, entry.index_variance, previous.index_variance)
        streak = _failed_streak(entry, everyone)
        positions.append(PositionEntry(
            **_base_fields(entry),
            grade_bounds=GradeBounds(**GRADE_BOUNDS),
            previous_round=history[found[0]][0] if found else None,
            previous_ikm=previous.ikm if previous else None,
            compared_with=(ComparedWith(round=history[found[0]][0], position=previous.position,
                                        area_name=previous.area_name,
                                        unit_name=previous.unit_name,
                                        same_post=previous.position_id == pid)
                           if found and previous else None),
            change=change,
            change_p_value=p_value,
            change_significant=(p_value is not None and p_value < SIGNIFICANCE),
            trend=_trend(entry, base.round, history, by_position),
            rank=ranks.get(pid),
            peers=peers.get(entry.tier, 0),
            failed_rounds_in_a_row=streak,
            sanction_level=SANCTION_LEVELS[min(streak, len(SANCTION_LEVELS) - 1)],
        ))
    questionnaire = round_.questionnaire
    return ResultsDocument(
        round=round_.code, state=round_.state, method_version=METHOD_VERSION,
        reference_day=base.reference_day,
        settings=Settings(group_weights=round_.group_weights, min_group=round_.min_group,
                          deadline_days=round_.deadline_days,
                          survey_weight=round_.survey_weight,
                          complaint_weight=round_.complaint_weight,
                          min_in_time_rate=round_.min_in_time_rate,
                          failing_grades=round_.failing_grades,
                          min_complaints=round_.min_complaints,
                          questionnaire=QuestionnaireRef(key=questionnaire.key,
                                                         version=questionnaire.version,
                                                         sha256=questionnaire.content_hash)),
        positions=tuple(positions),
        earlier_holders=base.earlier_holders,
        publication=None)


def _trend(entry: PositionResult, code: str, history, by_position) -> tuple[TrendPoint, ...]:
    """The post's scores over up to eight quarters, oldest first, each with the official it
    belonged to and whether the holder changed since the point before (the card marks it)."""
    pid = entry.position_id
    points = [(round_code, positions_[pid]) for (round_code, _doc), positions_
              in zip(reversed(history), reversed(by_position), strict=True) if pid in positions_]
    points.append((code, entry))
    trend: list[TrendPoint] = []
    last = None
    for round_code, point in points:
        nip = point.official.nip if point.official is not None else None
        trend.append(TrendPoint(round=round_code, ikm=point.ikm, official=point.official,
                                holder_changed=bool(trend) and nip != last))
        last = nip
    return tuple(trend)


def _ranks(entries: tuple[PositionResult, ...]) -> tuple[dict[int, int], dict[str, int]]:
    """Competition ranks within each tier (equal shown values share a rank): by IKM, or, in a
    tier nobody rates, by the composite score. Kepala dinas (never surveyed) by the one ranking
    of units by complaint handling, the one ``skm complaints`` prints, among the units with
    enough complaints to judge."""
    by_tier: dict[str, dict[int, float]] = {}
    surveyed = {e.tier for e in entries if e.ikm is not None}
    for entry in entries:
        if entry.tier == "kepala_dinas":
            continue
        if not ranking.rankable(entry):
            continue  # below the required sample: shown and marked, not ranked (DOMAIN.md 3)
        value = entry.ikm if entry.tier in surveyed else entry.composite
        if value is not None:
            by_tier.setdefault(entry.tier, {})[entry.position_id] = value
    ranks: dict[int, int] = {}
    for values in by_tier.values():
        ranks.update(ikm.competition_ranks(values))
    peers = {tier: len(values) for tier, values in by_tier.items()}
    units = complaint_handling_ranks({
        e.position_id: e.complaints.as_dict() if e.complaints is not None else None
        for e in entries if e.tier == "kepala_dinas"})
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


def _failed_streak(entry: PositionResult, earlier: list[_Earlier]) -> int:
    """Consecutive failed rounds of this entry's official, newest first, across posts: a round
    counts as failed when anything that fell to them that round failed (``official_failed``)."""
    if entry.official is None or entry.official_failed is not True:
        return 0
    nip = entry.official.nip
    streak = 1
    for entries in earlier:
        outcomes = [e.official_failed for e in entries.by_nip.get(nip, ())]
        outcomes = [o for o in outcomes if o is not None]
        if not outcomes:
            continue  # not rated that round: neither breaks nor extends the run
        if any(outcomes):
            streak += 1
        else:
            break
    return streak


# --- output (the edge: JSON and CSV) -----------------------------------------------------------

def to_json(document: ResultsDocument | dict) -> str:
    """The document as JSON (given as read back from storage, a dict, it is printed as it is)."""
    found = document if isinstance(document, dict) else document.to_dict()
    return json.dumps(found, ensure_ascii=False, indent=1)


CSV_COLUMNS = ["position", "area_code", "area_name", "unit_code", "unit_name", "kota_code",
               "official_nip", "official_name", "invited", "respondents", "response_rate",
               "required_sample", "meets_required_sample", "index", "ikm", "grade", "category",
               "ci95_low", "ci95_high", "previous_ikm", "change", "change_p_value", "rank",
               "peers", "complaints_received", "complaints_resolved", "complaints_resolved_in_time",
               "complaints_in_time_rate", "complaints_median_days_to_resolve",
               "complaints_open_overdue", "complaints_deadline_days", "composite",
               "failed_rounds_in_a_row", "sanction_level", "groups_left_out"]


def to_csv(document: ResultsDocument) -> str:
    """One row per position; element NRR and group means as extra columns (E_U1, G_rt...).
    A post without complaint figures has its complaint columns empty."""
    elements = sorted({code for p in document.positions for code in p.elements})
    header = CSV_COLUMNS + [f"E_{e}" for e in elements] + [f"G_{g}" for g in GROUPS]
    return exports.csv_text(header, (_csv_row(p, elements) for p in document.positions))


def _csv_row(p, elements: list[str]) -> list[str]:
    """One position's row of to_csv (names and areas as text: exports.csv_text neutralises a
    cell that would start a formula)."""
    complaints = p.complaints.as_dict() if p.complaints is not None else {}
    flat = {**to_dict(p),
            "official_nip": p.official.nip if p.official is not None else None,
            "official_name": p.official.name if p.official is not None else None,
            "ci95_low": p.ci95[0] if p.ci95 else None,
            "ci95_high": p.ci95[1] if p.ci95 else None,
            "groups_left_out": " ".join(p.groups_left_out),
            **{f"complaints_{k}": v for k, v in complaints.items()}}
    groups = [p.groups.get(g) for g in GROUPS]
    return ([exports.plain(flat.get(c)) for c in CSV_COLUMNS]
            + [exports.plain(p.elements.get(e)) for e in elements]
            + [exports.plain(f.mean if f is not None else None) for f in groups])



# --- league tables -----------------------------------------------------------------------------

def _in_time_rate(p: PositionEntry) -> float | None:
    return p.complaints.in_time_rate if p.complaints is not None else None


SORT_KEYS = {
    "rank": lambda p: (p.rank is None, p.rank or 0),
    "ikm": lambda p: (p.ikm is None, -(p.ikm or 0)),
    "composite": lambda p: (p.composite is None, -(p.composite or 0)),
    "response_rate": lambda p: (p.response_rate is None, -(p.response_rate or 0)),
    "in_time_rate": lambda p: (_in_time_rate(p) is None, -(_in_time_rate(p) or 0)),
    "change": lambda p: (p.change is None, -(p.change or 0)),
    "area": lambda p: (p.area_name or p.unit_name or ""),
}


def league_table(document: ResultsDocument, tier: str, kota: str | None = None,
                 grade: str | None = None, sort: str = "rank") -> list[PositionEntry]:
    """The positions of one tier, filtered by kota and grade, in the chosen order."""
    rows = [p for p in document.positions if p.tier == tier
            and (not kota or p.kota_code == kota)
            and (not grade or (p.grade or "-") == grade)]
    return sorted(rows, key=SORT_KEYS.get(sort, SORT_KEYS["rank"]))


def grade_distribution(document: ResultsDocument) -> dict[str, dict[str, int]]:
    """Per tier, how many positions got each grade ('-' for no score)."""
    found: dict[str, dict[str, int]] = {}
    for p in document.positions:
        counts = found.setdefault(p.tier, {g: 0 for g in ("A", "B", "C", "D", "-")})
        counts[p.grade or "-"] += 1
    return found


def sanctions_list(document: ResultsDocument) -> list[PositionEntry]:
    """Positions whose official is on a rung of the ladder, the highest rung first."""
    rows = [p for p in document.positions if p.sanction_level != "none"]
    return sorted(rows, key=lambda p: (-p.failed_rounds_in_a_row, p.composite or 0))
