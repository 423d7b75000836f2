"""Quarterly rounds: codes, lifecycle and the clock.

Lifecycle: draft > scheduled > open > closed > published. A scheduled round opens and closes by
itself at its times: the effective state is derived from the clock, so no scheduler has to run.
"""
from __future__ import annotations

from datetime import datetime

from survey_app.domain import clock


def effective_state(round_, now: datetime | None = None) -> str:
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
