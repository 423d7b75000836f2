"""Text that enters the database, checked once at the edge so that SQLite and PostgreSQL agree.

PostgreSQL refuses a NUL character (``\\x00``) in any text and a string longer than its column's
``String(n)``; SQLite stores both. Every importer checks the text columns it stores with
:func:`row_errors` (a line-numbered RowError per problem, so the whole file is refused and nothing
is written), the coordinator forms use :class:`NoControlCharacters` and a ``Length`` read from the
column, and the public form's comment goes through :func:`strip_control`.

Refused or stripped:

- imported cells and coordinator form fields are *refused* with a message: the person importing
  can fix the cell and try again, and a silent change to a name or a code would be worse;
- the respondent's comment is *stripped* of control characters: the respondent cannot see them
  (they come from a paste) and should not lose their answers for them.

Tab, line feed and carriage return are allowed only in free text (comments, notes). Lengths are
read from the model's column (:func:`column_length`), never written a second time.
"""
from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from survey_app.domain.errors import N_, RowError

# C0 controls and DEL, and the C1 controls: none of them belongs in a name, a code or a comment.
# PostgreSQL refuses \x00 outright; the others are invisible and break CSV, PDF and terminal output.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_CONTROL_OR_BREAK = re.compile(r"[\x00-\x1f\x7f-\x9f]")
# Lone surrogates (from a broken paste) cannot be encoded as UTF-8: PostgreSQL would refuse them.
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# Any of the above, free text or not: a row without one needs no closer look.
_SUSPICIOUS = re.compile(r"[\x00-\x1f\x7f-\x9f\ud800-\udfff]")


def column_length(attribute) -> int | None:
    """The ``n`` of a model attribute's ``String(n)`` column (None for Text)."""
    return getattr(attribute.property.columns[0].type, "length", None)


def first_control(value: str, free_text: bool = False) -> int | None:
    """The 0-based position of the first character that may not be stored, or None."""
    pattern = _CONTROL if free_text else _CONTROL_OR_BREAK
    found = pattern.search(value) or _SURROGATE.search(value)
    return found.start() if found else None


def strip_control(value: str) -> str:
    """Free text without the characters we do not store (tab and line breaks are kept)."""
    return _SURROGATE.sub("", _CONTROL.sub("", value))


def control_error(line: int, column: str, value: str, position: int) -> RowError:
    return RowError(line, N_("%(column)s contains an invisible control character (%(char)s) at "
                             "position %(position)s; remove it and import the file again"),
                    column, column=column, char=f"U+{ord(value[position]):04X}",
                    position=position + 1)


def row_errors(line: int, row: Mapping[str, str], columns: Mapping[str, object],
               free_text: Iterable[str] = ()) -> list[RowError]:
    """The text problems of one imported row: a control character in any of ``columns`` (tab and
    line breaks allowed in ``free_text`` columns), and a value longer than its column.

    ``columns`` maps a file column to the model attribute it is stored in (its ``String(n)``
    gives the length), to an int (a length of our own, e.g. a comment's), or to None (the value
    is parsed, not stored as text: only control characters are checked)."""
    return RowChecker(columns, free_text)(line, row)


class RowChecker:
    """:func:`row_errors` for one set of columns, prepared once for the many rows of an import
    (the lengths read from the columns once; a row without any suspicious character, almost
    every row, is checked with one regular-expression search)."""

    def __init__(self, columns: Mapping[str, object], free_text: Iterable[str] = ()):
        free = set(free_text)
        self.columns = [(column, column in free,
                         target if isinstance(target, int) or target is None
                         else column_length(target))
                        for column, target in columns.items()]
        self.lengths = [(column, longest) for column, _free, longest in self.columns
                        if longest is not None]

    def __call__(self, line: int, row: Mapping[str, str]) -> list[RowError]:
        # Every cell of the row at once (the file's other columns too: a hit there only costs
        # the closer look below, which checks our columns alone).
        if _SUSPICIOUS.search("".join(row.values())) is None:  # no control char nor surrogate
            errors = []
            for column, longest in self.lengths:
                value = row.get(column)
                if value is not None and len(value) > longest:
                    errors.append(RowError(line, N_("%(column)s is longer than %(n)s characters"),
                                           column, column=column, n=longest))
            return errors
        return self._slowly(line, row)

    def table_errors(self, lines: Sequence[int], row: Callable[[int], Mapping[str, str]],
                     columns: Mapping[str, Sequence[str]]) -> Iterator[tuple[int, list[RowError]]]:
        """(index, errors) of each row with a problem, in order: the same errors as calling the
        checker on each row, found column by column. ``lines`` are the rows' line numbers,
        ``row(i)`` gives the i-th row, and ``columns`` each checked column's values in row order
        ("" where a row has none). A column is searched as one string and its longest value
        measured: a column with no suspicious character and no value too long (almost every
        column of a real file) clears every row at once, and only the rows of a column that does
        not are looked at one by one."""
        closer: set[int] = set()
        for column, _free, longest in self.columns:
            values = columns[column]
            too_long = longest is not None and max(map(len, values), default=0) > longest
            if too_long or _SUSPICIOUS.search("".join(values)):
                closer.update(i for i, value in enumerate(values)
                              if (longest is not None and len(value) > longest)
                              or _SUSPICIOUS.search(value))
        for i in sorted(closer):
            errors = self._slowly(lines[i], row(i))
            if errors:
                yield i, errors

    def _slowly(self, line: int, row: Mapping[str, str]) -> list[RowError]:
        errors = []
        for column, free, longest in self.columns:
            value = row.get(column, "")
            if not value:
                continue
            position = first_control(value, free)
            if position is not None:
                errors.append(control_error(line, column, value, position))
                continue
            if longest is not None and len(value) > longest:
                errors.append(RowError(line, N_("%(column)s is longer than %(n)s characters"),
                                       column, column=column, n=longest))
        return errors
