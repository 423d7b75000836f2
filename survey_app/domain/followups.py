"""Follow-up plans (rencana tindak lanjut, issue 20): the state machine, who may move it, and the
one statement of who an official's superior is.

After a round is published, each official with a score writes a plan for each priority element of
their card (the weakest, as the card marks them: ``priorities.priority_elements``): the action,
the quarter by which it is done and who is responsible. Then:

    draft --submit--> submitted --approve--> approved --complete--> done --verify--> verified
                         |  ^                    ^                    |
                   return|  |submit              +---reject_evidence--+
                         v  |
                       returned

- The official named on the plan (the one the card judged, on their own post) writes, submits
  and resubmits it, and gives the evidence (a text and up to MAX_FILES files).
- The superior reviews (approve, or return with a note) and verifies (or sends the evidence back
  with a note). The superior is derived here and nowhere else (``reviewer_of``): the camat of the
  kecamatan for a lurah, the wali kota or bupati of the kota for a camat, both from the areas and
  the appointments on the day of the review; the coordinator for a wali kota, a bupati and a
  kepala dinas (their own superiors, the governor's office, hold no account here).

Every step is written to the audit log. Functions add and change; the caller commits. A refused
step raises FollowupError (a message for the user) and changes nothing.
"""
from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from datetime import date

from flask_babel import gettext
from sqlalchemy import select
from sqlalchemy.orm import aliased, selectinload

from reports.model import FollowupCount, FollowupRow
from survey_app.domain import audit, clock, ikm, paging, quarters, results
from survey_app.domain.errors import DomainError
from survey_app.domain.officials import holder_on, holders_on, in_post
from survey_app.domain.priorities import element_names, priority_elements
from survey_app.domain.results_model import PositionEntry, ResultsDocument
from survey_app.domain.vocabulary import FOLLOWUP_STATE_LABELS, FOLLOWUP_STATES
from survey_app.extensions import db
from survey_app.models import (
    Appointment,
    Area,
    FollowupFile,
    FollowupPlan,
    Official,
    Position,
    Round,
)

MAX_FILES = 3  # evidence files per plan
MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ACTION_CHARS = 2000
MAX_EVIDENCE_CHARS = 4000
MAX_NOTE_CHARS = 2000
DUE_QUARTERS_AHEAD = 4  # a plan is due in one of the next four quarters after its round's
# What an evidence file may be, told by its first bytes (never by its name or the browser's
# word): (magic, content type, extension).
FILE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png", "png"),
              (b"\xff\xd8\xff", "image/jpeg", "jpg"),
              (b"%PDF-", "application/pdf", "pdf"))

# The superior, in one place: the kinds of post whose holder reviews a post of each kind (found
# in the parent area), and the kinds the coordinator reviews.
REVIEWED_BY_HOLDER = {"lurah": ("camat",), "camat": ("walikota", "bupati")}
REVIEWED_BY_COORDINATOR = ("walikota", "bupati", "kepala_dinas")
# States in which the reviewer has something to do, and those the plan's author can still edit.
AWAITING_REVIEW = ("submitted", "done")
EDITABLE = ("draft", "returned")


class FollowupError(DomainError):
    """A step on a plan that is not allowed, or bad input for it."""


# --- the superior -------------------------------------------------------------------------------

def superior_position(position: Position) -> Position | None:
    """The post whose holder reviews ``position``'s plans (None: the coordinator reviews them)."""
    kinds = REVIEWED_BY_HOLDER.get(position.kind)
    if not kinds or position.area is None or position.area.parent_id is None:
        return None
    return db.session.scalar(select(Position).where(Position.kind.in_(kinds),
                                                    Position.area_id == position.area.parent_id))


def _holder(position_id: int, day: date) -> Official | None:
    return holder_on(position_id, day)


def today() -> date:
    return clock.jakarta_day(clock.now())


@dataclass(frozen=True)
class Reviewer:
    """Who reviews a post's plans: the coordinator, or an official (None: the superior post is
    vacant on that day, or there is none; the coordinator then stands in)."""
    coordinator: bool
    official: Official | None


def reviewer_of(position: Position, day: date | None = None) -> Reviewer:
    if position.kind in REVIEWED_BY_COORDINATOR:
        return Reviewer(True, None)
    superior = superior_position(position)
    holder = _holder(superior.id, day or today()) if superior is not None else None
    return Reviewer(holder is None, holder)


def may_review(user, plan: FollowupPlan, day: date | None = None) -> bool:
    reviewer = reviewer_of(plan.position, day)
    if reviewer.coordinator:
        return getattr(user, "role", None) == "coordinator"
    return (getattr(user, "role", None) == "official" and reviewer.official is not None
            and user.official_id == reviewer.official.id)


def reviewed_position_ids(user, day: date | None = None) -> list[int]:
    """The posts whose plans ``user`` reviews: the inverse of ``reviewer_of``."""
    role = getattr(user, "role", None)
    if role == "coordinator":
        coordinator_kinds = select(Position.id).where(Position.kind.in_(REVIEWED_BY_COORDINATOR))
        return list(db.session.scalars(coordinator_kinds)) + _vacant_superiors()
    if role != "official" or user.official_id is None:
        return []
    day = day or today()
    superior = aliased(Position)
    found: list[int] = []
    for kind, superior_kinds in REVIEWED_BY_HOLDER.items():
        found += db.session.scalars(
            select(Position.id).join(Area, Area.id == Position.area_id)
            .join(superior, superior.area_id == Area.parent_id)
            .join(Appointment, in_post(Appointment, superior.id, day))
            .where(Position.kind == kind, superior.kind.in_(superior_kinds),
                   Appointment.official_id == user.official_id)).all()
    return sorted(found)


def _vacant_superiors() -> list[int]:
    """Posts of a lurah or camat with plans whose superior post nobody holds today (or that has
    no superior post): the coordinator stands in, as ``reviewer_of`` says for each plan. In a
    few queries, whatever the number of plans."""
    ids = select(FollowupPlan.position_id).distinct()
    posts = db.session.execute(
        select(Position.id, Position.kind, Area.parent_id).join(Area, Area.id == Position.area_id)
        .where(Position.id.in_(ids), Position.kind.in_(list(REVIEWED_BY_HOLDER)))).all()
    superiors = {(kind, area_id): pid for pid, kind, area_id in db.session.execute(
        select(Position.id, Position.kind, Position.area_id).where(
            Position.kind.in_({k for kinds in REVIEWED_BY_HOLDER.values() for k in kinds})))}
    held = holders_on(today())
    vacant = []
    for pid, kind, parent_id in posts:
        found = [superiors.get((k, parent_id)) for k in REVIEWED_BY_HOLDER[kind]]
        if not any(p is not None and p in held for p in found):
            vacant.append(pid)
    return vacant


def is_author(user, plan: FollowupPlan) -> bool:
    return getattr(user, "role", None) == "official" and user.official_id == plan.official_id


def may_see(user, plan: FollowupPlan) -> bool:
    """The plan and its files: its author, its reviewer, and those who read every result."""
    if getattr(user, "role", None) in ("coordinator", "viewer", "admin"):
        return True
    return is_author(user, plan) or may_review(user, plan)


# --- what to plan -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Priority:
    """A post of the official's in a published round, with its priority elements and the plans
    already written for them (element code -> plan)."""
    entry: PositionEntry
    elements: list[str]
    plans: dict[str, FollowupPlan]


def priorities(round_: Round, document: ResultsDocument, official: Official) -> list[Priority]:
    """The official's posts in the round that have priority elements (the card's rule)."""
    names = element_names(round_)
    found = []
    for entry in document.positions:
        if entry.official is None or entry.official.nip != official.nip:
            continue
        elements = priority_elements(entry, names)
        if elements:
            found.append(Priority(entry, elements, {}))
    if not found:
        return []
    plans = db.session.scalars(select(FollowupPlan).where(
        FollowupPlan.round_id == round_.id, FollowupPlan.official_id == official.id)).all()
    for priority in found:
        priority.plans.update({p.element_code: p for p in plans
                               if p.position_id == priority.entry.position_id})
    return found


def due_choices(round_code: str) -> list[str]:
    """The quarters a plan of this round may be due in: the next DUE_QUARTERS_AHEAD."""
    year, quarter = quarters.parse(round_code)
    found = []
    for _ in range(DUE_QUARTERS_AHEAD):
        year, quarter = quarters.following(year, quarter)
        found.append(quarters.code_of(year, quarter))
    return found


def _published(round_: Round) -> None:
    if round_.state != "published":
        raise FollowupError(gettext("Follow-up plans are written after a round is published."))


def _text(value: str | None, limit: int, empty_message: str) -> str:
    cleaned = (value or "").strip()
    if not cleaned:
        raise FollowupError(empty_message)
    if len(cleaned) > limit:
        raise FollowupError(gettext("At most %(n)s characters.", n=limit))
    return cleaned


def _detail(plan: FollowupPlan, **more) -> dict:
    return {"round": plan.round.code, "position_id": plan.position_id,
            "element": plan.element_code, "state": plan.state, **more}


def _target(plan: FollowupPlan) -> str:
    return f"followup:{plan.id}"


# --- the steps ----------------------------------------------------------------------------------

def save(user, round_: Round, document: ResultsDocument, position_id: int, element_code: str,
         action: str | None, due_quarter: str | None, responsible: str | None) -> FollowupPlan:
    """Write or change a plan (a new one is a draft; a returned one stays returned until it is
    submitted again). Only by the official the card judged, for a priority element of the card,
    while the plan is a draft or returned."""
    _published(round_)
    official = getattr(user, "official", None)
    if getattr(user, "role", None) != "official" or official is None:
        raise FollowupError(gettext("Only the official of the post writes its follow-up plan."))
    mine = {p.entry.position_id: p for p in priorities(round_, document, official)}
    priority = mine.get(position_id)
    if priority is None or element_code not in priority.elements:
        raise FollowupError(gettext("This element is not a priority of your report card."))
    action = _text(action, MAX_ACTION_CHARS, gettext("Describe the action."))
    responsible = _text(responsible, 160, gettext("Name who is responsible."))
    if due_quarter not in due_choices(round_.code):
        raise FollowupError(gettext("Choose one of the next %(n)s quarters.",
                                    n=DUE_QUARTERS_AHEAD))
    plan = priority.plans.get(element_code)
    if plan is None:
        plan = FollowupPlan(round=round_, position_id=position_id, official_id=official.id,
                            element_code=element_code, state="draft")
        db.session.add(plan)
    elif plan.state not in EDITABLE:
        raise FollowupError(gettext("This plan can no longer be changed (%(state)s).",
                                    state=_state_label(plan.state)))
    plan.action, plan.due_quarter, plan.responsible = action, due_quarter, responsible
    plan.updated_at = clock.now()
    db.session.flush()
    audit.record("followup-save", _target(plan), user,
                 _detail(plan, due_quarter=due_quarter))
    return plan


def _state_label(state: str) -> str:
    return str(FOLLOWUP_STATE_LABELS[state])


def _move(user, plan: FollowupPlan, step: str, to: str, **detail) -> FollowupPlan:
    """Check that ``step`` may move the plan from its state by this user, then move it."""
    allowed_from, by = STEPS[step]
    if plan.state not in allowed_from:
        raise FollowupError(gettext("This step is not possible while the plan is %(state)s.",
                                    state=_state_label(plan.state)))
    if by == "author" and not is_author(user, plan):
        raise FollowupError(gettext("Only the official of the post may do this."))
    if by == "reviewer" and not may_review(user, plan):
        raise FollowupError(gettext("Only the official's superior may do this."))
    now = clock.now()
    before, plan.state, plan.updated_at = plan.state, to, now
    audit.record(f"followup-{step}", _target(plan), user,
                 _detail(plan, before=before, **detail))
    return plan


# step -> (the states it starts from, who takes it)
STEPS: dict[str, tuple[tuple[str, ...], str]] = {
    "submit": (EDITABLE, "author"),
    "approve": (("submitted",), "reviewer"),
    "return": (("submitted",), "reviewer"),
    "complete": (("approved",), "author"),
    "reject-evidence": (("done",), "reviewer"),
    "verify": (("done",), "reviewer"),
}


def submit(user, plan: FollowupPlan) -> FollowupPlan:
    _move(user, plan, "submit", "submitted")
    plan.submitted_at = plan.submitted_at or plan.updated_at
    return plan


def approve(user, plan: FollowupPlan) -> FollowupPlan:
    _move(user, plan, "approve", "approved")
    plan.approved_at, plan.review_note = plan.updated_at, None
    return plan


def return_(user, plan: FollowupPlan, note: str | None) -> FollowupPlan:
    """Send the plan back with the reviewer's note (required: the official must know why)."""
    note = _text(note, MAX_NOTE_CHARS, gettext("Say what should change."))
    _move(user, plan, "return", "returned", note=note)
    plan.review_note = note
    return plan


def complete(user, plan: FollowupPlan, evidence: str | None) -> FollowupPlan:
    """The action is done: the evidence text is required (files are added beforehand)."""
    evidence = _text(evidence, MAX_EVIDENCE_CHARS, gettext("Describe what was done."))
    _move(user, plan, "complete", "done", files=len(plan.files))
    plan.evidence, plan.done_at, plan.review_note = evidence, plan.updated_at, None
    return plan


def reject_evidence(user, plan: FollowupPlan, note: str | None) -> FollowupPlan:
    """The evidence does not show the action done: back to approved, with the note."""
    note = _text(note, MAX_NOTE_CHARS, gettext("Say what should change."))
    _move(user, plan, "reject-evidence", "approved", note=note)
    plan.review_note, plan.done_at = note, None
    return plan


def verify(user, plan: FollowupPlan) -> FollowupPlan:
    _move(user, plan, "verify", "verified")
    plan.verified_at = plan.updated_at
    return plan


def file_type(data: bytes) -> tuple[str, str] | None:
    """(content type, extension) of an evidence file by its first bytes; None if not allowed."""
    for magic, content_type, extension in FILE_TYPES:
        if data.startswith(magic):
            return content_type, extension
    return None


def add_file(user, plan: FollowupPlan, filename: str | None, data: bytes) -> FollowupFile:
    """Attach an evidence file while the plan is approved (before it is marked done)."""
    if plan.state != "approved":
        raise FollowupError(gettext("Files are added once the plan is approved, before it is "
                                    "marked done."))
    if not is_author(user, plan):
        raise FollowupError(gettext("Only the official of the post may do this."))
    if len(plan.files) >= MAX_FILES:
        raise FollowupError(gettext("At most %(n)s files per plan.", n=MAX_FILES))
    if not data:
        raise FollowupError(gettext("The file is empty."))
    if len(data) > MAX_FILE_BYTES:
        raise FollowupError(gettext("The file is larger than %(n)s MB.",
                                    n=MAX_FILE_BYTES // (1024 * 1024)))
    kind = file_type(data)
    if kind is None:
        raise FollowupError(gettext("Only images (PNG, JPEG) and PDF files are accepted."))
    content_type, extension = kind
    stem = "".join(c for c in (filename or "").rsplit(".", 1)[0] if c.isalnum() or c in "-_")
    stored = FollowupFile(plan=plan, filename=f"{(stem or 'bukti')[:80]}.{extension}",
                          content_type=content_type, size=len(data),
                          sha256=hashlib.sha256(data).hexdigest(), data=data,
                          uploaded_by_id=getattr(user, "id", None))
    db.session.add(stored)
    db.session.flush()
    audit.record("followup-file", _target(plan), user,
                 _detail(plan, file=stored.filename, size=stored.size, sha256=stored.sha256))
    return stored


# --- listing ------------------------------------------------------------------------------------

def _plans_query(round_: Round, position_ids: list[int] | None = None, with_posts: bool = False):
    """The plans written after a round (of these posts only, when given), by post and element,
    with their officials (one more query, not one per official: cards_for reads them) and, with
    ``with_posts``, their posts' areas and units (three more, for lists that name the post)."""
    query = (select(FollowupPlan).where(FollowupPlan.round_id == round_.id)
             .options(selectinload(FollowupPlan.official)))
    if with_posts:
        post = selectinload(FollowupPlan.position)
        query = query.options(post.selectinload(Position.area), post.selectinload(Position.unit))
    if position_ids is not None:
        query = query.where(FollowupPlan.position_id.in_(position_ids))
    return query.order_by(FollowupPlan.position_id, FollowupPlan.element_code, FollowupPlan.id)


def plans_of_round(round_: Round, position_ids: list[int] | None = None,
                   with_posts: bool = False) -> list[FollowupPlan]:
    """The plans of ``_plans_query``, all of them."""
    return list(db.session.scalars(_plans_query(round_, position_ids, with_posts)))


PLANS_PER_PAGE = 50  # the province writes some 900 plans after a round


def plans_page(round_: Round, number: int) -> paging.Page:
    """One page of every plan of the round (coordinators and viewers read them all), with their
    posts: a constant number of queries whatever the page (paging.paginate)."""
    page = paging.paginate(_plans_query(round_, with_posts=True), number, PLANS_PER_PAGE)
    return dataclasses.replace(page, rows=[plan for (plan,) in page.rows])


def plan_or_none(plan_id: int) -> FollowupPlan | None:
    return db.session.get(FollowupPlan, plan_id)


EXPORT_COLUMNS = ["round", "position", "area_code", "area_name", "unit_code", "official_nip",
                  "official_name", "element", "action", "due_quarter", "responsible", "state"]


def export_rows(round_: Round) -> list[dict]:
    """The plans of a round as rows (``skm followups``)."""
    rows = []
    for plan in plans_of_round(round_, with_posts=True):
        position = plan.position
        rows.append({"round": round_.code, "position": position.kind,
                     "area_code": position.area.code if position.area else None,
                     "area_name": position.area.name if position.area else None,
                     "unit_code": position.unit.code if position.unit else None,
                     "official_nip": plan.official.nip, "official_name": plan.official.name,
                     "element": plan.element_code, "action": plan.action,
                     "due_quarter": plan.due_quarter, "responsible": plan.responsible,
                     "state": plan.state})
    return rows


# --- on the next quarter's card and in the province summary -------------------------------------

def previous_round(round_: Round) -> Round | None:
    """The round of the quarter before ``round_``'s (the plans it shows were written after it)."""
    code = quarters.code_of(*quarters.preceding(*quarters.parse(round_.code)))
    return db.session.scalar(select(Round).where(Round.code == code))


def card_rows(round_: Round, entries: list[PositionEntry], names: list[tuple[str, str, str]]
              ) -> tuple[str | None, dict[int, list[FollowupRow]]]:
    """The plans each card of ``round_`` shows: those written after the previous quarter's round
    for the same post by the official of the card (for a post nobody holds, the post's), each
    with the element's NRR then and now (the caller commits: the previous results may be
    stored). (previous round's code, position id -> rows)."""
    previous = previous_round(round_)
    if previous is None:
        return None, {}
    plans = plans_of_round(previous, [e.position_id for e in entries])
    if not plans:
        return previous.code, {}
    then = {e.position_id: e for e in results.results_document(previous).positions}
    named = {code: (name_id, name_en) for code, name_id, name_en in names}
    found: dict[int, list[FollowupRow]] = {}
    for entry in entries:
        nip = entry.official.nip if entry.official is not None else None
        earlier = then.get(entry.position_id)
        for plan in plans:
            if plan.position_id != entry.position_id or (nip and plan.official.nip != nip):
                continue
            name_id, name_en = named.get(plan.element_code, (plan.element_code,) * 2)
            nrr_then = earlier.elements.get(plan.element_code) if earlier is not None else None
            found.setdefault(entry.position_id, []).append(FollowupRow(
                element=plan.element_code, name_id=name_id, name_en=name_en, action=plan.action,
                due_quarter=plan.due_quarter, state=plan.state,
                nrr_then=_shown(nrr_then), nrr_now=_shown(entry.elements.get(plan.element_code))))
    return previous.code, found


def _shown(value: float | None) -> float | None:
    return None if value is None else ikm.shown(float(value), 2)


def counts_by_kota(round_: Round, document: ResultsDocument) -> list[FollowupCount]:
    """The plans written after a published round by state, per kota (the dinas together, area
    None), with the priority elements that have no plan yet."""
    if round_.state != "published":
        return []
    kota_of = {e.position_id: e.kota_code for e in document.positions}
    counts: dict[str | None, dict[str, int]] = {}
    missing: dict[str | None, int] = {}
    written = set()
    for position_id, nip, element, state in db.session.execute(  # columns: no plan objects
            select(FollowupPlan.position_id, Official.nip, FollowupPlan.element_code,
                   FollowupPlan.state)
            .join(Official, Official.id == FollowupPlan.official_id)
            .where(FollowupPlan.round_id == round_.id)):
        kota = kota_of.get(position_id)
        by_state = counts.setdefault(kota, {state: 0 for state in FOLLOWUP_STATES})
        by_state[state] += 1
        written.add((position_id, nip, element))
    names = element_names(round_)
    for entry in document.positions:
        if entry.official is None:
            continue
        for code in priority_elements(entry, names):
            if (entry.position_id, entry.official.nip, code) not in written:
                missing[entry.kota_code] = missing.get(entry.kota_code, 0) + 1
    kota_names: dict[str, str] = {code: name for code, name in db.session.execute(
        select(Area.code, Area.name).where(Area.level.in_(("kota", "kabupaten"))))}
    rows = [FollowupCount(area=kota_names.get(kota, kota) if kota else None,
                          counts=counts.get(kota, {state: 0 for state in FOLLOWUP_STATES}),
                          missing=missing.get(kota, 0))
            for kota in set(counts) | set(missing)]
    return sorted(rows, key=lambda r: (r.area is None, r.area or ""))
