"""A published round is an official document (DOMAIN.md section 5a).

At publication (``rounds.publish``, in its transaction: a job started from the round's page) the
round's base results and its results document are stored as publication 1 (models.Publication):
the base results the results pages show (stored when the round closed) while the round's data is
unchanged since, else computed from the data as it is then. From then on they are
what the round says, whatever arrives later: a late complaint export, a late appointment or a
correction changes no published figure, named official or card fingerprint. Late data goes to
later rounds, or to an explicit re-publication (``republish``: a reason, an audit entry) that
stores the next number from the data as it is then; every document issued before it is marked
superseded, and new cards are issued from the new publication (survey_app/domain/cards.py).

Reading a published round (survey_app/domain/published.py) never recomputes it, so a page view
writes nothing. A round published before publications were stored (migration 0005) is frozen the
first time anyone looks (results.publication_in_force), by an insert that does nothing when
another first look made it already, so two cannot collide.

The layers run one way: round_clock and published below results, results below this module,
this module below rounds (whose ``publish`` calls ``freeze``).

The caller commits.
"""
from __future__ import annotations

from datetime import datetime
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import update
from sqlalchemy.engine import CursorResult

from survey_app.domain import audit, clock, published, results
from survey_app.domain.errors import DomainError, NotAllowed
from survey_app.domain.round_clock import record_clock_transitions, state_label
from survey_app.extensions import db
from survey_app.models import IssuedDocument, Publication, Round


def freeze(round_: Round, now: datetime | None = None) -> Publication:
    """Store publication 1 of a round being published (rounds.publish calls this). The cards
    issued before it (while the round was closed) were provisional: they are marked superseded
    at the publication, so that /verify never shows their figures as the round's (a late
    export may have changed them: cards.verify says they came before the publication)."""
    publication = Publication(round_id=round_.id, number=1,
                              **results.publication_columns(round_, 1, now))
    db.session.add(publication)
    db.session.execute(
        update(IssuedDocument).where(IssuedDocument.round_id == round_.id,
                                     IssuedDocument.publication_id.is_(None),
                                     IssuedDocument.superseded_at.is_(None))
        .values(superseded_at=publication.published_at))
    db.session.flush()
    return publication


def republish(round_: Round, reason: str, user=None, now: datetime | None = None) -> Publication:
    """Publish a published round again from today's data, for a stated reason: the next
    publication number, every document issued until now superseded, an audit entry."""
    now = now or clock.now()
    state = record_clock_transitions([round_], now)[round_.id]
    if state != "published":
        raise NotAllowed(str(_l("Round %(code)s is %(state)s: only a published round can be "
                                "published again.", code=round_.code, state=state_label(state))))
    reason = " ".join((reason or "").split())
    if not reason:
        raise DomainError(str(_l("Give the reason for publishing round %(code)s again: it is "
                                 "recorded and the earlier cards are marked as replaced.",
                                 code=round_.code)))
    previous = published.current(round_)
    number = (previous.number if previous else 0) + 1
    publication = Publication(round_id=round_.id, number=number, reason=reason,
                              **results.publication_columns(round_, number, now))
    db.session.add(publication)
    superseded = cast(CursorResult, db.session.execute(
        update(IssuedDocument).where(IssuedDocument.round_id == round_.id,
                                     IssuedDocument.superseded_at.is_(None))
        .values(superseded_at=now))).rowcount  # an UPDATE's result is a CursorResult
    db.session.flush()
    audit.record("round-republish", round_.code, user, {
        "reason": reason, "publication": number,
        "previous_publication": previous.number if previous else None,
        "superseded_documents": superseded,
        "changed_positions": _changed_positions(previous.document if previous else None,
                                                publication.document)})
    return publication


def _changed_positions(before: dict | None, after: dict) -> list[int]:
    """The posts whose entry in the results document differs between two publications."""
    old = {p["position_id"]: p for p in (before or {}).get("positions", [])}
    new = {p["position_id"]: p for p in after["positions"]}
    return sorted(pid for pid in old.keys() | new.keys() if old.get(pid) != new.get(pid))
