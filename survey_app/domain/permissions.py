"""Which rounds each role may see: the one statement of it, read by every page, the API, the
portal and the complaint figures alike (viewers were shown complaint figures of rounds whose
results were hidden from them).

Coordinators (and admins) follow a round while it runs; everyone else sees a round once it is
published, an official document. Draft and scheduled rounds have nothing to show anyone.
"""
from __future__ import annotations

from survey_app.domain.vocabulary import ROUND_STATES

WHILE_RUNNING = ("open", "closed", "published")
PUBLISHED_ONLY = ("published",)

ROUND_STATES_VISIBLE: dict[str, tuple[str, ...]] = {
    "admin": WHILE_RUNNING,
    "coordinator": WHILE_RUNNING,
    "viewer": PUBLISHED_ONLY,
    "official": PUBLISHED_ONLY,
}
assert all(set(states) <= set(ROUND_STATES) for states in ROUND_STATES_VISIBLE.values())


# Who opens the portal: report cards, the province summary and follow-up plans (an official
# sees their own; viewers and coordinators every post's). Admins manage accounts, not results.
PORTAL_ROLES = ("official", "viewer", "coordinator")


def round_states_for(role: str | None) -> tuple[str, ...]:
    """The round states whose results, cards and complaint figures ``role`` may see."""
    return ROUND_STATES_VISIBLE.get(role or "", ())


def may_see(role: str | None, state: str) -> bool:
    return state in round_states_for(role)
