"""Officials and their dated appointments to positions: import, who held a post when, lists a
page at a time, the import format written back, and rotations (one holder out, the next in)."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext
from sqlalchemy import and_, case, func, or_, select

from survey_app.domain import text
from survey_app.domain.areas import ImportSummary
from survey_app.domain.errors import N_, DomainError, ImportRejected, RowError
from survey_app.domain.paging import Page, contains, paginate
from survey_app.domain.tabular import Table, day_cell
from survey_app.domain.vocabulary import POSITION_AREA_LEVEL, POSITION_KINDS
from survey_app.extensions import db
from survey_app.models import Appointment, Area, Official, Position, Unit

OFFICIAL_COLUMNS = ["nip", "name", "position", "area_code", "unit_code", "start_date", "end_date"]
FAR_FUTURE = date(9999, 12, 31)
# The text each file column is stored in (text.row_errors: control characters and lengths).
OFFICIAL_TEXT = {"nip": Official.nip, "name": Official.name, "position": None,
                 "area_code": Area.code, "unit_code": Unit.code, "start_date": None,
                 "end_date": None}


def _overlaps(a_start: date, a_end: date | None, b_start: date, b_end: date | None) -> bool:
    return a_start <= (b_end or FAR_FUTURE) and b_start <= (a_end or FAR_FUTURE)


def get_or_create_position(kind: str, area: Area | None = None,
                           unit: Unit | None = None) -> Position:
    position = db.session.scalar(select(Position).where(
        Position.kind == kind,
        Position.area_id.is_(None) if area is None else Position.area_id == area.id,
        Position.unit_id.is_(None) if unit is None else Position.unit_id == unit.id))
    if position is None:
        position = Position(kind=kind, area=area, unit=unit)
        db.session.add(position)
        db.session.flush()
    return position


def import_officials(table: Table) -> ImportSummary:
    """Upsert officials by NIP and appointments by NIP + position + start_date.

    Refused (nothing written) when any row is bad: unknown position kind, an area of the wrong
    level for the position, an unknown area or unit, a bad date, an end before the start, or an
    appointment that overlaps another one of the same position (in the file or already stored).
    """
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    units = {u.code: u for u in db.session.scalars(select(Unit))}
    errors: list[RowError] = []
    parsed = []  # (line, nip, name, kind, area, unit, start, end)
    names_by_nip: dict[str, tuple[int, str]] = {}
    for line, row in table.rows:
        row_errors = text.row_errors(line, row, OFFICIAL_TEXT)
        name, kind = row["name"], row["position"].lower()
        nip = _nip(line, row["nip"], row_errors)
        _check_name(line, nip, name, names_by_nip, row_errors)
        area, unit = _place(line, row, kind, areas, units, row_errors)
        start, end = _dates(line, row, row_errors)
        errors.extend(row_errors)
        if not row_errors:
            parsed.append((line, nip, name, kind, area, unit, start, end))
    errors.extend(_overlap_errors(parsed))
    if errors:
        raise ImportRejected(sorted(errors, key=lambda e: e.line))
    return _write(parsed)


# The row checks of import_officials: each adds its RowErrors to the row's list.

def _nip(line: int, nip: str, row_errors: list[RowError]) -> str:
    """The NIP without its spaces: filled, digits only."""
    if not nip:
        row_errors.append(RowError(line, N_("nip is empty"), "nip"))
    elif not nip.replace(" ", "").isdigit():
        row_errors.append(RowError(line, N_("nip '%(nip)s' must contain digits only"), "nip",
                                   nip=nip))
    return nip.replace(" ", "")


def _check_name(line: int, nip: str, name: str, names_by_nip: dict[str, tuple[int, str]],
                row_errors: list[RowError]) -> None:
    """A name, the same on every row of a NIP (the first row's name is recorded)."""
    if not name:
        row_errors.append(RowError(line, N_("name is empty"), "name"))
    elif nip in names_by_nip and names_by_nip[nip][1] != name:
        row_errors.append(RowError(line, N_("NIP %(nip)s has another name on line %(line)s"),
                                   "name", nip=nip, line=names_by_nip[nip][0]))
    names_by_nip.setdefault(nip, (line, name))


def _place(line: int, row: dict[str, str], kind: str, areas: dict[str, Area],
           units: dict[str, Unit], row_errors: list[RowError]) -> tuple[Area | None, Unit | None]:
    """(area, unit) the position heads: a unit for a kepala_dinas, an area for the others."""
    if kind not in POSITION_KINDS:
        row_errors.append(RowError(line, N_("unknown position '%(position)s'; use one of "
                                            "%(positions)s"), "position",
                                   position=kind, positions=", ".join(POSITION_KINDS)))
        return None, None
    if kind == "kepala_dinas":
        return None, _headed_unit(line, row, units, row_errors)
    return _headed_area(line, row, kind, areas, row_errors), None


def _headed_unit(line: int, row: dict[str, str], units: dict[str, Unit],
                 row_errors: list[RowError]) -> Unit | None:
    """A kepala_dinas names a stored unit and no area."""
    unit = None
    if not row["unit_code"]:
        row_errors.append(RowError(line, N_("a kepala_dinas needs a unit_code"),
                                   "unit_code"))
    elif row["unit_code"] not in units:
        row_errors.append(RowError(line, N_("unit %(code)s does not exist (import units "
                                            "first)"), "unit_code", code=row["unit_code"]))
    else:
        unit = units[row["unit_code"]]
    if row["area_code"]:
        row_errors.append(RowError(line, N_("a kepala_dinas heads a unit: leave area_code "
                                            "empty"), "area_code"))
    return unit


def _headed_area(line: int, row: dict[str, str], kind: str, areas: dict[str, Area],
                 row_errors: list[RowError]) -> Area | None:
    """Any other position names no unit and a stored area of the level it heads."""
    wanted = POSITION_AREA_LEVEL[kind]
    if row["unit_code"]:
        row_errors.append(RowError(line, N_("a %(position)s heads an area: leave unit_code "
                                            "empty"), "unit_code", position=kind))
    if not row["area_code"]:
        row_errors.append(RowError(line, N_("a %(position)s needs the area_code of a "
                                            "%(level)s"), "area_code",
                                   position=kind, level=wanted))
    elif row["area_code"] not in areas:
        row_errors.append(RowError(line, N_("area %(code)s does not exist"), "area_code",
                                   code=row["area_code"]))
    elif areas[row["area_code"]].level != wanted:
        found = areas[row["area_code"]]
        row_errors.append(RowError(line, N_("a %(position)s heads a %(level)s, but "
                                            "%(code)s (%(name)s) is a %(found_level)s"),
                               "area_code", position=kind, level=wanted,
                               code=found.code, name=found.name,
                               found_level=found.level))
    else:
        return areas[row["area_code"]]
    return None


def _dates(line: int, row: dict[str, str],
           row_errors: list[RowError]) -> tuple[date | None, date | None]:
    """A start date, an optional end date, not before the start."""
    start = day_cell(row, "start_date", line, row_errors, required=True)
    end = day_cell(row, "end_date", line, row_errors)
    if start and end and end < start:
        row_errors.append(RowError(line, N_("end_date is before start_date"), "end_date"))
    return start, end


def _position_key(kind: str, area: Area | None, unit: Unit | None) -> tuple:
    return (kind, area.code if area else None, unit.code if unit else None)


def _overlap_errors(parsed) -> list[RowError]:
    errors = []
    by_position: dict[tuple, list] = {}
    seen_keys: dict[tuple, int] = {}
    for line, nip, _name, kind, area, unit, start, end in parsed:
        key = (nip, _position_key(kind, area, unit), start)
        if key in seen_keys:
            errors.append(RowError(line, N_("the same appointment appears twice (also on line "
                                            "%(line)s)"), line=seen_keys[key]))
            continue
        seen_keys[key] = line
        by_position.setdefault(_position_key(kind, area, unit), []).append((line, nip, start, end))
    for (kind, area_code, unit_code), rows in by_position.items():
        where = area_code or unit_code
        stored = db.session.execute(
            select(Official.nip, Appointment.start_date, Appointment.end_date)
            .join(Appointment.official).join(Appointment.position)
            .outerjoin(Area, Position.area_id == Area.id)
            .outerjoin(Unit, Position.unit_id == Unit.id)
            .where(Position.kind == kind,
                   Area.code == area_code if area_code else Unit.code == unit_code)).all()
        for i, (line, nip, start, end) in enumerate(rows):
            for other_line, other_nip, o_start, o_end in rows[:i]:
                if _overlaps(start, end, o_start, o_end):
                    errors.append(RowError(line, N_("overlaps the appointment on line %(line)s "
                                                    "(%(nip)s) as %(position)s of %(code)s"),
                                           line=other_line, nip=other_nip, position=kind,
                                           code=where))
            for s_nip, s_start, s_end in stored:
                if (s_nip, s_start) == (nip, start):
                    continue  # the row updates this stored appointment
                if any((r[1], r[2]) == (s_nip, s_start) for r in rows):
                    # the file also updates that stored appointment: compare with the new dates
                    continue
                if not _overlaps(start, end, s_start, s_end):
                    continue
                if s_end:
                    template = N_("overlaps the stored appointment of %(nip)s as %(position)s of "
                                  "%(code)s from %(start)s to %(end)s")
                else:
                    template = N_("overlaps the stored appointment of %(nip)s as %(position)s of "
                                  "%(code)s from %(start)s")
                errors.append(RowError(line, template, nip=s_nip, position=kind, code=where,
                                       start=s_start.isoformat(), end=s_end and s_end.isoformat()))
    return errors


def _write(parsed) -> ImportSummary:
    summary = ImportSummary()
    officials = {o.nip: o for o in db.session.scalars(select(Official))}
    for line, nip, name, kind, area, unit, start, end in parsed:
        what = f"{nip} {name}: {kind} {(area or unit).code} {start.isoformat()}"
        official = officials.get(nip)
        changed = False
        if official is None:
            official = Official(nip=nip, name=name)
            db.session.add(official)
            officials[nip] = official
            db.session.flush()
        elif official.name != name:
            official.name = name
            changed = True
        position = get_or_create_position(kind, area, unit)
        appointment = db.session.scalar(select(Appointment).where(
            Appointment.official_id == official.id, Appointment.position_id == position.id,
            Appointment.start_date == start))
        if appointment is None:
            db.session.add(Appointment(official=official, position=position, start_date=start,
                                       end_date=end))
            db.session.flush()
            summary.count(line, "new", what)
            continue
        if appointment.end_date != end:
            appointment.end_date = end
            changed = True
        summary.count(line, "update" if changed else "unchanged", what)
    db.session.flush()
    return summary


def in_post(term, position, day):
    """The condition "appointment ``term`` held ``position`` on ``day``" (end date inclusive,
    open-ended when null): the one statement of it for every query that asks who held a post.
    ``term`` is the Appointment model or an alias's columns; ``position`` and ``day`` are columns,
    values or bound parameters."""
    return and_(term.position_id == position, term.start_date <= day,
                or_(term.end_date.is_(None), term.end_date >= day))


def holder_on(position_id: int, day: date) -> Official | None:
    """The official who held the position on that day, if any."""
    return db.session.scalar(
        select(Official).join(Appointment, Appointment.official_id == Official.id)
        .where(in_post(Appointment, position_id, day)))


def holders_on(day: date) -> dict[int, Official]:
    """Every position's holder on that day, in one query: position_id -> Official."""
    rows = db.session.execute(
        select(Appointment.position_id, Official).join(Appointment.official)
        .where(in_post(Appointment, Appointment.position_id, day))).all()
    return {position_id: official for position_id, official in rows}


# --- lists and the import format written back --------------------------------------------

def _kind_order():
    """Posts from the top: wali kota and bupati, camat, lurah, then kepala dinas."""
    order = ("walikota", "bupati", "camat", "lurah", "kepala_dinas")
    return case({kind: n for n, kind in enumerate(order)}, value=Position.kind)


def official_rows() -> list[list[str]]:
    """Every appointment as a row of an officials file (OFFICIAL_COLUMNS), by NIP and start:
    the file imports back unchanged. (An official without any appointment has no row.)"""
    rows = db.session.execute(
        select(Official.nip, Official.name, Position.kind, Area.code, Unit.code,
               Appointment.start_date, Appointment.end_date)
        .join(Appointment.official).join(Appointment.position)
        .outerjoin(Area, Position.area_id == Area.id).outerjoin(Unit, Position.unit_id == Unit.id)
        .order_by(Official.nip, Appointment.start_date, Position.kind))
    return [[nip, name, kind, area_code or "", unit_code or "", start.isoformat(),
             end.isoformat() if end else ""]
            for nip, name, kind, area_code, unit_code, start, end in rows]


@dataclass(frozen=True)
class Term:
    """One appointment as the pages show it."""

    appointment_id: int
    position_id: int
    kind: str
    place_code: str
    place_name: str
    start: date
    end: date | None
    nip: str = ""
    name: str = ""

    def current_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or self.end >= day)


def _terms_query():
    return (select(Appointment.id, Position.id, Position.kind,
                   func.coalesce(Area.code, Unit.code), func.coalesce(Area.name, Unit.name),
                   Appointment.start_date, Appointment.end_date, Official.nip, Official.name,
                   Appointment.official_id)
            .join(Appointment.position).join(Appointment.official)
            .outerjoin(Area, Position.area_id == Area.id)
            .outerjoin(Unit, Position.unit_id == Unit.id))


def list_officials(search: str = "", number: int = 1) -> tuple[Page, dict[int, list[Term]]]:
    """A page of officials by name (rows (Official,)) and their appointments, latest first, in
    one more query; ``search`` matches the start of a NIP or any part of a name."""
    query = select(Official).order_by(Official.name, Official.nip)
    if search:
        query = query.where(or_(Official.nip.startswith(search.replace(" ", ""), autoescape=True),
                                contains(Official.name, search)))
    page = paginate(query, number)
    ids = [official.id for (official,) in page.rows]
    terms: dict[int, list[Term]] = {i: [] for i in ids}
    if ids:
        for *fields, official_id in db.session.execute(
                _terms_query().where(Appointment.official_id.in_(ids))
                .order_by(Appointment.start_date.desc())):
            terms[official_id].append(Term(*fields))
    return page, terms


def list_posts(day: date, search: str = "", kind: str = "", number: int = 1) -> Page:
    """A page of posts from the top down, each row (Position, place code, place name, holder's
    NIP, holder's name, holder's start) with the holder on ``day`` (None where vacant).
    ``search`` matches a place's code or name, or the holder's NIP or name."""
    holder = (select(Appointment.position_id, Appointment.start_date, Official.nip, Official.name)
              .join(Appointment.official)
              .where(in_post(Appointment, Appointment.position_id, day)).subquery())
    place_code = func.coalesce(Area.code, Unit.code)
    place_name = func.coalesce(Area.name, Unit.name)
    query = (select(Position, place_code, place_name, holder.c.nip, holder.c.name,
                    holder.c.start_date)
             .outerjoin(Area, Position.area_id == Area.id)
             .outerjoin(Unit, Position.unit_id == Unit.id)
             .outerjoin(holder, holder.c.position_id == Position.id)
             .order_by(_kind_order(), place_code))
    if kind in POSITION_KINDS:
        query = query.where(Position.kind == kind)
    if search:
        query = query.where(or_(place_code.startswith(search, autoescape=True),
                                contains(place_name, search),
                                holder.c.nip.startswith(search.replace(" ", ""), autoescape=True),
                                contains(holder.c.name, search)))
    return paginate(query, number)


def post_history(position_id: int) -> list[Term]:
    """Everyone who held the post, latest first."""
    return [Term(*fields) for *fields, _official_id in db.session.execute(
        _terms_query().where(Appointment.position_id == position_id)
        .order_by(Appointment.start_date.desc()))]


def other_posts_held(official_id: int, day: date, position_id: int) -> list[Term]:
    """The official's terms in other posts on ``day`` (after a rotation, a post the official
    left may still need its own next holder recorded)."""
    return [Term(*fields) for *fields, _official_id in db.session.execute(
        _terms_query().where(Appointment.official_id == official_id,
                             Appointment.position_id != position_id,
                             in_post(Appointment, Appointment.position_id, day)))]


def place_of(position: Position) -> tuple[str, str]:
    """(code, name) of the area or unit the post heads."""
    place = position.area or position.unit
    assert place is not None  # the database's area_or_unit check
    return place.code, place.name


# --- rotations ----------------------------------------------------------------------------

class RotationInvalid(DomainError):
    """A rotation that cannot be recorded; ``errors`` maps each form field to what is wrong."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


@dataclass(frozen=True)
class Rotation:
    position: Position
    ended: Appointment | None  # the outgoing holder's term, now ending the day before
    started: Appointment


def find_post(kind: str, place_code: str) -> Position:
    """The post ``kind`` of the area (or, for a kepala dinas, the unit) ``place_code``: the
    area or unit must exist and be of the level the post heads. The post's row is made the first
    time a holder is recorded for it. RotationInvalid otherwise."""
    if kind not in POSITION_KINDS:
        raise RotationInvalid({"kind": gettext("Choose a position.")})
    if kind == "kepala_dinas":
        unit = db.session.scalar(select(Unit).where(Unit.code == place_code))
        if unit is None:
            raise RotationInvalid({"place_code": gettext(
                "There is no unit with the code %(code)s.", code=place_code)})
        return get_or_create_position(kind, unit=unit)
    area = db.session.scalar(select(Area).where(Area.code == place_code))
    wanted = POSITION_AREA_LEVEL[kind]
    if area is None:
        raise RotationInvalid({"place_code": gettext(
            "There is no area with the code %(code)s.", code=place_code)})
    if area.level != wanted:
        raise RotationInvalid({"place_code": gettext(
            "A %(position)s heads a %(level)s, but %(code)s (%(name)s) is a %(found)s.",
            position=kind, level=wanted, code=area.code, name=area.name, found=area.level)})
    return get_or_create_position(kind, area=area)


def record_rotation(position: Position, nip: str, name: str, start: date,
                    end: date | None = None) -> Rotation:
    """End the post's current term the day before ``start`` and start the next holder's on it
    (until ``end``, or open-ended). An official not on record yet (by NIP) is added with ``name``.

    Refused (RotationInvalid, nothing changed) when the end is before the start, the NIP is not
    digits, a new NIP has no name or a known one another name, the incoming official already holds
    the post, a term begins on or after ``start`` (the new term would overlap it), or the
    outgoing term began on ``start`` itself (it would end before it began). The caller commits."""
    nip, name = nip.replace(" ", ""), " ".join(name.split())
    errors: dict[str, str] = {}
    if end is not None and end < start:
        errors["end_date"] = gettext("The end is before the start.")
    official = _incoming(nip, name, errors)
    terms = db.session.scalars(select(Appointment).where(Appointment.position_id == position.id)
                               .order_by(Appointment.start_date)).all()
    outgoing = next((t for t in terms if t.start_date < start
                     and (t.end_date is None or t.end_date >= start)), None)
    if outgoing is not None and official is not None and outgoing.official_id == official.id:
        errors["nip"] = gettext("%(name)s already holds this post on that day.",
                                name=official.name)
    later = next((t for t in terms if t.start_date >= start
                  and (end is None or t.start_date <= end)), None)
    if later is not None:
        errors["start_date"] = gettext(
            "%(name)s (%(nip)s) holds this post from %(start)s: a term starting on %(day)s "
            "would overlap it.", name=later.official.name, nip=later.official.nip,
            start=later.start_date.isoformat(), day=start.isoformat())
    if errors:
        raise RotationInvalid(errors)
    if outgoing is not None:
        outgoing.end_date = start - timedelta(days=1)
        db.session.flush()
    if official is None:
        official = Official(nip=nip, name=name)
        db.session.add(official)
    started = Appointment(official=official, position=position, start_date=start, end_date=end)
    db.session.add(started)
    db.session.flush()
    return Rotation(position, outgoing, started)


def _incoming(nip: str, name: str, errors: dict[str, str]) -> Official | None:
    """The official with this NIP, or None for a new one (whose name is then required)."""
    if not nip.isdigit() or len(nip) > Official.nip.type.length:
        errors["nip"] = gettext("A NIP has digits only (at most %(max)s).",
                                max=Official.nip.type.length)
        return None
    official = db.session.scalar(select(Official).where(Official.nip == nip))
    if official is None and not name:
        errors["name"] = gettext("NIP %(nip)s is not on record yet: enter the official's name.",
                                 nip=nip)
    elif official is not None and name and name != official.name:
        errors["name"] = gettext("NIP %(nip)s is on record as %(name)s: leave the name empty or "
                                 "write it the same way.", nip=nip, name=official.name)
    return official
