"""Each rule has one home: the constants issue 15 found repeated are written in one module."""
from __future__ import annotations

from pathlib import Path

import pytest

from survey_app.domain import ikm, results_model

ROOT = Path(__file__).resolve().parent.parent
SOURCES = [path for folder in ("survey_app", "reports") for pattern in ("*.py", "*.html")
           for path in sorted((ROOT / folder).rglob(pattern))]


@pytest.mark.parametrize("bound", ["88.31", "76.61", "65.00"])
def test_each_grade_bound_is_written_in_one_module(bound):
    comma = bound.replace(".", ",")  # as the Indonesian texts print it
    holders = [path.relative_to(ROOT).as_posix() for path in SOURCES
               if bound in (text := path.read_text(encoding="utf-8")) or comma in text]
    assert holders == ["survey_app/domain/ikm.py"]


def test_the_results_document_carries_the_grade_table():
    assert results_model.GRADE_BOUNDS == {"A": 88.31, "B": 76.61, "C": 65.00}
    assert [bound for bound, _letter, _kinerja in ikm.GRADE_BANDS[:-1]] == list(
        results_model.GRADE_BOUNDS.values())


def test_rounds_does_not_import_the_roster_side():
    """rounds is below invitations (which reads a round's state): the import runs one way, so
    neither needs an import inside a function to dodge a cycle."""
    source = (ROOT / "survey_app/domain/rounds.py").read_text(encoding="utf-8")
    imports = [line.strip() for line in source.splitlines()
               if line.strip().startswith(("import ", "from "))]
    assert not [line for line in imports if "invitations" in line]
