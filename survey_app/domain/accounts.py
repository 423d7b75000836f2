"""Accounts: creating users, checking passwords, and which user a session belongs to."""
from __future__ import annotations

import re
import secrets
from functools import cache

from flask_babel import gettext
from sqlalchemy import func, select
from werkzeug.security import check_password_hash, generate_password_hash

from survey_app.domain.errors import DomainError
from survey_app.domain.vocabulary import ROLES
from survey_app.extensions import db
from survey_app.models import Official, User

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LoginRefused(DomainError):
    """Wrong email or password (deliberately the same)."""


def create_user(email: str, password: str, role: str, official_nip: str | None = None,
                hash_method: str | None = None) -> User:
    email = email.strip().lower()
    if not EMAIL_PATTERN.match(email):
        raise DomainError(gettext("'%(email)s' is not an email address.", email=email))
    if role not in ROLES:
        raise DomainError(gettext("Unknown role '%(role)s'; use one of %(roles)s.", role=role,
                                  roles=", ".join(ROLES)))
    if len(password) < 8:
        raise DomainError(gettext("The password must have at least 8 characters."))
    if db.session.scalar(select(User).where(func.lower(User.email) == email)):
        raise DomainError(gettext("An account for %(email)s already exists.", email=email))
    official = None
    if official_nip:
        official = db.session.scalar(select(Official).where(Official.nip == official_nip))
        if official is None:
            raise DomainError(gettext("There is no official with NIP %(nip)s.", nip=official_nip))
    elif role == "official":
        raise DomainError(gettext("An official's account needs the NIP of the official "
                                  "(--official NIP on the command line)."))
    user = User(email=email, role=role, official=official, active=True, failed_logins=0)
    user.set_password(password, hash_method)
    db.session.add(user)
    return user


def authenticate(email: str, password: str, hash_method: str) -> User:
    """Return the user, or raise LoginRefused with the same message whatever was wrong.

    Takes the same time whether the account exists or not: exactly one password hash is checked
    either way (for an unknown email, a dummy hash made with ``hash_method``, the method new
    passwords get), and a deactivated account's password is checked too. Nothing is written on
    a failure: slowing down guessers is the job of the per-address limits
    (survey_app/auth/routes.py), which cannot lock the owner out from their own address.
    """
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    stored = user.password_hash if user is not None else _dummy_hash(hash_method)
    password_ok = check_password_hash(stored, password)
    if user is None or not user.active or not password_ok:
        raise LoginRefused("wrong")
    return user


@cache
def _dummy_hash(method: str) -> str:
    """A hash of a random password (no password matches it), made once per method."""
    return generate_password_hash(secrets.token_urlsafe(16), method=method)


def user_for_session(user_id: str) -> User | None:
    """The user a session names (Flask-Login's user_loader), or None when the session was opened
    before the account's last logout, password change or deactivation (User.get_id)."""
    ident, _, version = user_id.partition(":")
    if not (ident.isdigit() and version.isdigit()):
        return None  # a session from before session versions, or a forged one
    user = db.session.get(User, int(ident))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user
