"""The coordinator's complaint pages: upload, preview with mapping and errors, import (CSRF and
all), the figures page, and who may see what."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from survey_app import uploads
from survey_app.extensions import db
from survey_app.models import AuditEntry, Complaint, Job, Round, Unit
from tests import factories
from tests.conftest import csrf_token
from tests.sealing import revealed

HEADER = factories.COMPLAINTS_HEADER
GOOD = HEADER + (
    "C1,JAKI,Jalan,3171010001,,Selesai,2026-05-01 10:00,2026-05-01 12:00,2026-05-03 10:00\n"
    "C2,JAKI,Jalan,3171010001,,Proses,2026-05-02 10:00,,\n"
)
LAPOR = ("TrackingID,TanggalLaporanMasuk,TanggalLaporanDitutup,AreaID,Catatan\n"
         "L1,2026-05-01 08:00,2026-05-02 08:00,3171010001,x\n")
INDEX = "/coordinator/complaints/"


def complaints_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Complaint))


def upload(client, content: str, filename: str = "export.csv"):
    token = csrf_token(client, INDEX)
    return client.post(INDEX + "upload", data={
        "csrf_token": token, "export": (io.BytesIO(content.encode()), filename)},
        content_type="multipart/form-data")


def preview_form(html: str) -> dict:
    """The preview form as the browser would send it: CSRF token and each selected mapping."""
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)}
    for name, options in re.findall(r'<select name="(map-\d+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)" selected', options)
        data[name] = selected.group(1) if selected else ""
    return data


@pytest.fixture
def upload_dir(app):
    """Where uploads wait: the one folder of survey_app/uploads.py."""
    with app.app_context():
        return uploads.folder()


@pytest.fixture
def coordinator(auth, users):
    auth.login(users["coordinator"])


def test_upload_preview_and_import(app, client, coordinator, upload_dir):
    response = upload(client, GOOD)
    assert response.status_code == 302
    preview_url = response.headers["Location"]
    assert re.match(r"^/coordinator/complaints/upload/[0-9a-f]{32}\.csv$", preview_url)
    kept = upload_dir / preview_url.rsplit("/", 1)[1]
    with app.app_context():  # streamed to disk sealed, opened as sent
        assert uploads.read(kept) == GOOD.encode() and revealed(kept.read_bytes(),
                                                                GOOD.encode()) == []
    page = client.get(preview_url).get_data(as_text=True)
    assert "Pratinjau" in page and "C1" in page and "2 baris baik, 0 baris salah" in page
    assert complaints_count(app) == 0  # nothing written by the preview
    data = preview_form(page) | {"submit": "1"}
    response = client.post(preview_url, data=data)
    assert response.status_code == 302 and response.headers["Location"] == INDEX
    assert "Pengaduan diimpor: 2 baru" in client.get(INDEX).get_data(as_text=True)
    assert complaints_count(app) == 2
    # The upload is gone once imported.
    assert client.get(preview_url).status_code == 404
    assert not kept.exists()


def test_import_without_csrf_is_refused(app, client, coordinator):
    preview_url = upload(client, GOOD).headers["Location"]
    data = preview_form(client.get(preview_url).get_data(as_text=True)) | {"submit": "1"}
    del data["csrf_token"]
    assert client.post(preview_url, data=data).status_code == 400
    assert complaints_count(app) == 0


def test_errors_are_listed_in_indonesian_and_nothing_is_imported(app, client, coordinator):
    bad = GOOD + "C3,JAKI,Jalan,3171999999,,Proses,2026-05-02 10:00,,\n" \
                 "C4,JAKI,Jalan,3171010001,,Selesai,2026-05-02 10:00,,\n"
    preview_url = upload(client, bad).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "baris 4 [area_code]: wilayah 3171999999 tidak ada" in page
    assert "baris 5 [resolved_at]:" in page
    response = client.post(preview_url, data=preview_form(page) | {"submit": "1"})
    assert response.status_code == 400
    assert "Tidak ada yang diimpor" in response.get_data(as_text=True)
    assert complaints_count(app) == 0
    # Skipping the bad rows imports the good ones.
    response = client.post(preview_url, data=preview_form(page) | {"submit": "1", "skip_bad": "y"})
    assert response.status_code == 302
    assert complaints_count(app) == 2


def test_lapor_columns_are_suggested_and_can_be_changed(app, client, coordinator):
    preview_url = upload(client, LAPOR, "lapor.csv").headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    form = preview_form(page)
    # trackingid, tanggallaporanmasuk, tanggallaporanditutup are recognised; areaid is not.
    assert [form[f"map-{i}"] for i in range(5)] == [
        "complaint_id", "reported_at", "resolved_at", "", ""]
    assert "area_code" in page and "Kolom belum cocok" in page
    form["map-3"] = "area_code"
    response = client.post(preview_url, data=form | {"preview": "1"})
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "1 baris baik, 0 baris salah" in page
    response = client.post(preview_url, data=preview_form(page) | {"submit": "1"})
    assert response.status_code == 302
    assert complaints_count(app) == 1


def test_a_bad_as_of_is_a_form_error(app, client, coordinator):
    preview_url = upload(client, GOOD).headers["Location"]
    data = preview_form(client.get(preview_url).get_data(as_text=True))
    response = client.post(preview_url, data=data | {"submit": "1", "as_of": "besok"})
    assert response.status_code == 400
    assert "Bukan tanggal dan waktu" in response.get_data(as_text=True)
    assert complaints_count(app) == 0


def test_an_export_may_be_larger_than_other_uploads_but_not_without_limit(app, client,
                                                                         coordinator):
    """A year's export (some 20 MB) is above the app's general upload limit; the complaint
    upload has its own, larger one. Scaled down here: a 1 KB general limit."""
    app.config["MAX_CONTENT_LENGTH"] = 1024
    large = GOOD + "".join(f"# {'x' * 60}\n" for _ in range(40))  # well over 1 KB
    assert len(large) > 2048
    assert upload(client, large).status_code == 302  # on to the preview
    app.config["COMPLAINT_MAX_UPLOAD"] = 1024
    assert upload(client, large).status_code == 413


def test_unreadable_or_wrong_files(client, coordinator):
    assert upload(client, GOOD, "export.txt").status_code == 400
    preview_url = upload(client, "complaint_id,area_code\n").headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "Berkas tidak dapat dibaca" in page


def test_someone_elses_upload_is_not_found(app, client, auth, users, coordinator):
    preview_url = upload(client, GOOD).headers["Location"]
    other = app.test_client()
    from tests.conftest import AuthActions
    AuthActions(other).login(users["admin"])
    assert other.get(preview_url).status_code == 404
    assert other.get("/coordinator/complaints/upload/..%2F..%2Fsecret_key").status_code == 404


def test_figures_page(app, client, auth, users):
    with app.app_context():
        db.session.add(Unit(code="DBM", name="Dinas Bina Marga"))
        factories.round_("2026-Q2", state="closed", opens=datetime(2026, 6, 1, tzinfo=UTC),
                         closes=datetime(2026, 7, 5, tzinfo=UTC))
        db.session.commit()
    auth.login(users["coordinator"])
    preview_url = upload(client, GOOD).headers["Location"]
    client.post(preview_url, data=preview_form(client.get(preview_url).get_data(as_text=True))
                | {"submit": "1"})
    auth.logout()
    auth.login(users["viewer"])  # viewers read the figures of published rounds, cannot import
    assert client.get(INDEX).status_code == 200
    assert "Unggah" not in client.get(INDEX).get_data(as_text=True)
    # as with its results, a round that is not published has no figures for a viewer
    assert client.get(INDEX + "rounds/2026-Q2").status_code == 404
    assert "2026-Q2" not in client.get(INDEX).get_data(as_text=True)
    with app.app_context():
        db.session.scalar(select(Round).where(Round.code == "2026-Q2")).state = "published"
        db.session.commit()
    assert "2026-Q2" in client.get(INDEX).get_data(as_text=True)
    page = client.get(INDEX + "rounds/2026-Q2").get_data(as_text=True)
    assert "Angka pengaduan 2026-Q2" in page
    assert "Final: diukur pada 08-07-2026 00:00 WIB, akhir triwulan ditambah batas waktu." in page
    row = re.search(r"<td>lurah</td>.*?</tr>", page, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', row)
    # received, rejected, resolved, in time, rate (1 of 2: C2 overdue), median days, hours, overdue
    assert cells == ["2", "0", "1", "1", "50,0%", "2,00", "2,00", "1"]
    assert "Dinas Bina Marga" in page
    assert client.get(INDEX + "rounds/2026-Q2?level=camat").status_code == 200
    assert client.get(INDEX + "rounds/1999-Q1").status_code == 404
    with app.app_context():
        q2 = db.session.scalar(select(Round).where(Round.code == "2026-Q2"))
        factories.round_("2026-X1", questionnaire=q2.questionnaire)
        db.session.commit()
    assert client.get(INDEX + "rounds/2026-X1").status_code == 404
    token = csrf_token(client, INDEX)
    assert client.post(INDEX + "upload", data={"csrf_token": token}).status_code == 403


def test_officials_have_no_access(client, auth, users):
    auth.login(users["official"])
    assert client.get(INDEX).status_code == 403


def _last_job(app) -> Job:
    with app.app_context():
        job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
        db.session.expunge(job)
        return job


def test_a_large_export_is_previewed_from_its_first_rows_and_imported_by_a_job(
        app, client, coordinator, upload_dir):
    """A year's export (200,000 rows, 20 MB) is more than a request should read and check:
    above JOB_IMPORT_BYTES the preview reads the header and the first ten rows, and the import,
    which checks every row, is a job (run at once in tests: JOBS_URL=memory://)."""
    app.config["JOB_IMPORT_BYTES"] = 10  # every file is "large" here
    rows = "".join(f"R{n:02d},JAKI,Jalan,3171010001,,Proses,2026-05-01 10:{n:02d},,\n"
                   for n in range(15))
    preview_url = upload(client, HEADER + rows).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    assert "R09" in page and "R10" not in page  # the first ten rows only
    assert "baris baik" not in page  # no count: the rows are not all read
    assert "Berkas ini besar: setiap baris diperiksa saat diimpor" in page
    assert complaints_count(app) == 0
    response = client.post(preview_url, data=preview_form(page) | {"submit": "1"})
    job = _last_job(app)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/coordinator/jobs/{job.id}"
    assert (job.kind, job.state, job.params["name"]) == ("import-complaints", "done", "export.csv")
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Pengaduan diimpor: 15 baru, 0 diperbarui" in html and "Berkas: export.csv." in html
    assert complaints_count(app) == 15
    assert not (upload_dir / preview_url.rsplit("/", 1)[1]).exists()  # removed by the job
    assert client.get(preview_url).status_code == 404
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "import-complaints")) == 1


def test_a_large_exports_bad_rows_fail_its_job_or_come_back_as_a_file(app, client,
                                                                       coordinator):
    app.config["JOB_IMPORT_BYTES"] = 10
    bad = GOOD + "C3,JAKI,Jalan,3171999999,,Proses,2026-05-02 10:00,,\n"
    preview_url = upload(client, bad).headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    client.post(preview_url, data=preview_form(page) | {"submit": "1"})
    job = _last_job(app)
    assert job.state == "failed" and complaints_count(app) == 0
    html = client.get(f"/coordinator/jobs/{job.id}").get_data(as_text=True)
    assert "Tidak ada yang diimpor: 1 masalah ditemukan." in html
    assert "baris 4 [area_code]: wilayah 3171999999 tidak ada" in html
    # The file went with the job: uploaded again, with the bad rows skipped.
    preview_url = upload(client, bad, "crm-2026.csv").headers["Location"]
    page = client.get(preview_url).get_data(as_text=True)
    client.post(preview_url, data=preview_form(page) | {"submit": "1", "skip_bad": "y"})
    job = _last_job(app)
    assert job.state == "done" and complaints_count(app) == 2
    assert job.result_name == "baris-salah-crm-2026.csv"
    html = client.get(f"/coordinator/jobs/{job.id}").get_data(as_text=True)
    assert "Pengaduan diimpor: 2 baru" in html and "1 baris salah dilewati" in html
    download = client.get(f"/coordinator/jobs/{job.id}/download")
    back = download.get_data(as_text=True)
    download.close()  # a file sent from disk stays open until closed
    assert back.splitlines() == [
        "line,errors," + HEADER.strip(),
        "4,wilayah 3171999999 tidak ada,C3,JAKI,Jalan,3171999999,,Proses,2026-05-02 10:00,,"]


def test_a_job_lists_the_first_hundred_problems_and_counts_the_rest(app):
    from survey_app.domain.errors import ImportRejected, RowError

    with app.test_request_context("/?lang=en"):
        rejected = ImportRejected([RowError(n, "bad") for n in range(2, 152)])
        lines = rejected.listing().splitlines()
    assert lines[0] == "Nothing was imported: 150 problems found."
    assert lines[1] == "line 2: bad" and lines[100] == "line 101: bad"
    assert lines[101:] == ["... and 50 more problems."]
