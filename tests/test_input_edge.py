"""Input at the edge (issue 19): damaged, mislabelled and oversized spreadsheets, control
characters and over-long text. Each is refused with a message and writes nothing, the same way on
SQLite and on PostgreSQL (which, unguarded, refuses a NUL or a long name with a raw error)."""
from __future__ import annotations

import io
import re
import struct
import zipfile

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from survey_app.domain import responses, roster
from survey_app.domain.areas import AREA_COLUMNS, UNIT_COLUMNS, import_areas, import_units
from survey_app.domain.errors import ImportRejected
from survey_app.domain.officials import OFFICIAL_COLUMNS, import_officials
from survey_app.domain.tabular import SheetLimits, read_table
from survey_app.extensions import db
from survey_app.models import Area, Complaint, HeldResponse, Official, Respondent, Response, Unit
from tests import factories
from tests.respondent_setup import HEADER as ROSTER_HEADER
from tests.respondent_setup import load_roster, token_of, world

TABLES = (Area, Unit, Official, Respondent, Response, HeldResponse, Complaint)
SHEET = "xl/worksheets/sheet1.xml"


def counts() -> dict[str, int]:
    return {m.__name__: db.session.scalar(select(func.count()).select_from(m)) for m in TABLES}


def xlsx(rows: list[list[str]]) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def with_sheet(data: bytes, sheet_xml: str) -> bytes:
    """The workbook ``data`` with its first sheet's XML replaced."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w",
                                                                        zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            z.writestr(info.filename, sheet_xml if info.filename == SHEET else source.read(info))
    return out.getvalue()


def rejected(data: bytes, name: str, **kwargs) -> list[str]:
    with pytest.raises(ImportRejected) as caught:
        read_table(data, name, **kwargs)
    return [str(e) for e in caught.value.errors]


# With a <dimension> (as every spreadsheet program writes), openpyxl opens the workbook without
# reading the sheet: broken XML shows only while the rows are read.
SHEET_HEAD = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<dimension ref="A1:A2"/><sheetData>')
HEADER_ROW = '<row r="1"><c r="A1" t="inlineStr"><is><t>code</t></is></c></row>'


# --- spreadsheets ----------------------------------------------------------------------------

def _cli_case(app, command: str) -> tuple[list[str], list[str]]:
    """(the command's arguments before FILE, the header its file needs)."""
    if command in ("import-respondents", "import-responses"):
        with app.app_context():
            round_ = world()[1]
            header = (roster.REQUIRED_COLUMNS if command == "import-respondents"
                      else responses.paper_columns(round_)[0])
            db.session.commit()
        return ["2027-Q1"], header
    return [], {"import-areas": AREA_COLUMNS, "import-units": UNIT_COLUMNS,
                "import-officials": OFFICIAL_COLUMNS,
                "import-complaints": ["complaint_id", "reported_at", "area_code"]}[command]


@pytest.mark.parametrize("command", ["import-areas", "import-units", "import-officials",
                                     "import-respondents", "import-responses",
                                     "import-complaints"])
def test_a_sheet_with_broken_xml_is_refused_by_every_cli_importer(app, runner, tmp_path, command):
    args, header = _cli_case(app, command)
    good = xlsx([header, ["x"] * len(header)])
    # The workbook opens (its parts are all there); its sheet breaks off in the second row.
    broken = with_sheet(good, SHEET_HEAD + HEADER_ROW + '<row r="2"><c r="A2"><v>1</v></c></row>'
                        '<row r="3"><c')
    path = tmp_path / "broken.xlsx"
    path.write_bytes(broken)
    with app.app_context():
        before = counts()
    result = runner.invoke(args=["skm", command, *args, str(path)])
    assert result.exit_code == 1 and isinstance(result.exception, SystemExit)
    assert "Traceback" not in result.output
    assert "berkas: buku kerja rusak: lembar pertamanya tidak dapat dibaca" in result.output
    with app.app_context():
        assert counts() == before


def test_a_million_row_bomb_is_stopped_while_streaming_at_the_row_limit(english):
    # Two cells, a few hundred bytes: row 1 and row 1,000,000. The reader yields the 999,998
    # rows in between as empty ones (they keep the line numbers right), so the file "has"
    # 999,999 data rows > 250,000: refused when the 250,001st is reached, not after a million.
    sheet = SHEET_HEAD + HEADER_ROW + '<row r="1000000"><c r="A1000000"><v>1</v></c></row>'
    sheet += "</sheetData></worksheet>"
    data = with_sheet(xlsx([["code"]]), sheet)
    assert len(data) < 10_000
    assert rejected(data, "bomb.xlsx") == [
        "file: the file is too big to read: at most 250,000 rows, 256 columns and 512 MB of "
        "data; split it into smaller files"]


def test_a_workbook_that_declares_a_huge_sheet_is_refused_before_it_is_unpacked(english):
    data = bytearray(xlsx([["code"], ["31"]]))
    # Patch the central directory's "uncompressed size" of the sheet (offset 24 of its entry)
    # to 600 MiB = 629,145,600 bytes > 512 MiB = 536,870,912: refused from the declared size.
    entry = data.index(b"PK\x01\x02" + bytes(24)[:0], data.index(b"PK\x01\x02"))
    while data[entry + 46:entry + 46 + len(SHEET)] != SHEET.encode():
        entry = data.index(b"PK\x01\x02", entry + 4)
    data[entry + 24:entry + 28] = struct.pack("<I", 600 * 1024 * 1024)
    assert rejected(bytes(data), "areas.xlsx")[0].startswith("file: the file is too big to read")


def test_a_row_wider_than_the_column_limit_is_refused(english):
    # Column KN is 11 * 26 + 14 = 300 > 256 columns.
    sheet = SHEET_HEAD + HEADER_ROW + '<row r="2"><c r="KN2"><v>1</v></c></row>'
    data = with_sheet(xlsx([["code"]]), sheet + "</sheetData></worksheet>")
    assert rejected(data, "wide.xlsx")[0].startswith("file: the file is too big to read")


def test_the_row_limit_is_counted_in_csv_too_and_the_limit_itself_is_allowed(english):
    limits = {"limits": SheetLimits(rows=2, columns=3, expanded_bytes=1000),
              "allow_extra": True}
    assert len(read_table(b"code\n1\n2\n", "a.csv", **limits).lines) == 2
    assert rejected(b"code\n1\n2\n3\n", "a.csv", **limits) == [
        "file: the file is too big to read: at most 2 rows, 3 columns and 0 MB of data; "
        "split it into smaller files"]
    assert rejected(b"code\n1,2,3,4\n", "a.csv", **limits)[0].startswith("file: the file is "
                                                                              "too big")
    assert rejected(b"code\n" + b"1\n" * 500, "a.csv", **limits)[0].startswith(
        "file: the file is too big")  # 5 + 1,000 bytes > 1,000


def test_a_sheet_broken_without_a_dimension_is_refused_too(english):
    """Without a <dimension>, openpyxl read the whole sheet for one when the workbook opened (a
    broken sheet was then 'not a readable XLSX workbook'); a sheet is now read only for its rows,
    so broken XML shows there, as with a <dimension>."""
    broken = with_sheet(xlsx([["code"]]), SHEET_HEAD.replace('<dimension ref="A1:A2"/>', "")
                        + HEADER_ROW + "<row")
    assert rejected(broken, "areas.xlsx") == [
        "file: the workbook is damaged: its first sheet cannot be read (open it in a "
        "spreadsheet, save it again and retry)"]


def with_shared_strings(sheet_rows: list[list[int]], strings: list[str]) -> bytes:
    """A workbook as spreadsheet programs write one: its text kept once, in a table of shared
    strings (xl/sharedStrings.xml), each cell naming a string by its place; no <dimension>."""
    cells = "".join(f'<row r="{r}">' + "".join(f'<c r="{"AB"[c]}{r}" t="s"><v>{i}</v></c>'
                                               for c, i in enumerate(row)) + "</row>"
                    for r, row in enumerate(sheet_rows, start=1))
    sheet = ('<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             f"<sheetData>{cells}</sheetData></worksheet>")
    table = ('<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
             + "".join(f"<si><t>{text}</t></si>" for text in strings) + "</sst>")
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(xlsx([["x"]]))) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for info in source.infolist():
            content = source.read(info)
            if info.filename == "[Content_Types].xml":
                content = content.replace(b"</Types>", (
                    b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/'
                    b'vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
                    b"</Types>"))
            z.writestr(info.filename, sheet if info.filename == SHEET else content)
        z.writestr("xl/sharedStrings.xml", table)
    return out.getvalue()


def test_shared_strings_are_read_as_far_as_the_rows_read_need_them(english):
    """A preview of a large file reads its first rows (head): the table of shared strings is read
    only as far as they need (openpyxl read it whole first, some 3 s for a year's complaints),
    and a sheet without a <dimension> is not read through for it. Whole or in part, a sheet
    gives the same values; a cell naming a string past the table's end is a damaged workbook."""
    strings = ["code", "name", *(f"A{n}" for n in range(1, 6)), *(f"Nama {n}" for n in range(1, 6))]
    rows = [[0, 1], *([1 + n, 6 + n] for n in range(1, 6))]
    data = with_shared_strings(rows, strings)
    whole = read_table(data, "s.xlsx", allow_extra=True)
    assert whole.header == ["code", "name"]
    assert list(whole.rows) == [(n + 1, {"code": f"A{n}", "name": f"Nama {n}"})
                                for n in range(1, 6)]
    assert list(read_table(data, "s.xlsx", allow_extra=True, head=2).rows) == \
        list(whole.rows)[:2]
    damaged = with_shared_strings([[0, 1], [2, 99]], strings)
    for head in (None, 1):
        assert rejected(damaged, "s.xlsx", allow_extra=True, head=head) == [
            "file: the workbook is damaged: its first sheet cannot be read (open it in a "
            "spreadsheet, save it again and retry)"]


def test_a_csv_named_xlsx_and_the_reverse_are_refused_with_what_to_do(english):
    assert rejected(b"code,name\n31,DKI\n", "areas.xlsx") == [
        "file: the file is named areas.xlsx but it is not an XLSX workbook (CSV text?): rename "
        "it to .csv, or save it as an XLSX workbook"]
    assert rejected(xlsx([["code"], ["31"]]), "areas.csv") == [
        "file: the file is named areas.csv but it is an XLSX workbook, not CSV text: rename it "
        "to .xlsx, or save it as 'CSV UTF-8'"]
    assert rejected(b"\xd0\xcf\x11\xe0" + bytes(100), "areas.xls") == [
        "file: the file is in the old Excel format (.xls): save it as an XLSX workbook or as "
        "'CSV UTF-8'"]
    # With no name, the content decides.
    assert list(read_table(xlsx([["code"], ["31"]]), "", allow_extra=True).rows) == [
        (2, {"code": "31"})]


def test_the_upload_page_shows_a_broken_sheet_and_a_bomb_as_messages(app, client, auth, users):
    with app.app_context():
        world()
        db.session.commit()
    auth.login(users["coordinator"])
    good = xlsx([roster.REQUIRED_COLUMNS, ["R1", "Budi", "rt", "3171010001"]])
    bomb = with_sheet(good, SHEET_HEAD + HEADER_ROW + '<row r="900000"><c r="A900000"><v>1</v>'
                      '</c></row></sheetData></worksheet>')
    broken = with_sheet(good, SHEET_HEAD + HEADER_ROW + '<row r="2"><c r="A2"><v>1</v></c></row>'
                        "<row")
    for data, name, message in [
            (bomb, "roster.xlsx", "berkas terlalu besar untuk dibaca"),
            (broken, "roster.xlsx", "buku kerja rusak"),
            (b"respondent_ref,name\n", "roster.xlsx", "tetapi isinya bukan buku kerja XLSX")]:
        page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        response = client.post("/coordinator/roster/2027-Q1/preview", data={
            "csrf_token": token, "file": (io.BytesIO(data), name)},
            content_type="multipart/form-data")
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
    with app.app_context():
        assert counts()["Respondent"] == 0


# --- control characters and lengths (both engines) -------------------------------------------

def import_rejected(importer, data: str, columns: list[str]) -> list[str]:
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        importer(read_table(data.encode(), "file.csv", required=columns))
    db.session.rollback()
    assert counts() == before
    return [str(e) for e in caught.value.errors]


def test_a_nul_in_an_area_name_is_refused_with_its_line_and_position(english):
    # "DKI" is 3 characters, so the NUL is the 4th.
    assert import_rejected(import_areas,
                           "code,parent_code,level,name\n31,,provinsi,DKI\x00 JAKARTA\n",
                           AREA_COLUMNS) == [
        "line 2 [name]: name contains an invisible control character (U+0000) at position 4; "
        "remove it and import the file again"]


def test_control_characters_in_units_and_officials_are_refused(english):
    # U+0007 (bell) is the 6th character of "Dinas\x07".
    assert import_rejected(import_units, "code,name\nD1,Dinas\x07\n", UNIT_COLUMNS) == [
        "line 2 [name]: name contains an invisible control character (U+0007) at position 6; "
        "remove it and import the file again"]
    factories.small_tree()
    db.session.commit()
    rows = (",".join(OFFICIAL_COLUMNS)
            + "\n198001012005011001,Budi\x00,lurah,3171010001,,2026-01-01,\n")
    assert import_rejected(import_officials, rows, OFFICIAL_COLUMNS)[0].startswith(
        "line 2 [name]: name contains an invisible control character (U+0000) at position 5")


def test_names_longer_than_their_column_are_refused_and_the_longest_allowed_is_stored(english):
    # Area.name is String(120): 120 characters are stored (also on PostgreSQL), 121 refused.
    longest = "A" * 120
    import_areas(read_table(f"code,parent_code,level,name\n31,,provinsi,{longest}\n".encode(),
                            "a.csv", required=AREA_COLUMNS))
    db.session.commit()
    assert db.session.scalar(select(Area.name)) == longest
    assert import_rejected(import_areas, f"code,parent_code,level,name\n31,,provinsi,{longest}B\n",
                           AREA_COLUMNS) == ["line 2 [name]: name is longer than 120 characters"]
    # Official.nip is String(30) and Official.name String(160).
    rows = (",".join(OFFICIAL_COLUMNS) + "\n" + "1" * 31 + ",Budi,lurah,31,,2026-01-01,\n"
            + "198001012005011001," + "N" * 161 + ",lurah,31,,2026-01-01,\n")
    errors = import_rejected(import_officials, rows, OFFICIAL_COLUMNS)
    assert "line 2 [nip]: nip is longer than 30 characters" in errors
    assert "line 3 [name]: name is longer than 160 characters" in errors
    # Unit.name is String(160).
    assert import_rejected(import_units, "code,name\nD1," + "N" * 161 + "\n", UNIT_COLUMNS) == [
        "line 2 [name]: name is longer than 160 characters"]


def test_a_nul_in_a_roster_or_a_paper_form_is_refused(english):
    _areas, round_ = world()
    db.session.commit()
    before = counts()
    with pytest.raises(ImportRejected) as caught:
        load_roster(round_, ROSTER_HEADER + "R\x001,Budi,rt,3171010001,1,2,,\n")
    db.session.rollback()
    assert counts() == before
    assert str(caught.value.errors[0]).startswith(
        "line 2 [respondent_ref]: respondent_ref contains an invisible control character (U+0000) "
        "at position 2")
    load_roster(round_)
    db.session.commit()
    required, optional = responses.paper_columns(round_)
    header = ",".join(required + ["comment"])
    answers = ",".join("3" for _ in required[3:])
    before = counts()
    for ref, comment in [("R\x001", "ok"), ("R1", "baik\x00")]:
        table = read_table(f"{header}\n{ref},lurah,3171010001,{answers},{comment}\n".encode(),
                           "paper.csv", required=required, optional=optional)
        with pytest.raises(ImportRejected, match="invisible control character"):
            responses.import_paper(round_, table)
        db.session.rollback()
    assert counts() == before
    # A line break in a comment is free text: allowed.
    table = read_table(f'{header}\nR1,lurah,3171010001,{answers},"baik\nsekali"\n'.encode(),
                       "paper.csv", required=required, optional=optional)
    assert responses.import_paper(round_, table).stored == 1


def test_the_cli_complaint_import_refuses_a_nul_without_a_traceback(app, runner, tmp_path):
    with app.app_context():
        factories.small_tree()
        db.session.commit()
    path = tmp_path / "complaints.csv"
    path.write_bytes(b"complaint_id,reported_at,area_code,category\n"
                     b"C1,2027-01-05 10:00,3171010001,Jalan\x00rusak\n")
    result = runner.invoke(args=["skm", "import-complaints", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    # "Jalan" is 5 characters: the NUL is the 6th.
    assert ("baris 2 [category]: category berisi karakter kendali tak terlihat (U+0000) di posisi "
            "6") in result.output
    with app.app_context():
        assert counts()["Complaint"] == 0


def test_a_nul_in_the_public_comment_is_stripped_not_a_500(app, client):
    with app.app_context():
        world()
        load_roster(db.session.scalar(select(factories.Round)))
        db.session.commit()
        link = "/s/" + token_of("R1")
    html = client.get(link).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    first = re.findall(r'type="radio" name="(p(\d+)-[^"]+)"', html)
    pid = first[0][1]
    data = {"csrf_token": token, f"p{pid}-comment": "Baik\x00 sekali\x07\nterima kasih"}
    data.update({name: "3" for name, p in first if p == pid})
    response = client.post(link, data=data)
    assert response.status_code == 303
    with app.app_context():
        stored = [c for model in (Response, HeldResponse)
                  for c in db.session.scalars(select(model.comment)) if c]
    assert stored == ["Baik sekali\nterima kasih"]  # NUL and bell gone, the line break kept


def test_a_control_character_in_a_portal_lookup_is_a_message_not_a_500(app, client):
    # On PostgreSQL the NUL would reach the look-up query and fail there.
    response = client.get("/verify?number=SKM%00-1")
    assert response.status_code == 200
    assert "Hapus karakter kendali tak terlihat (U+0000) di posisi 4." in response.get_data(
        as_text=True)
