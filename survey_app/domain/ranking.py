"""Fair comparisons (issue 20): only posts whose score meets the required sample are ranked.

DOMAIN.md section 3: a result from fewer respondents than the Krejcie-Morgan minimum is shown,
marked, and never ranked. The results document marks it with ``meets_required_sample`` false
(``results._survey_part``: the groups that enter the score against ``required_sample``) and
gives it no ``rank`` (``results._ranks`` asks :func:`rankable`). League tables, the province
summary and the public page list such posts apart, as "too few responses to rank"
(:func:`split`), never among the ranked ones.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

RANKED = "ranked"
TOO_FEW_RESPONSES = "too_few_responses"
NOT_RANKED = "not_ranked"  # nothing to rank on: no score (no counting group), not surveyed
RANK_STATUSES = (RANKED, TOO_FEW_RESPONSES, NOT_RANKED)


class Scored(Protocol):
    @property
    def meets_required_sample(self) -> bool | None: ...
    @property
    def ikm(self) -> float | None: ...


class Ranked(Scored, Protocol):
    @property
    def rank(self) -> int | None: ...


T = TypeVar("T", bound=Ranked)


def rankable(entry: Scored) -> bool:
    """Whether a post may take part in a ranking: its score is not from fewer respondents than
    the required sample (None: no invitations recorded, so no sample to fall short of)."""
    return entry.meets_required_sample is not False


def rank_status(entry: Ranked) -> str:
    """RANKED (it has a rank), TOO_FEW_RESPONSES (a score, below the required sample) or
    NOT_RANKED (nothing to rank it on)."""
    if entry.rank is not None:
        return RANKED
    if entry.ikm is not None and not rankable(entry):
        return TOO_FEW_RESPONSES
    return NOT_RANKED


@dataclass(frozen=True)
class League(Generic[T]):
    """A league table split fairly: ``ranked`` keeps the rows in the order given, with the rows
    that have nothing to rank them on after them (``unranked``); ``too_few`` are listed apart."""
    ranked: Sequence[T]
    too_few: Sequence[T]


def split(rows: Iterable[T]) -> League[T]:
    """The rows of a league table with those below the required sample taken out, in order."""
    ranked: list[T] = []
    too_few: list[T] = []
    for row in rows:
        (too_few if rank_status(row) == TOO_FEW_RESPONSES else ranked).append(row)
    return League(ranked=ranked, too_few=too_few)
