"""clock.parse_datetime's fast path (a YYYY-MM-DD HH:MM[:SS] local time read with WIB's fixed
+07:00) gives exactly what the full parser (ISO 8601 through the Asia/Jakarta rules) gives, and
refuses what it refuses: compared on many forms, good and bad."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest

from survey_app.domain import clock


def full_parse(text: str) -> datetime:
    """The parser without the fast path, as it was written before it."""
    text = text.strip()
    if not text:
        raise ValueError("empty date")
    value = datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    if value.tzinfo is None:
        value = value.replace(tzinfo=clock.JAKARTA)
    return value.astimezone(UTC)


FORMS = [
    # the usual forms, no offset = WIB
    "2025-08-24 19:23:00", "2025-08-24T19:23:00", "2025-08-24 19:23", "2025-08-24T19:23",
    "2025-01-01 00:00:00", "2025-12-31 23:59:59", "2024-02-29 06:00", "1965-01-01 00:00",
    "9999-12-31 23:59",
    # the fast path moves back by 7 hours: across midnight, a month's end, a leap day, a year
    "2025-08-25 03:00:00", "2025-08-25T06:59", "2025-03-01 06:59:59", "2024-03-01T00:00:00",
    "2025-01-01 06:59", "2025-01-01T00:00", "2025-01-01 07:00:00", "1965-01-01T06:59:59",
    # before 1964 Jakarta was not UTC+7: the full rules (e.g. +07:30 in 1963)
    "1963-06-01 12:00", "1964-01-01 00:00:00", "1950-01-01 12:00", "1900-01-01 00:00",
    # offsets and Z
    "2025-08-24 19:23:00+00:00", "2025-08-24T19:23:00Z", "2025-08-24 19:23+07:00",
    "2025-08-24 19:23:00-05:00", "2025-08-24T19:23:00+0530", "2025-08-24 19:23:00.123456",
    "2025-08-24 19:23:00.5+01:00", "2025-08-24T19", "2025-08-24 19:23:00 ",
    " 2025-08-24 19:23", "2025-08-24",  # date only: midnight WIB
    "20250824T192300", "2025-08-24_19:23",  # any one character between date and time
]
BAD = ["", "   ", "2025-02-30 10:00", "2025-08-24 25:00", "2025-08-24 19:60", "24/08/2025 19:23",
       "2025-08-24 19:23:00+07:00+07:00", "2025-08-24 19:2x", "abcd-ef-gh ij:kl", "2025-8-24 9:23",
       "2025-08-24 19:23:00Z+07:00", "9999-12-31 23:59:59+25:00",
       "2025-13-01 00:00:00", "2025-08-24 19:23:61"]


@pytest.mark.parametrize("text", FORMS)
def test_same_result_as_the_full_parser(text):
    value = clock.parse_datetime(text)
    assert value == full_parse(text)
    assert value.tzinfo is UTC


def test_the_usual_form_is_wib():
    assert clock.parse_datetime("2025-08-24 19:23") == datetime(2025, 8, 24, 12, 23, tzinfo=UTC)
    assert clock.parse_datetime("2025-01-01 03:00:00") == datetime(2024, 12, 31, 20, 0, tzinfo=UTC)
    # 1963 was UTC+07:30 in Jakarta: not the fast path's fixed +07:00
    assert clock.parse_datetime("1963-06-01 12:00") == datetime(1963, 6, 1, 4, 30, tzinfo=UTC)


@pytest.mark.parametrize("text", BAD)
def test_same_refusal_as_the_full_parser(text):
    with pytest.raises(ValueError) as full:
        full_parse(text)
    with pytest.raises(ValueError) as fast:
        clock.parse_datetime(text)
    assert str(fast.value) == str(full.value)


@pytest.mark.parametrize("utc", [
    datetime(2025, 8, 24, 16, 59, 59, 999999, tzinfo=UTC),  # 23:59:59.999999 WIB: the 24th
    datetime(2025, 8, 24, 17, 0, tzinfo=UTC),  # midnight WIB: the 25th
    datetime(2024, 12, 31, 17, 0, tzinfo=UTC),  # new year in Jakarta, not yet in UTC
    datetime(1965, 1, 1, 0, 0, tzinfo=UTC), datetime(9999, 12, 31, 16, 0, tzinfo=UTC),
    datetime(1963, 6, 1, 16, 45, tzinfo=UTC),  # 1963, UTC+07:30: 00:15 on the 2nd
    datetime(1963, 6, 1, 16, 15, tzinfo=UTC),  # 23:45 on the 1st (the fixed +7 would say so too)
])
def test_the_jakarta_day_is_the_one_the_time_zone_rules_give(utc):
    """jakarta_day's fast path (WIB's fixed +7 since 1964) against the Asia/Jakarta rules."""
    assert clock.jakarta_day(utc) == utc.astimezone(clock.JAKARTA).date()
    assert clock.jakarta_day(utc.astimezone(clock.JAKARTA)) == utc.astimezone(clock.JAKARTA).date()
