"""Each rule has one home: the constants issue 15 found repeated are written in one module."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

from survey_app.domain import ikm, results_model
from survey_app.domain.vocabulary import DEFAULT_SETTINGS

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


SETTING_NAMES = tuple(DEFAULT_SETTINGS)


def _literal(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is not None


def _literal_defaults(tree: ast.AST) -> list[tuple[int, str]]:
    """Where a round setting gets a value written as a literal: ``min_group = 3``,
    ``min_group: int = mapped_column(default=3)``, ``Round(min_group=3)``,
    ``@click.option("--min-group", default=3)``."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names = {t.id for t in targets if isinstance(t, ast.Name)}
            if names & set(SETTING_NAMES):
                value = node.value
                defaults = [k.value for k in getattr(value, "keywords", [])
                            if k.arg in ("default", "server_default")]
                if _literal(value) or any(_literal(d) for d in defaults):
                    found.append((node.lineno, sorted(names)[0]))
        elif isinstance(node, ast.Call):
            for keyword in node.keywords:
                if keyword.arg in SETTING_NAMES and _literal(keyword.value):
                    found.append((node.lineno, keyword.arg))
            options = [a.value for a in node.args if isinstance(a, ast.Constant)
                       and isinstance(a.value, str) and a.value.startswith("--")]
            named = {o[2:].replace("-", "_") for o in options} & set(SETTING_NAMES)
            if named and any(k.arg == "default" and _literal(k.value) for k in node.keywords):
                found.append((node.lineno, sorted(named)[0]))
    return found


def test_a_round_setting_gets_its_default_from_the_vocabulary_only():
    """DEFAULT_SETTINGS (domain/vocabulary.py) is the one place a round's default deadline,
    minimum group, weights, in-time rate, failing grades and fewest complaints are written: the
    model, the form, the CLI and the domain read it (issue 15 found them in five places)."""
    found = {}
    for path in SOURCES:
        if path.suffix == ".py" and path.name != "vocabulary.py":
            literals = _literal_defaults(ast.parse(path.read_text(encoding="utf-8")))
            if literals:
                found[path.relative_to(ROOT).as_posix()] = literals
    assert found == {}


def test_the_literal_default_finder_finds_each_shape():
    source = ("min_group = 3\n"
              "class R:\n    survey_weight: float = mapped_column(Float, default=0.7)\n"
              "Round(failing_grades='CD')\n"
              "@click.option('--deadline-days', type=int, default=7)\ndef f(): pass\n"
              "min_complaints = DEFAULT_SETTINGS['min_complaints']\n")
    assert _literal_defaults(ast.parse(source)) == [
        (1, "min_group"), (3, "survey_weight"), (4, "failing_grades"), (5, "deadline_days")]
    assert DEFAULT_SETTINGS["failing_grades"] == "CD" and DEFAULT_SETTINGS["min_group"] == 3


def test_a_quarter_code_is_written_out_in_the_quarter_module_only():
    """'2027-Q1' is made (quarters.code_of) and read (quarters.parse) in domain/quarters.py; the
    demo wrote its own until issue 15."""
    holders = [path.relative_to(ROOT).as_posix() for path in SOURCES
               if "-Q{" in path.read_text(encoding="utf-8")]
    assert holders == ["survey_app/domain/quarters.py"]
