"""Accounts of coordinators, officials, viewers and admins (respondents have none)."""
from __future__ import annotations

from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import Boolean, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from survey_app.domain.vocabulary import ROLES
from survey_app.extensions import db
from survey_app.models.area import _in
from survey_app.models.official import Official
from survey_app.models.types import UTCDateTime, utcnow


class User(UserMixin, db.Model):
    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str] = mapped_column(String(256))
    role: Mapped[str] = mapped_column(String(12))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"), index=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Part of the login kept in the session cookie (get_id): bumped on logout, password change
    # and deactivation, it makes every copy of an earlier cookie worthless.
    session_version: Mapped[int] = mapped_column(Integer, default=0)
    # A one-time link to set the password (new accounts, resets): only its SHA-256 is kept; it
    # works once, until it expires (survey_app.domain.accounts).
    password_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    password_token_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the owner last chose a password; null while an account made in bulk waits for its first.
    password_set_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    official: Mapped[Official | None] = relationship()

    # Flask-Login: a deactivated account cannot log in.
    @property
    def is_active(self) -> bool:  # type: ignore[override]
        return bool(self.active)

    def get_id(self) -> str:
        """What Flask-Login keeps in the session: the id and the session version (see
        survey_app.domain.accounts.user_for_session)."""
        return f"{self.id}:{self.session_version or 0}"

    def end_sessions(self) -> None:
        """Every session opened so far stops working (the caller commits)."""
        self.session_version = (self.session_version or 0) + 1

    def set_password(self, password: str, method: str | None = None) -> None:
        # Werkzeug's default is scrypt; tests pass a cheap method through config.
        self.password_hash = generate_password_hash(password, method=method or "scrypt")
        self.password_set_at = utcnow()
        self.password_token_hash = self.password_token_expires_at = None  # links are used up
        self.end_sessions()

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)
