"""Area and unit imports: all-or-nothing, line-numbered errors, idempotent (DESIGN.md)."""
from __future__ import annotations

import io
from pathlib import Path

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey_app.domain.areas import AREA_COLUMNS, import_areas
from survey_app.domain.errors import ImportRejected
from survey_app.domain.tabular import read_table
from survey_app.extensions import db
from survey_app.models import Area

REAL_FILE = Path(__file__).resolve().parents[2] / "shared/data/wilayah_dki_jakarta.csv"
GOOD = (
    "code,parent_code,level,name\n"
    "31,,provinsi,DKI JAKARTA\n"
    "3171,31,kota,KOTA JAKARTA SELATAN\n"
    "3171010,3171,kecamatan,JAGAKARSA\n"
    "3171010001,3171010,kelurahan,CIPEDAK\n"
)


def load(data: bytes | str, name: str = "areas.csv"):
    if isinstance(data, str):
        data = data.encode()
    return import_areas(read_table(data, name, required=AREA_COLUMNS))


def count_areas() -> int:
    return db.session.scalar(select(func.count()).select_from(Area))


def errors_of(data, name="areas.csv") -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        load(data, name)
    db.session.rollback()
    assert count_areas() == 0
    return [str(e) for e in caught.value.errors]


def test_import_and_reimport_changes_nothing(ctx):
    summary = load(GOOD)
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged) == (4, 0, 0)
    kel = db.session.scalar(select(Area).where(Area.code == "3171010001"))
    assert kel.parent.code == "3171010" and kel.parent.parent.code == "3171"
    summary = load(GOOD)
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged) == (0, 0, 4)
    assert count_areas() == 4


def test_reimport_updates_a_renamed_area(ctx):
    load(GOOD)
    db.session.commit()
    summary = load(GOOD.replace("CIPEDAK", "CIPEDAK BARU"))
    assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 3)


@pytest.mark.parametrize("bad_line, expected", [
    ("3171020,3199,kecamatan,X", "line 6 [parent_code]: parent 3199 does not exist"),
    ("3171010,3171,kecamatan,DUP", "line 6 [code]: code 3171010 appears twice (also on line 4)"),
    ("3171020,3171,desa,X", "line 6 [level]: unknown level 'desa'"),
    ("3171020001,3171,kelurahan,X", "line 6 [parent_code]: a kelurahan cannot sit under a kota"),
    ("3172,,kota,X", "line 6 [parent_code]: a kota needs a parent_code"),
    ("3172,31,kota,", "line 6 [name]: name is empty"),
])
def test_one_bad_row_is_reported_with_its_line_and_nothing_is_written(english, bad_line, expected):
    messages = errors_of(GOOD + bad_line + "\n")
    assert len(messages) == 1 and messages[0].startswith(expected), messages


def test_parent_later_in_the_file_is_refused(english):
    data = ("code,parent_code,level,name\n3171,31,kota,K\n31,,provinsi,P\n")
    assert errors_of(data) == ["line 2 [parent_code]: parent 31 comes later in the file (line 3); "
                               "list parents before their children"]


def test_every_bad_row_is_reported(english):
    data = GOOD + "3171020,3199,kecamatan,X\n3171030,3171,desa,Y\n"
    assert [m[:6] for m in errors_of(data)] == ["line 6", "line 7"]


@pytest.mark.parametrize("data, expected", [
    ("", "file: the file is empty"),
    ("code,parent_code,level,name\n", "file: the file has a header but no rows"),
    ("code,parent_code,name\n31,,DKI\n", "line 1: missing column(s): level"),
    ("code,parent_code,level,name,extra\n31,,provinsi,P,x\n",
     "line 1: unexpected column(s): extra"),
    ("code,parent_code,level,name\n31,,provinsi,P,surplus\n", "line 2: has 5 values"),
])
def test_file_shape_errors(english, data, expected):
    messages = errors_of(data)
    assert messages[0].startswith(expected), messages


def test_a_file_that_is_not_utf8_is_refused_with_a_clear_message(english):
    data = GOOD.replace("CIPEDAK", "CIPÉDAK").encode("latin-1")
    assert errors_of(data) == ["line 5: the file is not UTF-8 text; save it as 'CSV UTF-8' "
                               "and try again"]


def test_a_spreadsheet_csv_with_bom_and_semicolons_is_read(ctx):
    data = "\ufeff" + GOOD.replace(",", ";")
    assert load(data.encode("utf-8")).created == 4


def test_xlsx_is_read(ctx):
    workbook = Workbook()
    sheet = workbook.active
    for line in GOOD.strip().split("\n"):
        sheet.append([int(v) if v.isdigit() else (v or None) for v in line.split(",")])
    buffer = io.BytesIO()
    workbook.save(buffer)
    assert load(buffer.getvalue(), "areas.xlsx").created == 4
    assert db.session.scalar(select(Area.parent_id).where(Area.code == "3171010001")) is not None


@pytest.mark.skipif(not REAL_FILE.exists(), reason="shared/data is not beside the checkout")
def test_the_real_dki_jakarta_code_list(ctx, runner, tmp_path):
    result = runner.invoke(args=["skm", "import-areas", str(REAL_FILE)])
    assert result.exit_code == 0, result.output
    assert "Wilayah: 305 baru, 0 diperbarui, 0 tidak berubah." in result.output
    result = runner.invoke(args=["skm", "import-areas", str(REAL_FILE)])
    assert "Wilayah: 0 baru, 0 diperbarui, 305 tidak berubah." in result.output
    levels = dict(db.session.execute(select(Area.level, func.count()).group_by(Area.level)).all())
    assert levels == {"provinsi": 1, "kota": 5, "kabupaten": 1, "kecamatan": 44, "kelurahan": 254}
    # a copy with one bad row is refused with that row's line number and writes nothing
    lines = REAL_FILE.read_text(encoding="utf-8").splitlines()
    lines[100] = lines[100].replace("kelurahan", "kampung")
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n", encoding="utf-8")
    db.session.execute(Area.__table__.delete().where(Area.level == "kelurahan"))
    db.session.commit()
    result = runner.invoke(args=["skm", "import-areas", str(bad)])
    assert result.exit_code == 1
    assert "baris 101 [level]: tingkat 'kampung' tidak dikenal" in result.output
    assert db.session.scalar(select(func.count()).select_from(Area).where(
        Area.level == "kelurahan")) == 0


def test_cli_errors_are_in_indonesian_with_their_line_and_column(app, runner, tmp_path):
    path = tmp_path / "areas.csv"
    path.write_text(GOOD + "3171020,3199,kecamatan,X\n3171030,3171,desa,Y\n", encoding="utf-8")
    result = runner.invoke(args=["skm", "import-areas", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Tidak ada yang diimpor: 2 masalah ditemukan.",
        "  baris 6 [parent_code]: induk 3199 tidak ada",
        "  baris 7 [level]: tingkat 'desa' tidak dikenal; gunakan salah satu dari: provinsi, kota, "
        "kabupaten, kecamatan, kelurahan",
    ]
    # The file reader shared by every import speaks Indonesian too.
    path.write_text("code,parent_code,name\n31,,DKI\n", encoding="utf-8")
    result = runner.invoke(args=["skm", "import-areas", str(path)])
    assert result.exit_code == 1
    assert ("  baris 1: kolom tidak ada: level; kolom yang diharapkan: code,parent_code,level,name"
            in result.output)
    path.write_bytes(b"")
    output = runner.invoke(args=["skm", "import-areas", str(path)]).output
    assert "  berkas: berkas kosong" in output
    with app.app_context():
        assert count_areas() == 0
