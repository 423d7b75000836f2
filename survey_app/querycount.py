"""Counting the SQL statements a piece of work takes: the tests pin the number for pages that
loop over rows (no N+1), and benchmarks/pages.py reads it per request.

Per request only when asked (SKM_COUNT_QUERIES=1, config COUNT_QUERIES; off by default, in
production too): each response then carries ``X-Query-Count``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import Flask, Response, g, has_app_context
from sqlalchemy import event
from sqlalchemy.engine import Engine

HEADER = "X-Query-Count"


@dataclass
class Counter:
    count: int = 0
    statements: list[str] = field(default_factory=list)


@contextmanager
def counting(engine: Engine) -> Iterator[Counter]:
    """Count (and keep) the statements run on ``engine`` inside the block."""
    counter = Counter()

    def seen(_conn, _cursor, statement, _parameters, _context, _many) -> None:
        counter.count += 1
        counter.statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield counter
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def install(app: Flask) -> None:
    """With COUNT_QUERIES on, every response says how many statements its request ran."""
    if not app.config.get("COUNT_QUERIES"):
        return

    def seen(*_args) -> None:
        if has_app_context() and "query_count" in g:
            g.query_count += 1

    event.listen(Engine, "before_cursor_execute", seen)

    @app.before_request
    def start() -> None:
        g.query_count = 0

    @app.after_request
    def report(response: Response) -> Response:
        response.headers[HEADER] = str(g.get("query_count", 0))
        return response
