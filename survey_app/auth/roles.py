"""Role checks for views: deny by default happens app-wide; these narrow it further."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user


def visible_round_or_404(code: str):
    """(round, effective state) of the round ``code`` if the current user may see it
    (survey_app.domain.permissions); 404 otherwise, so as not to confirm that it exists."""
    from sqlalchemy import select

    from survey_app.domain import permissions, rounds
    from survey_app.extensions import db
    from survey_app.models import Round

    round_ = db.session.scalar(select(Round).where(Round.code == code))
    if round_ is None:
        abort(404)
    state = rounds.record_clock_transitions([round_])[round_.id]
    if not permissions.may_see(current_user.role, state):
        abort(404)
    return round_, state


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
