"""Accounts: creating users, checking passwords, and slowing down repeated failures."""
from __future__ import annotations

import re
from datetime import datetime, timedelta

from flask_babel import gettext
from sqlalchemy import func, select

from survey_app.domain import clock
from survey_app.domain.errors import DomainError
from survey_app.domain.vocabulary import ROLES
from survey_app.extensions import db
from survey_app.models import Official, User


EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


class LoginRefused(DomainError):
    """Wrong email or password (deliberately the same), or the account must wait."""


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


def authenticate(email: str, password: str, failures_before_delay: int, delay_seconds: int,
                 now: datetime | None = None) -> User:
    """Return the user, or raise LoginRefused with the same message whatever was wrong.

    After ``failures_before_delay`` failures in a row an account accepts no attempt (not even the
    right password) until ``delay_seconds`` have passed since the last failure; the wait doubles
    with each further failure, up to an hour.
    """
    now = now or clock.now()
    user = db.session.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))
    if user is not None and user.failed_logins >= failures_before_delay and user.last_failed_login_at:
        extra = user.failed_logins - failures_before_delay
        wait = min(delay_seconds * (2 ** extra), 3600)
        if now < user.last_failed_login_at + timedelta(seconds=wait):
            raise LoginRefused("wait")
    if user is None or not user.active or not user.check_password(password):
        if user is not None:
            user.failed_logins = (user.failed_logins or 0) + 1
            user.last_failed_login_at = now
        raise LoginRefused("wrong")
    user.failed_logins = 0
    user.last_failed_login_at = None
    return user
