"""Master data pages, import templates and the paper-form page (issue 18): the coordinator's
upload with a preview, downloads that load back unchanged, rotations, templates that import."""
from __future__ import annotations

import base64
import csv
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from survey_app.domain import areas, officials, responses, roster
from survey_app.domain.complaints import COMPLAINT_COLUMNS
from survey_app.extensions import db
from survey_app.models import Appointment, AuditEntry, HeldResponse, Official
from tests.respondent_setup import load_roster, world

OFFICIALS_CSV = (
    "nip,name,position,area_code,unit_code,start_date,end_date\n"
    "198101012005011001,Dewi Lestari,lurah,3171010002,,2025-01-01,\n"
    "198101012005011002,Andi Wijaya,camat,3171010,,2024-01-01,\n"
)
MASTER_PAGES = ["/coordinator/master/", "/coordinator/master/areas", "/coordinator/master/units",
                "/coordinator/master/officials", "/coordinator/master/posts",
                "/coordinator/master/rotation", "/coordinator/master/officials.csv",
                "/coordinator/templates/officials.xlsx"]


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def upload(client, kind: str, data: bytes, name: str):
    page = client.get(f"/coordinator/master/{kind}").get_data(as_text=True)
    return client.post(f"/coordinator/master/{kind}/preview", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(data), name)},
        content_type="multipart/form-data")


def confirm(client, kind: str, preview_html: str):
    token = re.search(r'name="upload" type="hidden" value="([^"]+)"', preview_html).group(1)
    return client.post(f"/coordinator/master/{kind}/import",
                       data={"csrf_token": csrf(preview_html), "upload": token},
                       follow_redirects=True)


def officials_preview(client, text: str, status: int) -> str:
    """The page an officials file ``text`` gives, after checking its status."""
    response = upload(client, "officials", text.encode(), "pejabat.csv")
    assert response.status_code == status
    return response.get_data(as_text=True)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.mark.parametrize("role, status", [("viewer", 403), ("official", 403),
                                          ("coordinator", 200), ("admin", 200)])
def test_master_data_is_for_coordinators_and_admins(client, auth, users, role, status):
    for url in MASTER_PAGES:
        assert client.get(url).status_code == 302, url  # to the login
    auth.login(users[role])
    for url in MASTER_PAGES:
        assert client.get(url).status_code == status, url
    if status == 200:
        assert 'href="/coordinator/master/"' in client.get("/").get_data(as_text=True)


def test_officials_are_loaded_with_a_preview_then_confirmed_and_audited(app, client, auth, users):
    auth.login(users["coordinator"])
    html = officials_preview(client, OFFICIALS_CSV, 200)
    assert "2 baru, 0 berubah, 0 tidak berubah. Belum ada yang disimpan." in html
    assert "198101012005011001 Dewi Lestari: lurah 3171010002 2025-01-01" in html
    with app.app_context():
        assert count(Official) == 1  # the users fixture's lurah only: nothing written yet
    html = confirm(client, "officials", html).get_data(as_text=True)
    assert "Pejabat dan masa jabatan diimpor: 2 baru, 0 diperbarui, 0 tidak berubah." in html
    with app.app_context():
        assert count(Official) == 3
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "import-officials"))
        assert entry.actor == users["coordinator"] and "2 baru" in entry.detail["summary"]
    # the list shows them, searchable
    html = client.get("/coordinator/master/officials?q=andi").get_data(as_text=True)
    assert "Andi Wijaya" in html and "Dewi Lestari" not in html and "1–1 dari 1" in html


def test_a_bad_file_is_refused_with_line_numbers_and_nothing_written(app, client, auth, users):
    auth.login(users["coordinator"])
    bad = OFFICIALS_CSV + "198101012005011003,Tono,camat,3171010001,,2024-01-01,\n"
    html = officials_preview(client, bad, 400)
    assert "Tidak ada yang diimpor: 1 masalah ditemukan." in html
    assert "baris 4 [area_code]:" in html
    with app.app_context():
        assert count(Official) == 1


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_downloaded_data_loads_back_unchanged(app, client, auth, users, fmt):
    auth.login(users["coordinator"])
    confirm(client, "officials", upload(client, "officials", OFFICIALS_CSV.encode(),
                                        "p.csv").get_data(as_text=True))
    for kind, rows in (("areas", 8), ("units", 0), ("officials", 3)):
        download = client.get(f"/coordinator/master/{kind}.{fmt}")
        assert download.status_code == 200
        assert "attachment" in download.headers["Content-Disposition"]
        if not rows:
            continue  # a header without rows is not a file to load
        html = upload(client, kind, download.data, f"back.{fmt}").get_data(as_text=True)
        assert f"0 baru, 0 berubah, {rows} tidak berubah." in html, kind


def test_a_rotation_is_recorded_from_the_posts_page_and_audited(app, client, auth, users):
    auth.login(users["coordinator"])
    posts = client.get("/coordinator/master/posts?q=budi").get_data(as_text=True)
    post_url = re.search(r'href="(/coordinator/master/posts/\d+)"', posts).group(1)
    page = client.get(post_url).get_data(as_text=True)
    assert "Budi Santoso" in page
    # overlapping Budi's own start: refused next to the field, nothing written
    response = client.post(post_url + "/rotation", data={
        "csrf_token": csrf(page), "nip": "199001012015011001", "name": "Dewi Lestari",
        "start_date": "2026-01-01"})
    assert response.status_code == 400
    assert "memegang jabatan ini sejak 2026-01-01" in response.get_data(as_text=True)
    response = client.post(post_url + "/rotation", data={
        "csrf_token": csrf(page), "nip": "199001012015011001", "name": "Dewi Lestari",
        "start_date": "2027-02-01"}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Rotasi dicatat: Dewi Lestari memegang jabatan sejak 2027-02-01." in html
    assert html.index("Dewi Lestari") < html.index("Budi Santoso")  # latest first
    assert "2027-01-31" in html  # Budi's last day
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "rotation"))
        assert entry.target == "lurah 3171010001"
        assert entry.detail["outgoing"] == {"nip": "198001012005011001", "end_date": "2027-01-31"}
        assert entry.detail["incoming"]["nip"] == "199001012015011001"


def test_a_rotation_for_a_post_named_by_code(app, client, auth, users):
    auth.login(users["coordinator"])
    page = client.get("/coordinator/master/rotation").get_data(as_text=True)
    form = {"csrf_token": csrf(page), "kind": "camat", "place_code": "3171010001",
            "nip": "199001012015011001", "name": "Dewi", "start_date": "2027-02-01"}
    response = client.post("/coordinator/master/rotation", data=form)
    assert response.status_code == 400
    assert "adalah kelurahan" in response.get_data(as_text=True)
    response = client.post("/coordinator/master/rotation", data={**form, "place_code": "3171010"})
    assert response.status_code == 302
    with app.app_context():
        assert count(Appointment) == 2
    # Budi, lurah of 3171010001, becomes camat of 3171020: his lurah post still needs a successor
    response = client.post("/coordinator/master/rotation", data={
        **form, "place_code": "3171020", "nip": "198001012005011001", "name": ""},
        follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Rotasi dicatat: Budi Santoso memegang jabatan sejak 2027-02-01." in html
    assert ("Budi Santoso juga memegang jabatan Lurah KELURAHAN 3171010001 pada hari itu: catat "
            "juga pejabat berikutnya bila ia meninggalkannya.") in html


# --- templates --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind, columns", [
    ("roster", roster.REQUIRED_COLUMNS + roster.OPTIONAL_COLUMNS),
    ("complaints", COMPLAINT_COLUMNS), ("officials", officials.OFFICIAL_COLUMNS),
    ("areas", areas.AREA_COLUMNS), ("units", areas.UNIT_COLUMNS)])
def test_each_template_has_its_importers_columns(client, auth, users, kind, columns):
    auth.login(users["coordinator"])
    text = client.get(f"/coordinator/templates/{kind}.csv").get_data(as_text=True)
    assert text == ",".join(columns) + "\r\n"
    workbook = load_workbook(io.BytesIO(client.get(f"/coordinator/templates/{kind}.xlsx").data))
    assert [c.value for c in workbook.worksheets[0][1]] == columns
    assert [row[0] for row in workbook.worksheets[1].iter_rows(min_row=2, values_only=True)] == \
        columns  # the second sheet explains each column
    assert client.get(f"/coordinator/templates/{kind}.pdf").status_code == 404
    assert client.get("/coordinator/templates/nothing.csv").status_code == 404


def setup_round(app):
    with app.app_context():
        _areas, round_ = world()
        load_roster(round_)
        db.session.commit()


PAPER_HEADER = "respondent_ref,position,area_code,U1,U2,U3,U4,U5,U6,U7,U8,U9,filled_on,comment"


def test_the_paper_page_names_the_answer_columns_and_links_its_template(app, client, auth, users):
    setup_round(app)
    auth.login(users["coordinator"])
    html = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    assert "<code>U1</code>" in html and "Pertanyaan U1.1" in html
    assert "1 = Tidak baik; 2 = Kurang baik; 3 = Baik; 4 = Sangat baik" in html
    assert 'href="/coordinator/templates/paper/2027-Q1.xlsx"' in html
    assert 'href="/coordinator/templates/roster.csv"' in html
    text = client.get("/coordinator/templates/paper/2027-Q1.csv").get_data(as_text=True)
    assert text == PAPER_HEADER + "\r\n"
    workbook = load_workbook(io.BytesIO(client.get("/coordinator/templates/paper/2027-Q1.xlsx")
                                        .data))
    info = {row[0]: row[1] for row in workbook.worksheets[1].iter_rows(values_only=True)}
    assert info["U1"] == ("Pertanyaan U1.1 (1 = Tidak baik, 2 = Kurang baik, 3 = Baik, "
                          "4 = Sangat baik; kosongkan bila tidak dijawab)")
    assert client.get("/coordinator/templates/paper/1999-Q1.csv").status_code == 404


def paper_post(client, text: str, skip_bad: bool, name: str = "paper.csv"):
    page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    data = {"csrf_token": csrf(page.split('action="/coordinator/roster/2027-Q1/paper"')[1]),
            "file": (io.BytesIO(text.encode()), name)}
    if skip_bad:
        data["skip_bad"] = "y"
    return client.post("/coordinator/roster/2027-Q1/paper", data=data,
                       content_type="multipart/form-data")


def test_a_filled_in_template_imports_and_bad_rows_can_be_skipped(app, client, auth, users):
    setup_round(app)
    auth.login(users["coordinator"])
    template = client.get("/coordinator/templates/paper/2027-Q1.csv").get_data(as_text=True)
    first = template + "R1,lurah,3171010001,3,3,3,3,3,3,3,3,3,,Baik\r\n"
    assert paper_post(client, first, skip_bad=False).status_code == 302
    # one row already answered and one off the scale: the whole file is refused without the box
    second = (template + "R1,lurah,3171010001,4,4,4,4,4,4,4,4,4,,\r\n"
              + "R2,lurah,3171010001,3,3,3,3,3,3,3,3,3,,\r\n"
              + "R3,camat,3171010,5,3,3,3,3,3,3,3,3,,\r\n")
    refused = paper_post(client, second, skip_bad=False)
    assert refused.status_code == 400
    assert "Tidak ada yang diimpor: 2 masalah ditemukan." in refused.get_data(as_text=True)
    with app.app_context():
        assert count(HeldResponse) == 1
    # with it: the good row is stored, the two bad ones come back as a file
    response = paper_post(client, second, skip_bad=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "1 formulir kertas disimpan; 2 baris salah dilewati." in html
    with app.app_context():
        assert count(HeldResponse) == 2
        entry = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "import-responses").order_by(AuditEntry.id.desc())).first()
        assert "2 baris salah dilewati" in entry.detail["summary"]
    encoded = re.search(r'href="data:text/csv;charset=utf-8;base64,([^"]+)"', html).group(1)
    bad_rows = base64.b64decode(encoded).decode()
    rows = list(csv.reader(io.StringIO(bad_rows)))
    assert rows[0] == [*PAPER_HEADER.lower().split(","), "errors"]
    assert [r[0] for r in rows[1:]] == ["R1", "R3"]
    assert rows[1][-1].startswith("baris 2: responden R1 sudah menjawab")
    assert rows[2][-1].startswith("baris 4 [U1]:")
    # fixed, the file of bad rows loads again as it is (its errors column is ignored)
    fixed = bad_rows.replace("R3,camat,3171010,5,", "R3,camat,3171010,4,")
    fixed = "\r\n".join(line for line in fixed.split("\r\n") if not line.startswith("R1,"))
    assert paper_post(client, fixed, skip_bad=False).status_code == 302
    with app.app_context():
        assert count(HeldResponse) == 3


def test_read_paper_takes_the_template_in_the_questionnaires_case(ctx):
    _areas, round_ = world()
    load_roster(round_)
    table = responses.read_paper(round_, (PAPER_HEADER + "\nR1,lurah,3171010001,"
                                          + "2," * 9 + ",\n").encode(), "paper.csv")
    assert responses.import_paper(round_, table).stored == 1
