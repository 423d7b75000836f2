"""The domain modules form layers: no import cycle among them, counting imports inside functions.

An import inside a function hides a cycle from Python (the module is half-initialised only when
the function runs) but not from the reader: the two modules still need each other. So the graph
below has an edge for every import of one survey_app/domain module by another, wherever it is
written, and must have no cycle. With no cycle, no domain module needs to import another inside a
function either, so none does (imports of libraries inside functions, to keep start-up light, are
not this test's business).
"""
from __future__ import annotations

import ast
from pathlib import Path

DOMAIN = Path(__file__).resolve().parent.parent / "survey_app" / "domain"
MODULES = sorted(path.stem for path in DOMAIN.glob("*.py") if path.stem != "__init__")


def _imported(node: ast.AST) -> list[str]:
    """The survey_app.domain modules an import statement names."""
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if node.level:  # relative: from . import x, from .x import y
            names = [module.split(".")[0]] if module else [alias.name for alias in node.names]
        elif module == "survey_app.domain":
            names = [alias.name for alias in node.names]
        elif module.startswith("survey_app.domain."):
            names = [module.split(".")[2]]
        else:
            names = []
    elif isinstance(node, ast.Import):
        names = [alias.name.split(".")[2] for alias in node.names
                 if alias.name.startswith("survey_app.domain.")]
    else:
        names = []
    return [name for name in names if name in MODULES]


def import_graph() -> tuple[dict[str, set[str]], dict[str, set[str]]]:
    """(every import edge between domain modules, the edges written inside a function)."""
    edges: dict[str, set[str]] = {name: set() for name in MODULES}
    inner: dict[str, set[str]] = {name: set() for name in MODULES}
    for name in MODULES:
        tree = ast.parse((DOMAIN / f"{name}.py").read_text(encoding="utf-8"))
        top_level = {id(node) for node in tree.body}
        for node in ast.walk(tree):
            for target in _imported(node):
                if target != name:
                    edges[name].add(target)
                    if id(node) not in top_level:
                        inner[name].add(target)
    return edges, inner


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return sorted(found)


def test_the_cycle_finder_finds_a_cycle_through_several_modules():
    graph = {"rounds": {"publication"}, "publication": {"results"},
             "results": {"rounds", "ikm"}, "ikm": set(), "cards": {"ikm"}}
    assert cycles(graph) == [["publication", "results", "rounds"]]
    assert cycles({**graph, "results": {"ikm"}}) == []


def test_the_graph_reads_imports_at_top_level_and_inside_functions():
    edges, _inner = import_graph()
    # written at the top of the modules today: the layers publishing is built on
    assert {"publication", "round_clock", "published"} <= edges["rounds"] | edges["results"]
    assert "results" in edges["publication"]
    assert "publication" in edges["rounds"]


def test_no_import_cycle_among_the_domain_modules():
    edges, _inner = import_graph()
    assert cycles(edges) == []


def test_no_domain_module_imports_another_inside_a_function():
    _edges, inner = import_graph()
    assert {name: sorted(targets) for name, targets in inner.items() if targets} == {}
