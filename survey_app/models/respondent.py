"""Respondents (community leaders), their per-round invitations, and responses.

Anonymity (docs/anonymity.md): a Response carries the round, the rated position, the official
who held it when the form was filled in, the respondent's group and area; no time, and nothing
that links it back to an Invitation or a Respondent. The one-response-per-invitation-and-position
rule lives on InvitationPosition (``answered`` set exactly once, in the same transaction as the
form's HeldResponse); held responses move into Response in shuffled batches
(survey_app.domain.responses.release_held), which is what unlinks them.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    false,
    true,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from survey_app.domain.vocabulary import ANSWER_MAX, ANSWER_MIN, GROUPS
from survey_app.extensions import db
from survey_app.models.area import Area, _in
from survey_app.models.official import Position
from survey_app.models.round import Round
from survey_app.models.types import UTCDateTime, utcnow


class Respondent(db.Model):
    __tablename__ = "respondents"
    __table_args__ = (CheckConstraint(_in('"group"', GROUPS), name="group"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    ref: Mapped[str] = mapped_column(String(40), unique=True)  # respondent_ref
    name: Mapped[str] = mapped_column(String(160))
    group: Mapped[str] = mapped_column(String(8))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    rw: Mapped[str | None] = mapped_column(String(8))
    rt: Mapped[str | None] = mapped_column(String(8))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    # An inactive respondent (left the post, replaced) gets no letters, is not invited to later
    # rounds and is not counted as invited where their invitation was withdrawn
    # (survey_app.domain.lifecycle).
    active: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())

    area: Mapped[Area] = relationship()


class Invitation(db.Model):
    """A respondent's place on a round's roster, with their personal link.

    Only a hash of the token is stored; ``token_nonce`` lets the server re-derive the link
    with its secret key for re-sending (see survey_app.domain.invitations).
    """

    __tablename__ = "invitations"
    __table_args__ = (
        UniqueConstraint("round_id", "respondent_id"),
        CheckConstraint(_in('"group"', GROUPS), name="group"),
        # A round's invitations in id order, with ``withdrawn``, from the index alone on
        # PostgreSQL: what counting its invited (results.fingerprint, scoring.score_round) joins
        # to invitation_positions (migration 0015; it replaces the index on round_id alone).
        Index("ix_invitations_round_id_id", "round_id", "id",
              postgresql_include=["withdrawn"]),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    respondent_id: Mapped[int] = mapped_column(ForeignKey("respondents.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    token_nonce: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The group and area the link was made for, fixed with its positions (invitations.invite:
    # until the round opens). A response carries these, never the respondent's group or area of
    # today: a respondent moved during the round still rates their old area's posts, and a
    # response with the new area next to them would be theirs alone (docs/anonymity.md).
    group: Mapped[str] = mapped_column(String(8))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    # Set when the respondent is deactivated while the round's roster may still change: the link
    # stops working and the invitation is not counted as invited (nor sent); any answers already
    # given stay counted (they are not linked to it). Closed rounds keep their history.
    withdrawn: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    round: Mapped[Round] = relationship()
    respondent: Mapped[Respondent] = relationship()
    positions: Mapped[list[InvitationPosition]] = relationship(
        back_populates="invitation", cascade="all, delete-orphan")


def invitation_counted():
    """Which invitations count as invited (response-rate denominators, letters): those not
    withdrawn. Answers given through a withdrawn invitation stay counted: they are not linked to
    it (docs/anonymity.md), so only the denominator changes, the same whether they answered."""
    return Invitation.withdrawn.is_(False)


class InvitationPosition(db.Model):
    """One position an invitation rates; ``answered`` is set once, when its response is stored.

    A flag, not a day: when each respondent answered is not kept (docs/anonymity.md)."""

    __tablename__ = "invitation_positions"

    invitation_id: Mapped[int] = mapped_column(ForeignKey("invitations.id"), primary_key=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), primary_key=True,
                                             index=True)
    answered: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    invitation: Mapped[Invitation] = relationship(back_populates="positions")
    position: Mapped[Position] = relationship()


class Response(db.Model):
    """One anonymous filled form for one position: no link to invitation or respondent, no time.

    Written only by release_held, in shuffled batches (ids and row order carry no order of
    arrival). ``official_id`` is who held the position when the form was filled in (the survey
    score belongs to them, DOMAIN.md section 4a); null when nobody held it."""

    __tablename__ = "responses"
    __table_args__ = (
        CheckConstraint(_in('"group"', GROUPS), name="group"),
        CheckConstraint("source IN ('web', 'paper')", name="source"),
        Index("ix_responses_round_position_group", "round_id", "position_id", "group"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"))
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"), index=True)
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"), index=True)
    group: Mapped[str] = mapped_column(String(8))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"), index=True)
    source: Mapped[str] = mapped_column(String(5), default="web")
    comment: Mapped[str | None] = mapped_column(Text)

    answers: Mapped[list[Answer]] = relationship(cascade="all, delete-orphan")


class Answer(db.Model):
    """One item's answer on the 1..4 scale; a blank answer is simply absent."""

    __tablename__ = "answers"
    __table_args__ = (CheckConstraint(f"value BETWEEN {ANSWER_MIN} AND {ANSWER_MAX}",
                                      name="scale"),)

    response_id: Mapped[int] = mapped_column(ForeignKey("responses.id"), primary_key=True)
    item_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)


class HeldResponse(db.Model):
    """A response on its way to ``responses``: written in the transaction that marks the
    invitation's position answered (so exactly-once stays one transaction), and therefore
    linkable to it while it is here (same transaction id on PostgreSQL, neighbouring rows).
    release_held moves it out in a shuffled batch at least every hour and when its round closes;
    results read it meanwhile. Same columns as Response."""

    __tablename__ = "held_responses"
    __table_args__ = (
        CheckConstraint(_in('"group"', GROUPS), name="group"),
        CheckConstraint("source IN ('web', 'paper')", name="source"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    position_id: Mapped[int] = mapped_column(ForeignKey("positions.id"))
    official_id: Mapped[int | None] = mapped_column(ForeignKey("officials.id"))
    group: Mapped[str] = mapped_column(String(8))
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id"))
    source: Mapped[str] = mapped_column(String(5), default="web")
    comment: Mapped[str | None] = mapped_column(Text)


class HeldAnswer(db.Model):
    """An answer of a HeldResponse (moved with it)."""

    __tablename__ = "held_answers"
    __table_args__ = (CheckConstraint(f"value BETWEEN {ANSWER_MIN} AND {ANSWER_MAX}",
                                      name="scale"),)

    held_response_id: Mapped[int] = mapped_column(ForeignKey("held_responses.id"),
                                                  primary_key=True)
    item_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    value: Mapped[int] = mapped_column(SmallInteger)
