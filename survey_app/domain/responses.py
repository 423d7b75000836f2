"""Storing responses (from the web form and from paper), releasing them anonymously, and
response rates as they come in.

One response per invitation and position, guaranteed by the database: storing one first runs
``UPDATE invitation_positions SET answered = true WHERE ... AND NOT answered``, which must change
exactly one row, in the same transaction as the insert of the response. Two submissions of the
same link at the same moment cannot both change that row (PostgreSQL re-checks the WHERE after the
first one commits; SQLite has one writer at a time), so the second one is refused and rolled back.

Anonymity (docs/anonymity.md): rows written in that transaction are linkable to each other (the
same transaction id on PostgreSQL, neighbouring row ids, the same moment), so the response is not
written to ``responses`` there but to ``held_responses``, from where survey_app.domain.holding
moves it in a shuffled batch. Neither kind of row carries a time; the holder of the post when the
form was filled in is kept instead (DOMAIN.md section 4a). The caller commits.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from functools import cache

from flask import current_app
from flask_babel import gettext, ngettext
from sqlalchemy import bindparam, case, func, select, text
from sqlalchemy.engine import Connection

from survey_app.domain import clock, exports, questionnaires
from survey_app.domain.errors import N_, DomainError, ImportRejected, NotAllowed, RowError
from survey_app.domain.holding import RESPONSE_COLUMNS
from survey_app.domain.officials import holders_on
from survey_app.domain.rounds import RoundLike, effective_state, state_label
from survey_app.domain.tabular import Table, day_cell, read_table
from survey_app.domain.text import RowChecker, first_control
from survey_app.domain.vocabulary import ANSWER_MAX, ANSWER_MIN, GROUPS, POSITION_KINDS
from survey_app.extensions import db
from survey_app.models import (
    Area,
    HeldResponse,
    Invitation,
    InvitationPosition,
    PinnedQuestionnaire,
    Position,
    Respondent,
    Round,
    invitation_counted,
)
from survey_app.models.driver_sql import DriverStatement

COMMENT_MAX = 2000
PAPER_STATES = ("open", "closed")  # paper forms may arrive after the close, not once published


class AlreadyAnswered(DomainError):
    """This invitation already has a response for that position."""


class RoundNotOpen(NotAllowed):
    """The round is not open: no answers are taken."""


@dataclass
class Incomplete(DomainError):
    """Required items left blank (by item code), or values off the scale; nothing was stored."""

    missing: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        parts = []
        if self.missing:
            parts.append(gettext("no answer to %(items)s", items=", ".join(self.missing)))
        if self.invalid:
            parts.append(gettext("answers off the 1..4 scale for %(items)s",
                                 items=", ".join(self.invalid)))
        return "; ".join(parts)


def _pinned_cache() -> dict:
    # Per app (a test's fresh database may reuse an id for other content); pinned content never
    # changes, so it is read and decoded once instead of on every request of the public form.
    return current_app.extensions.setdefault("skm_pinned_questionnaires", {})


def pinned_content(questionnaire_id: int) -> dict:
    """A round's pinned questionnaire content (decoded once per process)."""
    cache = _pinned_cache()
    if ("content", questionnaire_id) not in cache:
        cache[("content", questionnaire_id)] = db.session.scalar(
            select(PinnedQuestionnaire.content).where(PinnedQuestionnaire.id == questionnaire_id))
    return cache[("content", questionnaire_id)]


def item_rules(round_: RoundLike) -> tuple[tuple[str, bool], ...]:
    """(item code, required) of the round's questionnaire, in order."""
    cache = _pinned_cache()
    key = ("items", round_.questionnaire_id)
    if key not in cache:
        cache[key] = tuple((i.code, i.required)
                           for i in questionnaires.items(pinned_content(round_.questionnaire_id)))
    return cache[key]


def check_answers(round_: RoundLike, answers: dict[str, int | None]) -> dict[str, int]:
    """The answers to store (blanks dropped). Raises Incomplete for any required blank or value
    off the scale; codes the questionnaire does not have are ignored by the caller's parsing."""
    missing, invalid, kept = [], [], {}
    for code, required in item_rules(round_):
        value = answers.get(code)
        if value is None:
            if required:
                missing.append(code)
        elif not isinstance(value, int) or not ANSWER_MIN <= value <= ANSWER_MAX:
            invalid.append(code)
        else:
            kept[code] = value
    if missing or invalid:
        raise Incomplete(missing, invalid)
    return kept


Section = tuple[dict[str, int], str | None]  # one position's (answers, comment)


def store_many(connection: Connection, round_id: int, invitation_id: int, group: str,
               area_id: int, sections: Mapping[int, Section],
               officials: Mapping[int, int | None],
               source: str = "web") -> None:
    """Mark each position answered (exactly once) and hold its response for release, in
    ``connection``'s transaction (on its DBAPI cursor, models/driver_sql.py: this is the public
    form's hot path, and neither the ORM nor SQLAlchemy's execution machinery adds anything).

    ``sections`` maps position -> (answers from check_answers, comment); ``officials`` maps
    position -> the official in post when the form was filled in (None: nobody). Three
    statements however many positions: one UPDATE that must mark every position (so a position
    answered already, by a concurrent request too, is refused by the database), one INSERT of the
    held responses and one of their answers. Raises AlreadyAnswered; the caller then rolls back.
    """
    if not sections:
        return
    position_ids = sorted(sections)
    cursor = _mark_answered(len(position_ids)).execute(connection, {
        "invitation": invitation_id,
        **{f"position{n}": pid for n, pid in enumerate(position_ids)}})
    marked = cursor.rowcount
    cursor.close()
    if marked != len(position_ids):
        raise AlreadyAnswered(gettext("This position has already been answered with this "
                                      "invitation."))
    inserted = _insert_held(len(position_ids)).rows(connection, {
        f"{name}{n}": value for n, pid in enumerate(position_ids) for name, value in (
            ("round_id", round_id), ("position_id", pid), ("official_id", officials.get(pid)),
            ("group", group), ("area_id", area_id), ("source", source),
            ("comment", (sections[pid][1] or "").strip()[:COMMENT_MAX] or None))})
    answers = [(held_id, code, value) for held_id, pid in inserted
               for code, value in sections[pid][0].items()]
    if answers:
        _insert_held_answers(len(answers)).execute(connection, {
            f"{name}{n}": value for n, row in enumerate(answers)
            for name, value in zip("rcv", row, strict=True)}).close()


# Each built once per number of rows: a fixed statement is compiled once per database.

@cache
def _mark_answered(positions: int) -> DriverStatement:
    """Mark the invitation's ``position0``.. answered, if not answered yet."""
    table = InvitationPosition.__table__
    return DriverStatement(
        table.update()
        .where(table.c.invitation_id == bindparam("invitation"),
               table.c.position_id.in_([bindparam(f"position{n}") for n in range(positions)]),
               table.c.answered.is_(False))
        .values(answered=True))


@cache
def _insert_held(rows: int) -> DriverStatement:
    """Insert ``rows`` held responses (bound as round_id0, position_id0, ...), returning each
    one's (id, position_id): one statement however many positions were answered."""
    table = HeldResponse.__table__
    return DriverStatement(
        table.insert()
        .values([{name: bindparam(f"{name}{n}", type_=table.c[name].type)
                  for name in RESPONSE_COLUMNS} for n in range(rows)])
        .returning(table.c.id, table.c.position_id))


@cache
def _insert_held_answers(rows: int) -> DriverStatement:
    """One INSERT of ``rows`` answers (bound as r0, c0, v0, r1, ...). One statement, not one per
    answer: on PostgreSQL that saved a quarter of a millisecond of CPU per form."""
    values = ", ".join(f"(:r{n}, :c{n}, :v{n})" for n in range(rows))
    return DriverStatement(text(f"INSERT INTO held_answers (held_response_id, item_code, value) "
                                f"VALUES {values}"))


def submit_web(connection: Connection, link, by_position: Mapping[int, Section], now=None) -> int:
    """Store the web form's answered sections (position -> (answers, comment)), all or none, in
    ``connection``'s transaction.

    ``link`` is an invitations.LinkView (read today: its positions name today's holders); answers
    must already be checked. Raises RoundNotOpen or AlreadyAnswered (the caller rolls back).
    """
    round_ = link.round
    if effective_state(round_, now) != "open":
        raise RoundNotOpen(gettext("Round %(code)s is not open.", code=round_.code))
    officials = {p.position_id: p.official_id for p in link.positions}
    store_many(connection, round_.id, link.invitation_id, link.group, link.area_id, by_position,
               officials, "web")
    return len(by_position)


# --- paper forms ----------------------------------------------------------------------------

@dataclass
class PaperSummary:
    stored: int = 0
    blanks: int = 0  # answers left blank on the stored forms: out of every NRR
    # rows left out (import_paper's skip_bad): (line, row, its errors)
    skipped: list[tuple[int, dict[str, str], list[RowError]]] = field(default_factory=list)

    def __str__(self) -> str:
        text = ngettext("%(num)s paper response stored", "%(num)s paper responses stored",
                        self.stored)
        if self.blanks:
            text += " " + ngettext("(%(num)s blank answer left out of the scores)",
                                   "(%(num)s blank answers left out of the scores)", self.blanks)
        if self.skipped:
            text += "; " + ngettext("%(num)s bad row skipped", "%(num)s bad rows skipped",
                                    len(self.skipped))
        return text

    def skipped_csv(self, header: list[str]) -> str:
        """The skipped rows in the file's own columns (``header``), each followed by its errors
        with their line in the file imported: fix them, and the file imports again (read_paper
        ignores the ``errors`` column)."""
        columns = [h for h in header if h and h != SKIPPED_ERRORS_COLUMN]
        return exports.csv_text(
            [*columns, SKIPPED_ERRORS_COLUMN],
            ([*(row.get(c, "") for c in columns), "; ".join(str(e) for e in errors)]
             for _line, row, errors in self.skipped), lineterminator="\r\n")


PAPER_OPTIONAL_COLUMNS = ["filled_on", "comment"]
SKIPPED_ERRORS_COLUMN = "errors"  # the skipped rows' file (PaperSummary.skipped_csv) adds it


def paper_columns(round_: Round) -> tuple[list[str], list[str]]:
    """The (required, optional) columns of a paper-form file; item codes are matched without
    regard to case (the table reader lowers every column name)."""
    return (["respondent_ref", "position", "area_code"]
            + [c.lower() for c, _r in item_rules(round_)], list(PAPER_OPTIONAL_COLUMNS))


def read_paper(round_: Round, source, filename: str | None = None) -> Table:
    """A paper-form file as import_paper reads it: paper_columns, plus the ``errors`` column
    of a file of skipped rows (ignored), so that such a file, fixed, imports again."""
    required, optional = paper_columns(round_)
    return read_table(source, filename, required=required,
                      optional=[*optional, SKIPPED_ERRORS_COLUMN])


def _round_days(round_: Round) -> tuple[date, date]:
    """The first and last Jakarta day on which the round is open (closes_at itself is the first
    moment it is not: a round closing at midnight has its last day before it; a round closed
    early by hand ended at closed_at)."""
    ended = min(round_.closed_at or round_.closes_at, round_.closes_at)
    return (clock.jakarta_day(round_.opens_at),
            clock.jakarta_day(ended - timedelta(microseconds=1)))


def import_paper(round_: Round, table: Table, now=None, skip_bad: bool = False) -> PaperSummary:
    """`import-responses`: one row per respondent and rated position, the rules of the web form
    (one response per invitation and position, values 1..4) except that any answer may be blank:
    a paper form cannot force an answer, and a blank is left out of its element's NRR (DOMAIN.md
    section 3). A row with no answer and no comment is refused (nothing to store).

    The optional ``filled_on`` is the day the form was filled in (within the round's days and not
    after today); the form belongs to whoever held the post that day, else on the day of the
    import (DOMAIN.md section 4a). All-or-nothing with line-numbered errors, unless
    ``skip_bad``: then the good rows are stored and the bad ones come back in the summary."""
    state = effective_state(round_, now)
    if state not in PAPER_STATES:
        raise NotAllowed(gettext("Round %(code)s is %(state)s: paper forms are taken while it is "
                                 "open or closed (before results are published).",
                                 code=round_.code, state=state_label(state)))
    rules = item_rules(round_)
    today = clock.jakarta_day(now or clock.now())
    first_day, last_day = _round_days(round_)
    # (a ref with a NUL would make PostgreSQL refuse the query: its row is refused below)
    refs = {row["respondent_ref"] for _line, row in table.rows
            if first_control(row["respondent_ref"]) is None}
    invited = {}
    wanted = sorted(refs)
    for start in range(0, len(wanted), 10_000):  # IN lists under SQLite's 32,766 variables
        for ref, inv_id, group, area_id, pos_id, kind, area_code, completed in db.session.execute(
                select(Respondent.ref, Invitation.id, Invitation.group, Invitation.area_id,
                       Position.id, Position.kind, Area.code, InvitationPosition.answered)
                .join(Invitation, Invitation.respondent_id == Respondent.id)
                .join(InvitationPosition, InvitationPosition.invitation_id == Invitation.id)
                .join(Position, Position.id == InvitationPosition.position_id)
                .join(Area, Area.id == Position.area_id)
                .where(Invitation.round_id == round_.id,
                       Respondent.ref.in_(wanted[start:start + 10_000]))
                .where(invitation_counted())):  # a withdrawn invitation takes no paper form
            invited[(ref, kind, area_code)] = (inv_id, group, area_id, pos_id, completed)
    known_refs = {key[0] for key in invited}
    bad: list[tuple[int, dict[str, str], list[RowError]]] = []
    seen: dict[tuple, int] = {}
    to_store = []
    # The text each file column is stored in (text.row_errors: control characters and lengths);
    # tab and line breaks are allowed in the comment.
    paper_text = {"respondent_ref": Respondent.ref, "position": None, "area_code": Area.code,
                  "filled_on": None, "comment": COMMENT_MAX,
                  **{code.lower(): None for code, _required in rules}}
    text_errors = RowChecker(paper_text, free_text=["comment"])
    for line, row in table.rows:
        row_errors = text_errors(line, row)
        key = (row["respondent_ref"], row["position"].lower(), row["area_code"])
        _check_paper_invitation(line, row, key, invited, known_refs, seen, round_.code,
                                row_errors)
        seen.setdefault(key, line)
        answers, blanks = _paper_answers(line, row, rules, row_errors)
        comment: str | None = row.get("comment", "")
        if blanks == len(rules) and not comment:
            row_errors.append(RowError(line, N_("every answer is blank and there is no comment: "
                                                "nothing to store")))
        day = _filled_on(line, row, today, (first_day, last_day), row_errors)
        if row_errors:
            bad.append((line, row, row_errors))
            continue
        to_store.append((invited[key], answers, blanks, comment or None, day))
    if bad and not skip_bad:
        raise ImportRejected([e for _line, _row, row_errors in bad for e in row_errors])
    # A paper form belongs to whoever held the post on the day it was filled in (DOMAIN.md 4a):
    # one query per distinct day, not one per row.
    holders = {day: {pid: official.id for pid, official in holders_on(day).items()}
               for day in {entry[4] for entry in to_store}}
    connection = db.session.connection()
    summary = PaperSummary(skipped=bad)
    # One respondent's forms of one day go in together: three statements for all their
    # positions, as a web form does.
    forms: dict[tuple[int, date], tuple[str, int, dict]] = {}
    for (inv_id, group, area_id, pos_id, _answered), answers, blanks, comment, day in to_store:
        forms.setdefault((inv_id, day), (group, area_id, {}))[2][pos_id] = (answers, comment)
        summary.stored += 1
        summary.blanks += blanks
    for (inv_id, day), (group, area_id, sections) in forms.items():
        try:
            store_many(connection, round_.id, inv_id, group, area_id, sections, holders[day],
                       "paper")
        except AlreadyAnswered:  # answered on the web since the check above
            raced = RowError(0, N_("a respondent answered on the web while the file was being "
                                   "imported; import it again"))
            raise ImportRejected([raced]) from None
    return summary


# --- response rates -------------------------------------------------------------------------

@dataclass
class Rate:
    key: str
    label: str
    invited: int = 0  # respondents
    responded: int = 0  # respondents who answered at least one position
    finished: int = 0  # respondents who answered every position
    forms: int = 0  # positions to rate, over all invitations
    forms_done: int = 0

    @property
    def rate(self) -> float:
        return self.responded / self.invited if self.invited else 0.0

    def add(self, other: Rate) -> None:
        self.invited += other.invited
        self.responded += other.responded
        self.finished += other.finished
        self.forms += other.forms
        self.forms_done += other.forms_done


@dataclass
class Rates:
    total: Rate
    by_kota: list[Rate]
    by_kecamatan: list[Rate]
    by_kelurahan: list[Rate]
    by_group: list[Rate]


# The row checks of import_paper: each adds its RowErrors to the row's list.

def _check_paper_invitation(line: int, row: dict[str, str], key: tuple[str, str, str],
                            invited: dict, known_refs: set[str], seen: dict[tuple, int],
                            round_code: str, row_errors: list[RowError]) -> None:
    """A known position kind that the respondent was invited to rate, once in the file, and not
    answered yet."""
    ref, kind, area_code = key
    if kind not in POSITION_KINDS:
        row_errors.append(RowError(line, N_("unknown position '%(position)s'; use one of "
                                            "%(positions)s"), "position",
                                   position=row["position"],
                                   positions="lurah, camat, walikota, bupati"))
    elif ref not in known_refs:
        row_errors.append(RowError(line, N_("respondent %(ref)s is not invited to round "
                                            "%(round)s"), "respondent_ref",
                                   ref=ref, round=round_code))
    elif key not in invited:
        row_errors.append(RowError(line, N_("respondent %(ref)s does not rate the "
                                            "%(position)s of %(code)s in this round"),
                                   "area_code", ref=ref, position=kind, code=area_code))
    elif key in seen:
        row_errors.append(RowError(line, N_("the same respondent and position appear twice "
                                            "(also on line %(line)s)"), line=seen[key]))
    elif invited[key][4]:
        row_errors.append(RowError(line, N_("respondent %(ref)s has already answered for the "
                                            "%(position)s of %(code)s"),
                                   ref=ref, position=kind, code=area_code))


def _paper_answers(line: int, row: dict[str, str], rules: tuple[tuple[str, bool], ...],
                   row_errors: list[RowError]) -> tuple[dict[str, int], int]:
    """(answers by item code, number of blanks): each answer blank or 1 to 4."""
    answers, blanks = {}, 0
    for code, _required in rules:
        value = row.get(code.lower(), "")
        if not value:
            blanks += 1
            continue
        if value not in ("1", "2", "3", "4"):
            row_errors.append(RowError(line, N_("%(item)s '%(value)s' must be 1, 2, 3 or 4 (or "
                                                "blank)"), code, item=code, value=value))
            continue
        answers[code] = int(value)
    return answers, blanks


def _filled_on(line: int, row: dict[str, str], today: date, round_days: tuple[date, date],
               row_errors: list[RowError]) -> date:
    """The day the form was filled in (today when blank): not in the future, within the round."""
    filled_on = day_cell(row, "filled_on", line, row_errors)
    if filled_on is None:
        return today
    first_day, last_day = round_days
    if filled_on > today:
        row_errors.append(RowError(line, N_("filled_on %(day)s is in the future"),
                                   "filled_on", day=filled_on.isoformat()))
    elif not first_day <= filled_on <= last_day:
        row_errors.append(RowError(
            line, N_("filled_on %(day)s is outside the round (%(first)s to "
                     "%(last)s)"), "filled_on", day=filled_on.isoformat(),
            first=first_day.isoformat(), last=last_day.isoformat()))
    return filled_on


def response_rates(round_: Round) -> Rates:
    """Counts per area and group (those each link was made for, as its forms are stored) come
    from one aggregate query; the area tree (a few hundred rows) rolls them up to kecamatan and
    kota."""
    per_invitation = (
        select(Invitation.id.label("invitation_id"), Invitation.area_id, Invitation.group,
               invitation_counted().label("counted"),
               func.count().label("forms"),
               func.count().filter(InvitationPosition.answered).label("done"))
        .join(InvitationPosition, InvitationPosition.invitation_id == Invitation.id)
        .where(Invitation.round_id == round_.id)
        .group_by(Invitation.id, Invitation.withdrawn, Invitation.area_id, Invitation.group)
    ).subquery()
    # Withdrawn invitations (survey_app.domain.lifecycle) leave the denominators (invited, forms);
    # the answers already given stay counted, whoever gave them.
    counted = per_invitation.c.counted
    rows = db.session.execute(
        select(per_invitation.c.area_id, per_invitation.c.group,
               func.sum(case((counted, 1), else_=0)),
               func.sum(case((per_invitation.c.done > 0, 1), else_=0)),
               func.sum(case((per_invitation.c.done == per_invitation.c.forms, 1), else_=0)),
               func.sum(case((counted, per_invitation.c.forms), else_=0)),
               func.sum(per_invitation.c.done))
        .group_by(per_invitation.c.area_id, per_invitation.c.group)).all()
    areas = {a.id: a for a in db.session.scalars(select(Area))}
    total = Rate("", "")
    buckets: dict[str, dict[int | str, Rate]] = {"kota": {}, "kecamatan": {}, "kelurahan": {},
                                                 "group": {}}

    def bucket(kind: str, key, label: str) -> Rate:
        return buckets[kind].setdefault(key, Rate(str(key), label))

    for area_id, group, invited, responded, finished, forms, done in rows:
        part = Rate("", "", int(invited or 0), int(responded or 0), int(finished or 0),
                    int(forms or 0), int(done or 0))
        total.add(part)
        bucket("group", group, group).add(part)
        area = areas.get(area_id)
        while area is not None:
            level = "kota" if area.level in ("kota", "kabupaten") else area.level
            if level in buckets:
                bucket(level, area.code, area.name).add(part)
            area = areas.get(area.parent_id) if area.parent_id else None
    order = {g: i for i, g in enumerate(GROUPS)}
    return Rates(total,
                 sorted(buckets["kota"].values(), key=lambda r: r.key),
                 sorted(buckets["kecamatan"].values(), key=lambda r: r.key),
                 sorted(buckets["kelurahan"].values(), key=lambda r: r.key),
                 sorted(buckets["group"].values(), key=lambda r: order.get(r.key, 99)))

