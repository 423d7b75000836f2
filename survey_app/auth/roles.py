"""Role checks for views: deny by default happens app-wide; these narrow it further."""
from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user


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
