"""Reading the CSV and XLSX files that coordinators upload, the same way for every import.

A file becomes a header and a list of rows, each row keeping the line number a spreadsheet would
show (the header is line 1). Problems with the file as a whole (not UTF-8, empty, wrong columns)
raise ImportRejected with line 0 or 1; the importers check each row and collect their own errors.

Whatever is wrong with the file itself raises ImportRejected too, never another exception, so
that every importer (command line and upload page) shows a message and writes nothing: a CSV
named .xlsx and the reverse, an old .xls, a damaged workbook or sheet (broken XML, found only
while reading its rows), and a file too big to read (:data:`LIMITS`: a "zip bomb" is refused from
the sizes the archive declares before anything is unpacked, and rows and columns are counted
while they are read, stopping at the limit).
"""
from __future__ import annotations

import csv
import gc
import io
import re
import zipfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from functools import cached_property
from pathlib import Path
from typing import BinaryIO

from survey_app.domain.errors import N_, ImportRejected, RowError


@dataclass(frozen=True)
class SheetLimits:
    """How big a file may be, generous for real data: a province roster is some 42,000 rows and a
    year of complaints some 200,000 (LAPOR! exports carry a few dozen columns)."""

    rows: int = 250_000  # data rows, blank ones included
    columns: int = 256
    expanded_bytes: int = 512 * 1024 * 1024  # a CSV's size, or an XLSX's parts once unpacked


LIMITS = SheetLimits()
XLSX_SUFFIXES = (".xlsx", ".xlsm")
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls (and .doc) format


@dataclass
class Table:
    """A file's header (our column names; "" for a column that is not read) and its rows: each
    row's line number and its named columns' stripped values, in the order of ``names``. Each row
    as a dict (``rows``) or each column as a list (``columns``) is built when first asked for:
    a 200,000-row file read column by column never builds 200,000 dicts, nor row by row keeps
    them."""

    header: list[str]
    lines: list[int]
    records: list[list[str]]

    @cached_property
    def names(self) -> list[str]:
        return [h for h in self.header if h]

    @property
    def rows(self) -> Iterator[tuple[int, dict[str, str]]]:
        """(line number, column -> stripped text) of each row, built afresh at each use, one row
        at a time."""
        names = self.names
        return ((line, dict(zip(names, values, strict=True)))
                for line, values in zip(self.lines, self.records, strict=True))

    def row(self, i: int) -> dict[str, str]:
        """The i-th row (0-based, in file order) as a dict."""
        return dict(zip(self.names, self.records[i], strict=True))

    def renamed(self, rename: dict[str, str]) -> Table:
        """The same rows under other column names (``rename``: a file's column -> ours), the
        header checked as read_table checks it (a name twice is refused)."""
        header = [rename.get(h, h) for h in self.header]
        _check_header(header, [], [], allow_extra=True)
        return Table(header, self.lines, self.records)

    def columns(self, wanted: Iterable[str]) -> dict[str, list[str]]:
        """Each wanted column's values in row order; a column the file lacks is all ""."""
        present = dict(zip(self.names, map(list, zip(*self.records, strict=True)), strict=True))
        return {c: present[c] if c in present else [""] * len(self.lines) for c in wanted}


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector off while a file's rows are read, checked or written (also a
    decorator). Each of a 200,000-row file's rows is a few containers, and the collector, set
    off by every 700 new ones, went through all of them again and again: about a second of a
    year's complaint import. Memory is still freed as it always is (reference counting); the
    collector runs again afterwards, for whatever cycles were made meanwhile. Nested or
    concurrent use leaves it on when the outermost use ends."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@collector_paused()
def read_table(source: str | Path | BinaryIO | bytes, filename: str | None = None,
               required: Iterable[str] = (), optional: Iterable[str] = (),
               allow_extra: bool = False, rename: dict[str, str] | None = None,
               limits: SheetLimits = LIMITS, head: int | None = None) -> Table:
    """Read a CSV (UTF-8, BOM accepted, comma or semicolon) or XLSX file.

    ``required`` columns must all be present; columns beyond ``required`` and ``optional`` are an
    error unless ``allow_extra``. ``rename`` maps a source column name to ours (``--map``).
    The kind of file is told by its content, and a name that says otherwise is refused.
    ``head``: only the header and the first ``head`` rows are read (a preview of a large file).
    """
    data, name = _read_bytes(source, filename)
    raw_rows: Iterable[tuple[int, list[str]]]
    if _is_xlsx(data, name):
        header, raw_rows = _read_xlsx(data, limits, head)
    else:
        header, raw_rows = _read_csv(data, limits)
    del data  # the rows hold what is needed of it
    rename = rename or {}
    header = [rename.get(h, h) for h in header]
    _check_header(header, list(required), list(optional), allow_extra)
    lines, records = [], []
    width = len(header)
    named = [i for i, h in enumerate(header) if h]  # a column without a name is not read
    every = len(named) == width  # the usual file: each column read (the values at C speed)
    for line, values in raw_rows:
        if len(values) != width:
            if len(values) > width and any(v.strip() for v in values[width:]):
                raise ImportRejected([RowError(line, N_("has %(values)s values but the header "
                                                        "has %(columns)s columns"),
                                               values=len(values), columns=width)])
            values = list(values[:width]) + [""] * (width - len(values))
        stripped = list(map(str.strip, values)) if every else [values[i].strip() for i in named]
        if not any(stripped) and (every or not any(v.strip() for v in values)):
            continue  # blank lines are not rows
        lines.append(line)
        records.append(stripped)
        if len(records) == head:
            break
    if not records:
        raise ImportRejected([RowError(0, N_("the file has a header but no rows"))])
    return Table(header, lines, records)


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


def _is_xlsx(data: bytes, name: str) -> bool:
    """True for an XLSX workbook; refuses a file whose name and content disagree."""
    suffix = name.lower().rpartition(".")[2] if "." in name else ""
    if data[:4] == OLE_MAGIC or suffix == "xls":
        raise ImportRejected([RowError(0, N_("the file is in the old Excel format (.xls): save "
                                             "it as an XLSX workbook or as 'CSV UTF-8'"))])
    zipped = data[:4] == ZIP_MAGIC
    if zipped and suffix in ("csv", "txt"):
        raise ImportRejected([RowError(0, N_("the file is named %(name)s but it is an XLSX "
                                             "workbook, not CSV text: rename it to .xlsx, or save "
                                             "it as 'CSV UTF-8'"), name=name)])
    if not zipped and "." + suffix in XLSX_SUFFIXES:
        raise ImportRejected([RowError(0, N_("the file is named %(name)s but it is not an XLSX "
                                             "workbook (CSV text?): rename it to .csv, or save it "
                                             "as an XLSX workbook"), name=name)])
    return zipped


def _too_big(limits: SheetLimits) -> ImportRejected:
    return ImportRejected([RowError(0, N_("the file is too big to read: at most %(rows)s rows, "
                                          "%(columns)s columns and %(megabytes)s MB of data; "
                                          "split it into smaller files"),
                                    rows=f"{limits.rows:,}", columns=limits.columns,
                                    megabytes=limits.expanded_bytes // (1024 * 1024))])


def _read_csv(data: bytes,
              limits: SheetLimits) -> tuple[list[str], Iterable[tuple[int, list[str]]]]:
    if len(data) > limits.expanded_bytes:
        raise _too_big(limits)
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
    reader = csv.reader(_lines(text), delimiter=delimiter)
    try:
        header = [h.strip().lower() for h in next(reader)]
    except csv.Error as e:
        raise ImportRejected([RowError(reader.line_num, N_("the file is not valid CSV: %(reason)s"),
                                       reason=str(e))]) from None
    return header, _csv_rows(reader, limits)


# A line and its ending as io.StringIO(newline="") splits them (\r\n, \r or \n), which is what the
# csv module wants; the text is not copied into a buffer of four bytes a character.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+$")


def _lines(text: str) -> Iterator[str]:
    """The lines of ``text`` with their endings, one at a time."""
    return (match.group() for match in _LINE.finditer(text))


def _csv_rows(reader, limits: SheetLimits) -> Iterator[tuple[int, list[str]]]:
    """The rows after the header, one at a time (a 200,000-row roster is never held twice)."""
    count = 0
    try:
        for row in reader:
            if count >= limits.rows or len(row) > limits.columns:
                raise _too_big(limits)
            count += 1
            yield reader.line_num, row
    except csv.Error as e:
        raise ImportRejected([RowError(reader.line_num, N_("the file is not valid CSV: %(reason)s"),
                                       reason=str(e))]) from None


def _read_xlsx(data: bytes, limits: SheetLimits,
               head: int | None = None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    unreadable = ImportRejected([RowError(0, N_("the file is not a readable XLSX workbook"))])
    try:
        # Before anything is unpacked: the sizes the archive declares. zipfile never inflates a
        # part beyond its declared size (it stops there, and a wrong CRC is an error), so a
        # bomb cannot hide behind a small declared size.
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            expanded = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError, OSError):
        raise unreadable from None
    if expanded > limits.expanded_bytes:
        raise _too_big(limits)
    try:
        workbook = _open_workbook(data, whole=head is None)
    except Exception:  # openpyxl raises many types for a damaged file
        raise unreadable from None
    try:
        return _read_sheet(workbook, limits, head)
    except ImportRejected:
        raise
    except Exception:  # noqa: BLE001 - broken XML in a sheet shows only while its rows are read
        raise ImportRejected([RowError(0, N_("the workbook is damaged: its first sheet cannot "
                                             "be read (open it in a spreadsheet, save it again "
                                             "and retry)"))]) from None
    finally:
        workbook.close()


def _open_workbook(data: bytes, whole: bool = True):
    """openpyxl's read-only workbook (values, not formulas), opened without reading a sheet for
    the size it declares (read_table counts rows and columns itself); unless ``whole``, its
    shared strings are read only as far as the cells read need them. openpyxl reads both whole
    first: for a year's complaint export of 200,000 rows, some 3 s each, when the preview of a
    large file needs its first rows only. (A whole sheet reads them all anyway, faster at once.)"""
    from openpyxl.reader.excel import ExcelReader
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet
    from openpyxl.xml.constants import SHARED_STRINGS

    class Sheet(ReadOnlyWorksheet):
        def _get_size(self) -> None:  # the size a sheet declares is not used (reset_dimensions)
            pass

    class Reader(ExcelReader):
        def read_strings(self) -> None:
            part = self.package.find(SHARED_STRINGS)
            if whole or part is None:
                super().read_strings()
            else:
                self.shared_strings = _SharedStrings(self.archive.open(part.PartName[1:]))

        def read_worksheets(self) -> None:  # openpyxl's read-only branch, with Sheet
            for sheet, rel in self.parser.find_sheets():
                if rel.target not in self.valid_files:
                    continue
                if "chartsheet" in rel.Type:
                    self.read_chartsheet(sheet, rel)
                    continue
                worksheet = Sheet(self.wb, sheet.name, rel.target, self.shared_strings)
                worksheet.sheet_state = sheet.state
                self.wb._sheets.append(worksheet)

    reader = Reader(io.BytesIO(data), read_only=True, data_only=True)
    reader.read()
    return reader.wb


class _SharedStrings:
    """A workbook's table of shared strings, each read as openpyxl reads it
    (openpyxl.reader.strings.read_string_table), but only as far as the cells read so far need."""

    def __init__(self, source) -> None:
        from openpyxl.cell.text import Text
        from openpyxl.xml.constants import SHEET_MAIN_NS
        from openpyxl.xml.functions import iterparse

        self.text, self.tag = Text, f"{{{SHEET_MAIN_NS}}}si"
        self.nodes = iterparse(source)
        self.strings: list[str] = []

    def __getitem__(self, index: int) -> str:
        while len(self.strings) <= index:
            try:
                _event, node = next(self.nodes)
            except StopIteration:  # a cell names a string past the table's end: damaged
                raise IndexError(index) from None
            if node.tag == self.tag:
                self.strings.append(self.text.from_tree(node).content.replace("x005F_", ""))
                node.clear()
        return self.strings[index]


def _read_sheet(workbook, limits: SheetLimits,
                head: int | None) -> tuple[list[str], list[tuple[int, list[str]]]]:
    if not workbook.worksheets:
        raise ImportRejected([RowError(0, N_("the file is empty"))])
    sheet = workbook.worksheets[0]
    # The dimension a file declares is not trusted: rows and columns are counted as they come.
    sheet.reset_dimensions()
    rows_iter = sheet.iter_rows(values_only=True)
    try:
        first = next(rows_iter)
    except StopIteration:
        raise ImportRejected([RowError(0, N_("the file is empty"))]) from None
    if len(first) > limits.columns:
        raise _too_big(limits)
    header = [_cell_text(c).lower() for c in first]
    while header and not header[-1]:
        header.pop()
    rows: list[tuple[int, list[str]]] = []
    filled = 0  # rows with a value: ``head`` of them are enough
    # Missing rows come as empty ones, so the line numbers are the spreadsheet's own.
    for line, row in enumerate(rows_iter, start=2):
        if len(rows) >= limits.rows or len(row) > limits.columns:
            raise _too_big(limits)
        cells = [_cell_text(c) for c in row]
        rows.append((line, cells))
        filled += any(cells)
        if filled == head:
            break
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


def day_cell(row: dict[str, str], column: str, line: int, errors: list[RowError],
             required: bool = False) -> date | None:
    """The day in ``row[column]`` as every importer takes it: YYYY-MM-DD, or an XLSX date cell
    (read as that day at midnight, _cell_text). None when the cell is blank (an error if it is
    ``required``); a RowError added to ``errors`` (and None) when it is not a day."""
    text = row.get(column, "").strip()
    if not text and not required:
        return None
    if len(text) == 19 and text.endswith("T00:00:00"):
        text = text[:10]
    try:
        if len(text) != 10:
            raise ValueError(text)
        return date.fromisoformat(text)
    except ValueError:
        errors.append(RowError(line, N_("%(column)s '%(value)s' is not a date (YYYY-MM-DD)"),
                               column, column=column, value=row[column]))
        return None
