"""Fuzzing the edge (issue 19): every importer (areas, units, officials, roster, paper forms,
complaints; CSV and XLSX) and the public form get random and hostile input. Whatever comes in,
the answer is a result or a refusal with messages (ImportRejected / a 4xx page): never another
exception, never a 500, and a refusal writes nothing (the tables' row counts are compared).

Deterministic (derandomize) and small, so that it runs in seconds on both engines."""
from __future__ import annotations

import io
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook
from sqlalchemy import func, select

from survey_app.domain import complaints, responses, roster
from survey_app.domain.areas import AREA_COLUMNS, UNIT_COLUMNS, import_areas, import_units
from survey_app.domain.errors import ImportRejected
from survey_app.domain.officials import OFFICIAL_COLUMNS, import_officials
from survey_app.domain.tabular import read_table
from survey_app.extensions import db
from survey_app.models import (
    Appointment,
    Area,
    Complaint,
    HeldResponse,
    Invitation,
    Official,
    Respondent,
    Response,
    Round,
    Unit,
)
from tests.respondent_setup import SECRET, load_roster, token_of, world

TABLES = (Area, Unit, Official, Appointment, Respondent, Invitation, Response, HeldResponse,
          Complaint)
FUZZ = settings(max_examples=25, deadline=None, derandomize=True, database=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])

# Cells: plausible values mixed with hostile ones (formula prefixes, control characters, NUL,
# very long text, lone surrogates, odd Unicode) and anything at all.
HOSTILE = st.sampled_from(["", "\x00", "a\x00b", "\x00" * 3, "\x07", "N" * 161,
                           "=HYPERLINK(\"http://x/?\"&A1,\"x\")", "+1", "-1", "@x",
                           "\t", "\r", "\n", "\x1b[31m", "A" * 300, "3171010001", "31", "lurah",
                           "kelurahan", "rt", "2027-01-05 10:00", "2026-01-01", "3", "R1",
                           "198001012005011001", "\ufeff", "\u202e", "'", '"', ";", ","])
CELL = st.one_of(HOSTILE, st.text(max_size=40), st.text(st.characters(max_codepoint=0x9f),
                                                       max_size=10))


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def as_csv(header: list[str], rows: list[list[str]]) -> bytes:
    lines = [",".join(header)] + [",".join('"' + c.replace('"', '""') + '"' for c in row)
                                  for row in rows]
    return "\n".join(lines).encode("utf-8", "surrogatepass")


def as_xlsx(header: list[str], rows: list[list[str]]) -> bytes | None:
    workbook = Workbook()
    try:
        for row in [header, *rows]:
            workbook.active.append(row)
        out = io.BytesIO()
        workbook.save(out)
    except Exception:  # noqa: BLE001 - openpyxl itself refuses to write some characters
        return None
    return out.getvalue()


def run_import(importer, header, rows, kind: str, required, optional=()) -> None:
    """Read and import; a refusal must leave every table as it was."""
    data = as_csv(header, rows) if kind == "csv" else as_xlsx(header, rows)
    if data is None:
        return
    before = counts()
    try:
        table = read_table(data, f"file.{kind}", required=required, optional=optional,
                           allow_extra=True)
        importer(table)
        db.session.flush()
    except ImportRejected as e:
        db.session.rollback()
        assert e.errors and all(str(error) for error in e.errors)
        assert counts() == before
    else:
        db.session.rollback()  # an accepted file is not what is tested here


@st.composite
def mutated(draw, good: list[str]) -> list[str]:
    """A valid row with one hostile cell put in, before or after a value or instead of it: the
    row passes every other rule, so only the edge checks stand between it and the database."""
    row = list(good)
    index = draw(st.integers(0, len(row) - 1))
    cell = draw(st.one_of(HOSTILE, HOSTILE, CELL))
    row[index] = draw(st.sampled_from([cell, row[index] + cell, cell + row[index]]))
    return row


def rows_of(good: list[str]):
    random_row = st.lists(CELL, min_size=len(good), max_size=len(good) + 1)
    # One row: a second valid row would repeat the first one's key and be refused for that.
    return st.lists(st.one_of(mutated(good), mutated(good), random_row), min_size=1, max_size=1)


# A valid row of each file (in the world of tests.respondent_setup), for `mutated`.
GOOD = {
    "areas": ["3171010009", "3171010", "kelurahan", "BARU"],
    "units": ["D9", "Dinas Baru"],
    "officials": ["198001012005019999", "Budi", "lurah", "3171010001", "", "2010-01-01",
                  "2010-12-31"],
    "roster": ["R9", "Nama Baru", "rt", "3171010001", "1", "2", "", ""],
    "complaints": ["C9", "web", "Jalan", "3171010001", "", "waiting", "2026-01-05 10:00", "", ""],
}
IMPORTERS = {
    "areas": (AREA_COLUMNS, import_areas),
    "units": (UNIT_COLUMNS, import_units),
    "officials": (OFFICIAL_COLUMNS, import_officials),
}


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
@pytest.mark.parametrize("name", list(IMPORTERS))
def test_fuzz_master_data_imports(ctx, name, kind):
    columns, importer = IMPORTERS[name]
    world()
    db.session.commit()

    @FUZZ
    @given(rows=rows_of(GOOD[name]))
    def check(rows):
        run_import(importer, columns, rows, kind, columns)

    check()


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_fuzz_roster_paper_forms_and_complaints(ctx, kind):
    _areas, round_ = world()
    load_roster(round_)
    db.session.commit()
    paper_required, paper_optional = responses.paper_columns(round_)
    complaint_columns = complaints.COMPLAINT_COLUMNS
    paper_good = ["R1", "lurah", "3171010001"] + ["3"] * (len(paper_required) - 3) + ["ok"]

    @FUZZ
    @given(roster_rows=rows_of(GOOD["roster"]), paper_rows=rows_of(paper_good),
           complaint_rows=rows_of(GOOD["complaints"]))
    def check(roster_rows, paper_rows, complaint_rows):
        run_import(lambda t: roster.import_roster(round_, t, SECRET),
                   roster.REQUIRED_COLUMNS + roster.OPTIONAL_COLUMNS, roster_rows, kind,
                   roster.REQUIRED_COLUMNS, roster.OPTIONAL_COLUMNS)
        run_import(lambda t: responses.import_paper(round_, t), paper_required + ["comment"],
                   paper_rows, kind, paper_required, paper_optional)
        run_import(lambda t: complaints.import_checked(t, complaints.check_export(t)),
                   complaint_columns, complaint_rows, kind, ["complaint_id", "reported_at"])

    check()


@FUZZ
@given(data=st.binary(max_size=300), name=st.sampled_from(["a.csv", "a.xlsx", "a.xls", "a", ""]))
def test_fuzz_any_bytes_are_read_or_refused(ctx, data, name):
    try:
        read_table(data, name, allow_extra=True)
    except ImportRejected as e:
        assert e.errors


def test_fuzz_the_public_form(app, client):
    with app.app_context():
        world()
        load_roster(db.session.scalar(select(Round)))
        db.session.commit()
        link = "/s/" + token_of("R2")
    html = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    names = list(dict.fromkeys(re.findall(r'type="radio" name="(p\d+-[^"]+)"', html)))

    @settings(FUZZ, max_examples=20)
    @given(comment=CELL, value=st.one_of(HOSTILE, st.text(max_size=5)), extra=st.text(max_size=8))
    def check(comment, value, extra):
        with app.app_context():
            before = counts()
        data = {"csrf_token": token, names[0].split("-")[0] + "-comment": comment,
                **{name: value for name in names}, extra or "x": extra}
        try:
            response = client.post(link, data=data)
        except UnicodeEncodeError:
            return  # a lone surrogate cannot even be sent as a form
        assert response.status_code in (303, 400, 409, 413, 429)
        with app.app_context():
            after = counts()
            if response.status_code != 303:
                assert after == before

    check()
