"""Scores per position and round, from aggregate queries (survey_app.domain.ikm does the arithmetic).

The database does the heavy lifting: two GROUP BY queries read the round's answers once each
(sums and counts per position, group and item; and each response's score, reduced to count, sum
and sum of squares per position and group). Python then works on a few thousand aggregate rows,
never on the answers themselves.

A respondent's score (for the confidence interval and the significance test) is the weighted
mean of their answers, each item weighing its element's weight shared among the element's items,
renormalised over the items they answered. The variance of the group-weighted index, from those
scores, is kept (``index_variance``): the confidence interval and the change's p-value use it.

NRR, group indexes and the index are exact fractions (survey_app.domain.ikm); the results
document turns them into floats.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from sqlalchemy import Float, Integer, case, func, literal, select

from survey_app.domain import holding, ikm
from survey_app.domain.questionnaires import element_weights
from survey_app.extensions import db
from survey_app.models import (
    Invitation,
    InvitationPosition,
    Respondent,
    Round,
    invitation_counted,
)


@dataclass
class GroupResult:
    group: str
    respondents: int
    invited: int
    counts: bool  # at or above the round's minimum: included in the score
    index: Fraction | None = None  # the group's own index (1..4); None when left out
    elements: dict[str, Fraction] = field(default_factory=dict)
    items: dict[str, Fraction] = field(default_factory=dict)
    score_sum: float = 0.0
    score_sumsq: float = 0.0
    scored: int = 0  # respondents with at least one answer

    @property
    def score_mean(self) -> float | None:
        return self.score_sum / self.scored if self.scored else None

    @property
    def score_variance(self) -> float | None:
        if self.scored < 2:
            return None
        mean = self.score_sum / self.scored
        return max(0.0, (self.score_sumsq - self.scored * mean * mean) / (self.scored - 1))


@dataclass
class PositionScore:
    position_id: int
    invited: int = 0
    respondents: int = 0
    groups: dict[str, GroupResult] = field(default_factory=dict)
    elements: dict[str, Fraction] = field(default_factory=dict)  # NRR across counting groups
    items: dict[str, Fraction] = field(default_factory=dict)
    index: Fraction | None = None
    ci95: tuple[float, float] | None = None
    index_variance: float | None = None  # of the index (1..4 scale): for the CI and the p-value

    @property
    def ikm(self) -> Fraction | None:
        return self.index * 25 if self.index is not None else None

    @property
    def grade(self) -> tuple[str, str] | None:
        return ikm.grade(self.ikm) if self.ikm is not None else None

    @property
    def response_rate(self) -> float | None:
        return self.respondents / self.invited if self.invited else None

    @property
    def required_sample(self) -> int:
        return ikm.required_sample(self.invited)


def _item_weights(content: dict) -> list[tuple[str, float]]:
    """Each item's share of the index: its element's weight split among the element's items."""
    weights = element_weights(content)
    return [(item["code"], weights[element["code"]] / len(element["items"]))
            for element in content["elements"] for item in element["items"]]


NOT_SPLIT = -1  # the holder column of a post that is scored as a whole


def score_round(round_: Round, split: frozenset[int] = frozenset()) -> dict:
    """Every rated position's scores in a round (positions invited or answered), keyed by
    position id; a position in ``split`` is scored once per official its forms belong to
    (DOMAIN.md section 4a: a form belongs to whoever held the post when it was filled in),
    keyed (position id, official id or None), each part with the post's invited."""
    content = round_.questionnaire.content
    element_items = {e["code"]: [i["code"] for i in e["items"]] for e in content["elements"]}
    item_order = [code for codes in element_items.values() for code in codes]
    # Relative weights as written (1, 1, ...): exact sums; weighted_mean normalises them.
    weights_of_elements = {e["code"]: float(e.get("weight", 1.0)) for e in content["elements"]}
    scores: dict = {}

    def group_of(key, group: str) -> GroupResult:
        position_id = key[0] if isinstance(key, tuple) else key
        score = scores.setdefault(key, PositionScore(position_id))
        if group not in score.groups:
            score.groups[group] = GroupResult(group, 0, 0, False)
        return score.groups[group]

    def key_of(position_id: int, holder):
        return position_id if holder == NOT_SPLIT else (position_id, holder)

    # Invited: one expected form per invitation and rated position, by group.
    invited_by: dict[int, dict[str, int]] = {}
    for position_id, group, invited in db.session.execute(
            select(InvitationPosition.position_id, Respondent.group, func.count())
            .join(Invitation, Invitation.id == InvitationPosition.invitation_id)
            .join(Respondent, Respondent.id == Invitation.respondent_id)
            .where(Invitation.round_id == round_.id)
            .where(invitation_counted())  # withdrawn invitations are not counted as invited
            .group_by(InvitationPosition.position_id, Respondent.group)):
        invited_by.setdefault(position_id, {})[group] = invited
        if position_id not in split:
            group_of(position_id, group).invited = invited
    # Respondents: the anonymous responses (released and still held alike), by group.
    stored = holding.stored_responses(round_.id)
    holder, by_holder = _holder_column(stored, split)
    for position_id, official, group, count in db.session.execute(
            select(stored.c.position_id, holder, stored.c.group, func.count())
            .group_by(stored.c.position_id, *by_holder, stored.c.group)):
        group_of(key_of(position_id, official), group).respondents = count
    for key in scores:  # each part of a split post: the post's invited
        if isinstance(key, tuple):
            for group, invited in invited_by.get(key[0], {}).items():
                group_of(key, group).invited = invited
    # Sums and counts per position, group and item: blanks are absent rows, so left out.
    answers = holding.stored_answers(round_.id)
    holder, by_holder = _holder_column(answers, split)
    item_sums: dict[tuple, dict[str, tuple[int, int]]] = {}
    for position_id, official, group, item_code, count, total in db.session.execute(
            select(answers.c.position_id, holder, answers.c.group, answers.c.item_code,
                   func.count(), func.sum(answers.c.value))
            .group_by(answers.c.position_id, *by_holder, answers.c.group, answers.c.item_code)):
        item_sums.setdefault((key_of(position_id, official), group), {})[item_code] = (
            count, int(total))
    # Each response's score, reduced to count, sum and sum of squares per position and group.
    weight = case({code: literal(w, Float) for code, w in _item_weights(content)},
                  value=answers.c.item_code, else_=literal(0.0, Float))
    per_response = (
        select(answers.c.position_id.label("position_id"), holder,
               answers.c.group.label("grp"),
               (func.sum(weight * answers.c.value) / func.sum(weight)).label("score"))
        .group_by(answers.c.response_id, answers.c.position_id, *by_holder, answers.c.group)
    ).subquery()
    for position_id, official, group, n, total, sumsq in db.session.execute(
            select(per_response.c.position_id,
                   per_response.c.holder if split else literal(NOT_SPLIT, Integer),
                   per_response.c.grp, func.count(), func.sum(per_response.c.score),
                   func.sum(per_response.c.score * per_response.c.score))
            .group_by(per_response.c.position_id,
                      *((per_response.c.holder,) if split else ()), per_response.c.grp)):
        result = group_of(key_of(position_id, official), group)
        result.scored, result.score_sum, result.score_sumsq = n, float(total), float(sumsq)

    for position_id, score in scores.items():
        for group, result in score.groups.items():
            score.invited += result.invited
            score.respondents += result.respondents
            # A group under the minimum is left out of everything: its score and its breakdown.
            result.counts = result.respondents >= round_.min_group
            if result.counts:
                result.items, result.elements = ikm.group_nrr(
                    item_sums.get((position_id, group), {}), element_items)
                result.index = ikm.weighted_mean(result.elements, weights_of_elements)
        counting = {g: r for g, r in score.groups.items() if r.counts and r.elements}
        group_weights = {g: float(round_.group_weights.get(g, 0.0)) for g in counting}
        counting = {g: r for g, r in counting.items() if group_weights[g] > 0}
        if not counting:
            continue
        score.elements, score.index = ikm.combine(
            {g: r.elements for g, r in counting.items()}, group_weights, weights_of_elements)
        present = {code for r in counting.values() for code in r.items}
        # in the questionnaire's order: the document reads the same from one run to the next
        for code in [c for c in item_order if c in present] + sorted(present - set(item_order)):
            per_group = {g: r.items[code] for g, r in counting.items() if code in r.items}
            value = ikm.weighted_mean(per_group, group_weights)
            if value is not None:
                score.items[code] = value
        if score.index is not None:
            strata = [(group_weights[g], r.scored, r.score_mean, r.score_variance, r.invited)
                      for g, r in counting.items() if r.scored]
            if all(s[3] is not None for s in strata):
                score.index_variance = ikm.stratified_variance(strata)
                score.ci95 = ikm.stratified_ci(strata, center=score.index)
    return scores


def _holder_column(stored, split: frozenset[int]):
    """(the column of the official a row's form belongs to, for a post in ``split``, NOT_SPLIT
    otherwise; what to add to GROUP BY for it). Without a split post the queries group exactly
    as before: by position only."""
    if not split:
        return literal(NOT_SPLIT, Integer).label("holder"), ()
    column = case((stored.c.position_id.in_(sorted(split)), stored.c.official_id),
                  else_=literal(NOT_SPLIT, Integer))
    return column.label("holder"), (column,)
