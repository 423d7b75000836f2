"""A round's state by the clock: the lowest layer of the round lifecycle (domain/rounds.py).

A scheduled round opens, and an open round closes, at its times without anyone pressing a button:
``effective_state`` derives the state from the clock, and ``record_clock_transitions`` records
the transition the first time anyone looks. Results, publication and the public form read a
round's state through this module; ``rounds`` (the lifecycle's actions) builds on it, so none of
them needs an import inside a function to reach the other.
"""
from __future__ import annotations

from datetime import datetime
from typing import Protocol

from flask_babel import lazy_gettext as _l

from survey_app.domain import audit, clock
from survey_app.domain.vocabulary import ROUND_STATES


class RoundLike(Protocol):
    """What the lifecycle and the public form read of a round: a Round, or the light
    invitations.RoundInfo that the public form's hot path reads in one query."""

    @property
    def id(self) -> int: ...
    @property
    def code(self) -> str: ...
    @property
    def state(self) -> str: ...
    @property
    def opens_at(self) -> datetime: ...
    @property
    def closes_at(self) -> datetime: ...
    @property
    def closed_at(self) -> datetime | None: ...
    @property
    def questionnaire_id(self) -> int: ...


def effective_state(round_: RoundLike, now: datetime | None = None) -> str:
    """The state a round is in at ``now``, following the clock from its recorded state."""
    now = now or clock.now()
    state = round_.state
    if state in ("scheduled", "open"):
        if now >= round_.closes_at:
            return "closed"
        if now >= round_.opens_at:
            return "open"
        return "scheduled"
    return state


def is_open(round_, now: datetime | None = None) -> bool:
    return effective_state(round_, now) == "open"


def record_clock_transitions(rounds, now: datetime | None = None) -> dict[int, str]:
    """Record the openings and closings the clock made since anyone last looked.

    Returns each round's effective state. The recorded time is the scheduled one (when it
    really happened), not the moment it was noticed.
    """
    now = now or clock.now()
    states = {}
    for round_ in rounds:
        state = effective_state(round_, now)
        if state != round_.state:
            if round_.opened_at is None and state in ("open", "closed"):
                round_.opened_at = round_.opens_at
            if state == "closed" and round_.closed_at is None:
                round_.closed_at = round_.closes_at
            audit.record(f"round-{state}", round_.code, None,
                         {"by": "clock", "from": round_.state})
            round_.state = state
        states[round_.id] = state
    return states


STATE_LABELS = {"draft": _l("draft"), "scheduled": _l("scheduled"), "open": _l("open"),
                "closed": _l("closed"), "published": _l("published")}
assert set(STATE_LABELS) == set(ROUND_STATES)


def state_label(state: str) -> str:
    return str(STATE_LABELS.get(state, state))
