"""Complaint import: format, errors (all-or-nothing, line-numbered), skip-bad, the as-of upsert,
--map for LAPOR! exports, XLSX, and the command line."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from survey_app.domain.complaints import (
    ImportRejected,
    import_complaints,
    parse_mapping,
    read_complaints,
)
from survey_app.extensions import db
from survey_app.models import Complaint, Position, Unit
from tests import factories

NOW = datetime(2026, 8, 1, tzinfo=UTC)
HEADER = factories.COMPLAINTS_HEADER
GOOD_ROW = "OK1,JAKI,Jalan,3171010001,,Selesai,2026-05-01 10:00,2026-05-01 11:00,2026-05-02 10:00\n"


@pytest.fixture
def tree(ctx):
    areas = factories.small_tree()
    db.session.add(Unit(code="DBM", name="Dinas Bina Marga"))
    lurah = factories.position("lurah", areas["3171010001"])
    factories.appoint(factories.official("198001012005011001", "Budi"), lurah, date(2026, 1, 1))
    db.session.commit()
    return areas


def load(text: str, mapping=None, **kwargs):
    table = read_complaints(text.encode(), "export.csv", mapping)
    return import_complaints(table, now=kwargs.pop("now", NOW), **kwargs)[0]


def count() -> int:
    return db.session.scalar(select(func.count()).select_from(Complaint))


def stored(external_id: str) -> Complaint:
    db.session.expire_all()
    return db.session.scalar(select(Complaint).where(Complaint.external_id == external_id))


def test_import_attributes_and_is_idempotent(tree):
    text = HEADER + GOOD_ROW + "U1,SMS,Jalan,,DBM,proses,2026-05-03T10:00:00Z,,\n"
    summary = load(text)
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged) == (2, 0, 0)
    ok = stored("OK1")
    assert ok.status == "resolved" and ok.official_id is not None
    assert ok.reported_at == datetime(2026, 5, 1, 3, tzinfo=UTC)  # WIB without an offset
    assert db.session.get(Position, ok.position_id).kind == "lurah"
    u1 = stored("U1")
    assert u1.status == "in_progress" and u1.area_id is None and u1.official_id is None
    assert db.session.get(Position, u1.position_id).kind == "kepala_dinas"  # created
    assert u1.source_as_of == datetime(2026, 5, 3, 10, tzinfo=UTC)  # the newest timestamp
    again = load(text)
    db.session.commit()
    assert (again.created, again.updated, again.unchanged, again.kept_newer) == (0, 0, 2, 0)
    assert count() == 2


def test_newer_export_updates_older_never_overwrites(tree):
    week1 = HEADER + "A,JAKI,Jalan,3171010001,,Menunggu,2026-05-01 10:00,,\n"
    week2 = HEADER + ("A,JAKI,Jalan,3171010001,,Selesai,2026-05-01 10:00,2026-05-01 12:00,"
                      "2026-05-06 10:00\n")
    load(week1, as_of=datetime(2026, 5, 4, tzinfo=UTC))
    db.session.commit()
    summary = load(week2, as_of=datetime(2026, 5, 11, tzinfo=UTC))
    db.session.commit()
    assert (summary.created, summary.updated) == (0, 1)
    assert stored("A").status == "resolved"
    # Week 1 again (e.g. a late upload): it says "waiting" but the stored facts are newer.
    late = load(week1 + "B,JAKI,Jalan,3171010001,,Menunggu,2026-05-02 10:00,,\n",
                as_of=datetime(2026, 5, 4, tzinfo=UTC))
    db.session.commit()
    assert (late.created, late.updated, late.kept_newer) == (1, 0, 1)
    a = stored("A")
    assert a.status == "resolved" and a.resolved_at == datetime(2026, 5, 6, 3, tzinfo=UTC)
    assert a.source_as_of == datetime(2026, 5, 11, tzinfo=UTC)


def test_default_as_of_is_the_newest_timestamp_so_the_newer_file_wins(tree):
    load(HEADER + "A,JAKI,Jalan,3171010001,,Proses,2026-05-01 10:00,,\n")
    db.session.commit()
    load(HEADER + "A,JAKI,Jalan,3171010001,,Selesai,2026-05-01 10:00,,2026-05-03 10:00\n")
    db.session.commit()
    # The first file again: its newest timestamp (1 May) is older than the stored facts (3 May).
    summary = load(HEADER + "A,JAKI,Jalan,3171010001,,Proses,2026-05-01 10:00,,\n")
    assert summary.kept_newer == 1 and stored("A").status == "resolved"


BAD = [
    ("X,JAKI,Jalan,3171999999,,Selesai,2026-05-01 10:00,,2026-05-02 10:00",
     "area 3171999999 does not exist"),
    ("X,JAKI,Jalan,,NOPE,Proses,2026-05-01 10:00,,", "unit NOPE does not exist"),
    ("X,JAKI,Jalan,3171010,,Proses,2026-05-01 10:00,,", "3171010 is a kecamatan"),
    ("X,JAKI,Jalan,,,Proses,2026-05-01 10:00,,", "needs an area_code"),
    ("X,JAKI,Jalan,3171010001,,Selesai,2026-05-03 10:00,,2026-05-02 10:00",
     "resolved_at is before reported_at"),
    ("X,JAKI,Jalan,3171010001,,Proses,2026-05-03 10:00,2026-05-02 10:00,",
     "first_response_at is before"),
    ("X,JAKI,Jalan,3171010001,,Proses,03/05/2026,,", "reported_at '03/05/2026' is not a date"),
    ("X,JAKI,Jalan,3171010001,,Selesai,2026-05-01 10:00,,kemarin",
     "resolved_at 'kemarin' is not a date"),
    # The first day there is, in Jakarta: before any UTC time can be (it overflowed, a crash).
    ("X,JAKI,Jalan,3171010001,,Proses,0001-01-01 00:00,,",
     "reported_at '0001-01-01 00:00' is not a date"),
    ("X,JAKI,Jalan,3171010001,,Proses,2026-05-01 10:00,0001-01-01T05:00+08:00,",
     "first_response_at '0001-01-01T05:00+08:00' is not a date"),
    ("X,JAKI,Jalan,3171010001,,Selesai,2026-05-01 10:00,,",
     "status is resolved but resolved_at is empty"),
    ("X,JAKI,Jalan,3171010001,,Proses,2026-05-01 10:00,,2026-05-02 10:00",
     "still open but resolved_at"),
    ("X,JAKI,Jalan,3171010001,,Beres,2026-05-01 10:00,,", "unknown status 'Beres'"),
    ("X,JAKI,Jalan,3171010001,,,2026-05-01 10:00,,", "status is empty"),
    (",JAKI,Jalan,3171010001,,Proses,2026-05-01 10:00,,", "complaint_id is empty"),
    ("X,JAKI,Jalan,3171010001,,Proses,,,", "reported_at is empty"),
    ("X,JAKI,Jalan,3171010001,,Proses,2026-09-01 10:00,,", "reported_at is in the future"),
    ("OK1,JAKI,Jalan,3171010001,,Proses,2026-05-01 10:00,,",
     "complaint_id OK1 appears twice (also on line 2)"),
]


@pytest.mark.parametrize("row, message", BAD, ids=[m for _r, m in BAD])
def test_bad_rows_are_refused_with_their_line_and_nothing_is_written(tree, english, row, message):
    with pytest.raises(ImportRejected) as caught:
        load(HEADER + GOOD_ROW + row + "\n")
    db.session.rollback()
    assert count() == 0
    errors = [str(e) for e in caught.value.errors]
    assert any(e.startswith("line 3") and message in e for e in errors), errors


def test_a_duplicate_id_marks_both_lines(tree):
    with pytest.raises(ImportRejected) as caught:
        load(HEADER + GOOD_ROW + GOOD_ROW)
    assert [e.line for e in caught.value.errors] == [2, 3]


def test_times_after_a_given_as_of_are_refused(tree, english):
    with pytest.raises(ImportRejected) as caught:
        load(HEADER + GOOD_ROW, as_of=datetime(2026, 5, 2, tzinfo=UTC))
    assert "resolved_at is after the export's as-of time" in str(caught.value)


def test_skip_bad_imports_the_good_rows_and_returns_the_bad(tree):
    table = read_complaints((HEADER + GOOD_ROW + BAD[0][0] + "\n" + BAD[4][0].replace("X", "Y")
                             + "\n").encode(), "e.csv")
    summary, checked = import_complaints(table, skip_bad=True, now=NOW)
    db.session.commit()
    assert (summary.created, summary.skipped) == (1, 2)
    assert [line for line, _row, _errors in checked.bad] == [3, 4]
    assert count() == 1


def test_missing_columns_and_bad_mappings_are_refused(tree, english):
    with pytest.raises(ImportRejected, match="missing column reported_at"):
        read_complaints(b"complaint_id,area_code\nA,3171010001\n", "e.csv")
    with pytest.raises(ImportRejected, match="needs an area_code or a unit_code column"):
        read_complaints(b"complaint_id,reported_at\nA,2026-05-01\n", "e.csv")
    with pytest.raises(ImportRejected, match="'nama' is not one of our columns"):
        parse_mapping(["TrackingID=nama"])
    with pytest.raises(ImportRejected, match="SOURCE=DEST"):
        parse_mapping(["TrackingID"])


LAPOR = (
    "TrackingID;KategoriID;DisposisiInstansiID;AreaID;TanggalLaporanMasuk;TanggalDisposisi;"
    "TanggalLaporanAktivitasTerakhir;TanggalLaporanDitutup\n"
    "1234567;Jalan Rusak;;3171010001;2026-05-01 08:00:00;2026-05-01 09:00:00;2026-05-03 08:00:00;"
    "2026-05-03 08:00:00\n"
    "1234568;Pohon Tumbang;DBM;3171010002;2026-05-02 08:00:00;;2026-05-02 08:00:00;\n"
)
LAPOR_MAP = ["TrackingID=complaint_id", "TanggalLaporanMasuk=reported_at",
             "TanggalLaporanDitutup=resolved_at", "AreaID=area_code",
             "DisposisiInstansiID=unit_code", "KategoriID=category",
             "TanggalDisposisi=first_response_at"]


def test_lapor_export_loads_as_it_is_with_map(tree):
    summary = load(LAPOR, parse_mapping(LAPOR_MAP))
    db.session.commit()
    assert summary.created == 2
    assert summary.ignored_columns == ["tanggallaporanaktivitasterakhir"]
    closed, open_ = stored("1234567"), stored("1234568")
    assert (closed.status, closed.category, closed.first_response_at) == (
        "resolved", "Jalan Rusak", datetime(2026, 5, 1, 2, tzinfo=UTC))
    assert open_.status == "waiting" and open_.unit_id is not None


def test_xlsx_with_date_cells_in_jakarta_time(tree):
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER.strip().split(","))
    sheet.append(["X1", "JAKI", "Jalan", "3171010001", None, "Selesai",
                  datetime(2026, 5, 1, 10, 0), None, datetime(2026, 5, 2, 10, 0)])
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = read_complaints(buffer.getvalue(), "export.xlsx")
    import_complaints(table, now=NOW)
    assert stored("X1").reported_at == datetime(2026, 5, 1, 3, tzinfo=UTC)


# --- the command line ----------------------------------------------------------------------------

@pytest.fixture
def cli_tree(app):
    with app.app_context():
        factories.small_tree()
        db.session.add(Unit(code="DBM", name="Dinas Bina Marga"))
        db.session.commit()


def test_cli_import_with_map_as_of_and_skip_bad(app, runner, cli_tree, tmp_path):
    export = tmp_path / "lapor.csv"
    export.write_text(LAPOR + "1234569;X;;3171999999;2026-05-02 08:00:00;;;\n", encoding="utf-8")
    args = ["skm", "import-complaints", str(export), *sum((["--map", m] for m in LAPOR_MAP), [])]
    refused = runner.invoke(args=args)
    assert refused.exit_code == 1
    assert "baris 4 [area_code]: wilayah 3171999999 tidak ada" in refused.output
    bad = tmp_path / "bad.csv"
    result = runner.invoke(args=args + ["--as-of", "2026-05-10 12:00", "--skip-bad", str(bad)])
    assert result.exit_code == 0, result.output
    # The summary is in the default language, Bahasa Indonesia, with its plural forms.
    assert result.output.splitlines()[0] == (
        "Pengaduan: 2 baru, 0 diperbarui, 0 tidak berubah, 0 dipertahankan (tersimpan dari ekspor "
        "yang lebih baru), 1 baris salah dilewati.")
    assert "Ekspor diambil pada 2026-05-10 12:00 WIB (sesuai --as-of)." in result.output
    assert f"1 baris salah ditulis ke {bad}." in result.output
    rows = list(csv.reader(io.StringIO(bad.read_text(encoding="utf-8"))))
    assert rows[0][:3] == ["line", "errors", "trackingid"]  # headers are read in lower case
    assert rows[1][:3] == ["4", "wilayah 3171999999 tidak ada", "1234569"]
    with app.app_context():
        assert count() == 2
        assert stored("1234567").source_as_of == datetime(2026, 5, 10, 5, tzinfo=UTC)


def test_cli_skip_bad_stores_nothing_when_out_cannot_be_written(app, runner, cli_tree,
                                                                tmp_path):
    """The bad rows are written before the commit: a coordinator never has good rows stored and
    the bad ones lost. Nor may OUT be the export itself (it would be overwritten)."""
    export = tmp_path / "lapor.csv"
    export.write_text(LAPOR + "1234569;X;;3171999999;2026-05-02 08:00:00;;;\n", encoding="utf-8")
    args = ["skm", "import-complaints", str(export), *sum((["--map", m] for m in LAPOR_MAP), [])]
    missing = tmp_path / "no-such-folder" / "bad.csv"
    result = runner.invoke(args=args + ["--skip-bad", str(missing)])
    assert result.exit_code == 1
    assert f"Tidak ada yang diimpor: baris yang salah tidak dapat ditulis ke {missing}" in \
        result.output
    same = runner.invoke(args=args + ["--skip-bad", str(export)])
    assert same.exit_code == 2 and "--skip-bad" in same.output
    assert export.read_text(encoding="utf-8").startswith(LAPOR)
    with app.app_context():
        assert count() == 0


def test_cli_refuses_a_bad_as_of(runner, cli_tree, tmp_path):
    export = tmp_path / "c.csv"
    export.write_text(HEADER + GOOD_ROW)
    result = runner.invoke(args=["skm", "import-complaints", str(export), "--as-of", "besok"])
    assert result.exit_code == 1 and "--as-of 'besok'" in result.output


def test_cli_complaints_prints_figures_and_ranking(app, runner, cli_tree, tmp_path):
    export = tmp_path / "c.csv"
    export.write_text(HEADER + GOOD_ROW + "U1,SMS,Jalan,,DBM,Selesai,2026-05-03 10:00,,"
                                          "2026-05-12 10:00\n")
    assert runner.invoke(args=["skm", "import-complaints", str(export)]).exit_code == 0
    with app.app_context():
        factories.round_("2026-Q2", state="closed", opens=datetime(2026, 6, 1, tzinfo=UTC),
                         closes=datetime(2026, 7, 5, tzinfo=UTC))
        db.session.commit()
    result = runner.invoke(args=["skm", "complaints", "2026-Q2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    lurah = next(line for line in lines if line.startswith("lurah"))
    assert lurah.split()[2:10] == ["1", "0", "1", "1", "1.00", "1.00", "1.00", "0"]
    assert lines[0] == "Pengaduan 2026-Q2: batas waktu 7 hari."
    # judged at the quarter's end (1 July 00:00 WIB) + 7 days, whenever the round closed
    assert lines[1] == "Angka final, per 2026-07-08 00:00 WIB."
    assert lines[2].split()[:4] == ["jabatan", "kode", "masuk", "ditolak"]
    ranking = lines[lines.index("Unit menurut ketepatan waktu dan kecepatan tanggapan (diberi "
                                "peringkat bila ada sedikitnya 5 pengaduan untuk dinilai):") + 2:]
    unit = ranking[0]  # one complaint (9 days: late): too few to judge, so no rank
    assert unit.split()[:4] == ["-", "DBM", "1", "0.00"]
    assert runner.invoke(args=["skm", "complaints", "2030-Q1"]).exit_code == 1
