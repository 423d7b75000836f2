"""Scores per position and round, from aggregate queries (survey_app.domain.ikm does the
arithmetic).

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
        return self.index * ikm.IKM_SCALE if self.index is not None else None

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
    scores: dict = {}
    invited_by = _count_invited(round_, split, scores)
    _count_respondents(round_, split, scores, invited_by)
    answers = holding.stored_answers(round_.id)
    item_sums = _item_sums(answers, split)
    _response_scores(answers, split, content, scores)
    questionnaire = _Questionnaire.of(content)
    for key, score in scores.items():
        _score_groups(score, key, item_sums, round_.min_group, questionnaire)
        counting, group_weights = _counting_groups(score, round_.group_weights)
        if counting:
            _combine_groups(score, counting, group_weights, questionnaire)
    return scores


@dataclass(frozen=True)
class _Questionnaire:
    """What the arithmetic needs of a round's questionnaire: each element's items, the items in
    order, and the elements' relative weights as written (1, 1, ...: exact sums;
    ikm.weighted_mean normalises them)."""

    element_items: dict[str, list[str]]
    item_order: list[str]
    element_weights: dict[str, float]

    @classmethod
    def of(cls, content: dict) -> _Questionnaire:
        element_items = {e["code"]: [i["code"] for i in e["items"]] for e in content["elements"]}
        return cls(element_items=element_items,
                   item_order=[code for codes in element_items.values() for code in codes],
                   element_weights={e["code"]: float(e.get("weight", 1.0))
                                    for e in content["elements"]})


def _group_of(scores: dict, key, group: str) -> GroupResult:
    """The figures of ``group`` for the post (or part of a split post) ``key``, made on first
    use."""
    position_id = key[0] if isinstance(key, tuple) else key
    score = scores.setdefault(key, PositionScore(position_id))
    if group not in score.groups:
        score.groups[group] = GroupResult(group, 0, 0, False)
    return score.groups[group]


def _key_of(position_id: int, holder):
    """The key of a post's scores: its id, or (id, holder) for a post scored per official."""
    return position_id if holder == NOT_SPLIT else (position_id, holder)


def _count_invited(round_: Round, split: frozenset[int], scores: dict
                   ) -> dict[int, dict[str, int]]:
    """One expected form per invitation and rated position, by group: set on each post scored
    as a whole, and returned per post (the parts of a split post get theirs later)."""
    invited_by: dict[int, dict[str, int]] = {}
    for position_id, group, invited in db.session.execute(
            select(InvitationPosition.position_id, Invitation.group, func.count())
            .join(Invitation, Invitation.id == InvitationPosition.invitation_id)
            .where(Invitation.round_id == round_.id)
            .where(invitation_counted())  # withdrawn invitations are not counted as invited
            .group_by(InvitationPosition.position_id, Invitation.group)):
        invited_by.setdefault(position_id, {})[group] = invited
        if position_id not in split:
            _group_of(scores, position_id, group).invited = invited
    return invited_by


def _count_respondents(round_: Round, split: frozenset[int], scores: dict,
                       invited_by: dict[int, dict[str, int]]) -> None:
    """The anonymous responses (released and still held alike), by post (or part) and group;
    each part of a split post gets the post's invited."""
    stored = holding.stored_responses(round_.id)
    holder, by_holder = _holder_column(stored, split)
    for position_id, official, group, count in db.session.execute(
            select(stored.c.position_id, holder, stored.c.group, func.count())
            .group_by(stored.c.position_id, *by_holder, stored.c.group)):
        _group_of(scores, _key_of(position_id, official), group).respondents = count
    for key in list(scores):
        if isinstance(key, tuple):
            for group, invited in invited_by.get(key[0], {}).items():
                _group_of(scores, key, group).invited = invited


def _item_sums(answers, split: frozenset[int]) -> dict[tuple, dict[str, tuple[int, int]]]:
    """(count, sum) of the answers per post (or part), group and item: blanks are absent rows,
    so left out."""
    holder, by_holder = _holder_column(answers, split)
    item_sums: dict[tuple, dict[str, tuple[int, int]]] = {}
    for position_id, official, group, item_code, count, total in db.session.execute(
            select(answers.c.position_id, holder, answers.c.group, answers.c.item_code,
                   func.count(), func.sum(answers.c.value))
            .group_by(answers.c.position_id, *by_holder, answers.c.group, answers.c.item_code)):
        item_sums.setdefault((_key_of(position_id, official), group), {})[item_code] = (
            count, int(total))
    return item_sums


def _response_scores(answers, split: frozenset[int], content: dict, scores: dict) -> None:
    """Each response's score, reduced to count, sum and sum of squares per post (or part) and
    group."""
    holder, by_holder = _holder_column(answers, split)
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
        result = _group_of(scores, _key_of(position_id, official), group)
        result.scored, result.score_sum, result.score_sumsq = n, float(total), float(sumsq)


def _score_groups(score: PositionScore, key, item_sums: dict, min_group: int,
                  questionnaire: _Questionnaire) -> None:
    """The post's totals, and each group's own NRR and index. A group under the minimum is left
    out of everything: its score and its breakdown."""
    for group, result in score.groups.items():
        score.invited += result.invited
        score.respondents += result.respondents
        result.counts = result.respondents >= min_group
        if result.counts:
            result.items, result.elements = ikm.group_nrr(
                item_sums.get((key, group), {}), questionnaire.element_items)
            result.index = ikm.weighted_mean(result.elements, questionnaire.element_weights)


def _counting_groups(score: PositionScore, round_weights: dict
                     ) -> tuple[dict[str, GroupResult], dict[str, float]]:
    """The groups the post's index is made of (at or above the minimum, with answers, and with
    a weight above 0 in the round), and the round's weights of the groups with answers."""
    counting = {g: r for g, r in score.groups.items() if r.counts and r.elements}
    group_weights = {g: float(round_weights.get(g, 0.0)) for g in counting}
    return {g: r for g, r in counting.items() if group_weights[g] > 0}, group_weights


def _combine_groups(score: PositionScore, counting: dict[str, GroupResult],
                    group_weights: dict[str, float], questionnaire: _Questionnaire) -> None:
    """The post's NRR, index and items across the counting groups (by the round's group
    weights), and the index's variance and confidence interval."""
    score.elements, score.index = ikm.combine(
        {g: r.elements for g, r in counting.items()}, group_weights,
        questionnaire.element_weights)
    present = {code for r in counting.values() for code in r.items}
    order = questionnaire.item_order
    # in the questionnaire's order: the document reads the same from one run to the next
    for code in [c for c in order if c in present] + sorted(present - set(order)):
        per_group = {g: r.items[code] for g, r in counting.items() if code in r.items}
        value = ikm.weighted_mean(per_group, group_weights)
        if value is not None:
            score.items[code] = value
    strata = _strata(counting, group_weights) if score.index is not None else None
    if strata is not None:
        score.index_variance = ikm.stratified_variance(strata)
        score.ci95 = ikm.stratified_ci(strata, center=score.index)


def _strata(counting: dict[str, GroupResult], group_weights: dict[str, float]
            ) -> list[ikm.Stratum] | None:
    """The counting groups with answers as strata of the index (weight, n, mean, variance,
    invited); None when one of them has no variance (a single scored respondent)."""
    strata: list[ikm.Stratum] = []
    for group, result in counting.items():
        mean, variance = result.score_mean, result.score_variance
        if not result.scored:
            continue
        if mean is None or variance is None:
            return None
        strata.append((group_weights[group], result.scored, mean, variance, result.invited))
    return strata


def _holder_column(stored, split: frozenset[int]):
    """(the column of the official a row's form belongs to, for a post in ``split``, NOT_SPLIT
    otherwise; what to add to GROUP BY for it). Without a split post the queries group exactly
    as before: by position only."""
    if not split:
        return literal(NOT_SPLIT, Integer).label("holder"), ()
    column = case((stored.c.position_id.in_(sorted(split)), stored.c.official_id),
                  else_=literal(NOT_SPLIT, Integer))
    return column.label("holder"), (column,)
