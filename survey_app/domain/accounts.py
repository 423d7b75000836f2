"""Accounts: creating users, checking passwords, one-time links to set a password, and which
user a session belongs to.

A set-password link (a new account made in bulk, or an admin's reset) carries 256 random bits;
only their SHA-256 is stored, with an expiry. The link works once: using it, or setting the
password any other way, clears it. Issuing a new link replaces the previous one.
"""
from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache

from flask_babel import gettext
from sqlalchemy import func, select, update
from werkzeug.security import check_password_hash, generate_password_hash

from survey_app.domain import clock, exports
from survey_app.domain.errors import DomainError
from survey_app.domain.vocabulary import ROLES
from survey_app.extensions import db
from survey_app.models import Official, User

EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD_LENGTH = 8
TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)


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
    check_new_password(password)
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


def check_new_password(password: str) -> None:
    """DomainError unless ``password`` is long enough to be a password."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise DomainError(gettext("The password must have at least %(n)s characters.",
                                  n=MIN_PASSWORD_LENGTH))


# --- one-time links to set a password ------------------------------------------------------

class LinkRefused(DomainError):
    """A set-password link that does not exist, was used, or expired (the same message)."""


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_password_link(user: User, lifetime: timedelta, now: datetime | None = None) -> str:
    """A new one-time token for ``user`` (the previous one stops working); only its hash is
    kept. The caller builds the address (``auth.set_password``) and commits."""
    token = secrets.token_urlsafe(32)
    user.password_token_hash = _token_hash(token)
    user.password_token_expires_at = (now or clock.now()) + lifetime
    return token


def user_for_link(token: str, now: datetime | None = None) -> User | None:
    """The active account whose unexpired link ``token`` is, or None. Reads only."""
    if not TOKEN_PATTERN.match(token or ""):
        return None
    user = db.session.scalar(select(User).where(User.password_token_hash == _token_hash(token)))
    if user is None or not user.active or user.password_token_expires_at is None \
            or user.password_token_expires_at <= (now or clock.now()):
        return None
    return user


def set_password_with_link(token: str, password: str, hash_method: str,
                           now: datetime | None = None) -> User:
    """Set the password of the link's account and use the link up; LinkRefused if the link is
    not (or no longer) good. Two requests with one link: the database lets exactly one of them
    clear it (the other is refused)."""
    check_new_password(password)
    user = user_for_link(token, now)
    if user is None:
        raise LinkRefused(gettext("This link is not valid: it was used already, has expired or "
                                  "was replaced by a newer one. Ask an administrator for a new "
                                  "link."))
    claimed = db.session.execute(
        update(User).where(User.id == user.id, User.password_token_hash == _token_hash(token))
        .values(password_token_hash=None, password_token_expires_at=None)
        .execution_options(synchronize_session=False))
    if claimed.rowcount != 1:  # type: ignore[attr-defined]
        raise LinkRefused(gettext("This link is not valid: it was used already, has expired or "
                                  "was replaced by a newer one. Ask an administrator for a new "
                                  "link."))
    db.session.refresh(user)
    user.set_password(password, hash_method)
    return user


def change_password(user: User, current: str, new: str, hash_method: str) -> None:
    """The owner's own change: the current password is required. Ends every other session."""
    if not user.check_password(current):
        raise DomainError(gettext("The current password is not right."))
    check_new_password(new)
    user.set_password(new, hash_method)


# --- officials' accounts in bulk -----------------------------------------------------------

@dataclass(frozen=True)
class AccountLink:
    """A line of the file an administrator hands out: who, their login and their link."""

    nip: str
    name: str
    login: str
    token: str
    expires_at: datetime


LINK_COLUMNS = ["nip", "name", "login", "link", "expires"]


def official_login(nip: str, domain: str) -> str:
    """The login (an address-shaped name, not necessarily a mailbox) of an official's account."""
    return f"{nip}@{domain}".lower()


def create_official_accounts(domain: str, hash_method: str) -> int:
    """One account (role official) for every official without one, linked by NIP, with no usable
    password until its owner sets one through a link. Returns how many were made. An official
    whose login is already someone else's is left out (counted nowhere, nothing written)."""
    has_account = select(User.official_id).where(User.official_id.is_not(None))
    officials = db.session.scalars(select(Official).where(Official.id.not_in(has_account))
                                   .order_by(Official.nip)).all()
    taken = set(db.session.scalars(select(func.lower(User.email))))
    made = 0
    for official in officials:
        login = official_login(official.nip, domain)
        if login in taken or not EMAIL_PATTERN.match(login):
            continue
        user = User(email=login, role="official", official=official, active=True,
                    failed_logins=0, session_version=0,
                    password_hash=_dummy_hash(hash_method))  # matches no password
        db.session.add(user)
        taken.add(login)
        made += 1
    db.session.flush()
    return made


def links_for_waiting_accounts(lifetime: timedelta, now: datetime | None = None
                               ) -> list[AccountLink]:
    """A fresh link for every active official's account still waiting for its first password
    (earlier files' links stop working), ordered by NIP."""
    users = db.session.scalars(
        select(User).join(Official, Official.id == User.official_id)
        .where(User.role == "official", User.active.is_(True), User.password_set_at.is_(None))
        .order_by(Official.nip)).all()
    rows = []
    for user in users:
        assert user.official is not None
        token = issue_password_link(user, lifetime, now)
        rows.append(AccountLink(user.official.nip, user.official.name, user.email, token,
                                user.password_token_expires_at or clock.now()))
    return rows


def links_file(rows: list[AccountLink], link_of, fmt: str) -> bytes:
    """The file of links, CSV or XLSX (cells neutralised, domain/exports.py); ``link_of`` turns
    a token into its address."""
    table = [[r.nip, r.name, r.login, link_of(r.token),
              clock.to_jakarta(r.expires_at).strftime("%Y-%m-%d %H:%M WIB")] for r in rows]
    return exports.table_file(LINK_COLUMNS, table, fmt, "akun")
