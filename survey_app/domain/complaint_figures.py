"""Complaint-resolution figures per position and round, and the ranking of units (DOMAIN.md
section 5: every reader must get the same numbers).

The rules, as implemented here:

- A complaint belongs to the round whose quarter (the round code ``YYYY-Qn``, in Jakarta time) it
  was reported in, and to the position it was attributed to at import: the lurah of its kelurahan,
  or the kepala dinas of its unit. A camat's figures cover the complaints of every kelurahan of the
  kecamatan, a wali kota's or bupati's those of the whole kota or kabupaten (complaints that name a
  unit belong to the unit, not to the area's heads).
- Everything is measured at one moment, the *cutoff*: the quarter's moment of judgment J (the
  quarter's end plus the round's ``deadline_days``: by J every complaint of the quarter is due),
  or now before J. Figures before J are provisional (``final`` false), from J on final; when the
  survey round closes or is published changes nothing. A complaint resolved after the cutoff was
  still open at it; at J every complaint not rejected is in the in-time rate's denominator.
- ``received`` counts every complaint, rejected ones included; ``rejected`` (Ditolak) are counted
  apart and left out of everything else: rates, medians, overdue.
- In time: resolved no later than reported + the round's ``deadline_days`` (exactly on the
  deadline is in time; one minute later is not).
- ``open_overdue``: not resolved at the cutoff, and the deadline had passed by then.
- ``in_time_rate`` = resolved_in_time / (resolved + open_overdue); a complaint still open and not
  yet due is left out. None (not zero) when that denominator is 0. ``enough_to_judge``: that
  denominator reaches the round's ``min_complaints``; a rate over fewer is shown but never fails
  anyone, never enters the composite score and never ranks a unit.
- ``median_days_to_resolve`` over the resolved ones, in fractional days; ``median_hours_to_first_
  response`` over the complaints whose first response is known (and came before the cutoff). The
  median of an even count is the mean of the two middle values. None when there is nothing to take
  the median of.

All of it is computed by aggregate queries in the database: durations in whole milliseconds (exact
comparisons with the deadline on both SQLite and PostgreSQL), counts with SUM(CASE ...), medians
with window functions, so that only one row per position comes back to Python.
"""
from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import (
    BigInteger,
    Date,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    null,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from survey_app.domain import clock, quarters
from survey_app.domain.officials import in_post
from survey_app.domain.vocabulary import DEFAULT_SETTINGS
from survey_app.extensions import db
from survey_app.models import Appointment, Area, Complaint, Position, Round, Unit
from survey_app.models.types import UTCDateTime

K = TypeVar("K")
DAY_MS = 86_400_000
HOUR_MS = 3_600_000


@dataclass(frozen=True)
class ComplaintFigures:
    """One position's (or one official's) complaint figures for a round.

    The keys of :meth:`as_dict` are the results document's ``complaints`` object (DESIGN.md)
    plus ``rejected`` and ``median_hours_to_first_response``. Values are unrounded. ``as_of`` is
    the cutoff in Jakarta time (ISO 8601, +07:00), ``final`` whether it is the moment of judgment.
    """

    received: int = 0
    rejected: int = 0
    resolved: int = 0
    resolved_in_time: int = 0
    in_time_rate: float | None = None
    median_days_to_resolve: float | None = None
    median_hours_to_first_response: float | None = None
    open_overdue: int = 0
    deadline_days: int = DEFAULT_SETTINGS["deadline_days"]
    min_complaints: int = DEFAULT_SETTINGS["min_complaints"]
    enough_to_judge: bool = False
    as_of: str | None = None
    final: bool = False

    def as_dict(self) -> dict:
        return asdict(self)


# --- SQL building blocks (one expression, compiled per database) -------------------------------

class ms_between(FunctionElement):
    """Whole milliseconds from the first time to the second (NULL if either is NULL)."""

    type = BigInteger()
    inherit_cache = True


@compiles(ms_between, "sqlite")
def _ms_between_sqlite(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    # julianday() keeps milliseconds exactly; rounding the product gives the exact integer.
    return f"CAST(ROUND((julianday({end}) - julianday({start})) * 86400000.0) AS INTEGER)"


@compiles(ms_between, "postgresql")
def _ms_between_postgresql(element, compiler, **kw):
    start, end = (compiler.process(c, **kw) for c in element.clauses)
    return f"CAST(ROUND(EXTRACT(EPOCH FROM ({end} - {start})) * 1000) AS BIGINT)"


class plus_days(FunctionElement):
    """A stored UTC time plus whole days of 24 hours, to the microsecond: a deadline is compared
    as a time ("resolved no later than reported + deadline days", DOMAIN.md 5), not as a
    duration in milliseconds, which would let a resolution under a millisecond late count as
    in time."""

    type = UTCDateTime()
    inherit_cache = True


@compiles(plus_days, "sqlite")
def _plus_days_sqlite(element, compiler, **kw):
    time, days = (compiler.process(c, **kw) for c in element.clauses)
    # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" (SQLAlchemy's format, domain/bulk.py's too), and
    # its date functions keep whole seconds: the days are added to those and the microseconds
    # put back, so that the text compares with a stored time exactly.
    return f"(datetime({time}, '+' || ({days}) || ' days') || substr({time}, 20))"


@compiles(plus_days, "postgresql")
def _plus_days_postgresql(element, compiler, **kw):
    time, days = (compiler.process(c, **kw) for c in element.clauses)
    # Seconds, not calendar days: '1 day' follows the session's time zone across a DST change.
    return f"({time} + make_interval(secs => ({days}) * 86400))"


class jakarta_date(FunctionElement):
    """The Asia/Jakarta calendar day of a stored UTC time."""

    type = Date()
    inherit_cache = True


@compiles(jakarta_date, "sqlite")
def _jakarta_date_sqlite(element, compiler, **kw):
    # Jakarta has kept UTC+7 without daylight saving since 1964.
    return f"date({compiler.process(element.clauses, **kw)}, '+7 hours')"


@compiles(jakarta_date, "postgresql")
def _jakarta_date_postgresql(element, compiler, **kw):
    return f"CAST(timezone('Asia/Jakarta', {compiler.process(element.clauses, **kw)}) AS DATE)"


# --- the round's window ------------------------------------------------------------------------

def judgment_moment(round_: Round) -> datetime:
    """J: the end of the round's quarter plus its complaint deadline (Q4 2026 with 7 days:
    2027-01-08 00:00 WIB). By J every complaint of the quarter is due."""
    return quarters.window(round_.code)[1] + timedelta(days=round_.deadline_days)


def cutoff_of(round_: Round, now: datetime | None = None) -> datetime:
    """The moment the figures describe: J, or now before it (provisional figures)."""
    return min(judgment_moment(round_), now or clock.now())


def is_final(round_: Round, now: datetime | None = None) -> bool:
    """Whether the figures are final: J has come."""
    return (now or clock.now()) >= judgment_moment(round_)


def empty_figures(round_: Round, now: datetime | None) -> ComplaintFigures:
    """The figures of a position without complaints in the quarter."""
    return ComplaintFigures(deadline_days=round_.deadline_days,
                            min_complaints=round_.min_complaints, **_moment(round_, now))


def _moment(round_: Round, now: datetime | None) -> dict:
    now = now or clock.now()
    return {"as_of": clock.to_jakarta(cutoff_of(round_, now)).isoformat(),
            "final": is_final(round_, now)}


# --- the figures -------------------------------------------------------------------------------

def figures_for_round(round_: Round, now: datetime | None = None) -> dict[int, ComplaintFigures]:
    """position_id -> ComplaintFigures for every position (lurah, camat, walikota, bupati,
    kepala_dinas); positions without complaints in the quarter get zero counts and None rates."""
    found = {key[0]: figures for key, figures in _aggregate(round_, now, by_official=False).items()}
    empty = empty_figures(round_, now)
    return {position_id: found.get(position_id, empty)
            for position_id in db.session.scalars(select(Position.id))}


def figures_by_official(round_: Round, now: datetime | None = None,
                        positions: Collection[int] | None = None
                        ) -> dict[tuple[int, int | None], ComplaintFigures]:
    """(position_id, official_id) -> ComplaintFigures: each complaint follows the official who
    held the post on the Jakarta day it was reported (a rotation mid-quarter splits a position's
    figures between its two holders). official_id is None for days when nobody held the post.
    Only pairs with complaints appear; only those of ``positions`` when given (the results need
    the posts that changed hands only: a province's every complaint costs most of a second)."""
    if positions is not None and not positions:
        return {}
    return _aggregate(round_, now, by_official=True, positions=positions)


def _aggregate(round_: Round, now: datetime | None, by_official: bool,
               positions: Collection[int] | None = None) -> dict[tuple, ComplaintFigures]:
    now = now or clock.now()
    start, end = quarters.window(round_.code)
    cutoff = literal(cutoff_of(round_, now), UTCDateTime)
    moment = _moment(round_, now)
    c = Complaint.__table__
    due = plus_days(c.c.reported_at, literal(round_.deadline_days, Integer))
    columns = [
        c.c.position_id, c.c.area_id, c.c.unit_id,
        case((c.c.status == "rejected", 1), else_=0).label("is_rejected"),
        case((and_(c.c.status == "resolved", c.c.resolved_at <= cutoff), 1), else_=0)
        .label("is_resolved"),
        ms_between(c.c.reported_at, c.c.resolved_at).label("resolve_ms"),
        case((and_(c.c.status != "rejected", c.c.first_response_at <= cutoff),
              ms_between(c.c.reported_at, c.c.first_response_at))).label("response_ms"),
        case((c.c.resolved_at <= due, 1), else_=0).label("resolved_by_due"),
        case((cutoff > due, 1), else_=0).label("past_due"),
    ]
    if by_official:
        columns.append(jakarta_date(c.c.reported_at).label("day"))
    quarter = select(*columns).where(c.c.reported_at >= literal(start, UTCDateTime),
                                     c.c.reported_at < literal(end, UTCDateTime)).cte("quarter")
    attributed = _attributed(quarter, by_official, positions).cte("attributed")
    keys = [attributed.c.position_id] + ([attributed.c.official_id] if by_official else [])
    a = attributed.c
    counts = select(
        *keys, func.count().label("received"), func.sum(a.is_rejected).label("rejected"),
        func.sum(a.is_resolved).label("resolved"),
        func.sum(case((and_(a.is_resolved == 1, a.resolved_by_due == 1), 1), else_=0))
        .label("in_time"),
        func.sum(case((and_(a.is_rejected == 0, a.is_resolved == 0, a.past_due == 1), 1),
                      else_=0)).label("open_overdue"),
    ).group_by(*keys)
    resolve_medians = _medians(attributed, keys, a.resolve_ms, a.is_resolved == 1)
    response_medians = _medians(attributed, keys, a.response_ms, a.response_ms.is_not(None))
    result = {}
    for row in db.session.execute(counts):
        key = tuple(row[:len(keys)])
        denominator = row.resolved + row.open_overdue
        resolve_ms, response_ms = resolve_medians.get(key), response_medians.get(key)
        result[key] = ComplaintFigures(
            received=row.received, rejected=row.rejected, resolved=row.resolved,
            resolved_in_time=row.in_time, open_overdue=row.open_overdue,
            in_time_rate=row.in_time / denominator if denominator else None,
            median_days_to_resolve=None if resolve_ms is None else resolve_ms / DAY_MS,
            median_hours_to_first_response=None if response_ms is None else response_ms / HOUR_MS,
            deadline_days=round_.deadline_days, min_complaints=round_.min_complaints,
            enough_to_judge=denominator >= round_.min_complaints, **moment)
    return result


def _attributed(quarter, by_official: bool, positions: Collection[int] | None = None):
    """Each complaint of the quarter once per position it counts for: its own position (lurah or
    kepala dinas), and for complaints filed at a kelurahan also its camat and wali kota/bupati."""
    q = quarter.c
    values = [q.is_rejected, q.is_resolved, q.resolve_ms, q.response_ms, q.resolved_by_due,
              q.past_due]
    # Who held the post on the day it was reported, from the appointments as recorded now (not
    # as at the import: a rotation recorded late still moves the complaints, DOMAIN.md 4a).
    own_official = cast(null(), Integer)
    own_source = quarter
    if by_official:
        term = Appointment.__table__.alias("own_term")
        own_source = quarter.outerjoin(term, in_post(term.c, q.position_id, q.day))
        own_official = term.c.official_id
    own = select(q.position_id.label("position_id"), own_official.label("official_id"),
                 *values).select_from(own_source).where(q.position_id.is_not(None))
    if positions is not None:
        own = own.where(q.position_id.in_(sorted(positions)))
    branches = [own]
    areas = Area.__table__
    kelurahan, kecamatan = areas.alias("kel"), areas.alias("kec")
    for kinds, parent in ((("camat",), kelurahan.c.parent_id),
                          (("walikota", "bupati"), kecamatan.c.parent_id)):
        head = Position.__table__.alias("head")
        source = quarter.join(kelurahan, kelurahan.c.id == q.area_id)
        if parent is kecamatan.c.parent_id:
            source = source.join(kecamatan, kecamatan.c.id == kelurahan.c.parent_id)
        source = source.join(head, and_(head.c.kind.in_(kinds), head.c.area_id == parent))
        official = cast(null(), Integer)
        if by_official:
            term = Appointment.__table__.alias("term")
            source = source.outerjoin(term, in_post(term.c, head.c.id, q.day))
            official = term.c.official_id
        branch = select(head.c.id, official, *values).select_from(source).where(
            q.unit_id.is_(None))
        if positions is not None:
            branch = branch.where(head.c.id.in_(sorted(positions)))
        branches.append(branch)
    return union_all(*branches)


def _medians(attributed, keys, value, condition) -> dict[tuple, float]:
    """key -> median of ``value`` over the rows meeting ``condition``, computed in the database
    (row numbers within each key; the middle one, or the mean of the middle two)."""
    partition = [attributed.c[k.name] for k in keys]
    ranked = select(*partition, value.label("v"),
                    func.row_number().over(partition_by=partition, order_by=value).label("rn"),
                    func.count().over(partition_by=partition).label("n")
                    ).where(condition).subquery()
    r = ranked.c
    middle = select(*(r[k.name] for k in keys), func.avg(r.v)).where(
        or_(r.rn == (r.n + 1) // 2, r.rn == (r.n + 2) // 2)).group_by(*(r[k.name] for k in keys))
    return {tuple(row[:-1]): float(row[-1]) for row in db.session.execute(middle)}


# --- labels and the unit ranking ---------------------------------------------------------------

@dataclass
class PositionFigures:
    position_id: int
    kind: str
    code: str  # the area code, or the unit code of a kepala dinas
    name: str
    figures: ComplaintFigures


KIND_ORDER = {"walikota": 0, "bupati": 0, "camat": 1, "lurah": 2, "kepala_dinas": 3}


def figures_table(round_: Round, now: datetime | None = None,
                  figures: dict[int, ComplaintFigures] | None = None) -> list[PositionFigures]:
    """Every position with its label and figures, ordered wali kota, camat, lurah, kepala dinas."""
    figures = figures if figures is not None else figures_for_round(round_, now)
    rows = db.session.execute(
        select(Position.id, Position.kind, func.coalesce(Area.code, Unit.code),
               func.coalesce(Area.name, Unit.name))
        .outerjoin(Area, Position.area_id == Area.id).outerjoin(Unit, Position.unit_id == Unit.id))
    table = [PositionFigures(id_, kind, code, name, figures[id_]) for id_, kind, code, name in rows
             if id_ in figures]
    table.sort(key=lambda p: (KIND_ORDER.get(p.kind, 9), p.code))
    return table


@dataclass
class UnitRank:
    rank: int | None  # None: too few complaints to judge the unit on (DOMAIN.md section 5)
    unit_code: str
    unit_name: str
    position_id: int | None
    figures: ComplaintFigures


def complaint_handling_ranks(figures: Mapping[K, Mapping | None]) -> dict[K, int]:
    """The one ranking of units (dinas are not surveyed), used by ``skm complaints`` and the
    results document alike: units with enough complaints to judge, as the LAPOR! pilot ranked
    them: by in-time rate (higher first), then by response speed: median hours to first
    response, then median days to resolve (faster first; unknown after known). Units equal on all
    three share a rank (competition ranks: 1, 2, 2, 4). ``figures`` maps any key to a unit's
    complaint figures (ComplaintFigures.as_dict()); units not ranked are left out."""
    def key(f: Mapping) -> tuple:
        return (-f["in_time_rate"],
                f["median_hours_to_first_response"] is None,
                f["median_hours_to_first_response"] or 0,
                f["median_days_to_resolve"] is None, f["median_days_to_resolve"] or 0)

    judged = sorted(((key(f), k) for k, f in figures.items()
                     if f and f["enough_to_judge"] and f["in_time_rate"] is not None),
                    key=lambda pair: pair[0])
    ranks: dict[K, int] = {}
    for i, (value, k) in enumerate(judged):
        ranks[k] = ranks[judged[i - 1][1]] if i and judged[i - 1][0] == value else i + 1
    return ranks


def rank_units(round_: Round, now: datetime | None = None,
               figures: dict[int, ComplaintFigures] | None = None) -> list[UnitRank]:
    """Every unit (dinas) with its rank by complaint handling (complaint_handling_ranks), in rank
    order; units with too few complaints to judge are listed last without a rank."""
    figures = figures if figures is not None else figures_for_round(round_, now)
    empty = empty_figures(round_, now)
    rows = db.session.execute(
        select(Unit.code, Unit.name, Position.id).outerjoin(
            Position, and_(Position.unit_id == Unit.id, Position.kind == "kepala_dinas"))
        .order_by(Unit.code))
    units = [UnitRank(None, code, name, pid, figures.get(pid, empty) if pid else empty)
             for code, name, pid in rows]
    ranks = complaint_handling_ranks({u.unit_code: u.figures.as_dict() for u in units})
    for unit in units:
        unit.rank = ranks.get(unit.unit_code)
    return sorted(units, key=lambda u: (u.rank is None, u.rank or 0))  # stable: by code within
