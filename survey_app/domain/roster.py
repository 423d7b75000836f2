"""Respondent rosters: `import-respondents CODE FILE` and the coordinator's upload.

Columns (DESIGN.md): respondent_ref,name,group,area_code,rw,rt,phone,email. Respondents are kept
by respondent_ref across rounds; importing a roster for a round upserts them and gives each one
an invitation to that round (see survey_app.domain.invitations). Re-importing updates names and
contacts and never creates a second respondent or changes a link. All-or-nothing: ``plan``
checks every row first (and is the coordinator's preview); ``apply`` writes. The caller commits.

A respondent taken off the roster (survey_app.domain.lifecycle) whom the file names stays
inactive: their details are updated from the file like anyone's, but invitations.invite gives them
no link, and a link of theirs withdrawn in this round stays withdrawn. Only reactivating them
puts them back; the preview and the summary say so, naming them (``inactive_notice``).
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import NamedTuple

from flask_babel import gettext, ngettext
from sqlalchemy import bindparam, select, update

from survey_app.domain import bulk, text
from survey_app.domain.errors import N_, ImportRejected, RowError
from survey_app.domain.invitations import check_roster_open, invite
from survey_app.domain.round_clock import is_open
from survey_app.domain.tabular import Table, read_table
from survey_app.domain.vocabulary import GROUPS, RESPONDENT_AREA_LEVELS
from survey_app.extensions import db
from survey_app.models import Area, Invitation, Respondent, Round

REQUIRED_COLUMNS = ["respondent_ref", "name", "group", "area_code"]
OPTIONAL_COLUMNS = ["rw", "rt", "phone", "email"]
REF_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._/\-]{0,39}$")
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# The text each file column is stored in (text.row_errors: control characters and lengths). The
# name's length is checked after its spaces are joined (below); its tabs and line breaks become
# spaces, so they are allowed.
ROSTER_TEXT = {"respondent_ref": Respondent.ref, "name": None, "group": None,
               "area_code": Area.code, "rw": None, "rt": None, "phone": None,
               "email": Respondent.email}
CONTACT_FIELDS = ("name", "group", "area_id", "rw", "rt", "phone", "email")


def normalise_phone(text: str) -> str | None:
    """An Indonesian mobile number as WhatsApp wants it (628...), or None when it is not one.

    Accepts 0812-3456-7890, +62 812 3456 7890, 62812..., 812...: people write them every way.
    """
    digits = re.sub(r"[\s\-.()]", "", text)
    if digits.startswith("+"):
        digits = digits[1:]
    if not digits.isdigit():
        return None
    if digits.startswith("0"):
        digits = "62" + digits[1:]
    elif digits.startswith("8"):
        digits = "62" + digits
    # Indonesian mobile numbers: 08xx plus 7 to 10 more digits (10 to 13 digits with the 0).
    if not digits.startswith("628") or not 11 <= len(digits) <= 15:
        return None
    return digits


def _rw_rt(text: str) -> str | None:
    """'1', '01' and '001' are the same RW: stored as three digits."""
    text = text.strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 3 or int(text) == 0:
        raise ValueError(text)
    return f"{int(text):03d}"


@dataclass(slots=True)
class PlannedRow:
    line: int
    ref: str
    values: dict  # the Respondent fields
    action: str  # new, update, unchanged
    area_code: str
    area_name: str
    respondent_id: int | None = None  # the stored respondent's, when not new
    inactive: bool = False  # a stored respondent taken off the roster (lifecycle)
    # A new group or area for someone whose link to an open round is live: that link keeps the
    # group, area and posts it was made for (invitations.invite); the code of that round.
    moved_in: str | None = None


@dataclass
class RosterPlan:
    round_code: str
    rows: list[PlannedRow] = field(default_factory=list)

    def count(self, action: str) -> int:
        return sum(1 for r in self.rows if r.action == action)

    def changes_first(self) -> list[PlannedRow]:
        """New, changed and inactive rows before the other unchanged ones (what a coordinator
        needs to check)."""
        return sorted(self.rows, key=lambda r: (r.action == "unchanged" and not r.inactive,
                                                r.line))

    def inactive_refs(self) -> list[str]:
        """The refs of the file's inactive respondents, in the file's order."""
        return [r.ref for r in self.rows if r.inactive]

    def moved_refs(self) -> list[str]:
        """The refs of respondents the file moves while their link to an open round is live."""
        return [r.ref for r in self.rows if r.moved_in]

    def moved_notice(self) -> str | None:
        """What a new group or area does to a live link of an open round (nothing: the link
        keeps what it was made for, so that no answer carries a combination that singles its
        respondent out), naming the first few; None when the file moves nobody so."""
        refs = self.moved_refs()
        if not refs:
            return None
        return _moved_text(refs, self.moved_rounds())

    def moved_rounds(self) -> str:
        """The open rounds whose live links the moved respondents keep, named."""
        return ", ".join(sorted({r.moved_in for r in self.rows if r.moved_in}))

    def inactive_notice(self) -> str | None:
        """What importing the file would do with its inactive respondents, naming the first
        few, in the current language; None when it names none."""
        refs = self.inactive_refs()
        if not refs:
            return None
        return ngettext(
            "%(num)s respondent in the file is inactive (taken off the roster): %(refs)s. Their "
            "details are updated from the file, but they stay inactive: no working link to this "
            "round, no letters, not counted as invited. To invite them, cancel, reactivate them "
            "on the roster page of a round they were invited to, then load this file again.",
            "%(num)s respondents in the file are inactive (taken off the roster): %(refs)s. Their "
            "details are updated from the file, but they stay inactive: no working link to this "
            "round, no letters, not counted as invited. To invite them, cancel, reactivate them "
            "on the roster page of a round they were invited to, then load this file again.",
            len(refs), refs=_listed(refs))


# What a page or a job says once a roster is imported (a msgid; RosterSummary.counts fills it in).
IMPORTED = N_("Roster imported: %(created)s new, %(updated)s updated, %(unchanged)s unchanged; "
              "%(invited)s new invitations.")

INACTIVE_LISTED = 10  # the inactive respondents a preview or summary names; the others are counted


def _moved_text(refs: list[str], rounds: str) -> str:
    return ngettext(
        "%(num)s respondent in the file moves to another group or area while their link to round "
        "%(rounds)s, which is open, is live: %(refs)s. That link keeps rating the posts it was "
        "made for, and their answers there are stored with the group and area it was made for; "
        "the move counts from the next round. If the person changed (a new RT head), replace "
        "the respondent instead: the new one gets a link of their own.",
        "%(num)s respondents in the file move to another group or area while their link to round "
        "%(rounds)s, which is open, is live: %(refs)s. Those links keep rating the posts they "
        "were made for, and their answers there are stored with the group and area each was "
        "made for; the move counts from the next round. If the person changed (a new RT head), "
        "replace the respondent instead: the new one gets a link of their own.",
        len(refs), refs=_listed(refs), rounds=rounds)


def _listed(refs: list[str]) -> str:
    """The first INACTIVE_LISTED refs, and how many more."""
    listed = ", ".join(refs[:INACTIVE_LISTED])
    if len(refs) > INACTIVE_LISTED:
        listed += " " + gettext("and %(n)s more", n=len(refs) - INACTIVE_LISTED)
    return listed


@dataclass
class RosterSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    invitations_created: int = 0
    nothing_to_rate: int = 0
    inactive: list[str] = field(default_factory=list)  # refs of the file's inactive respondents
    moved: list[str] = field(default_factory=list)  # RosterPlan.moved_refs
    moved_rounds: str = ""  # the open rounds whose live links they keep

    def counts(self) -> dict[str, int]:
        """IMPORTED's values."""
        return {"created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "invited": self.invitations_created}

    def __str__(self) -> str:
        """In the current language (the default one on the command line)."""
        parts = [
            ngettext("%(num)s respondent created", "%(num)s respondents created", self.created),
            gettext("%(num)s updated", num=self.updated),
            gettext("%(num)s unchanged", num=self.unchanged)]
        text = ", ".join(parts) + "; " + ngettext(
            "%(num)s invitation created", "%(num)s invitations created", self.invitations_created)
        if self.nothing_to_rate:
            text += "; " + ngettext(
                "%(num)s respondent has no position to rate in this round (no official holds the "
                "posts above their area) and got no link",
                "%(num)s respondents have no position to rate in this round (no official holds "
                "the posts above their area) and got no link", self.nothing_to_rate)
        if self.inactive:
            text += "; " + self.inactive_notice()
        if self.moved:
            text += "; " + self.moved_notice()
        return text

    def moved_notice(self) -> str:
        """RosterPlan.moved_notice, once imported (empty when the file moved nobody so)."""
        return _moved_text(self.moved, self.moved_rounds) if self.moved else ""

    def inactive_notice(self) -> str:
        """What became of the file's inactive respondents (empty when it named none)."""
        if not self.inactive:
            return ""
        return ngettext(
            "%(num)s respondent in the file is inactive and stays inactive, with no working link "
            "to this round: %(refs)s; to invite them, reactivate them, then import the file again",
            "%(num)s respondents in the file are inactive and stay inactive, with no working link "
            "to this round: %(refs)s; to invite them, reactivate them, then import the file again",
            len(self.inactive), refs=_listed(self.inactive))


def read_roster(source, filename: str | None = None) -> Table:
    """A roster file (CSV or XLSX) as plan and import_roster read it."""
    return read_table(source, filename, required=REQUIRED_COLUMNS, optional=OPTIONAL_COLUMNS)


def check_round(round_: Round) -> None:
    """NotAllowed (in the current language) once the round's roster may no longer change."""
    check_roster_open(round_)


def _add_error(errors: list[RowError], line: int, template: str, column: str, /,
               **params) -> None:
    errors.append(RowError(line, template, column, **params))


def plan(round_: Round, table: Table) -> RosterPlan:
    """Check every row; the plan says what each row would do. Raises ImportRejected."""
    check_round(round_)
    areas = {a.code: a for a in map(_AreaRow._make, bulk.rows(
        select(Area.id, Area.code, Area.name, Area.level)))}
    stored = _stored_contacts()
    # Few are off the roster: one query (as in invitations.invite, which gives them no link).
    inactive = set(db.session.scalars(select(Respondent.ref).where(Respondent.active.is_(False))))
    errors: list[RowError] = []
    result = RosterPlan(round_.code)
    seen: dict[str, int] = {}
    text_errors = text.RowChecker(ROSTER_TEXT, free_text=["name"])
    for line, row in table.rows:
        row_errors: list[RowError] = text_errors(line, row)

        bad = partial(_add_error, row_errors, line)

        ref = row["respondent_ref"]
        _check_ref(bad, line, ref, seen)
        name = _name(bad, row)
        group = row["group"].lower()
        _check_group(bad, row, group)
        area = _area(bad, row, areas, group)
        rw, rt = _rw_and_rt(bad, row, group)
        phone = _phone(bad, row)
        email = _email(bad, row)
        if row_errors:
            errors.extend(row_errors)
            continue
        assert area is not None  # an unknown area_code is a row error
        values = {"name": name, "group": group, "area_id": area.id, "rw": rw, "rt": rt,
                  "phone": phone, "email": email}
        current = stored.get(ref)
        result.rows.append(PlannedRow(line, ref, values, _action(current, values), area.code,
                                      area.name, current[0] if current else None,
                                      ref in inactive))
    if errors:
        raise ImportRejected(errors)
    _note_moves(result, stored)
    return result


def _note_moves(result: RosterPlan, stored: dict[str, tuple]) -> None:
    """Mark the rows that give a stored respondent a new group or area while a link of theirs
    to an open round is live (one query, for the moved ones only)."""
    group_at, area_at = (1 + CONTACT_FIELDS.index(f) for f in ("group", "area_id"))
    moved = {r.respondent_id: r for r in result.rows if r.action == "update"
             and (r.values["group"], r.values["area_id"])
             != (stored[r.ref][group_at], stored[r.ref][area_at])}
    if not moved:
        return
    open_rounds = {round_.id: round_.code for round_ in db.session.scalars(
        select(Round).where(Round.state.in_(("scheduled", "open"))))
        if is_open(round_)}
    if not open_rounds:
        return
    for respondent_id, round_id in db.session.execute(
            select(Invitation.respondent_id, Invitation.round_id)
            .where(Invitation.round_id.in_(open_rounds), Invitation.withdrawn.is_(False),
                   Invitation.respondent_id.in_(sorted(moved)))
            .order_by(Invitation.round_id)):
        moved[respondent_id].moved_in = open_rounds[round_id]


# Each check below reports through ``bad`` (``_add_error`` bound to the row's errors and line).
_Bad = Callable[..., None]


def _check_ref(bad: _Bad, line: int, ref: str, seen: dict[str, int]) -> None:
    """respondent_ref is filled, well-formed and not on an earlier line."""
    if not ref:
        bad(N_("respondent_ref is empty"), "respondent_ref")
    elif not REF_PATTERN.match(ref):
        bad(N_("respondent_ref '%(ref)s' may have up to 40 letters, digits and . _ / -"),
            "respondent_ref", ref=ref)
    elif ref in seen:
        bad(N_("respondent_ref %(ref)s appears twice (also on line %(line)s)"),
            "respondent_ref", ref=ref, line=seen[ref])
    else:
        seen[ref] = line


def _name(bad: _Bad, row: dict[str, str]) -> str:
    """The name with its spaces joined: filled and not longer than the column."""
    name = " ".join(row["name"].split())
    if not name:
        bad(N_("name is empty"), "name")
    elif len(name) > (text.column_length(Respondent.name) or 0):
        bad(N_("%(column)s is longer than %(n)s characters"), "name", column="name",
            n=text.column_length(Respondent.name))
    return name


def _check_group(bad: _Bad, row: dict[str, str], group: str) -> None:
    """The group (lower-cased) is one of GROUPS."""
    if group not in GROUPS:
        bad(N_("unknown group '%(group)s'; use one of %(groups)s"), "group",
            group=row["group"], groups=", ".join(GROUPS))


class _AreaRow(NamedTuple):
    """What a row's check reads of its area (plain values: a row reads them five times, which
    costs a mapped object's attribute look-ups a second over a 200,000-row roster)."""
    id: int
    code: str
    name: str
    level: str


def _area(bad: _Bad, row: dict[str, str], areas: dict[str, _AreaRow],
          group: str) -> _AreaRow | None:
    """The stored area: a kelurahan or kecamatan, and a kelurahan for rt, rw and lmk."""
    area = areas.get(row["area_code"])
    if not row["area_code"]:
        bad(N_("area_code is empty"), "area_code")
    elif area is None:
        bad(N_("area %(code)s does not exist"), "area_code", code=row["area_code"])
    elif area.level not in RESPONDENT_AREA_LEVELS:
        bad(N_("area %(code)s (%(name)s) is a %(level)s; a respondent belongs to a kelurahan "
               "or a kecamatan"), "area_code", code=area.code, name=area.name, level=area.level)
    elif group in ("rt", "rw", "lmk") and area.level != "kelurahan":
        bad(N_("a %(group)s respondent belongs to a kelurahan, but %(code)s (%(name)s) is a "
               "%(level)s"), "area_code",
            group=group, code=area.code, name=area.name, level=area.level)
    return area


def _rw_and_rt(bad: _Bad, row: dict[str, str], group: str) -> tuple[str | None, str | None]:
    """rw and rt as three digits; an rt respondent needs both, an rw or lmk one needs rw."""
    rw = rt = None
    for column in ("rw", "rt"):
        try:
            value = _rw_rt(row.get(column, ""))
        except ValueError:
            bad(N_("%(column)s '%(value)s' must be a number from 1 to 999"), column,
                column=column, value=row.get(column))
            continue
        if column == "rw":
            rw = value
        else:
            rt = value
    if group == "rt" and not (rw and rt):
        bad(N_("an rt respondent needs both rw and rt"), "rt")
    elif group in ("rw", "lmk") and not rw:
        bad(N_("an %(group)s respondent needs rw"), "rw", group=group)
    return rw, rt


def _phone(bad: _Bad, row: dict[str, str]) -> str | None:
    """The phone, when given, as an Indonesian mobile number (628...)."""
    phone = None
    if row.get("phone"):
        phone = normalise_phone(row["phone"])
        if phone is None:
            bad(N_("phone '%(phone)s' is not an Indonesian mobile number (08..., +628... or "
                   "628...)"), "phone", phone=row["phone"])
    return phone


def _email(bad: _Bad, row: dict[str, str]) -> str | None:
    """The email, when given, looks like an address and fits 254 characters."""
    email = row.get("email", "").strip() or None
    if email and (len(email) > 254 or not EMAIL_PATTERN.match(email)):
        bad(N_("email '%(email)s' is not an email address"), "email", email=email)
    return email


def _stored_contacts() -> dict[str, tuple]:
    """Every stored respondent's ref -> (id, *CONTACT_FIELDS), in one query of plain rows."""
    columns = [getattr(Respondent, f) for f in CONTACT_FIELDS]
    return {ref: tuple(rest) for ref, *rest in bulk.rows(
        select(Respondent.ref, Respondent.id, *columns))}


def _action(current: tuple | None, values: dict) -> str:
    """new, unchanged or update: what the row would do to the stored respondent ((id,
    *CONTACT_FIELDS), as _stored_contacts reads it)."""
    if current is None:
        return "new"
    if tuple(values[f] for f in CONTACT_FIELDS) == current[1:]:
        return "unchanged"
    return "update"


def apply(round_: Round, roster: RosterPlan, secret_key: str) -> RosterSummary:
    """Write a plan checked in this transaction (import_roster), set-based: new respondents in
    one bulk insert, changed ones in one executemany UPDATE, then invite each of them to the
    round (invitations.invite)."""
    check_round(round_)
    new = {row.ref for row in roster.rows if row.action == "new"}
    changed = [{"_id": row.respondent_id, **row.values} for row in roster.rows
               if row.action == "update"]
    after = bulk.next_id(Respondent.__table__) - 1
    with bulk.larger_cache(db.session.connection()):
        # the new rows' tuples made while they are written only (200,000 of them: 25 MB)
        bulk.insert_rows(Respondent.__table__, ["ref", *CONTACT_FIELDS], (
            (row.ref, *(row.values[f] for f in CONTACT_FIELDS)) for row in roster.rows
            if row.action == "new"))
        if changed:  # one executemany; the SET columns are the keys of each row
            table = Respondent.__table__
            db.session.execute(update(table).where(table.c.id == bindparam("_id")), changed)
    ids = bulk.inserted_ids(Respondent.__table__, "ref", after, new)
    respondents = [(row.respondent_id or ids[row.ref], row.values["group"],
                    row.values["area_id"]) for row in roster.rows]
    del new, changed, ids  # not kept while the invitations are written (flat memory)
    summary = RosterSummary(created=roster.count("new"), updated=roster.count("update"),
                            unchanged=roster.count("unchanged"), inactive=roster.inactive_refs(),
                            moved=roster.moved_refs(),
                            moved_rounds=roster.moved_rounds())
    summary.invitations_created, summary.nothing_to_rate = invite(round_, respondents, secret_key)
    db.session.expire_all()
    return summary


def import_roster(round_: Round, table: Table, secret_key: str) -> RosterSummary:
    return apply(round_, plan(round_, table), secret_key)
