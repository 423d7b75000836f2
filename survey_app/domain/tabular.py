"""Reading the CSV and XLSX files that coordinators upload, the same way for every import.

A file becomes a header and a list of rows, each row keeping the line number a spreadsheet would
show (the header is line 1). Problems with the file as a whole (not UTF-8, empty, wrong columns)
raise ImportRejected with line 0 or 1; the importers check each row and collect their own errors.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Iterable

from survey_app.domain.errors import N_, ImportRejected, RowError


@dataclass
class Table:
    header: list[str]
    rows: list[tuple[int, dict[str, str]]]  # (line number, column -> stripped text)


def read_table(source: str | Path | BinaryIO | bytes, filename: str | None = None,
               required: Iterable[str] = (), optional: Iterable[str] = (),
               allow_extra: bool = False, rename: dict[str, str] | None = None) -> Table:
    """Read a CSV (UTF-8, BOM accepted, comma or semicolon) or XLSX file.

    ``required`` columns must all be present; columns beyond ``required`` and ``optional`` are an
    error unless ``allow_extra``. ``rename`` maps a source column name to ours (``--map``).
    """
    data, name = _read_bytes(source, filename)
    if name.lower().endswith((".xlsx", ".xlsm")) or data[:4] == b"PK\x03\x04":
        header, raw_rows = _read_xlsx(data)
    else:
        header, raw_rows = _read_csv(data)
    rename = rename or {}
    header = [rename.get(h, h) for h in header]
    _check_header(header, list(required), list(optional), allow_extra)
    rows = []
    for line, values in raw_rows:
        if not any(v.strip() for v in values):
            continue  # blank lines are not rows
        if len(values) > len(header) and any(v.strip() for v in values[len(header):]):
            raise ImportRejected([RowError(line, N_("has %(values)s values but the header has "
                                                    "%(columns)s columns"),
                                           values=len(values), columns=len(header))])
        values = list(values) + [""] * (len(header) - len(values))
        rows.append((line, {h: values[i].strip() for i, h in enumerate(header) if h}))
    if not rows:
        raise ImportRejected([RowError(0, N_("the file has a header but no rows"))])
    return Table(header=header, rows=rows)


def _read_bytes(source, filename: str | None) -> tuple[bytes, str]:
    if isinstance(source, bytes):
        return source, filename or ""
    if isinstance(source, (str, Path)):
        path = Path(source)
        try:
            return path.read_bytes(), filename or path.name
        except OSError as e:
            raise ImportRejected([RowError(0, N_("cannot read %(path)s: %(reason)s"),
                                           path=str(path), reason=e.strerror)]) from None
    return source.read(), filename or getattr(source, "name", "") or ""


def _read_csv(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not data.strip():
        raise ImportRejected([RowError(0, N_("the file is empty"))])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise ImportRejected([RowError(line, N_("the file is not UTF-8 text; save it as "
                                                "'CSV UTF-8' and try again"))]) from None
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
        rows = [(reader.line_num, row) for row in reader]
    except csv.Error as e:
        raise ImportRejected([RowError(reader.line_num, N_("the file is not valid CSV: %(reason)s"),
                                       reason=str(e))]) from None
    return header, rows


def _read_xlsx(data: bytes) -> tuple[list[str], list[tuple[int, list[str]]]]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # openpyxl raises many types for a damaged file
        unreadable = RowError(0, N_("the file is not a readable XLSX workbook"))
        raise ImportRejected([unreadable]) from None
    sheet = workbook.worksheets[0]
    rows_iter = sheet.iter_rows(values_only=True)
    try:
        first = next(rows_iter)
    except StopIteration:
        raise ImportRejected([RowError(0, N_("the file is empty"))]) from None
    header = [_cell_text(c).lower() for c in first]
    while header and not header[-1]:
        header.pop()
    rows = [(i, [_cell_text(c) for c in row]) for i, row in enumerate(rows_iter, start=2)]
    workbook.close()
    return header, rows


def _cell_text(value) -> str:
    from datetime import date, datetime

    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    return str(value).strip()


def _check_header(header: list[str], required: list[str], optional: list[str],
                  allow_extra: bool) -> None:
    if not any(header):
        raise ImportRejected([RowError(1, N_("the header row is empty"))])
    errors = []
    seen = set()
    for h in header:
        if h in seen:
            errors.append(RowError(1, N_("column '%(column)s' appears twice"), None, column=h))
        seen.add(h)
    missing = [c for c in required if c not in header]
    if missing:
        errors.append(RowError(1, N_("missing column(s): %(missing)s; expected %(expected)s"),
                               missing=", ".join(missing), expected=",".join(required + optional)))
    if not allow_extra:
        extra = [h for h in header if h not in required and h not in optional]
        if extra:
            errors.append(RowError(1, N_("unexpected column(s): %(extra)s; expected "
                                         "%(expected)s"),
                                   extra=", ".join(extra), expected=",".join(required + optional)))
    if errors:
        raise ImportRejected(errors)
