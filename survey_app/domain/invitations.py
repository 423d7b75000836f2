"""Invitations: who rates which positions in a round, their personal links, and the exports.

A link token is HMAC-SHA256(secret key, nonce) cut to 32 hex characters (128 bits): the nonce is
random and stored, the token itself never is (only its SHA-256), so a copy of the database alone
does not give anyone's link, while the server can still print the same link again for a letter
or a reminder. Hex is URL-safe and easy to read aloud from a paper letter.

Which positions an invitation rates follows from the round's rating matrix (group -> tiers), the
area tree (the kelurahan, its kecamatan, its kota or kabupaten) and who holds each position
during the round (a vacant post is not rated). The caller commits.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from urllib.parse import quote

from flask_babel import force_locale, gettext, pgettext
from sqlalchemy import bindparam, delete, exists, func, or_, select, update
from sqlalchemy.engine import Connection

from reports import labels
from survey_app.domain import audit, bulk, clock, exports, rounds
from survey_app.domain.errors import N_, DomainError, NotAllowed
from survey_app.domain.officials import in_post
from survey_app.domain.rounds import effective_state, state_label
from survey_app.domain.vocabulary import POSITION_TIER
from survey_app.extensions import db
from survey_app.models import (
    Appointment,
    Area,
    Invitation,
    InvitationPosition,
    Official,
    Position,
    Respondent,
    Round,
    invitation_counted,
)
from survey_app.models.driver_sql import DriverStatement

TOKEN_PATTERN = re.compile(r"^[0-9a-f]{32}$")
# Rosters may still change until a round closes; afterwards the roster is history.
ROSTER_STATES = ("draft", "scheduled", "open")
EXPORT_COLUMNS = ["respondent_ref", "name", "group", "area_code", "phone", "link", "whatsapp_url"]


def check_roster_open(round_: Round) -> str:
    """The round's effective state, or NotAllowed once its roster may no longer change."""
    state = effective_state(round_)
    if state not in ROSTER_STATES:
        raise NotAllowed(gettext("Round %(code)s is %(state)s: its roster can no longer change.",
                                 code=round_.code, state=state_label(state)))
    return state


# --- tokens -------------------------------------------------------------------------------

def invitation_token(secret_key: str, nonce: str) -> str:
    """The link token of an invitation: an HMAC of the server's secret and the stored nonce."""
    return hmac.digest(secret_key.encode(), nonce.encode(), "sha256").hex()[:32]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_tokens(secret_key: str, count: int) -> list[tuple[str, str]]:
    """``count`` fresh (nonce, token_hash) pairs; each nonce has 128 random bits, all drawn in
    one call (a province's next quarter needs some 40,000)."""
    randomness = secrets.token_bytes(16 * count).hex()
    nonces = [randomness[start:start + 32] for start in range(0, 32 * count, 32)]
    return [(nonce, token_hash(invitation_token(secret_key, nonce))) for nonce in nonces]


def link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/s/{token}"


# --- which positions a respondent rates -----------------------------------------------------

@dataclass
class AreaTree:
    """The areas and the positions held during a round, loaded once for a whole roster."""

    areas: dict[int, Area]
    positions: dict[tuple[str, int], int]  # (tier, area_id) -> position_id, held in the round

    @classmethod
    def for_round(cls, round_: Round) -> AreaTree:
        areas = {a.id: a for a in db.session.scalars(select(Area))}
        first = clock.jakarta_day(round_.opens_at)
        last = clock.jakarta_day(round_.closes_at)
        held = (select(Position.id, Position.kind, Position.area_id)
                .where(Position.area_id.is_not(None), exists().where(
                    Appointment.position_id == Position.id, Appointment.start_date <= last,
                    or_(Appointment.end_date.is_(None), Appointment.end_date >= first))))
        positions = {(POSITION_TIER[kind], area_id): pid
                     for pid, kind, area_id in db.session.execute(held)}
        return cls(areas, positions)

    def rated_positions(self, area_id: int, tiers: list[str]) -> list[int]:
        """The held positions above an area, in the order lurah, camat, wali kota/bupati."""
        chain: dict[str, int] = {}
        area = self.areas.get(area_id)
        while area is not None:
            tier = {"kelurahan": "lurah", "kecamatan": "camat", "kota": "walikota",
                    "kabupaten": "walikota"}.get(area.level)
            if tier:
                chain[tier] = area.id
            area = self.areas.get(area.parent_id) if area.parent_id else None
        found = []
        for tier in ("lurah", "camat", "walikota"):
            if tier in tiers and tier in chain and (tier, chain[tier]) in self.positions:
                found.append(self.positions[(tier, chain[tier])])
        return found


def ensure_invitations(round_: Round, respondents: list[Respondent], secret_key: str,
                       tree: AreaTree | None = None) -> tuple[int, int]:
    """Give each respondent an invitation to the round, with the positions they rate.

    An existing invitation keeps its token (its link never changes); its positions, and the
    group and area they were chosen for, are brought up to date only before the round opens:
    once people answer, what a link rates stays fixed (a position replaced under a respondent's
    feet could otherwise be answered twice), and its forms are stored with the group and area it
    was made for (a respondent moved during the round answers as one of their old area, not as
    the only one of the new area rating the old posts). Returns (invitations created,
    respondents with nothing to rate, who get no invitation).
    """
    return invite(round_, [(r.id, r.group, r.area_id) for r in respondents], secret_key, tree)


# What an invitation is made for: its group, its area and the positions they rate.
_Made = tuple[str, int, list[int]]


def invite(round_: Round, respondents: list[tuple[int, str, int]], secret_key: str,
           tree: AreaTree | None = None) -> tuple[int, int]:
    """ensure_invitations for (respondent id, group, area id) rows, set-based: the round's
    invitations and their positions are read in two queries, new invitations and their positions
    written in bulk, changed positions replaced with IN statements; memory grows with the rows
    only, never with objects in the session."""
    state = check_roster_open(round_)
    tree = tree or AreaTree.for_round(round_)
    # Respondents off the roster (survey_app.domain.lifecycle) get no new link: not from an
    # upload that names them, nor in the next quarter's copy (they are few: one query).
    inactive = set(db.session.scalars(select(Respondent.id).where(Respondent.active.is_(False))))
    respondents = [row for row in respondents if row[0] not in inactive]
    existing = {respondent_id: (invitation_id, group, area_id)
                for respondent_id, invitation_id, group, area_id in bulk.rows(
                    select(Invitation.respondent_id, Invitation.id, Invitation.group,
                           Invitation.area_id).where(Invitation.round_id == round_.id))}
    rated: dict[int, set[int]] = {}
    if existing and state != "open":
        for invitation_id, position_id in bulk.rows(
                select(InvitationPosition.invitation_id, InvitationPosition.position_id)
                .join(Invitation, Invitation.id == InvitationPosition.invitation_id)
                .where(Invitation.round_id == round_.id)):
            rated.setdefault(invitation_id, set()).add(position_id)
    matrix = {group: list(tiers) for group, tiers in round_.rating_matrix.items()}
    rates: dict[tuple[int, str], list[int]] = {}  # a few hundred areas: computed once each
    new: dict[int, _Made] = {}
    changed: dict[int, _Made] = {}
    nothing_to_rate = 0
    for respondent_id, group, area_id in respondents:
        wanted = rates.get((area_id, group))
        if wanted is None:
            wanted = rates[(area_id, group)] = tree.rated_positions(area_id,
                                                                    matrix.get(group, []))
        if respondent_id not in existing:
            if not wanted:
                nothing_to_rate += 1
            elif respondent_id not in new:
                new[respondent_id] = (group, area_id, wanted)
            continue
        invitation_id, made_group, made_area = existing[respondent_id]
        if state != "open" and ((made_group, made_area) != (group, area_id)
                                or rated.get(invitation_id, set()) != set(wanted)):
            changed[invitation_id] = (group, area_id, wanted)
    if changed or new:
        with bulk.larger_cache(db.session.connection()):  # the link's unique index, at random
            _remake(changed)
            _insert_invitations(round_, new, secret_key)
        db.session.expire_all()  # what the session held of these rows is read again
    return len(new), nothing_to_rate


_CHUNK = 10_000  # ids per IN (...) statement: under SQLite's and PostgreSQL's limits


def _remake(made: dict[int, _Made]) -> None:
    """These invitations (before the round opens) are made for a new group, area and positions:
    each gets its ``made`` group and area, and its positions are replaced."""
    if not made:
        return
    table = Invitation.__table__
    db.session.execute(update(table).where(table.c.id == bindparam("_id")),
                       [{"_id": iid, "group": group, "area_id": area_id}
                        for iid, (group, area_id, _pids) in made.items()])
    ids = list(made)
    for start in range(0, len(ids), _CHUNK):
        db.session.execute(delete(InvitationPosition).where(
            InvitationPosition.invitation_id.in_(ids[start:start + _CHUNK])))
    bulk.insert_rows(InvitationPosition.__table__, ["invitation_id", "position_id", "answered"],
                     ((iid, pid, False) for iid, (_g, _a, pids) in made.items() for pid in pids))


def _insert_invitations(round_: Round, wanted: dict[int, _Made], secret_key: str) -> None:
    """New invitations (a fresh link each) for these respondents, made for their group and area,
    and the positions they rate; 20,000 respondents at a time, so that memory stays flat however
    long the roster."""
    if not wanted:
        return
    db.session.flush()
    now = clock.now()
    respondent_ids = list(wanted)
    for start in range(0, len(respondent_ids), 20_000):
        chunk = respondent_ids[start:start + 20_000]
        after = bulk.next_id(Invitation.__table__) - 1
        bulk.insert_rows(Invitation.__table__,
                         ["respondent_id", "token_hash", "token_nonce", "group", "area_id"],
                         [(respondent_id, digest, nonce, *wanted[respondent_id][:2])
                          for respondent_id, (nonce, digest)
                          in zip(chunk, new_tokens(secret_key, len(chunk)), strict=True)],
                         same={"round_id": round_.id, "created_at": now})
        # this round's invitations only: the respondent is the key
        ids = {respondent_id: id_ for respondent_id, id_ in bulk.rows(
            select(Invitation.respondent_id, Invitation.id)
            .where(Invitation.id > after, Invitation.round_id == round_.id))}
        bulk.insert_rows(InvitationPosition.__table__,
                         ["invitation_id", "position_id", "answered"],
                         [(ids[rid], pid, False) for rid in chunk for pid in wanted[rid][2]])


def roster_query(round_: Round):
    """The one query of who is on a round's roster, as (respondent id, group, area id): what the
    next quarter copies."""
    return (select(Respondent.id, Respondent.group, Respondent.area_id)
            .join(Invitation, Invitation.respondent_id == Respondent.id)
            .where(Invitation.round_id == round_.id).order_by(Respondent.id))


def copy_roster(from_round: Round, to_round: Round, secret_key: str | None = None) -> int:
    """Invite everyone invited to ``from_round`` to ``to_round`` too (new links; positions from
    the new round's matrix and holders). Returns how many invitations were created.

    ``secret_key`` defaults to the app's SECRET_KEY (the key links are derived with)."""
    if secret_key is None:
        from flask import current_app

        secret_key = current_app.config["SECRET_KEY"]
    respondents = bulk.rows(roster_query(from_round)).tuples().all()
    created, _none = invite(to_round, list(respondents), secret_key)
    return created


def next_quarter(previous: Round, user=None) -> Round:
    """A new draft for the quarter after ``previous`` (``rounds.next_quarter_draft``: the same
    settings three months later) with the same roster, each respondent with a new link."""
    round_ = rounds.next_quarter_draft(previous, user)
    invited = copy_roster(previous, round_)
    audit.record("round-next-quarter", round_.code, user,
                 {"from": previous.code, "invitations": invited})
    return round_


# --- what a link shows ----------------------------------------------------------------------

@dataclass(frozen=True)
class RatedPosition:
    position_id: int
    kind: str
    area_code: str
    area_name: str
    official_name: str | None
    completed: bool
    official_id: int | None = None  # who holds the post today: a form given now belongs to them


@dataclass(frozen=True)
class RoundInfo:
    """What the public form needs of a round: a rounds.RoundLike, as Round is."""

    id: int
    code: str
    state: str
    opens_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    questionnaire_id: int


@dataclass(frozen=True)
class LinkView:
    """Everything behind a personal link, read in one query: the public form's hot path."""

    invitation_id: int
    round: RoundInfo
    group: str
    area_id: int
    positions: list[RatedPosition]

    @property
    def pending(self) -> list[RatedPosition]:
        return [p for p in self.positions if not p.completed]


_POSITION_ORDER = {"lurah": 0, "camat": 1, "walikota": 2, "bupati": 2}


@cache
def _link_query():
    """Built once: invitation (with the group and area its link was made for: what its forms
    are stored with), round and each rated position with its holder on
    ``:day``, for the invitation whose token hashes to ``:digest``. Appointments of a position
    never overlap (a database constraint), so the outer join finds at most one holder."""
    holding = in_post(Appointment, Position.id, bindparam("day"))
    return DriverStatement(
        select(Invitation.id, Round.id, Round.code, Round.state, Round.opens_at, Round.closes_at,
               Round.closed_at, Round.questionnaire_id, Invitation.group, Invitation.area_id,
               Position.id, Position.kind, Area.code, Area.name, Official.name,
               InvitationPosition.answered, Official.id)
        .join(Round, Round.id == Invitation.round_id)
        .outerjoin(InvitationPosition, InvitationPosition.invitation_id == Invitation.id)
        .outerjoin(Position, Position.id == InvitationPosition.position_id)
        .outerjoin(Area, Area.id == Position.area_id)
        .outerjoin(Appointment, holding)
        .outerjoin(Official, Official.id == Appointment.official_id)
        .where(Invitation.token_hash == bindparam("digest"))
        .where(invitation_counted()))  # a withdrawn link (lifecycle) no longer works


def open_link(connection: Connection, token: str, day: date | None = None) -> LinkView | None:
    """What a link shows, or None for a link that does not exist (a malformed token is never
    looked up). Holders are those in post on ``day`` (today in Jakarta by default).

    Read on ``connection``'s DBAPI cursor (models/driver_sql.py): the public form's hot path,
    plain columns, nothing to load."""
    if not TOKEN_PATTERN.match(token or ""):
        return None
    rows = _link_query().rows(connection, {
        "digest": token_hash(token), "day": day or clock.jakarta_day(clock.now())})
    if not rows:
        return None
    first = rows[0]
    positions = sorted(
        (RatedPosition(r[10], r[11], r[12], r[13], r[14], bool(r[15]), r[16])
         for r in rows if r[10] is not None),
        key=lambda p: _POSITION_ORDER.get(p.kind, 9))
    return LinkView(first[0], RoundInfo(*first[1:8]), first[8], first[9], positions)


# --- exports --------------------------------------------------------------------------------

@dataclass
class InvitationRow:
    respondent_ref: str
    name: str
    group: str
    area_code: str
    area_name: str
    kelurahan: str  # the kelurahan (or kecamatan) the letter is handed out in
    kecamatan: str
    rw: str | None
    rt: str | None
    phone: str | None
    link: str
    whatsapp_url: str


# The message a respondent gets on WhatsApp (English msgid; sent in Indonesian: the catalogs).
WHATSAPP_MESSAGE = N_(
    "Dear Sir/Madam %(name)s, you are invited to fill in the Public Satisfaction Survey for period "
    "%(code)s to rate the heads of your area (lurah, camat, wali kota). Your answers are "
    "confidential and anonymous. Please fill it in before %(closes)s through the following "
    "personal link (do not share it): %(link)s Thank you for your time and your views.")
LETTER_LANGUAGE = "id"  # letters and WhatsApp messages are sent in Bahasa Indonesia


def whatsapp_url(phone: str | None, text: str) -> str:
    """A click-to-chat address (wa.me) with the message filled in; empty without a phone."""
    if not phone:
        return ""
    return f"https://wa.me/{phone}?text={quote(text, safe='')}"


class KeyChanged(DomainError):
    """The server's SECRET_KEY is not the one the round's links were made with."""


KEY_SAMPLE = 5


def check_secret_key(round_: Round, secret_key: str) -> None:
    """KeyChanged unless ``secret_key`` gives back the stored hashes of a few of the round's
    invitations (the oldest, the newest and some at random): links printed under another key
    would all be dead, so none is printed."""
    ids = select(Invitation.id).where(Invitation.round_id == round_.id)
    sample = set(db.session.scalars(ids.order_by(Invitation.id).limit(1)))
    sample |= set(db.session.scalars(ids.order_by(Invitation.id.desc()).limit(1)))
    sample |= set(db.session.scalars(ids.order_by(func.random()).limit(KEY_SAMPLE - 2)))
    for nonce, stored in db.session.execute(select(Invitation.token_nonce, Invitation.token_hash)
                                            .where(Invitation.id.in_(sample))):
        if token_hash(invitation_token(secret_key, nonce)) != stored:
            raise KeyChanged(gettext(
                "The links of round %(code)s were made with another SECRET_KEY than the "
                "server's: every link printed now would be dead. Nothing was exported. Start "
                "the server with the SECRET_KEY the links were made with.", code=round_.code))


def letter_query(round_: Round, pending_only: bool = False, area_ids: list[int] | None = None):
    """The one query of who gets a letter (or a line of the CSV) in a round: each invitation with
    a position to rate (only those with one still unanswered, ``pending_only``), of the
    respondents of ``area_ids`` (every area when None)."""
    rates = exists().where(InvitationPosition.invitation_id == Invitation.id)
    if pending_only:
        rates = rates.where(InvitationPosition.answered.is_(False))
    query = (select(Invitation.token_nonce, Respondent.ref, Respondent.name, Respondent.group,
                    Respondent.rw, Respondent.rt, Respondent.phone, Area.code, Area.name,
                    Area.level, Area.parent_id)
             .join(Respondent, Respondent.id == Invitation.respondent_id)
             .join(Area, Area.id == Respondent.area_id)
             .where(Invitation.round_id == round_.id, rates)
             # no letters for respondents off the roster (survey_app.domain.lifecycle)
             .where(invitation_counted(), Respondent.active.is_(True)))
    if area_ids is not None:
        query = query.where(Respondent.area_id.in_(area_ids))
    return query


def export_rows(round_: Round, base_url: str, secret_key: str, pending_only: bool = False,
                area_ids: list[int] | None = None,
                lang: str = LETTER_LANGUAGE) -> list[InvitationRow]:
    """Every invitation of the round (or only those not finished; only those of ``area_ids``),
    ordered by kelurahan, RW, RT, each with its WhatsApp message in ``lang``. KeyChanged (nothing
    exported) when the key no longer makes the stored links."""
    check_secret_key(round_, secret_key)
    closes = clock.to_jakarta(round_.closes_at).strftime("%d-%m-%Y %H:%M WIB")
    with force_locale(lang):
        template = gettext(WHATSAPP_MESSAGE)  # once: filled per row below
    names = dict(db.session.execute(select(Area.id, Area.name)).tuples().all())
    rows = []
    for (nonce, ref, name, group, rw, rt, phone, code, area_name, level,
         parent_id) in db.session.execute(letter_query(round_, pending_only, area_ids)):
        url = link(base_url, invitation_token(secret_key, nonce))
        kecamatan = names.get(parent_id, "") if level == "kelurahan" else area_name
        message = template % {"name": name, "code": round_.code, "closes": closes, "link": url}
        rows.append(InvitationRow(
            respondent_ref=ref, name=name, group=group, area_code=code, area_name=area_name,
            kelurahan=area_name if level == "kelurahan" else "", kecamatan=kecamatan or "",
            rw=rw, rt=rt, phone=phone, link=url, whatsapp_url=whatsapp_url(phone, message)))
    rows.sort(key=lambda r: (r.area_code, r.rw or "", r.rt or "", r.group, r.respondent_ref))
    return rows


# --- letters by area ------------------------------------------------------------------------

LETTER_AREA_LEVELS = ("kota", "kabupaten", "kecamatan", "kelurahan")


def area_and_below(code: str) -> tuple[Area, list[int]]:
    """The area ``code`` (a kota, kabupaten, kecamatan or kelurahan) and the ids of it and of
    every area under it. NotAllowed (in words) for an unknown code or another level."""
    areas = db.session.execute(select(Area.id, Area.code, Area.parent_id)).all()
    found = db.session.scalar(select(Area).where(Area.code == code))
    if found is None or found.level not in LETTER_AREA_LEVELS:
        raise NotAllowed(gettext("Area %(code)s is not a kota, kecamatan or kelurahan.",
                                 code=code))
    children: dict[int, list[int]] = {}
    for area_id, _code, parent_id in areas:
        if parent_id is not None:
            children.setdefault(parent_id, []).append(area_id)
    ids, todo = [], [found.id]
    while todo:
        area_id = todo.pop()
        ids.append(area_id)
        todo.extend(children.get(area_id, ()))
    return found, ids


def by_kelurahan(rows: list[InvitationRow]) -> list[tuple[str, list[InvitationRow]]]:
    """The rows in piles of one kelurahan each (a kecamatan's own respondents, FKDM and tokoh
    of a kecamatan, in a pile of their own), keyed by the area's code: one PDF each in the
    round's ZIP. ``rows`` are in export_rows' order, so each pile is one run."""
    piles: list[tuple[str, list[InvitationRow]]] = []
    for row in rows:
        if not piles or piles[-1][0] != row.area_code:
            piles.append((row.area_code, []))
        piles[-1][1].append(row)
    return piles


def export_csv(rows: list[InvitationRow]) -> bytes:
    """The CSV of DESIGN.md (UTF-8 with a BOM, so that spreadsheet programs read it right; cells
    that would start a formula neutralised, domain/exports.py)."""
    return exports.csv_text(EXPORT_COLUMNS, (
        [r.respondent_ref, r.name, r.group, r.area_code, r.phone or "", r.link, r.whatsapp_url]
        for r in rows), lineterminator="\r\n").encode("utf-8-sig")



# --- letters --------------------------------------------------------------------------------

# The words of a letter's address block: a respondent by their group, and their place.
GROUP_NAMES = {"rt": N_("RT head"), "rw": N_("RW head"), "lmk": N_("LMK member"),
               "fkdm": N_("FKDM member"), "tokoh": N_("Community figure")}
PLACE_WORDS = {"rw_rt": N_("RW %(rw)s / RT %(rt)s"), "rw": N_("RW %(rw)s"),
               "kel": N_("Kel. %(name)s"), "kec": N_("Kec. %(name)s"),
               "kelurahan": N_("Kelurahan %(name)s"), "kecamatan": N_("Kecamatan %(name)s")}


def letter_batch(round_: Round, rows: list[InvitationRow], lang: str = LETTER_LANGUAGE):
    """The plain data the PDF renderer needs (reports.invitations), grouped by kelurahan, every
    text in ``lang`` from the catalogs (reports/ does not translate): each text translated once,
    however many letters."""
    from reports.invitations import Letter, LetterBatch  # reportlab: loaded for letters only

    with force_locale(lang):
        roles = {group: gettext(name) for group, name in GROUP_NAMES.items()}
        words = {key: gettext(text) for key, text in PLACE_WORDS.items()}
        closes = clock.to_jakarta(round_.closes_at)
        return LetterBatch(
            round_code=round_.code,
            closes=gettext("%(day)s at %(time)s WIB", day=closes.strftime("%d-%m-%Y"),
                           time=closes.strftime("%H:%M")),
            letters=[Letter(**_letter_fields(r, roles, words)) for r in rows],
            texts=labels.translated(gettext, pgettext, labels.LETTER_MESSAGES))


def _letter_fields(r: InvitationRow, roles: dict[str, str], words: dict[str, str]
                   ) -> dict[str, str]:
    """One respondent's letter (reports.invitations.Letter), from the translated ``roles``
    (GROUP_NAMES) and ``words`` (PLACE_WORDS)."""
    where = []
    if r.rw:
        where.append(words["rw_rt"] % {"rw": r.rw, "rt": r.rt} if r.rt
                     else words["rw"] % {"rw": r.rw})
    if r.kelurahan:
        where.append(words["kel"] % {"name": r.kelurahan.title()})
    if r.kecamatan:
        where.append(words["kec"] % {"name": r.kecamatan.title()})
    return {"name": r.name, "role": roles.get(r.group, r.group), "place": ", ".join(where),
            "link": r.link, "group_key": r.kelurahan or r.kecamatan,
            "group_title": (words["kelurahan"] % {"name": r.kelurahan.title()} if r.kelurahan
                            else words["kecamatan"] % {"name": r.kecamatan.title()}),
            "ref": r.respondent_ref}
