"""Held responses: how a form's answers leave the transaction that marked its link answered.

The form's transaction marks the invitation's positions answered and writes the response to
``held_responses`` (survey_app.domain.responses): one transaction, so exactly-once holds, and for
the same reason the two rows are linkable while the response is held (the same transaction id on
PostgreSQL, the same moment). release_held moves held responses to ``responses`` and ``answers``
in one batch, in a random order, with ids allocated in that order, and deletes them from the
holding tables: afterwards a response is one of its batch's responses of the same round, position,
group and area, and nothing in the database says which (docs/anonymity.md).

Batches leave at least every hour and as soon as a round stops being open (survey_app.jobs), and
when a round is closed or published by hand (survey_app.domain.rounds). Results read held and
released responses alike (stored_responses, stored_answers), so nothing waits for a batch. The
caller commits.
"""
from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, func, insert, select, text, union_all
from sqlalchemy.engine import Connection, Row
from sqlalchemy.sql import CompoundSelect, Select, Subquery

from survey_app.extensions import db
from survey_app.models import Answer, HeldAnswer, HeldResponse, Response

RESPONSE_COLUMNS = ("round_id", "position_id", "official_id", "group", "area_id", "source",
                    "comment")
_RANDOM = secrets.SystemRandom()
_CHUNK = 5000  # ids per IN (...): well under SQLite's 32,766 bound parameters


def release_held(round_ids: Iterable[int] | None = None) -> int:
    """Move held responses (of ``round_ids``, or all) into ``responses`` and ``answers``, in a
    random order, and delete them from the holding tables. Returns how many were moved; the
    caller commits (one transaction: a crash moves all or none).

    Each held row is deleted with RETURNING before it is moved, so two releases at once never
    move one response twice (the second finds the rows gone; on PostgreSQL it waits for the
    first's row locks). New ids are allocated after shuffling, in the shuffled order: within a
    batch neither the id nor the row's place says which came first.
    """
    session = db.session
    query = select(HeldResponse.id).order_by(HeldResponse.id)
    if round_ids is not None:
        round_ids = list(round_ids)
        if not round_ids:
            return 0
        query = query.where(HeldResponse.round_id.in_(round_ids))
    held_ids = list(session.scalars(query))
    taken: list[Row[Any]] = []
    answers: dict[int, list[tuple[str, int]]] = {}
    for start in range(0, len(held_ids), _CHUNK):
        chunk = held_ids[start:start + _CHUNK]
        for held_id, code, value in session.execute(
                delete(HeldAnswer).where(HeldAnswer.held_response_id.in_(chunk))
                .returning(HeldAnswer.held_response_id, HeldAnswer.item_code, HeldAnswer.value)):
            answers.setdefault(held_id, []).append((code, value))
        taken.extend(session.execute(
            delete(HeldResponse).where(HeldResponse.id.in_(chunk))
            .returning(HeldResponse.id, *(HeldResponse.__table__.c[c]
                                          for c in RESPONSE_COLUMNS))).all())
    if not taken:
        return 0
    _RANDOM.shuffle(taken)
    new_ids = _new_response_ids(session.connection(), len(taken))
    session.execute(insert(Response), [
        {"id": new_id, **dict(zip(RESPONSE_COLUMNS, row[1:], strict=True))}
        for new_id, row in zip(new_ids, taken, strict=True)])
    rows = [{"response_id": new_id, "item_code": code, "value": value}
            for new_id, row in zip(new_ids, taken, strict=True)
            for code, value in answers.get(row[0], ())]
    if rows:
        session.execute(insert(Answer), rows)
    return len(taken)


def _new_response_ids(connection: Connection, n: int) -> list[int]:
    """``n`` unused response ids, ascending. PostgreSQL: from the column's sequence (safe beside
    any other writer); SQLite: after the largest (the release's DELETE holds the write lock)."""
    if connection.dialect.name == "postgresql":
        return sorted(connection.execute(
            text("SELECT nextval(pg_get_serial_sequence('responses', 'id')) "
                 "FROM generate_series(1, :n)"), {"n": n}).scalars())
    top = connection.execute(select(func.coalesce(func.max(Response.id), 0))).scalar_one()
    return list(range(top + 1, top + n + 1))


def rounds_with_held() -> list[int]:
    """Ids of the rounds that have held responses."""
    return list(db.session.scalars(select(HeldResponse.round_id).distinct()))


def held_count() -> int:
    return db.session.execute(select(func.count()).select_from(HeldResponse)).scalar_one()


# --- what results read: released and held responses alike ------------------------------------

def _holds(round_id) -> bool:
    return db.session.scalar(select(HeldResponse.id).where(HeldResponse.round_id == round_id)
                             .limit(1)) is not None


def stored_responses(round_id) -> Subquery:
    """A round's responses, released and held, as one subquery with the columns of Response
    (held ones with negated ids, so the two never collide)."""
    released = Response.__table__.c
    held = HeldResponse.__table__.c
    columns = ("position_id", "official_id", "group", "area_id", "source", "comment")
    query: Select[Any] | CompoundSelect[Any] = select(
        released.id, *(released[c] for c in columns)).where(released.round_id == round_id)
    if _holds(round_id):
        query = union_all(query, select((-held.id).label("id"), *(held[c] for c in columns))
                          .where(held.round_id == round_id))
    return query.subquery("stored_responses")


def stored_answers(round_id) -> Subquery:
    """A round's answers with their response's position, official and group (released and held
    alike; response ids as in stored_responses).

    Only a round with held responses gets the UNION: a plain join is flattened into the
    caller's aggregate by SQLite, a UNION is not (scoring a province round: 2.0 s against 2.9 s,
    benchmarks/scoring.py), and every round but the open one holds nothing."""
    query: Select[Any] | CompoundSelect[Any]
    query = (select(Response.id.label("response_id"), Response.position_id, Response.official_id,
                    Response.group, Answer.item_code, Answer.value)
             .join(Answer, Answer.response_id == Response.id).where(Response.round_id == round_id))
    if _holds(round_id):
        query = union_all(query, select(
            (-HeldResponse.id).label("response_id"), HeldResponse.position_id,
            HeldResponse.official_id, HeldResponse.group, HeldAnswer.item_code, HeldAnswer.value)
            .join(HeldAnswer, HeldAnswer.held_response_id == HeldResponse.id)
            .where(HeldResponse.round_id == round_id))
    return query.subquery("stored_answers")
