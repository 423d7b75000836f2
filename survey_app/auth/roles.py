"""Role checks for views: deny by default happens app-wide; these narrow it further."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from survey_app.domain import permissions, rounds
from survey_app.models import Round


def get_round_or_404(code: str) -> Round:
    """The round ``code``, or 404: the look-up of views whose role check is enough (the
    coordinator's pages); pages shown to other roles use ``visible_round_or_404``."""
    try:
        return rounds.by_code(code)
    except rounds.UnknownRound:
        abort(404)


def visible_round_or_404(code: str) -> tuple[Round, str]:
    """(round, effective state) of the round ``code`` if the current user may see it
    (survey_app.domain.permissions); 404 otherwise, so as not to confirm that it exists."""
    round_ = get_round_or_404(code)
    state = rounds.record_clock_transitions([round_])[round_.id]
    if not permissions.may_see(current_user.role, state):
        abort(404)
    return round_, state


# Where a login lands (without a ``next``): the page with the role's data on it. Officials open on
# their report cards, viewers on the results; coordinators and admins on the home page, which
# shows the current round.
HOME_ENDPOINTS = {"official": "portal.index", "viewer": "results.index"}


def home_endpoint(role: str) -> str:
    return HOME_ENDPOINTS.get(role, "main.index")


def role_required(*roles: str):
    """Allow the view only to users with one of these roles (admin is always allowed)."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                abort(401)
            if current_user.role != "admin" and current_user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
