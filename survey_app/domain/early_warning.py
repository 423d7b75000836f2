"""Early warning (issue 20): a significant drop, flagged before the sanctions ladder.

A post's IKM fell from the official's own previous result, and the fall is significant by the
results document's weighted test: ``change_p_value`` is the two-sided z-test on the
group-weighted index (``ikm.change_p_value``), ``change_significant`` that p-value under
``results.SIGNIFICANCE``. The results pages show these to the coordinator (every post) and to
the superior (the camat for the lurah of the kecamatan, the wali kota for the lurah and camat of
the kota: the posts ``cards.visible_entries`` gives them beyond their own).
"""
from __future__ import annotations

from collections.abc import Iterable
from typing import TypeVar

from survey_app.domain.results_model import PositionEntry

E = TypeVar("E", bound=PositionEntry)


def is_significant_drop(entry: PositionEntry) -> bool:
    return entry.change is not None and entry.change < 0 and entry.change_significant


def significant_drops(entries: Iterable[E], own_nip: str | None = None) -> list[E]:
    """The entries with a significant drop, the largest fall first; ``own_nip``: leave out the
    posts of that official (a superior is warned about the posts under them)."""
    found = [e for e in entries if is_significant_drop(e)
             and (own_nip is None or e.official is None or e.official.nip != own_nip)]
    return sorted(found, key=lambda e: (e.change or 0, e.position_id))
