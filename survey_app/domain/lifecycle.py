"""A respondent's place on the roster over time: deactivate, reactivate, replace.

An RT head replaced after an election leaves the roster: deactivated, they get no letters, are
not copied to the next quarter, and their invitations to rounds whose roster may still change
(draft, scheduled, open) are withdrawn: the link stops working and is not counted as invited.
Closed and published rounds keep their history. What they answered stays counted: responses are
not linked to invitations (docs/anonymity.md), so nothing here reads, changes or reveals whether
someone answered; the denominator shrinks by one either way.

A replacement is a new person for the same group and area (and RW/RT): a new respondent with its
own ref and a new link in each of those rounds, nothing carried over from the old one. The caller
commits; every change is in the audit log.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import gettext
from sqlalchemy import func, or_, select

from survey_app.domain import audit, text
from survey_app.domain.errors import DomainError
from survey_app.domain.invitations import ROSTER_STATES, ensure_invitations
from survey_app.domain.roster import EMAIL_PATTERN, REF_PATTERN, normalise_phone
from survey_app.domain.rounds import effective_state
from survey_app.extensions import db
from survey_app.models import Invitation, Respondent, Round


class UnknownRespondent(DomainError):
    """No respondent has that ref."""


def by_ref(ref: str) -> Respondent:
    respondent = db.session.scalar(select(Respondent).where(Respondent.ref == ref))
    if respondent is None:
        raise UnknownRespondent(gettext("There is no respondent %(ref)s.", ref=ref))
    return respondent


def _changeable_invitations(respondent: Respondent) -> list[Invitation]:
    """The respondent's invitations to rounds whose roster may still change."""
    rows = db.session.scalars(select(Invitation).join(Round, Round.id == Invitation.round_id)
                              .where(Invitation.respondent_id == respondent.id)).all()
    return [inv for inv in rows if effective_state(inv.round) in ROSTER_STATES]


def deactivate(respondent: Respondent, user=None) -> int:
    """Take the respondent off the roster; returns how many invitations were withdrawn."""
    if not respondent.active:
        raise DomainError(gettext("Respondent %(ref)s is already inactive.", ref=respondent.ref))
    respondent.active = False
    withdrawn = _set_withdrawn(respondent, True)
    audit.record("respondent-deactivate", respondent.ref, user, {"withdrawn": withdrawn})
    return withdrawn


def reactivate(respondent: Respondent, user=None) -> int:
    """Put the respondent back; their withdrawn invitations to rounds whose roster may still
    change work again (the same links). Returns how many."""
    if respondent.active:
        raise DomainError(gettext("Respondent %(ref)s is already active.", ref=respondent.ref))
    respondent.active = True
    restored = _set_withdrawn(respondent, False)
    audit.record("respondent-reactivate", respondent.ref, user, {"restored": restored})
    return restored


def _set_withdrawn(respondent: Respondent, withdrawn: bool) -> int:
    changed = 0
    for invitation in _changeable_invitations(respondent):
        if invitation.withdrawn != withdrawn:
            invitation.withdrawn = withdrawn
            changed += 1
    db.session.flush()
    return changed


@dataclass(frozen=True)
class Newcomer:
    """Who replaces a respondent: the same group and area, their own ref and contacts."""

    ref: str
    name: str
    phone: str = ""
    email: str = ""


def _checked(newcomer: Newcomer) -> dict:
    """The new respondent's own fields, or DomainError with every problem in one message."""
    problems = []
    ref, name = newcomer.ref.strip(), " ".join(newcomer.name.split())
    if not REF_PATTERN.match(ref):
        problems.append(gettext("respondent_ref '%(ref)s' may have up to 40 letters, digits and "
                                ". _ / -", ref=ref))
    elif db.session.scalar(select(Respondent.id).where(Respondent.ref == ref)) is not None:
        problems.append(gettext("Respondent %(ref)s exists already: choose a new ref.", ref=ref))
    if not name or len(name) > (text.column_length(Respondent.name) or 160):
        problems.append(gettext("Enter the new respondent's name (up to 160 characters)."))
    phone = normalise_phone(newcomer.phone) if newcomer.phone.strip() else None
    if newcomer.phone.strip() and phone is None:
        problems.append(gettext("phone '%(phone)s' is not an Indonesian mobile number (08..., "
                                "+628... or 628...)", phone=newcomer.phone))
    email = newcomer.email.strip() or None
    if email and (len(email) > 254 or not EMAIL_PATTERN.match(email)):
        problems.append(gettext("email '%(email)s' is not an email address", email=email))
    if problems:
        raise DomainError(" ".join(problems))
    return {"ref": ref, "name": name, "phone": phone, "email": email}


def replace(old: Respondent, newcomer: Newcomer, secret_key: str, user=None) -> Respondent:
    """Deactivate ``old`` and put ``newcomer`` in their place: invited, with a new link, to each
    round whose roster may still change and to which ``old`` was invited."""
    if not old.active:
        raise DomainError(gettext("Respondent %(ref)s is inactive: reactivate them, or replace "
                                  "nobody and add the new person to the roster.", ref=old.ref))
    rounds = [inv.round for inv in _changeable_invitations(old)]
    if not rounds:
        raise DomainError(gettext(
            "Respondent %(ref)s is on no roster that may still change: create the next round "
            "first (Next quarter), then replace them on its roster.", ref=old.ref))
    fields = _checked(newcomer)
    new = Respondent(group=old.group, area_id=old.area_id, rw=old.rw, rt=old.rt, active=True,
                     **fields)
    db.session.add(new)
    db.session.flush()
    deactivate(old, user)
    invited = 0
    for round_ in rounds:
        invited += ensure_invitations(round_, [new], secret_key)[0]
    audit.record("respondent-replace", old.ref, user, {"by": new.ref, "invitations": invited})
    return new


def roster_rows(round_: Round, search: str = "", limit: int = 50, offset: int = 0
                ) -> tuple[list[tuple[Respondent, Invitation]], int]:
    """A page of a round's roster (by area, RW, RT, ref), inactive ones included, filtered by a
    ref or name fragment; and how many match. Nothing about answers is read."""
    query = (select(Respondent, Invitation)
             .join(Invitation, Invitation.respondent_id == Respondent.id)
             .where(Invitation.round_id == round_.id))
    if search:
        like = f"%{search.lower()}%"
        query = query.where(or_(func.lower(Respondent.ref).like(like),
                                func.lower(Respondent.name).like(like)))
    total = db.session.scalar(select(func.count()).select_from(query.subquery())) or 0
    rows = db.session.execute(query.order_by(Respondent.area_id, Respondent.rw, Respondent.rt,
                                             Respondent.ref).limit(limit).offset(offset)).all()
    return [(r, i) for r, i in rows], total
