"""Importing complaint exports from the CRM and LAPOR! (DOMAIN.md section 5, DESIGN.md contract).

An export is a CSV or XLSX file with the columns
``complaint_id,channel,category,area_code,unit_code,status,reported_at,first_response_at,resolved_at``
(another system's export is loaded as it is by renaming its columns, e.g. LAPOR!'s
``TrackingID=complaint_id``). Each complaint is attributed, once, at import: to the position
responsible (the lurah of its kelurahan, or the kepala dinas of its unit when it names one) and to
the official who held that position on the Jakarta day it was reported.

Exports are taken again every week, so the import is an upsert by ``complaint_id`` that respects
time: every export has an *as-of* time (when it was taken; by default its newest timestamp), each
stored complaint remembers the as-of of the export it last came from, and an export only updates
complaints whose stored facts are not newer than it. On a tie the later import wins (re-importing
the same file changes nothing).

The import is all-or-nothing with line-numbered errors, or, with ``skip_bad``, imports the good rows
and hands back the bad ones. It is written for a year of Jakarta's CRM (about 200,000 rows): rows
are checked column by column against lookup dictionaries, then written with one bulk load into a
temporary table and three set-based statements (update, touch, insert), never one ORM object each.
"""
from __future__ import annotations

import bisect
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field, fields
from datetime import UTC, date, datetime
from itertools import compress, islice
from typing import BinaryIO, cast

from flask_babel import gettext, ngettext
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    func,
    insert,
    literal,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy import Table as SqlTable

from survey_app.domain import clock, exports
from survey_app.domain.bulk import dialect_insert, insert_columns, larger_cache
from survey_app.domain.errors import N_, ImportRejected, RowError
from survey_app.domain.tabular import Table, collector_paused, read_table
from survey_app.domain.text import RowChecker
from survey_app.domain.vocabulary import COMPLAINT_STATUS_ALIASES
from survey_app.extensions import db
from survey_app.models import Appointment, Area, Complaint, Position, Unit
from survey_app.models.types import UTCDateTime

COMPLAINT_COLUMNS = ["complaint_id", "channel", "category", "area_code", "unit_code", "status",
                     "reported_at", "first_response_at", "resolved_at"]
REQUIRED_COLUMNS = ["complaint_id", "reported_at"]
OPEN_STATUSES = ("waiting", "coordination", "disposition", "in_progress")
_NEVER = datetime.min.replace(tzinfo=UTC)  # earlier than any time, for max() over missing ones
# The text each of our columns is stored in (text.row_errors: control characters and lengths).
COMPLAINT_TEXT = {"complaint_id": Complaint.external_id, "channel": Complaint.channel,
                  "category": Complaint.category, "area_code": Area.code, "unit_code": Unit.code,
                  "status": None, "reported_at": None, "first_response_at": None,
                  "resolved_at": None}

IMPORTED = N_("Complaints imported: %(created)s new, %(updated)s updated, %(unchanged)s "
              "unchanged, %(kept)s kept because the stored data is newer, %(skipped)s bad rows "
              "skipped.")

# Column names of other systems' exports that the upload page proposes as a starting mapping
# (the coordinator sees and can change every one of them before importing).
KNOWN_SOURCE_COLUMNS = {
    "trackingid": "complaint_id",
    "tanggallaporanmasuk": "reported_at",
    "tanggallaporanditutup": "resolved_at",
    "kategoriid": "category",
    "disposisiinstansiid": "unit_code",
}


# --- reading the file ------------------------------------------------------------------------

def parse_mapping(pairs: Iterable[str]) -> dict[str, str]:
    """``["TrackingID=complaint_id", ...]`` -> ``{"trackingid": "complaint_id"}``.

    Source names are compared without case (file headers are read in lower case)."""
    mapping: dict[str, str] = {}
    errors = []
    for pair in pairs:
        source, sep, dest = pair.partition("=")
        source, dest = source.strip().lower(), dest.strip().lower()
        if not sep or not source or not dest:
            errors.append(RowError(0, N_("--map needs SOURCE=DEST, not '%(pair)s'"), None,
                                   pair=pair))
        elif dest not in COMPLAINT_COLUMNS:
            errors.append(RowError(0, N_("--map %(pair)s: '%(dest)s' is not one of our columns "
                                         "(%(columns)s)"), None,
                                   pair=pair, dest=dest, columns=", ".join(COMPLAINT_COLUMNS)))
        else:
            mapping[source] = dest
    if errors:
        raise ImportRejected(errors)
    return mapping


def read_complaints(source: str | BinaryIO | bytes, filename: str | None = None,
                    mapping: dict[str, str] | None = None, head: int | None = None) -> Table:
    """Read an export, renaming its columns by ``mapping``; columns we do not use are ignored
    (LAPOR! exports carry many), see :func:`ignored_columns`. ``head``: its first rows only."""
    return _with_our_columns(read_table(source, filename, allow_extra=True,
                                        rename=mapping or {}, head=head))


def _with_our_columns(table: Table) -> Table:
    """``table``, whose header is in our column names, if it has the columns an import needs."""
    errors = [RowError(1, N_("missing column %(column)s (map one of the file's columns to it)"),
                       None, column=c) for c in REQUIRED_COLUMNS if c not in table.header]
    if "area_code" not in table.header and "unit_code" not in table.header:
        errors.append(RowError(1, N_("the file needs an area_code or a unit_code column")))
    if errors:
        raise ImportRejected(errors)
    return table


def ignored_columns(table: Table) -> list[str]:
    return [h for h in table.header if h and h not in COMPLAINT_COLUMNS]


# --- checking the rows -----------------------------------------------------------------------

@dataclass
class CheckedRows:
    """The good rows of an export, column by column (a year's export is 200,000 rows): the i-th
    row is the i-th value of each. The columns after ``line`` are the staging table's."""

    line: list[int]
    external_id: list[str]
    channel: list[str | None]
    category: list[str | None]
    area_id: list[int | None]
    unit_id: list[int | None]
    status: list[str]
    reported_at: list[datetime]
    first_response_at: list[datetime | None]
    resolved_at: list[datetime | None]

    def __len__(self) -> int:
        return len(self.line)

    def without(self, indexes: Container[int]) -> CheckedRows:
        """These rows less the ones at ``indexes``."""
        keep = [i not in indexes for i in range(len(self))]
        return CheckedRows(*(list(compress(getattr(self, f.name), keep)) for f in fields(self)))

    def columns(self) -> dict[str, list]:
        """Each column but ``line``, by name."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name != "line"}


@dataclass
class CheckedExport:
    """The outcome of checking an export, before anything is written."""

    good: CheckedRows
    bad: list[tuple[int, dict[str, str], list[RowError]]]  # (line, row, its errors)
    as_of: datetime
    as_of_given: bool

    @property
    def errors(self) -> list[RowError]:
        return [e for _line, _row, errors in self.bad for e in errors]


@collector_paused()
def check_export(table: Table, as_of: datetime | None = None,
                 now: datetime | None = None) -> CheckedExport:
    """Check every row of an export against the rules and the stored areas and units.

    ``as_of`` is when the export was taken; when None it is the newest timestamp among the good
    rows. No timestamp may lie after it (given) or after ``now`` (by default): a future date would
    otherwise become an as-of that no later export could ever overtake.

    The checks run column by column (a year's export is 200,000 rows), each adding its errors to
    the rows it finds wrong; a row's errors come in the order the checks run.
    """
    now = now or clock.now()
    as_of_given = as_of is not None
    columns = table.columns(COMPLAINT_COLUMNS)
    errors = _RowErrors(table.lines)
    first_line, duplicated = _check_ids(columns["complaint_id"], errors)
    for i, found in RowChecker(COMPLAINT_TEXT).table_errors(table.lines, table.row, columns):
        errors.extend(i, found)
    unit_ids = _unit_ids(columns, errors)
    area_ids = _area_ids(columns, errors)
    times = _times(columns, errors)
    _check_order(times, errors)
    _check_limit(times, as_of or now, as_of_given, errors)
    statuses = _statuses(columns, times, "status" in table.header, errors)
    bad = {i: (errors.lines[i], table.row(i), found) for i, found in errors.by_row.items()}
    if duplicated:
        _mark_duplicates(bad, first_line, duplicated, table)
    # A missing status or reported_at is an error: None only on the bad rows, left out below.
    good = CheckedRows(errors.lines, columns["complaint_id"],
                       [v or None for v in columns["channel"]],
                       [v or None for v in columns["category"]], area_ids, unit_ids,
                       cast(list[str], statuses), cast(list[datetime], times["reported_at"]),
                       times["first_response_at"], times["resolved_at"])
    if bad:
        good = good.without(bad)
    if as_of is None:
        as_of = _newest(good) or now
    return CheckedExport(good, [bad[i] for i in sorted(bad)], as_of, as_of_given)


def _newest(good: CheckedRows) -> datetime | None:
    """The newest time among the good rows (None when there are none)."""
    return max(max(filter(None, getattr(good, column)), default=_NEVER)
               for column in TIME_COLUMNS) if good else None


class _RowErrors:
    """Each row's errors by its index in the file's rows (``lines``: their line numbers)."""

    def __init__(self, lines: list[int]):
        self.lines = lines
        self.by_row: dict[int, list[RowError]] = {}

    def add(self, i: int, template: str, column: str | None = None, /, **params) -> None:
        self.by_row.setdefault(i, []).append(RowError(self.lines[i], template, column, **params))

    def extend(self, i: int, errors: list[RowError]) -> None:
        self.by_row.setdefault(i, []).extend(errors)


def _check_ids(ids: list[str], errors: _RowErrors) -> tuple[dict[str, int], dict[str, list[int]]]:
    """complaint_id is filled; the first index of each id, and the later indexes of an id that
    appears again (reported by ``_mark_duplicates``)."""
    first: dict[str, int] = {}
    duplicated: dict[str, list[int]] = {}
    if len(set(ids)) < len(ids) or "" in ids:  # else: every id filled, and each once
        for i, external_id in enumerate(ids):
            if not external_id:
                errors.add(i, N_("complaint_id is empty"), "complaint_id")
            elif external_id in first:
                duplicated.setdefault(external_id, []).append(i)
            else:
                first[external_id] = i
    return first, duplicated


def _unit_ids(columns: dict[str, list[str]], errors: _RowErrors) -> list[int | None]:
    """The stored unit each row names, if any; a unit that is not stored is an error."""
    units = dict(db.session.execute(select(Unit.code, Unit.id)).tuples().all())
    codes = columns["unit_code"]
    ids = list(map(units.get, codes))
    for i in [i for i, (code, id_) in enumerate(zip(codes, ids, strict=True))
              if code and id_ is None]:
        errors.add(i, N_("unit %(code)s does not exist (import units first)"), "unit_code",
                   code=codes[i])
    return ids


def _area_ids(columns: dict[str, list[str]], errors: _RowErrors) -> list[int | None]:
    """The stored area each row names: a kelurahan unless a unit is named; one of both is
    needed."""
    areas = {code: (id_, level) for code, id_, level in
             db.session.execute(select(Area.code, Area.id, Area.level))}
    kelurahan = {code: id_ for code, (id_, level) in areas.items() if level == "kelurahan"}
    codes, unit_codes = columns["area_code"], columns["unit_code"]
    ids = list(map(kelurahan.get, codes))
    for i in [i for i, (code, id_) in enumerate(zip(codes, ids, strict=True)) if id_ is None]:
        ids[i] = _area_id(i, codes[i], unit_codes[i], areas, errors)
    return ids


def _area_id(i: int, area_code: str, unit_code: str, areas: dict[str, tuple[int, str]],
             errors: _RowErrors) -> int | None:
    """A row whose area is not a stored kelurahan: none (then a unit is needed), not stored, or
    another level (then a unit is needed)."""
    if not area_code:
        if not unit_code:
            errors.add(i, N_("the complaint needs an area_code (its kelurahan) or a unit_code"),
                       "area_code")
        return None
    if area_code not in areas:
        errors.add(i, N_("area %(code)s does not exist"), "area_code", code=area_code)
        return None
    if not unit_code:
        errors.add(i, N_("area %(code)s is a %(level)s; a complaint without a unit is filed at "
                         "a kelurahan"), "area_code", code=area_code, level=areas[area_code][1])
        return None
    return areas[area_code][0]


TIME_COLUMNS = ("reported_at", "first_response_at", "resolved_at")
_Times = dict[str, list[datetime | None]]


def _times(columns: dict[str, list[str]], errors: _RowErrors) -> _Times:
    """reported_at (required), first_response_at and resolved_at, each a date and time."""
    times: _Times = {}
    for column in TIME_COLUMNS:
        values = columns[column]
        try:  # the usual column: every value a time, or empty
            times[column] = [clock.parse_datetime(v) if v else None for v in values]
        except ValueError:
            times[column] = [_parse_time(i, column, v, errors) for i, v in enumerate(values)]
        if column == "reported_at" and "" in values:
            for i in [i for i, v in enumerate(values) if not v]:
                errors.add(i, N_("reported_at is empty"), "reported_at")
    return times


def _parse_time(i: int, column: str, value: str, errors: _RowErrors) -> datetime | None:
    if not value:
        return None
    try:
        return clock.parse_datetime(value)
    except ValueError:
        errors.add(i, N_("%(column)s '%(value)s' is not a date and time (YYYY-MM-DD HH:MM)"),
                   column, column=column, value=value)
        return None


def _check_order(times: _Times, errors: _RowErrors) -> None:
    """Neither the resolution nor the first response comes before the report."""
    reported = times["reported_at"]
    for column, message in (("resolved_at", N_("resolved_at is before reported_at")),
                            ("first_response_at", N_("first_response_at is before reported_at"))):
        for i in [i for i, (later, report) in enumerate(zip(times[column], reported, strict=True))
                  if later and report and later < report]:
            errors.add(i, message, column)


def _check_limit(times: _Times, limit: datetime, as_of_given: bool, errors: _RowErrors) -> None:
    """No time lies after the export's as-of time (when given) or after now."""
    late: dict[int, list[str]] = {}  # row -> its columns after the limit, in their order
    for column in TIME_COLUMNS:
        for i in [i for i, value in enumerate(times[column]) if value and value > limit]:
            late.setdefault(i, []).append(column)
    message = (N_("%(column)s is after the export's as-of time") if as_of_given
               else N_("%(column)s is in the future"))
    for i in sorted(late):
        for column in late[i]:
            errors.add(i, message, column, column=column)


def _statuses(columns: dict[str, list[str]], times: _Times, has_status: bool,
              errors: _RowErrors) -> list[str | None]:
    """Each row's status; without a status column (LAPOR! open data) a closing time means
    done."""
    resolved = times["resolved_at"]
    if not has_status:
        return ["resolved" if r else "waiting" for r in resolved]
    return [_status(i, raw, resolved_text, errors)
            for i, (raw, resolved_text) in enumerate(zip(columns["status"],
                                                          columns["resolved_at"], strict=True))]


def _status(i: int, raw_status: str, resolved_text: str, errors: _RowErrors) -> str | None:
    """The status column's value, known and agreeing with resolved_at."""
    status = COMPLAINT_STATUS_ALIASES.get(raw_status.lower())
    if not raw_status:
        errors.add(i, N_("status is empty"), "status")
    elif status is None:
        errors.add(i, N_("unknown status '%(value)s'; use Menunggu, Koordinasi, Disposisi, "
                         "Proses, Selesai or Ditolak"), "status", value=raw_status)
    elif status == "resolved" and not resolved_text:
        errors.add(i, N_("status is resolved but resolved_at is empty"), "resolved_at")
    elif status in OPEN_STATUSES and resolved_text:
        errors.add(i, N_("status '%(value)s' is still open but resolved_at is set"), "status",
                   value=raw_status)
    return status


def _mark_duplicates(bad, first_index, duplicated, table: Table) -> None:
    """Every line of an id that appears more than once is bad: which copy is right is unknown."""
    lines = table.lines
    for external_id, indexes in duplicated.items():
        first = first_index[external_id]
        others = ", ".join(str(lines[i]) for i in indexes)
        entry = bad.setdefault(first, (lines[first], table.row(first), []))
        entry[2].append(RowError(lines[first], N_("complaint_id %(id)s appears again on line(s) "
                                                  "%(lines)s"), "complaint_id",
                                 id=external_id, lines=others))
        for i in indexes:
            entry = bad.setdefault(i, (lines[i], table.row(i), []))
            entry[2].append(RowError(lines[i], N_("complaint_id %(id)s appears twice (also on "
                                                  "line %(line)s)"), "complaint_id",
                                     id=external_id, line=lines[first]))


# --- writing -----------------------------------------------------------------------------------

@dataclass
class ComplaintImportSummary:
    """What an import did (IMPORTED says it on the pages and the job's page)."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    kept_newer: int = 0  # already stored from a newer export: left as they were
    skipped: int = 0  # bad rows left out (skip_bad)
    as_of: datetime | None = None
    ignored_columns: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """IMPORTED's values."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "kept": self.kept_newer, "skipped": self.skipped}

    def __str__(self) -> str:
        """In the current language (the default one on the command line)."""
        parts = [gettext("%(num)s created", num=self.created),
                 gettext("%(num)s updated", num=self.updated),
                 gettext("%(num)s unchanged", num=self.unchanged),
                 gettext("%(num)s kept (stored from a newer export)", num=self.kept_newer)]
        if self.skipped:
            parts.append(ngettext("%(num)s bad row skipped", "%(num)s bad rows skipped",
                                  self.skipped))
        return ", ".join(parts)


# The rows of one import, bulk-loaded next to the complaints table so that the upsert is three
# set-based statements. Its own MetaData: it is not part of the schema (nor of the migrations).
_staging_metadata = MetaData()
STAGING = SqlTable(
    "complaint_import", _staging_metadata,
    # No key nor index: the rows are already known to be unique, and each statement below looks
    # them up in the complaints' own unique index (an index here would only slow the load).
    Column("external_id", String(64), nullable=False),
    Column("channel", String(40)), Column("category", String(120)),
    Column("area_id", Integer), Column("unit_id", Integer), Column("status", String(12)),
    Column("reported_at", UTCDateTime), Column("first_response_at", UTCDateTime),
    Column("resolved_at", UTCDateTime), Column("position_id", Integer),
    Column("official_id", Integer),
    prefixes=["TEMPORARY"],
)
DATA_COLUMNS = ["channel", "category", "area_id", "unit_id", "status", "reported_at",
                "first_response_at", "resolved_at", "position_id", "official_id"]


def import_complaints(table: Table, as_of: datetime | None = None, skip_bad: bool = False,
                      now: datetime | None = None) -> tuple[ComplaintImportSummary, CheckedExport]:
    """Check and upsert an export (the caller commits).

    Raises ImportRejected listing every bad row, with nothing written, unless ``skip_bad``: then
    the good rows are imported and the bad ones come back in the CheckedExport.
    """
    checked = check_export(table, as_of, now)
    return import_checked(table, checked, skip_bad, now), checked


def import_checked(table: Table, checked: CheckedExport, skip_bad: bool = False,
                   now: datetime | None = None) -> ComplaintImportSummary:
    """Write an export already checked in this transaction (the upload page checks it for the
    preview, then imports the very same rows)."""
    if checked.bad and not skip_bad:
        raise ImportRejected(checked.errors)
    summary = write_export(checked, now)
    summary.skipped = len(checked.bad)
    summary.ignored_columns = ignored_columns(table)
    return summary


@collector_paused()
def write_export(checked: CheckedExport, now: datetime | None = None) -> ComplaintImportSummary:
    now = now or clock.now()
    summary = ComplaintImportSummary(as_of=checked.as_of)
    if not checked.good:
        return summary
    position_ids, official_ids = _attribute(checked.good)
    connection = db.session.connection()
    with larger_cache(connection):
        connection.execute(text("DROP TABLE IF EXISTS complaint_import"))
        STAGING.create(connection)
        insert_columns(STAGING, {**checked.good.columns(), "position_id": position_ids,
                                 "official_id": official_ids})
        complaints, staging = Complaint.__table__, STAGING
        as_of = literal(checked.as_of, UTCDateTime)
        matched = complaints.c.external_id == staging.c.external_id
        not_newer = or_(complaints.c.source_as_of.is_(None), complaints.c.source_as_of <= as_of)
        differs = or_(*(complaints.c[c].is_distinct_from(staging.c[c]) for c in DATA_COLUMNS))
        known = select(func.count()).select_from(staging.join(complaints, matched))
        total_known = connection.execute(known).scalar_one()
        if total_known:  # else none is stored yet (a first import): nothing to update
            summary.kept_newer = connection.execute(
                known.where(complaints.c.source_as_of > as_of)).scalar_one()
            summary.updated = connection.execute(
                update(complaints).where(matched, not_newer, differs)
                .values({**{c: staging.c[c] for c in DATA_COLUMNS}, "source_as_of": as_of,
                         "imported_at": literal(now, UTCDateTime)})).rowcount
            summary.unchanged = total_known - summary.kept_newer - summary.updated
            # Unchanged rows still learn that a newer export confirmed them (so an older one
            # cannot undo).
            connection.execute(update(complaints).where(
                matched,
                or_(complaints.c.source_as_of.is_(None), complaints.c.source_as_of < as_of))
                .values(source_as_of=as_of))
        summary.created = len(checked.good) - total_known
        # The stored ones are left out by the unique index's own check (ON CONFLICT), which the
        # insert makes anyway: NOT EXISTS looked each row up in that index a second time (a
        # third of the statement's time for 200,000 new rows on SQLite). SQLite needs a WHERE
        # in an INSERT ... SELECT before ON CONFLICT (else ON reads as a join's).
        connection.execute(dialect_insert(complaints).from_select(
            ["external_id", *DATA_COLUMNS, "source_as_of", "imported_at"],
            select(staging.c.external_id, *(staging.c[c] for c in DATA_COLUMNS), as_of,
                   literal(now, UTCDateTime)).where(true()))
            .on_conflict_do_nothing(index_elements=["external_id"]))
        STAGING.drop(connection)
    return summary


def _attribute(rows: CheckedRows) -> tuple[list[int], list[int | None]]:
    """The position and the official of each row: the responsible position (the kepala dinas of
    the row's unit, else the lurah of its kelurahan), created if it does not exist yet (a post
    exists before anyone is appointed to it), and its holder on the report's Jakarta day."""
    lurah, dinas = _responsible_positions(
        {a for a, u in zip(rows.area_id, rows.unit_id, strict=True) if not u},
        set(filter(None, rows.unit_id)))
    position_ids = [dinas[u] if u else lurah[a]
                    for a, u in zip(rows.area_id, rows.unit_id, strict=True)]
    # Appointments of a position never overlap: per position, sorted starts and a bisection.
    terms: dict[int, tuple[list[date], list[tuple[date | None, int]]]] = {}
    for position_id, start, end, official_id in db.session.execute(
            select(Appointment.position_id, Appointment.start_date, Appointment.end_date,
                   Appointment.official_id).order_by(Appointment.position_id,
                                                     Appointment.start_date)):
        starts, rest = terms.setdefault(position_id, ([], []))
        starts.append(start)
        rest.append((end, official_id))
    pairs = list(zip(position_ids, map(clock.jakarta_day, rows.reported_at), strict=True))
    holders = {pair: _holder(terms.get(pair[0]), pair[1]) for pair in set(pairs)}
    return position_ids, list(map(holders.__getitem__, pairs))


def _responsible_positions(kelurahan: set[int | None],
                           units: set[int]) -> tuple[dict[int | None, int], dict[int, int]]:
    """The lurah position of each kelurahan and the kepala dinas position of each unit (id by
    area id, id by unit id), the missing ones created."""
    def stored() -> dict[tuple[str, int | None, int | None], int]:
        return {(kind, area_id, unit_id): id_ for id_, kind, area_id, unit_id in
                db.session.execute(select(Position.id, Position.kind, Position.area_id,
                                          Position.unit_id))}

    positions = stored()
    missing = [key for key in [*(("lurah", a, None) for a in kelurahan),
                               *(("kepala_dinas", None, u) for u in units)]
               if key not in positions]
    if missing:
        db.session.execute(insert(Position), [
            {"kind": kind, "area_id": area_id, "unit_id": unit_id}
            for kind, area_id, unit_id in missing])
        positions = stored()
    return ({a: positions[("lurah", a, None)] for a in kelurahan},
            {u: positions[("kepala_dinas", None, u)] for u in units})


def _holder(terms, day: date) -> int | None:
    if not terms:
        return None
    starts, rest = terms
    i = bisect.bisect_right(starts, day) - 1
    if i < 0:
        return None
    end, official_id = rest[i]
    return official_id if end is None or end >= day else None


def bad_rows_csv(table: Table, checked: CheckedExport,
                 mapping: dict[str, str] | None = None) -> str:
    """The bad rows as CSV, with the file's own column names (so that they can be fixed and
    imported again with the same mapping), preceded by their line number and errors."""
    back = {dest: source for source, dest in (mapping or {}).items()}
    return exports.csv_text(
        ["line", "errors", *(back.get(h, h) for h in table.header if h)],
        ([line, "; ".join(e.message for e in errors), *(row.get(h, "") for h in table.header if h)]
         for line, row, errors in checked.bad), lineterminator="\r\n")


# --- the upload page's preview -----------------------------------------------------------------

def suggested_mapping(source_columns: list[str]) -> dict[str, str]:
    """A first guess of which file column is which of ours: same name, or a known LAPOR! name."""
    mapping = {}
    for column in source_columns:
        if column in COMPLAINT_COLUMNS:
            mapping[column] = column
        elif column in KNOWN_SOURCE_COLUMNS:
            mapping[column] = KNOWN_SOURCE_COLUMNS[column]
    return mapping


@dataclass
class ExportPreview:
    """What the upload page shows before importing."""

    source_columns: list[str]  # the file's header, in lower case
    mapping: dict[str, str]  # file column -> our column, for the columns that are used
    first_rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)  # in our columns
    file_errors: list[RowError] = field(default_factory=list)  # the file as a whole is unusable
    table: Table | None = None
    checked: CheckedExport | None = None
    whole: bool = True  # every row read and checked; else only the first (a large file's job)
    rename: dict[str, str] = field(default_factory=dict)  # what read_complaints is given


def preview_export(data: bytes, filename: str,
                   mapping: dict[str, str] | Callable[[list[str]], dict[str, str] | None] | None
                   = None, as_of: datetime | None = None, now: datetime | None = None,
                   first: int = 10, whole: bool = True) -> ExportPreview:
    """Read and check an uploaded export without writing anything; the file is read once.

    ``mapping`` gives, for each file column, our column or "" to ignore it (or makes it from the
    file's columns: a page's choices by position); None means :func:`suggested_mapping`. Every
    row is checked, so every error is listed, unless not ``whole`` (a large file, imported by a
    job): then only the header and the first rows are read, and the job checks every row
    (``preview.rename`` is what it reads the file with).
    """
    try:
        raw = read_table(data, filename, allow_extra=True, head=None if whole else first)
    except ImportRejected as e:
        return ExportPreview([], {}, file_errors=e.errors)
    source_columns = raw.names
    if callable(mapping):
        mapping = mapping(source_columns)
    if mapping is None:
        mapping = suggested_mapping(source_columns)
    mapping = {source: dest for source, dest in mapping.items()
               if dest and source in source_columns}
    preview = ExportPreview(source_columns, mapping)
    chosen: dict[str, str] = {}
    for source, dest in mapping.items():
        if dest in chosen:
            preview.file_errors.append(RowError(1, N_("%(column)s is chosen for both %(first)s "
                                                      "and %(second)s"), None,
                                                column=dest, first=chosen[dest], second=source))
        chosen[dest] = source
    if preview.file_errors:
        return preview
    # A column that carries one of our names but is set aside must not be read as ours.
    preview.rename = {**{c: f"~{c}" for c in source_columns if c in COMPLAINT_COLUMNS},
                      **mapping}
    preview.whole = whole
    try:
        table = _with_our_columns(raw.renamed(preview.rename))
    except ImportRejected as e:
        preview.file_errors = e.errors
        return preview
    preview.first_rows = [(line, {c: row.get(c, "") for c in COMPLAINT_COLUMNS})
                          for line, row in islice(table.rows, first)]
    if whole:
        preview.table = table
        preview.checked = check_export(table, as_of, now)
    return preview
