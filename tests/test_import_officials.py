"""Officials and appointments import (DESIGN.md format), and who held a post on a day."""
from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from survey_app.domain.errors import ImportRejected
from survey_app.domain.officials import OFFICIAL_COLUMNS, holder_on, holders_on, import_officials
from survey_app.domain.tabular import read_table
from survey_app.extensions import db
from survey_app.models import Appointment, Official, Position, Unit
from tests import factories

HEADER = "nip,name,position,area_code,unit_code,start_date,end_date\n"
GOOD = HEADER + (
    "198001012005011001,Budi Santoso,lurah,3171010001,,2026-01-01,2026-05-31\n"
    "198202022006022002,Siti Aminah,lurah,3171010001,,2026-06-01,\n"
    "197503032000031003,Agus Salim,camat,3171010,,2025-01-01,\n"
    "197404042001041004,Rina Wati,walikota,3171,,2024-01-01,\n"
    "196905052002051005,Joko Prasetyo,kepala_dinas,,DBM,2025-07-01,\n"
)


@pytest.fixture
def tree(ctx):
    areas = factories.small_tree()
    db.session.add(Unit(code="DBM", name="Dinas Bina Marga"))
    db.session.commit()
    return areas


def load(text: str):
    return import_officials(read_table(text.encode(), "officials.csv", required=OFFICIAL_COLUMNS))


def errors_of(text: str) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        load(text)
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 0
    return [str(e) for e in caught.value.errors]


def test_import_creates_positions_and_appointments_and_is_idempotent(tree):
    assert load(GOOD).created == 5
    db.session.commit()
    assert db.session.scalar(select(func.count()).select_from(Position)) == 4
    summary = load(GOOD)
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 5)
    lurah = db.session.scalar(select(Position).where(Position.kind == "lurah"))
    assert holder_on(lurah.id, date(2026, 5, 31)).name == "Budi Santoso"
    assert holder_on(lurah.id, date(2026, 6, 1)).name == "Siti Aminah"
    assert holder_on(lurah.id, date(2025, 12, 31)) is None
    assert {o.name for o in holders_on(date(2026, 7, 1)).values()} == {
        "Siti Aminah", "Agus Salim", "Rina Wati", "Joko Prasetyo"}


def test_reimport_with_an_end_date_updates_the_appointment(tree):
    load(GOOD)
    db.session.commit()
    summary = load(GOOD.replace("Agus Salim,camat,3171010,,2025-01-01,",
                                "Agus Salim,camat,3171010,,2025-01-01,2026-09-30"))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 4)


@pytest.mark.parametrize("row, expected", [
    ("1,A,lurah,3171010,,2026-01-01,",
     "line 2 [area_code]: a lurah heads a kelurahan, but 3171010"),
    ("1,A,camat,3171010001,,2026-01-01,", "line 2 [area_code]: a camat heads a kecamatan, but"),
    ("1,A,gubernur,31,,2026-01-01,", "line 2 [position]: unknown position 'gubernur'"),
    ("1,A,lurah,9999,,2026-01-01,", "line 2 [area_code]: area 9999 does not exist"),
    ("1,A,kepala_dinas,,XYZ,2026-01-01,", "line 2 [unit_code]: unit XYZ does not exist"),
    ("1,A,lurah,3171010001,,2026-13-01,",
     "line 2 [start_date]: start_date '2026-13-01' is not a date"),
    ("1,A,lurah,3171010001,,2026-02-01,2026-01-01",
     "line 2 [end_date]: end_date is before start_date"),
    ("12A,A,lurah,3171010001,,2026-01-01,", "line 2 [nip]: nip '12A' must contain digits only"),
])
def test_bad_rows_are_refused(tree, english, row, expected):
    messages = errors_of(HEADER + row + "\n")
    assert messages[0].startswith(expected), messages


def test_overlapping_appointments_in_the_file_are_refused(tree, english):
    text = HEADER + ("1,A,lurah,3171010001,,2026-01-01,2026-06-30\n"
                     "2,B,lurah,3171010001,,2026-06-30,\n")
    assert errors_of(text) == [
        "line 3: overlaps the appointment on line 2 (1) as lurah of 3171010001"]


def test_an_appointment_overlapping_a_stored_one_is_refused(tree, english):
    load(GOOD)
    db.session.commit()
    with pytest.raises(ImportRejected) as caught:
        load(HEADER + "3,C,camat,3171010,,2026-03-01,\n")
    assert "overlaps the stored appointment of 197503032000031003" in str(caught.value)


def test_the_database_itself_refuses_overlaps(tree):
    load(GOOD)
    db.session.commit()
    camat = db.session.scalar(select(Position).where(Position.kind == "camat"))
    db.session.add(Appointment(official=Official(nip="9", name="X"), position=camat,
                               start_date=date(2026, 1, 1)))
    with pytest.raises(IntegrityError if db.engine.dialect.name == "postgresql" else Exception,
                       match="overlap"):
        db.session.flush()
    db.session.rollback()


def test_cli_reports_errors_and_exit_code(tree, runner, tmp_path):
    path = tmp_path / "o.csv"
    path.write_text(HEADER + "1,A,lurah,3171010,,2026-01-01,\n")
    result = runner.invoke(args=["skm", "import-officials", str(path)])
    assert result.exit_code == 1
    assert "Tidak ada yang diimpor: 1 masalah ditemukan." in result.output
    assert "baris 2 [area_code]: lurah memimpin kelurahan, tetapi 3171010" in result.output
    path.write_text(GOOD)
    result = runner.invoke(args=["skm", "import-officials", str(path)])
    assert result.exit_code == 0
    assert result.output == "Pejabat: 5 baru, 0 diperbarui, 0 tidak berubah.\n"


def test_an_xlsx_with_real_date_cells_is_read_as_days(tree):
    """A spreadsheet's date cells (not text) are the days they show, as in the paper-form
    import: the one reader of days is tabular.day_cell."""
    import io
    from datetime import datetime

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["198001012005011001", "Budi Santoso", "lurah", "3171010001", None,
                  datetime(2026, 1, 1), datetime(2026, 5, 31)])
    data = io.BytesIO()
    book.save(data)
    import_officials(read_table(data.getvalue(), "officials.xlsx", required=OFFICIAL_COLUMNS))
    db.session.flush()
    stored = db.session.scalar(select(Appointment))
    assert (stored.start_date, stored.end_date) == (date(2026, 1, 1), date(2026, 5, 31))
