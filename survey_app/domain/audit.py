"""Recording who did what (the caller commits with the change itself)."""
from __future__ import annotations

from survey_app.extensions import db
from survey_app.models import AuditEntry


def record(action: str, target: str | None = None, user=None,
           detail: dict | None = None) -> AuditEntry:
    """Add an audit entry; ``user`` is a User, or None for the command line."""
    entry = AuditEntry(
        user_id=getattr(user, "id", None),
        actor=getattr(user, "email", None) or "cli",
        action=action,
        target=target,
        detail=detail,
    )
    db.session.add(entry)
    return entry
