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

Reading a published round never recomputes it, so a page view writes nothing. A round published
before publications were stored (migration 0005) is frozen the first time anyone looks, by an
insert that does nothing when another first look made it already, so two cannot collide.

The caller commits.
"""
from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import cast

from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult

from survey_app.domain import audit, clock
from survey_app.domain.errors import DomainError, NotAllowed
from survey_app.domain.results_model import (
    BaseResults,
    PublicationRef,
    ResultsDocument,
    parse_base,
    parse_document,
    read_once,
)
from survey_app.extensions import db
from survey_app.models import IssuedDocument, Publication, Round


def current(round_: Round) -> Publication | None:
    """The publication in force: the highest number (None if the round has none)."""
    return db.session.scalar(select(Publication).where(Publication.round_id == round_.id)
                             .order_by(Publication.number.desc()).limit(1))


def current_key(round_: Round) -> tuple[int, int] | None:
    """(id, number) of the publication in force, without loading what it holds."""
    row = db.session.execute(select(Publication.id, Publication.number)
                             .where(Publication.round_id == round_.id)
                             .order_by(Publication.number.desc()).limit(1)).first()
    return tuple(row) if row is not None else None


def in_force(round_: Round) -> Publication | None:
    """A published round's publication in force (frozen at the first look if it was published
    before publications were stored); None for a round that is not published."""
    if round_.state != "published":
        return None
    found = current(round_)
    if found is None:
        _insert_once(round_, clock.now())
        found = current(round_)
    return found


def freeze(round_: Round, now: datetime | None = None) -> Publication:
    """Store publication 1 of a round being published (rounds.publish calls this)."""
    publication = Publication(round_id=round_.id, number=1, **_computed(round_, 1, now))
    db.session.add(publication)
    db.session.flush()
    return publication


def republish(round_: Round, reason: str, user=None, now: datetime | None = None) -> Publication:
    """Publish a published round again from today's data, for a stated reason: the next
    publication number, every document issued until now superseded, an audit entry."""
    from survey_app.domain.rounds import record_clock_transitions, state_label

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
    previous = current(round_)
    number = (previous.number if previous else 0) + 1
    publication = Publication(round_id=round_.id, number=number, reason=reason,
                              **_computed(round_, number, now))
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


def _computed(round_: Round, number: int, now: datetime | None) -> dict:
    """The columns of a publication: the base results and the document computed now, stored
    as JSON (results_model.to_dict)."""
    from survey_app.domain import results

    now = now or clock.now()
    base = results.current_base(round_, now)
    document = dataclasses.replace(
        results.build_document(round_, base, now),
        publication=PublicationRef(number=number, published_at=now.isoformat()))
    return {"published_at": now, "method_version": results.METHOD_VERSION,
            "base": base.to_dict(), "document": document.to_dict()}


def published_base(publication: Publication) -> BaseResults:
    """The base results as published (read back from what is stored: upgrade_published; a
    publication never changes, so each process reads it once: results_model.read_once)."""
    return read_once(("base", *_identity(publication)), lambda: parse_base(
        upgrade_published(publication.base, publication.method_version)))


def published_document(publication: Publication) -> ResultsDocument:
    """The results document as published (read back from what is stored: upgrade_published;
    read once per process, as published_base)."""
    return read_once(("document", *_identity(publication)),
                     lambda: parse_document(published_dict(publication)))


def published_dict(publication: Publication) -> dict:
    """The results document as published, as stored (in today's shape: upgrade_published),
    not parsed: what `skm results --format json` prints of a published round."""
    return upgrade_published(publication.document, publication.method_version)


def _identity(publication: Publication) -> tuple:
    """What tells a publication from any other, in any database this process uses."""
    return (publication.id, publication.round_id, publication.number,
            publication.published_at.isoformat(), publication.method_version)


# The keys a publication of METHOD_VERSION "5" may lack: they were added to the document
# (the card's reasons for the ladder) without a new method version. Until then every reader took
# their absence as "no reasons given", so that is what they are read as (the card of such a
# publication, and its fingerprint, stay as they were issued).
_ADDED_IN_5 = ("failed_because", "official_failed_because")


def upgrade_published(raw: dict, method_version: str | None) -> dict:
    """A stored publication's document (or base results) in today's shape: the one place that
    knows what older published documents lack. A publication of METHOD_VERSION "5" made before
    the reasons for the ladder were added gets them as empty lists (_ADDED_IN_5); anything
    else missing (publications of method versions 3 and 4 lack keys today's readers cannot do
    without: index_variance, the complaint judgment, the trend's holders) is refused by the
    strict parse with the missing key named (results_model.StoredDocumentError). Publications
    are never recomputed (DOMAIN.md section 5a): such a round is re-published (``republish``)."""
    if method_version != "5":
        return raw

    def upgraded(entry: dict) -> dict:
        missing: dict[str, list] = {key: [] for key in _ADDED_IN_5 if key not in entry
                   and (key == "failed_because" or entry.get("official") is not None)}
        return {**entry, **missing} if missing else entry

    return {**raw, **{part: [upgraded(e) for e in raw[part]]
                      for part in ("positions", "earlier_holders") if part in raw}}


def _insert_once(round_: Round, now: datetime) -> None:
    """Publication 1 of a round published before publications were stored, unless another
    first look stored it already (INSERT .. ON CONFLICT DO NOTHING on (round, number))."""
    from survey_app.domain.bulk import dialect_insert

    db.session.execute(dialect_insert(Publication).values(round_id=round_.id, number=1,
                                                  **_computed(round_, 1, now))
                       .on_conflict_do_nothing(index_elements=["round_id", "number"]))


def _changed_positions(before: dict | None, after: dict) -> list[int]:
    """The posts whose entry in the results document differs between two publications."""
    old = {p["position_id"]: p for p in (before or {}).get("positions", [])}
    new = {p["position_id"]: p for p in after["positions"]}
    return sorted(pid for pid in old.keys() | new.keys() if old.get(pid) != new.get(pid))
