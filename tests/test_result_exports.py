"""Every results table as CSV and XLSX from the page that shows it (domain/result_tables.py),
cells neutralised (domain/exports.py); the JSON API linked from the results pages."""
from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from tests import factories


@pytest.fixture
def league(app, users):
    """A closed round: lurah scored 100, 75, 75 and 50; the last one's official is named like a
    formula (and fails: grade D, so they are on the sanctions list too)."""
    with app.app_context():
        factories.lurah_league("=1+2")


def download(client, url: str):
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response


def test_the_league_table_as_xlsx_keeps_numbers_and_neutralises_names(client, auth, users,
                                                                      league):
    auth.login(users["coordinator"])
    response = download(client, "/results/2026-Q3/league.xlsx?tier=lurah&sort=rank")
    assert response.headers["Content-Disposition"] == \
        'attachment; filename="peringkat-2026-Q3-lurah.xlsx"'
    rows = list(load_workbook(io.BytesIO(response.get_data())).active.values)
    header = rows[0]
    assert header[:3] == ("rank", "peers", "position")
    by_area = {r[header.index("area_code")]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    assert [by_area[c]["ikm"] for c in ("3171010001", "3171010002", "3171020002")] \
        == [100, 75, 50]
    assert [by_area[c]["rank"] for c in ("3171010001", "3171010002", "3171020001",
                                         "3171020002")] == [1, 2, 2, 4]
    assert by_area["3171020002"]["grade"] == "D"
    assert by_area["3171020002"]["official_name"] == "'=1+2"  # a text, not a formula


def test_the_league_table_as_csv_follows_the_pages_filters(client, auth, users, league):
    auth.login(users["coordinator"])
    text = download(client, "/results/2026-Q3/league.csv?tier=lurah&grade=D").get_data()
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"))))
    assert [(r["area_code"], r["grade"], r["ikm"]) for r in rows] == [("3171020002", "D", "50.0")]


def test_sanctions_complaints_and_rates_files(client, auth, users, league):
    auth.login(users["coordinator"])
    sanctions = list(load_workbook(io.BytesIO(download(
        client, "/results/2026-Q3/sanctions.xlsx").get_data())).active.values)
    assert sanctions[0][:2] == ("official_nip", "official_name")
    assert [r[:2] for r in sanctions[1:]] == [("199001012015011001", "'=1+2")]
    complaints = download(client, "/results/2026-Q3/complaints.csv").get_data().decode("utf-8-sig")
    assert complaints.splitlines()[0] == ("position,code,name,received,rejected,resolved,"
                                          "resolved_in_time,in_time_rate,median_days_to_resolve,"
                                          "median_hours_to_first_response,open_overdue")
    units = download(client, "/results/2026-Q3/complaints.xlsx?table=units")
    assert list(load_workbook(io.BytesIO(units.get_data())).active.values)[0][:2] \
        == ("rank", "unit_code")
    rates = download(client, "/coordinator/roster/2026-Q3/rates.csv").get_data().decode("utf-8-sig")
    assert rates.splitlines()[1] == "total,,,0,0,0.0,0,0,0"
    assert client.get("/results/2026-Q3/league.pdf").status_code == 404


def test_the_pages_link_their_files_and_the_json_api(client, auth, users, league):
    auth.login(users["coordinator"])
    league_page = client.get("/results/2026-Q3?tier=camat&grade=A").get_data(as_text=True)
    assert 'href="/results/2026-Q3/league.xlsx?tier=camat&amp;grade=A&amp;sort=rank"' \
        in league_page
    assert 'href="/api/rounds/2026-Q3/results"' in league_page
    assert 'href="/results/2026-Q3/sanctions.csv"' in client.get(
        "/results/2026-Q3/sanctions").get_data(as_text=True)
    figures = client.get("/coordinator/complaints/rounds/2026-Q3").get_data(as_text=True)
    assert 'href="/results/2026-Q3/complaints.csv"' in figures
    assert 'href="/results/2026-Q3/complaints.xlsx?table=units"' in figures
    assert 'href="/coordinator/roster/2026-Q3/rates.xlsx"' in client.get(
        "/coordinator/roster/2026-Q3").get_data(as_text=True)
    assert 'href="/api/rounds/2026-Q3/results"' in client.get("/results/").get_data(as_text=True)


def test_a_viewer_gets_no_file_of_an_unpublished_round(client, auth, users, league):
    auth.login(users["viewer"])
    assert client.get("/results/2026-Q3/league.csv").status_code == 404
    assert client.get("/results/2026-Q3/complaints.csv").status_code == 404
