"""Quarterly rounds: codes, settings, the lifecycle and the clock.

Lifecycle: draft > scheduled > open > closed > published.

- draft: everything may change; a draft without responses may be deleted.
- scheduled: waiting for its opening time; settings may still change (nobody has answered).
- open: settings and questionnaire are frozen; the close may be extended; it may be closed early.
- closed: no more answers; results are visible to coordinators only.
- published: results are visible to officials. Nothing with responses is ever deleted.

A scheduled round opens, and an open round closes, at its times without anyone pressing a button:
the effective state is derived from the clock (``effective_state``), and the transition is
recorded (``record_clock_transitions``) the first time anyone looks, so no scheduler has to run.
The caller commits.
"""
from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import Select, func, select

from survey_app.domain import audit, clock, holding, publication, quarters, questionnaires
from survey_app.domain.complaint_figures import judgment_moment
from survey_app.domain.errors import N_, DomainError, NotAllowed
from survey_app.domain.round_clock import STATE_LABELS as STATE_LABELS
from survey_app.domain.round_clock import RoundLike as RoundLike
from survey_app.domain.round_clock import effective_state, record_clock_transitions, state_label
from survey_app.domain.round_clock import is_open as is_open
from survey_app.domain.vocabulary import (
    DEFAULT_FOLLOWUP_REQUIRED,
    DEFAULT_GROUP_WEIGHTS,
    DEFAULT_RATING_MATRIX,
    DEFAULT_SETTINGS,
    GROUPS,
)
from survey_app.extensions import db
from survey_app.models import Invitation, InvitationPosition, Round, invitation_counted

RATED_TIERS = ("lurah", "camat", "walikota")
EDITABLE_STATES = ("draft", "scheduled")



class RoundInvalid(DomainError):
    """Settings that cannot make a round; ``errors`` maps each field to what is wrong with it."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{name}: {message}" for name, message in errors.items()))


# --- codes and quarters ---------------------------------------------------------------------

def parse_code(code: str) -> tuple[int, int]:
    """'2027-Q1' -> (2027, 1); raises RoundInvalid for anything else."""
    try:
        return quarters.parse(code)
    except quarters.BadCode as bad:
        raise RoundInvalid({"code": str(bad)}) from None


def next_code(code: str) -> str:
    return quarters.code_of(*quarters.following(*parse_code(code)))


def previous_code(code: str) -> str:
    return quarters.code_of(*quarters.preceding(*parse_code(code)))


# --- settings -------------------------------------------------------------------------------

@dataclass
class Settings:
    """What a coordinator chooses for a round. Times are timezone-aware (stored in UTC)."""

    questionnaire: str
    opens_at: datetime
    closes_at: datetime
    group_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_GROUP_WEIGHTS))
    rating_matrix: dict[str, list[str]] = field(
        default_factory=lambda: {g: list(v) for g, v in DEFAULT_RATING_MATRIX.items()})
    deadline_days: int = DEFAULT_SETTINGS["deadline_days"]
    min_group: int = DEFAULT_SETTINGS["min_group"]
    survey_weight: float = DEFAULT_SETTINGS["survey_weight"]
    complaint_weight: float = DEFAULT_SETTINGS["complaint_weight"]
    min_in_time_rate: float = DEFAULT_SETTINGS["min_in_time_rate"]
    failing_grades: str = DEFAULT_SETTINGS["failing_grades"]
    min_complaints: int = DEFAULT_SETTINGS["min_complaints"]
    note: str | None = None
    followup_required: bool = DEFAULT_FOLLOWUP_REQUIRED

    @classmethod
    def of(cls, round_: Round) -> Settings:
        return cls(questionnaire=round_.questionnaire.key, opens_at=round_.opens_at,
                   closes_at=round_.closes_at, group_weights=dict(round_.group_weights),
                   rating_matrix={g: list(v) for g, v in round_.rating_matrix.items()},
                   deadline_days=round_.deadline_days, min_group=round_.min_group,
                   survey_weight=round_.survey_weight, complaint_weight=round_.complaint_weight,
                   min_in_time_rate=round_.min_in_time_rate, failing_grades=round_.failing_grades,
                   min_complaints=round_.min_complaints, note=round_.note,
                   followup_required=bool(round_.followup_required))


def _by_group(parts, field: str, unknown: str):
    """Each 'group=value' of ``parts`` as (group, value); a part without a known group is
    refused for ``field`` with message ``unknown`` (its group and the known groups filled in)."""
    for part in parts:
        group, sep, value = part.partition("=")
        group = group.strip().lower()
        if not sep or group not in GROUPS:
            raise RoundInvalid({field: str(_l(unknown, group=group, groups=", ".join(GROUPS)))})
        yield group, value


def parse_weights(text: str) -> dict[str, float]:
    """'rt=0.25,rw=0.25,...' -> {group: weight}; groups not named weigh 0."""
    weights = {g: 0.0 for g in GROUPS}
    for group, value in _by_group(
            filter(None, (p.strip() for p in (text or "").split(","))), "group_weights",
            N_("Unknown group '%(group)s'; use %(groups)s as in rt=0.25,rw=0.25.")):
        try:
            weights[group] = float(value)
        except ValueError:
            raise RoundInvalid({"group_weights": str(_l(
                "The weight of %(group)s is not a number: '%(value)s'.", group=group,
                value=value.strip()))}) from None
    return weights


def parse_rating_matrix(pairs: list[str]) -> dict[str, list[str]]:
    """['rt=lurah+camat', ...] -> {group: tiers}; groups not named keep the default."""
    matrix = {g: list(v) for g, v in DEFAULT_RATING_MATRIX.items()}
    for group, tiers in _by_group(pairs, "rating_matrix", N_(
            "Unknown group '%(group)s'; use %(groups)s as in rt=lurah+camat.")):
        matrix[group] = [t.strip().lower() for t in tiers.split("+") if t.strip()]
    return matrix


def validate(code: str, settings: Settings, *, current: Round | None = None) -> None:
    """Every problem with a round's code and settings at once (RoundInvalid), or nothing."""
    others = select(Round).where(Round.id != current.id) if current is not None else select(Round)
    errors: dict[str, str] = {}
    errors.update(_code_errors(code, others))
    errors.update(_questionnaire_errors(settings))
    errors.update(_time_errors(settings, others, code_is_valid="code" not in errors))
    errors.update(_group_weight_errors(settings.group_weights))
    errors.update(_rating_matrix_errors(settings.rating_matrix))
    errors.update(_bound_errors(settings))
    if errors:
        raise RoundInvalid(errors)


# Each check below returns its field errors (field name -> message); ``validate`` joins them in
# this order. ``others`` selects every round but the one being changed.

def _code_errors(code: str, others: Select) -> dict[str, str]:
    """The code reads like 2027-Q1 and no other round has it."""
    try:
        parse_code(code)
    except RoundInvalid as e:
        return dict(e.errors)
    clash = db.session.scalar(others.where(Round.code == code.strip()))
    if clash is not None:
        return {"code": str(_l("A round for %(code)s already exists.", code=code.strip()))}
    return {}


def _questionnaire_errors(settings: Settings) -> dict[str, str]:
    """The questionnaire exists and is valid."""
    try:
        questionnaires.get(settings.questionnaire, _questionnaire_dir())
    except questionnaires.QuestionnaireError as e:
        return {"questionnaire": str(e)}
    return {}


def _time_errors(settings: Settings, others: Select, *, code_is_valid: bool) -> dict[str, str]:
    """Both times are given, the round closes after it opens and overlaps no other round (the
    overlap is only told when the code is valid)."""
    errors: dict[str, str] = {}
    if settings.opens_at is None:
        errors["opens_at"] = str(_l("Enter the opening time."))
    if settings.closes_at is None:
        errors["closes_at"] = str(_l("Enter the closing time."))
    errors.update({field: _out_of_range_message() for field in ("opens_at", "closes_at")
                   if _out_of_range(getattr(settings, field))})
    if settings.opens_at and settings.closes_at and not errors:
        if settings.closes_at <= settings.opens_at:
            errors["closes_at"] = str(_l("The round must close after it opens."))
        else:
            overlap = db.session.scalar(others.where(
                Round.opens_at < settings.closes_at, Round.closes_at > settings.opens_at,
            ).order_by(Round.opens_at))
            if overlap is not None and code_is_valid:
                errors["opens_at"] = str(_l(
                    "These dates overlap round %(code)s (%(opens)s to %(closes)s); rounds may not "
                    "run at the same time.", code=overlap.code,
                    opens=_wib(overlap.opens_at), closes=_wib(overlap.closes_at)))
    return errors


def _out_of_range_message() -> str:
    return str(_l("This time is out of range: enter a date between the years 1 and 9999."))


def _out_of_range(value: datetime | None) -> bool:
    """A time that no stored (UTC) time can be."""
    if value is None:
        return False
    try:
        clock.to_utc(value)
    except ValueError:
        return True
    return False


def _group_weight_errors(weights: dict[str, float]) -> dict[str, str]:
    """Known groups, no negative weight, at least one above zero."""
    if set(weights) - set(GROUPS):
        return {"group_weights": str(_l("Unknown group(s): %(groups)s.",
                                        groups=", ".join(sorted(set(weights) - set(GROUPS)))))}
    if any(w < 0 for w in weights.values()):
        return {"group_weights": str(_l("A group's weight may not be negative."))}
    if not any(w > 0 for w in weights.values()):
        return {"group_weights": str(_l("At least one group must have a weight above zero."))}
    return {}


def _rating_matrix_errors(matrix: dict[str, list[str]]) -> dict[str, str]:
    """Known groups rating known tiers, and at least one group rating someone."""
    bad_tiers = sorted({t for tiers in matrix.values() for t in tiers} - set(RATED_TIERS))
    if set(matrix) - set(GROUPS):
        return {"rating_matrix": str(_l("Unknown group(s): %(groups)s.",
                                        groups=", ".join(sorted(set(matrix) - set(GROUPS)))))}
    if bad_tiers:
        return {"rating_matrix": str(_l("Unknown level(s) %(levels)s; groups rate %(known)s.",
                                        levels=", ".join(bad_tiers),
                                        known=", ".join(RATED_TIERS)))}
    if not any(matrix.values()):
        return {"rating_matrix": str(_l("At least one group must rate someone."))}
    return {}


def _bound_errors(settings: Settings) -> dict[str, str]:
    """The numeric settings and the failing grades within their bounds."""
    errors: dict[str, str] = {}
    if not isinstance(settings.deadline_days, int) or not 1 <= settings.deadline_days <= 90:
        errors["deadline_days"] = str(_l("The complaint deadline must be 1 to 90 days."))
    if not isinstance(settings.min_group, int) or not 1 <= settings.min_group <= 100:
        errors["min_group"] = str(_l("The minimum per group must be 1 to 100 respondents."))
    if (settings.survey_weight < 0 or settings.complaint_weight < 0
            or settings.survey_weight + settings.complaint_weight <= 0):
        errors["survey_weight"] = str(_l(
            "The survey and complaint weights may not be negative and may not both be zero."))
    if not 0 <= settings.min_in_time_rate <= 1:
        errors["min_in_time_rate"] = str(_l("The minimum in-time rate must be between 0 and 1."))
    if not settings.failing_grades or set(settings.failing_grades) - set("ABCD"):
        errors["failing_grades"] = str(_l("Failing grades are letters among A, B, C and D."))
    if not isinstance(settings.min_complaints, int) or not 1 <= settings.min_complaints <= 10000:
        errors["min_complaints"] = str(_l("The fewest complaints to judge must be 1 to 10000."))
    return errors


def _wib(value: datetime) -> str:
    return clock.to_jakarta(value).strftime("%d-%m-%Y %H:%M") + " WIB"


def _questionnaire_dir():
    from flask import current_app

    return current_app.config.get("QUESTIONNAIRE_DIR") or questionnaires.DEFAULT_DIRECTORY


def _apply(round_: Round, settings: Settings) -> None:
    if round_.questionnaire is None or round_.questionnaire.key != settings.questionnaire \
            or round_.questionnaire.content_hash != questionnaires.content_hash(
                questionnaires.get(settings.questionnaire, _questionnaire_dir())):
        round_.questionnaire = questionnaires.pin(settings.questionnaire, _questionnaire_dir())
    round_.opens_at = settings.opens_at
    round_.closes_at = settings.closes_at
    round_.group_weights = {g: float(settings.group_weights.get(g, 0.0)) for g in GROUPS}
    round_.rating_matrix = {g: list(settings.rating_matrix.get(g, [])) for g in GROUPS}
    round_.deadline_days = settings.deadline_days
    round_.min_group = settings.min_group
    round_.survey_weight = float(settings.survey_weight)
    round_.complaint_weight = float(settings.complaint_weight)
    round_.min_in_time_rate = float(settings.min_in_time_rate)
    round_.failing_grades = "".join(sorted(set(settings.failing_grades.upper())))
    round_.min_complaints = settings.min_complaints
    round_.note = (settings.note or "").strip() or None
    round_.followup_required = bool(settings.followup_required)


# --- creating and editing -------------------------------------------------------------------

def create(code: str, settings: Settings, user=None) -> Round:
    """A new draft round (the questionnaire is pinned now: later file edits never change it)."""
    validate(code, settings)
    round_ = Round(code=code.strip(), state="draft")
    _apply(round_, settings)
    db.session.add(round_)
    db.session.flush()
    audit.record("round-create", round_.code, user, {"questionnaire": settings.questionnaire})
    return round_


def update(round_: Round, settings: Settings, user=None, now: datetime | None = None) -> Round:
    """Change a round's settings: only before it opens (frozen from then on)."""
    state = record_clock_transitions([round_], now)[round_.id]
    if state not in EDITABLE_STATES:
        raise NotAllowed(str(_l("Round %(code)s is %(state)s: its settings are frozen once it "
                                "has opened.", code=round_.code, state=state_label(state))))
    validate(round_.code, settings, current=round_)
    _apply(round_, settings)
    audit.record("round-update", round_.code, user)
    return round_


def next_quarter_draft(previous: Round, user=None) -> Round:
    """A new draft for the quarter after ``previous``: the same settings, the scheduled times three
    months later (an early close, ``closed_at``, does not shorten the next round), the
    questionnaire as its file is now (re-pinned; unchanged files reuse the copy).
    ``invitations.next_quarter`` adds the roster."""
    settings = Settings.of(previous)
    settings.opens_at = _add_months(previous.opens_at, 3)
    settings.closes_at = _add_months(previous.closes_at, 3)
    return create(next_code(previous.code), settings, user)


def _add_months(value: datetime, months: int) -> datetime:
    """The same Jakarta wall-clock time ``months`` later (the day clipped to the month's end)."""
    local = clock.to_jakarta(value)
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day).astimezone(value.tzinfo)


# --- the lifecycle --------------------------------------------------------------------------


def release_closed_rounds(now: datetime | None = None) -> int:
    """Release the held responses of every round that is no longer open (closed by hand or by
    the clock): once answers stop coming in, none waits in the holding table. The caller
    commits; survey_app.jobs runs this every minute."""
    ids = holding.rounds_with_held()
    if not ids:
        return 0
    not_open = [r.id for r in db.session.scalars(select(Round).where(Round.id.in_(ids)))
                if effective_state(r, now) != "open"]
    return holding.release_held(not_open) if not_open else 0


def _require(round_: Round, action: str, now: datetime | None) -> datetime:
    """The clock's time, if ``action`` is allowed in the round's state (ALLOWED_ACTIONS
    is the one statement of the lifecycle); NotAllowed otherwise."""
    now = now or clock.now()
    state = record_clock_transitions([round_], now)[round_.id]
    if action not in ALLOWED_ACTIONS[state]:
        raise NotAllowed(str(_l("Round %(code)s cannot be %(action)s: it is %(state)s.",
                                code=round_.code, action=ACTION_LABELS[action],
                                state=state_label(state))))
    return now


def _require_future_close(round_: Round, now: datetime) -> None:
    if round_.closes_at <= now:
        raise NotAllowed(str(_l("Round %(code)s closes in the past (%(closes)s): change its "
                                "closing time first.", code=round_.code,
                                closes=_wib(round_.closes_at))))


def schedule(round_: Round, user=None, now: datetime | None = None) -> Round:
    """draft -> scheduled: it will open by itself at its opening time."""
    now = _require(round_, "schedule", now)
    _require_future_close(round_, now)
    round_.state = "scheduled"
    audit.record("round-schedule", round_.code, user)
    record_clock_transitions([round_], now)  # already past its opening: it opens now
    return round_


def open_now(round_: Round, user=None, now: datetime | None = None) -> Round:
    """draft or scheduled -> open, now (the opening time becomes now if it was later)."""
    now = _require(round_, "open", now)
    _require_future_close(round_, now)
    if round_.opens_at > now:
        round_.opens_at = now
    round_.state = "open"
    round_.opened_at = now
    audit.record("round-open", round_.code, user)
    return round_


def close_now(round_: Round, user=None, now: datetime | None = None) -> Round:
    """open -> closed, now (to stop a round early; nothing is deleted). ``closes_at`` keeps the
    scheduled close (what the next quarter is planned from); ``closed_at`` is when it closed."""
    now = _require(round_, "close", now)
    round_.state = "closed"
    round_.closed_at = now
    holding.release_held([round_.id])  # no response waits in the holding table past the close
    audit.record("round-close", round_.code, user)
    return round_


def extend(round_: Round, closes_at: datetime, user=None, now: datetime | None = None) -> Round:
    """Move the close of an open round later."""
    now = _require(round_, "extend", now)
    if _out_of_range(closes_at):
        raise RoundInvalid({"closes_at": _out_of_range_message()})
    if closes_at <= round_.closes_at:
        raise RoundInvalid({"closes_at": str(_l(
            "The new closing time must be later than the current one (%(closes)s).",
            closes=_wib(round_.closes_at)))})
    overlap = db.session.scalar(select(Round).where(
        Round.id != round_.id, Round.opens_at < closes_at, Round.closes_at > round_.opens_at))
    if overlap is not None:
        raise RoundInvalid({"closes_at": str(_l(
            "The new close would overlap round %(code)s, which opens %(opens)s.",
            code=overlap.code, opens=_wib(overlap.opens_at)))})
    previous = round_.closes_at
    round_.closes_at = closes_at
    audit.record("round-extend", round_.code, user,
                 {"from": previous.isoformat(), "to": closes_at.isoformat()})
    return round_


def may_publish(round_: Round, now: datetime | None = None) -> datetime:
    """The clock's time, if the round may be published now (closed, and its moment of judgment
    has come); NotAllowed otherwise. The publish page asks before it starts the job."""
    now = _require(round_, "publish", now)
    moment = judgment_moment(round_)
    if now < moment:
        raise NotAllowed(str(_l(
            "Round %(code)s cannot be published before %(moment)s: its complaint figures are "
            "provisional until the quarter's end plus the %(days)s-day deadline.",
            code=round_.code, moment=_wib(moment), days=round_.deadline_days)))
    return now


def publish(round_: Round, user=None, now: datetime | None = None) -> Round:
    """closed -> published: officials may now see their results, frozen as they are now
    (survey_app/domain/publication.py: later data changes them only by a re-publication). Only
    from the quarter's moment of judgment on (its end plus the complaint deadline, DOMAIN.md
    section 5): before it the complaint figures are provisional, and a published round is not
    to change."""
    now = may_publish(round_, now)
    round_.state = "published"
    round_.published_at = now
    holding.release_held([round_.id])  # a paper form imported after the close may be held
    publication.freeze(round_, now)
    audit.record("round-publish", round_.code, user)
    return round_


def delete(round_: Round, user=None, now: datetime | None = None) -> None:
    """Remove a round that never opened and has no responses (a started round is closed instead)."""
    state = record_clock_transitions([round_], now)[round_.id]
    has_responses = db.session.scalar(
        select(func.count()).select_from(holding.stored_responses(round_.id)))
    if "delete" not in ALLOWED_ACTIONS[state] or has_responses:
        raise NotAllowed(str(_l("Round %(code)s has started or has responses: it cannot be "
                                "deleted. Close it instead.", code=round_.code)))
    invitation_ids = select(Invitation.id).where(Invitation.round_id == round_.id)
    db.session.execute(InvitationPosition.__table__.delete().where(
        InvitationPosition.invitation_id.in_(invitation_ids)))
    db.session.execute(Invitation.__table__.delete().where(Invitation.round_id == round_.id))
    audit.record("round-delete", round_.code, user)
    db.session.delete(round_)


def results_visible_to_officials(round_: Round) -> bool:
    return round_.state == "published"


ACTIONS = ("schedule", "open", "close", "extend", "publish", "delete")
ALLOWED_ACTIONS = {
    "draft": ("schedule", "open", "delete"),
    "scheduled": ("open", "delete"),
    "open": ("extend", "close"),
    "closed": ("publish",),
    "published": (),
}
ACTION_LABELS = {"schedule": _l("scheduled"), "open": _l("opened"), "close": _l("closed"),
                 "extend": _l("extended"), "publish": _l("published"), "delete": _l("deleted")}


# --- progress -------------------------------------------------------------------------------

@dataclass(frozen=True)
class Progress:
    """Forms expected (one per invited respondent and rated position) and forms returned."""

    invited: int
    completed: int

    @property
    def rate(self) -> float | None:
        return self.completed / self.invited if self.invited else None


def progress_by_round() -> dict[int, Progress]:
    """Each round's response rate, in one aggregate query."""
    rows = db.session.execute(
        select(Invitation.round_id, func.count().filter(invitation_counted()),
               func.count().filter(InvitationPosition.answered))  # answers given stay counted
        .join(InvitationPosition, InvitationPosition.invitation_id == Invitation.id)
        .group_by(Invitation.round_id)).all()
    return {round_id: Progress(invited, completed) for round_id, invited, completed in rows}


class UnknownRound(DomainError):
    """No round has that code."""


def by_code(code: str) -> Round:
    """The round ``code`` (surrounding spaces ignored), or UnknownRound: the look-up of domain
    code and commands (views use ``auth.roles.get_round_or_404``)."""
    round_ = db.session.scalar(select(Round).where(Round.code == (code or "").strip()))
    if round_ is None:
        raise UnknownRound(str(_l("There is no round %(code)s.", code=code)))
    return round_


def listing(now: datetime | None = None, with_progress: bool = True
            ) -> list[tuple[Round, str, Progress]]:
    """Every round, newest first, with its effective state (clock transitions recorded) and
    its response rate (``with_progress``; else none: a province's is a pass over every
    invitation of every round, which the lists of results and cards do not show)."""
    rounds = db.session.scalars(select(Round).order_by(Round.opens_at.desc())).all()
    states = record_clock_transitions(rounds, now)
    progress = progress_by_round() if with_progress else {}
    return [(r, states[r.id], progress.get(r.id, Progress(0, 0))) for r in rounds]
