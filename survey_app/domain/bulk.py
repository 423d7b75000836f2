"""Fast bulk inserts for large loads (demo data, benchmarks): COPY on PostgreSQL, executemany
on SQLite, on the session's own connection so that the caller's transaction still owns them."""
from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, date, datetime

from sqlalchemy import Result, Table, func, select, text

from survey_app import changes
from survey_app.extensions import db


def insert_rows(table: Table, columns: Sequence[str], rows: Iterable[Sequence],
                same: dict | None = None) -> int:
    """Insert tuples (in ``columns`` order) into ``table``; returns how many. ``same`` gives
    columns whose value is the same on every row (converted once, not per row)."""
    connection = db.session.connection()
    rows = list(rows)
    if not rows:
        return 0
    same = same or {}
    columns = [*columns, *same]
    raw = _raw(connection, table)
    if connection.dialect.name == "postgresql":
        quoted = ", ".join(f'"{c}"' for c in columns)
        with raw.cursor() as cursor, \
                cursor.copy(f'COPY "{table.name}" ({quoted}) FROM STDIN') as copy:
            # COPY's text format, built in large chunks: much faster than row by row.
            tail = "".join("\t" + _copy_text(value) for value in same.values()) + "\n"
            for start in range(0, len(rows), 50_000):
                copy.write("".join("\t".join(map(_copy_text, row)) + tail
                                   for row in rows[start:start + 50_000]))
    else:
        # Convert only the columns that need it (dates, times, JSON): millions of rows pass here,
        # converted 50,000 at a time (memory stays flat).
        convert = [i for i in range(len(rows[0]))
                   if _needs_converting([row[i] for row in rows[:1000]])]
        fixed = tuple(_sqlite_value(value) for value in same.values())
        seen: dict = {}
        for start in range(0, len(rows), 50_000):
            chunk = rows[start:start + 50_000]
            if convert:
                chunk = _converted(chunk, convert, seen)
            if fixed:
                chunk = [(*row, *fixed) for row in chunk]
            _sqlite_insert(raw, table, columns, chunk)
    return len(rows)


def insert_columns(table: Table, values: dict[str, Sequence]) -> int:
    """:func:`insert_rows` for values held column by column (column name -> its values, each
    the same length). On SQLite each column that needs it is converted as a whole and the rows
    are made only as they are written: no rows to transpose and back (a year's complaints)."""
    connection = db.session.connection()
    count = len(next(iter(values.values()), ()))
    if not count:
        return 0
    if connection.dialect.name == "postgresql":
        return insert_rows(table, list(values), zip(*values.values(), strict=True))
    seen: dict = {}
    _sqlite_insert(_raw(connection, table), table, list(values), zip(*(
        _converted_column(column, seen) if _needs_converting(column[:1000]) else column
        for column in values.values()), strict=True))
    return count


def _raw(connection, table: Table):
    """The DBAPI connection under ``connection``, a write of results data noted on it."""
    if table.name in changes.RESULTS_TABLES:  # out of sight of the engine's events
        changes.mark(connection)
    raw = connection.connection.driver_connection
    assert raw is not None  # the connection is open: it runs this transaction
    return raw


def _sqlite_insert(raw, table: Table, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
    quoted = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    raw.executemany(f'INSERT INTO "{table.name}" ({quoted}) VALUES ({marks})', rows)


def _needs_converting(sample: Sequence) -> bool:
    """Whether a column (its first values) holds what SQLite does not store as it is."""
    return any(isinstance(value, (date, dict, list)) for value in sample)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    """One value in PostgreSQL's COPY text format."""
    if value is None:
        return "\\N"
    if isinstance(value, bool):
        return "t" if value else "f"
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a bulk insert")
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        value = json.dumps(value)
    return str(value).translate(_COPY_ESCAPES)


def _converted(rows: Sequence[Sequence], indexes: list[int], seen: dict) -> list[Sequence]:
    """The rows with these columns converted, column by column."""
    columns: list[Sequence] = list(zip(*rows, strict=True))
    for i in indexes:
        columns[i] = _converted_column(columns[i], seen)
    return list(zip(*columns, strict=True))


def _converted_column(values: Sequence, seen: dict) -> list:
    """A column's values as SQLite stores them: a UTC time straight away (the usual case, nearly
    every one different), any other value once (``seen`` keeps them from chunk to chunk: a bulk
    load often repeats one day or time)."""
    return [_utc_text(value) if type(value) is datetime and value.tzinfo is UTC
            else _seen_value(value, seen) for value in values]


def _seen_value(value, seen: dict):
    try:
        return seen[value]
    except KeyError:
        converted = seen[value] = _sqlite_value(value)
        return converted
    except TypeError:  # a dict or list (JSON): not hashable
        return _sqlite_value(value)


def _utc_text(value: datetime) -> str:
    """A UTC time as SQLAlchemy writes it (%Y-%m-%d %H:%M:%S.%f), formatted faster: a
    year's complaints bring 540,000 (printf-style, 0.75 us each; isoformat of an aware time,
    then cut, 1-2 us; strftime, 2 us)."""
    return "%04d-%02d-%02d %02d:%02d:%02d.%06d" % (  # noqa: UP031 (the fastest of them)
        value.year, value.month, value.day, value.hour, value.minute, value.second,
        value.microsecond)


def _sqlite_value(value):
    """What SQLAlchemy itself would store on SQLite (so comparisons in SQL stay exact)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a bulk insert")
        return _utc_text(value if value.tzinfo is UTC else value.astimezone(UTC))
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return value


def next_id(table: Table) -> int:
    return (db.session.scalar(select(func.max(table.c.id))) or 0) + 1


def rows(statement) -> Result:
    """The rows of a read over many rows, as Core rows on the session's connection (the session's
    pending changes flushed first, as its own execute would): the ORM's row loading, which a read
    of plain columns does not need, costs some 2.6 times as much a row (0.84 s against 0.32 s for
    the province's 284,000 (respondent, invitation) pairs)."""
    db.session.flush()
    return db.session.connection().execute(statement)


def inserted_ids(table: Table, key: str, after: int, keys) -> dict:
    """``key`` -> id of the rows of ``table`` whose id is above ``after`` (read before this
    transaction's insert: ids only grow, on SQLite and from PostgreSQL's sequences) and whose
    ``key`` is one of ``keys``: one range query on the primary key instead of IN lists of a
    whole file's keys (another transaction's rows in the range are left out by ``keys``)."""
    column = table.c[key]
    return {value: id_ for value, id_ in rows(
        select(column, table.c.id).where(table.c.id > after)) if value in keys}


def reset_sequences(tables: Iterable[Table]) -> None:
    """After inserting explicit ids on PostgreSQL, move each id sequence past them."""
    connection = db.session.connection()
    if connection.dialect.name != "postgresql":
        return
    for table in tables:
        if "id" in table.c:
            connection.execute(text(
                f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM \"{table.name}\"), 0) + 1, false)"))


def dialect_insert(entity):
    """An INSERT into ``entity`` for the session's database, with its ON CONFLICT clauses
    (PostgreSQL's or SQLite's: the same on_conflict_do_update / do_nothing). The dialect's
    module is loaded when first used, not when the app starts."""
    if db.session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert(entity)


BULK_CACHE_KIB = 65536  # SQLite's page cache for a bulk write (its default is 2 MiB)


@contextmanager
def larger_cache(connection) -> Iterator[None]:
    """SQLite: a page cache of up to BULK_CACHE_KIB on ``connection`` while a bulk write runs, then
    its size as before. A load into a table of 400,000 rows and six indexes otherwise reads the
    same index pages again and again (the 200,000-complaint import's insert: half its time);
    the pool's other connections (the web workers') keep the small default. Memory only: no
    durability setting changes. Nothing on PostgreSQL."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = int(connection.exec_driver_sql("PRAGMA cache_size").scalar())
    connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={before}")
