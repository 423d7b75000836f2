"""What a publication stores, read back (DOMAIN.md section 5a; survey_app/domain/publication.py
publishes).

The lowest layer of publishing: the publication in force of a round and the base results and
document it holds, in today's shape. It reads stored rows only and computes nothing, so the
results (survey_app/domain/results.py), the cards and the sanctions read a published round here
without importing the module that computes and stores a publication.
"""
from __future__ import annotations

from sqlalchemy import select

from survey_app.domain.results_model import (
    BaseResults,
    ResultsDocument,
    parse_base,
    parse_document,
    read_once,
)
from survey_app.extensions import db
from survey_app.models import Publication, Round


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
