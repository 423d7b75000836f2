"""Quarters and round codes: a round is one calendar quarter, named ``2027-Q1``.

The arithmetic of quarters, once: a code's year and quarter, a quarter's first and last day and
its window in Jakarta midnights, the quarters before and after, and the quarter of a day.
"""
from __future__ import annotations

import re
from datetime import date, datetime, timedelta

from flask_babel import gettext

from survey_app.domain import clock
from survey_app.domain.errors import DomainError

CODE_REGEX = r"(\d{4})-Q([1-4])"  # a round's code, 2027-Q1; also the URL converter's (app)
CODE_PATTERN = re.compile(f"^{CODE_REGEX}$")


class BadCode(DomainError):
    """Text that is not a round code."""


def parse(code: str) -> tuple[int, int]:
    """'2027-Q1' -> (2027, 1); raises BadCode for anything else."""
    match = CODE_PATTERN.match((code or "").strip())
    if not match:
        raise BadCode(gettext("The code must look like 2027-Q1 (year, -Q, quarter 1 to 4)."))
    return int(match.group(1)), int(match.group(2))


def code_of(year: int, quarter: int) -> str:
    return f"{year}-Q{quarter}"


def bounds(year: int, quarter: int) -> tuple[date, date]:
    """The first and last day of a quarter."""
    first = date(year, 3 * quarter - 2, 1)
    last = date(year + (quarter == 4), (3 * quarter) % 12 + 1, 1) - timedelta(days=1)
    return first, last


def window(code: str) -> tuple[datetime, datetime]:
    """The quarter of a round code as [start, end) in UTC, Jakarta midnights."""
    first, last = bounds(*parse(code))
    return clock.jakarta_midnight(first), clock.jakarta_midnight(last + timedelta(days=1))


def following(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter + 1) if quarter < 4 else (year + 1, 1)


def preceding(year: int, quarter: int) -> tuple[int, int]:
    return (year, quarter - 1) if quarter > 1 else (year - 1, 4)


def of_day(day: date) -> tuple[int, int]:
    """(year, quarter) of a day."""
    return day.year, (day.month - 1) // 3 + 1
