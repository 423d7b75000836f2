"""Statements compiled once per database dialect and run on the DBAPI cursor itself.

For the public form's hot path only: the link look-up and the three writes of a submission.
There SQLAlchemy's execution machinery (cache key, execution context, result object) cost some
four times the driver's own work: the link look-up took 83 us through Connection.execute against
17 us on the cursor (SQLite, this machine), and moving these four statements onto the cursor took
a form from 5.67M to 4.85M instructions (benchmarks/respond_profile.py --callgrind).

A DriverStatement is an ordinary Core or text() statement, compiled by SQLAlchemy for the
connection's dialect the first time it runs there, with the column types' own bind and result
processors, so values convert exactly as through SQLAlchemy (tests/test_driver_sql.py). It runs
on the DBAPI connection under the caller's SQLAlchemy connection, inside its transaction (begun
as Connection.execute begins one); the caller commits or rolls back. Engine events and SQL echo
do not see these statements (a write of results data marks the connection itself:
survey_app/changes.py).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection, Dialect
from sqlalchemy.sql import Executable

from survey_app import changes


@dataclass(frozen=True)
class _Compiled:
    sql: str
    order: tuple[str, ...] | None  # positional paramstyles: the bound names in order
    defaults: dict[str, Any]  # values bound in the statement itself (a LIMIT, say)
    binds: dict[str, Callable]  # name -> the column type's bind processor
    results: tuple[Callable | None, ...]  # one per selected column
    writes_results: bool  # survey_app/changes.py: a commit asks for newer results


class DriverStatement:
    def __init__(self, statement: Executable):
        self.statement = statement
        self._by_dialect: dict[tuple, _Compiled] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled:
        # By dialect class and paramstyle, not by name: two drivers of one database (psycopg and
        # pg8000, say) differ in placeholders and in their types' processors.
        key = (type(dialect), dialect.paramstyle)
        compiled = self._by_dialect.get(key)
        if compiled is None:
            built = self.statement.compile(dialect=dialect)
            binds = {name: processor for name, bind in built.binds.items()
                     if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))
                     is not None}
            columns = (getattr(self.statement, "selected_columns", None)
                       or getattr(self.statement, "exported_columns", None) or ())
            compiled = self._by_dialect[key] = _Compiled(
                built.string, tuple(built.positiontup) if built.positiontup else None,
                {k: v for k, v in built.construct_params(_check=False).items() if v is not None},
                binds, tuple(c.type.dialect_impl(dialect).result_processor(dialect, None)
                             for c in columns), changes.writes_results(built.string))
        return compiled

    def execute(self, connection: Connection, params: dict[str, Any]):
        """Run on ``connection``'s DBAPI connection; returns the DBAPI cursor. Like
        Connection.execute, it begins the connection's transaction if none is open, so that the
        caller's commit() commits it."""
        if not connection.in_transaction():
            connection.begin()
        compiled = self._compiled(connection.dialect)
        values = {**compiled.defaults, **params} if compiled.defaults else params
        if compiled.binds:
            values = {k: (compiled.binds[k](v) if k in compiled.binds else v)
                      for k, v in values.items()}
        if compiled.writes_results:
            changes.mark(connection)
        cursor = connection.connection.driver_connection.cursor()
        if compiled.order is not None:
            cursor.execute(compiled.sql, tuple(values[name] for name in compiled.order))
        else:
            cursor.execute(compiled.sql, values)
        return cursor

    def rows(self, connection: Connection, params: dict[str, Any]) -> list[tuple]:
        """The result rows, each value converted by its column's type."""
        cursor = self.execute(connection, params)
        rows = cursor.fetchall()
        cursor.close()
        processors = self._compiled(connection.dialect).results
        if not any(processors):
            return rows
        return [tuple(value if p is None or value is None else p(value)
                      for p, value in zip(processors, row, strict=True)) for row in rows]
