"""The elements a report card marks as priorities, and the element names it shows them by.

A card marks the weakest elements of a post's score (``priority_elements``); the follow-up plans
an official writes after a published round are owed for exactly these (survey_app/domain/
followups.py and sanctions.py), and the card (survey_app/domain/cards.py) draws them. Pure rules
on a results-document entry and the round's pinned questionnaire: this module reads no results,
so the cards, follow-ups and sanctions share it without importing one another.
"""
from __future__ import annotations

from survey_app.domain import ikm
from survey_app.domain.results_model import PositionEntry
from survey_app.models import Round

PRIORITY_COUNT = 3  # at most this many weakest elements marked as priorities (ties aside)


def element_names(round_: Round) -> list[tuple[str, str, str]]:
    """(code, Indonesian name, English name) of the round's elements, in questionnaire order."""
    found = []
    for element in round_.questionnaire.content.get("elements", []):
        name = element.get("name") or {}
        found.append((element["code"], name.get("id") or element["code"],
                      name.get("en") or name.get("id") or element["code"]))
    return found


def ordered_elements(entry: PositionEntry, names: list[tuple[str, str, str]]
                     ) -> list[tuple[str, str, str]]:
    """The round's elements, then any the entry has a score for that the questionnaire does not
    name (by code, as their name)."""
    known = {code for code, _i, _e in names}
    return names + [(code, code, code) for code in sorted(entry.elements) if code not in known]


def priority_elements(entry: PositionEntry, names: list[tuple[str, str, str]]) -> list[str]:
    """The codes of the elements the card marks as priorities (the weakest: ``weakest``), in
    questionnaire order; none for a post without a score. The follow-up plans are written for
    exactly these (survey_app/domain/followups.py)."""
    if entry.ikm is None:
        return []
    scored = [(code, entry.elements[code]) for code, _i, _e in ordered_elements(entry, names)
              if entry.elements.get(code) is not None]
    marked = weakest(scored)
    return [code for code, _value in scored if code in marked]


def weakest(scored: list[tuple[str, float]]) -> set[str]:
    """The weakest elements: the lowest PRIORITY_COUNT (ties at the cut included), and only those
    below the mean of the elements, so that a flat profile does not mark elements at random."""
    if not scored:
        return set()
    shown = {code: ikm.shown(value) for code, value in scored}
    mean = sum(value for _c, value in scored) / len(scored)
    ordered = sorted(shown.values())
    cut = ordered[min(PRIORITY_COUNT, len(ordered)) - 1]
    return {code for code, value in scored if shown[code] <= cut and value < mean}
