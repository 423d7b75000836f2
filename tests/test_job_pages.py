"""Coordinators' background jobs (survey_app/jobs.py, survey_app/background): letters and links
by area and the round's ZIP per kelurahan, run as a job (JOBS_URL=memory:// runs it at once), its
page with a progress bar that refreshes itself while it runs, the download (coordinators only,
audit-logged), a failure in words, a stopped job sent again, old results removed."""
from __future__ import annotations

import csv
import io
import re
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text, update

from survey_app import at_rest, jobs
from survey_app.extensions import db
from survey_app.models import AuditEntry, HeldResponse, Job, JobFile, Respondent
from tests.respondent_setup import ROSTER, load_roster, world
from tests.sealing import revealed


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


@pytest.fixture
def coordinator(app, client, auth, users):
    """A logged-in coordinator and the open round 2027-Q1 with the four respondents of
    tests/respondent_setup.ROSTER: R1, R2 (kelurahan 3171010001), R3 (FKDM of kecamatan
    3171010) and R4 (kelurahan 3171020002)."""
    with app.app_context():
        _areas, round_ = world()
        load_roster(round_)
        db.session.commit()
    auth.login(users["coordinator"])
    return client


def start_letters(client, **fields):
    page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    data = {"csrf_token": csrf(page), "format": "pdf", "area": "", **fields}
    return client.post("/coordinator/jobs/letters/2027-Q1", data=data)


def fetch(client, url: str):
    """GET a download and close it (a file sent from disk stays open until closed)."""
    response = client.get(url)
    response.get_data()
    response.close()
    return response


def the_job(app) -> Job:
    with app.app_context():
        job = db.session.scalars(select(Job).order_by(Job.id.desc())).first()
        db.session.expunge(job)
        return job


def test_the_links_of_one_kecamatan_as_a_job(app, coordinator):
    response = start_letters(coordinator, format="csv", area="3171010")
    job = the_job(app)
    assert response.status_code == 303
    assert response.headers["Location"] == f"/coordinator/jobs/{job.id}"
    assert (job.state, job.done, job.total, job.attempt) == ("done", 3, 3, 1)
    page = coordinator.get(f"/coordinator/jobs/{job.id}").get_data(as_text=True)
    assert "Undangan dalam berkas: 3." in page and 'http-equiv="refresh"' not in page
    assert f'href="/coordinator/jobs/{job.id}/download"' in page
    download = fetch(coordinator, f"/coordinator/jobs/{job.id}/download")
    assert download.status_code == 200
    assert 'filename=undangan-2027-Q1-3171010.csv' in download.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(download.data.decode("utf-8-sig"))))
    assert [r["respondent_ref"] for r in rows] == ["R3", "R1", "R2"]  # by area code, RW, RT
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)).all()
        assert actions[-2:] == ["job-started", "download-job-result"]
    listing = coordinator.get("/coordinator/jobs/").get_data(as_text=True)
    assert f'href="/coordinator/jobs/{job.id}"' in listing and "coordinator@example.id" in listing


def test_the_rounds_zip_has_one_pdf_per_kelurahan(app, coordinator):
    start_letters(coordinator, format="zip")
    job = the_job(app)
    assert (job.state, job.done, job.total) == ("done", 4, 4)
    archive = zipfile.ZipFile(io.BytesIO(fetch(coordinator,
                                               f"/coordinator/jobs/{job.id}/download").data))
    names = archive.namelist()
    assert names == ["undangan-2027-Q1-3171010-kecamatan-3171010.pdf",
                     "undangan-2027-Q1-3171010001-kelurahan-3171010001.pdf",
                     "undangan-2027-Q1-3171020002-kelurahan-3171020002.pdf"]
    for name in names:
        assert archive.read(name).startswith(b"%PDF") and archive.read(name).endswith(b"%%EOF\n")


def test_the_letters_of_one_kelurahan_pending_only(app, coordinator):
    start_letters(coordinator, format="pdf", area="3171020002", pending="y")
    job = the_job(app)
    assert (job.state, job.total, job.result_name) == (
        "done", 1, "undangan-2027-Q1-3171020002-belum-selesai.pdf")
    download = fetch(coordinator, f"/coordinator/jobs/{job.id}/download")
    assert download.mimetype == "application/pdf"
    assert download.data.startswith(b"%PDF") and download.data.endswith(b"%%EOF\n")
    assert job.result_size == len(download.data) == int(download.headers["Content-Length"])


def test_a_result_file_is_stored_in_chunks_and_downloaded_whole(app, coordinator, monkeypatch):
    """Kept in the database in chunks of CHUNK_BYTES plain bytes (here 1,000: a PDF of four
    letters is several), each sealed (survey_app/at_rest.py: OVERHEAD bytes more), numbered
    from 0; the download is their plain bytes, in order."""
    monkeypatch.setattr(jobs, "CHUNK_BYTES", 1000)
    start_letters(coordinator, format="pdf")
    job = the_job(app)
    with app.app_context():
        chunks = db.session.execute(select(JobFile.seq, JobFile.data).where(
            JobFile.job_id == job.id).order_by(JobFile.seq)).all()
        opened = b"".join(jobs.result_chunks(job.id))
    assert len(chunks) == -(-job.result_size // 1000) > 2
    assert [seq for seq, _data in chunks] == list(range(len(chunks)))
    assert all(len(data) == 1000 + at_rest.OVERHEAD for _seq, data in chunks[:-1])
    assert at_rest.OVERHEAD < len(chunks[-1][1]) <= 1000 + at_rest.OVERHEAD
    assert b"%PDF" not in b"".join(data for _seq, data in chunks)
    download = fetch(coordinator, f"/coordinator/jobs/{job.id}/download")
    assert download.data == opened and len(opened) == job.result_size
    assert download.data.startswith(b"%PDF") and download.data.endswith(b"%%EOF\n")


def _stored(job_id: int) -> bytes:
    """What a database reader finds of a job's result: its rows' bytes, in order."""
    return b"".join(db.session.scalars(select(JobFile.data).where(JobFile.job_id == job_id)
                                       .order_by(JobFile.seq)))


def test_the_letters_in_job_files_hold_no_link_and_no_ref(app, coordinator):
    """The links CSV names R1..R4 and holds their /s/ links; the job_files rows hold none of
    it, and the file opened with the app's key is the CSV, links included."""
    start_letters(coordinator, format="csv")
    job = the_job(app)
    with app.app_context():
        stored = _stored(job.id)
        opened = b"".join(jobs.result_chunks(job.id))
    assert opened.count(b"/s/") == 4 and b"R1," in opened
    assert len(opened.splitlines()) == 5 and revealed(stored, opened) == []
    assert len(stored) == len(opened) + at_rest.OVERHEAD  # one chunk


def test_a_result_stored_under_another_secret_key_is_refused_in_words(app, coordinator, auth,
                                                                      users):
    """SECRET_KEY changed since the letters were made (the coordinator logs in again: the
    session was signed with the old one): the download page says the result can no longer be
    read and to start the job again (no 500, nothing streamed, no download audited)."""
    start_letters(coordinator, format="pdf")
    job = the_job(app)
    app.config["SECRET_KEY"] = "rotated since"
    auth.login(users["coordinator"])
    response = coordinator.get(f"/coordinator/jobs/{job.id}/download")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/coordinator/jobs/{job.id}"
    html = coordinator.get(f"/coordinator/jobs/{job.id}").get_data(as_text=True)
    assert "Hasil pekerjaan ini tidak dapat dibaca lagi" in html
    assert "Mulai pekerjaan ini lagi" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "download-job-result")) == 0
        with pytest.raises(at_rest.Unreadable):
            b"".join(jobs.result_chunks(job.id))


def test_a_result_altered_or_cut_short_does_not_open(app, coordinator, monkeypatch):
    monkeypatch.setattr(jobs, "CHUNK_BYTES", 1000)
    start_letters(coordinator, format="pdf")
    job = the_job(app)
    with app.app_context():
        last = db.session.scalar(select(func.max(JobFile.seq)).where(JobFile.job_id == job.id))
        db.session.execute(JobFile.__table__.delete().where(JobFile.job_id == job.id,
                                                            JobFile.seq == last))
        with pytest.raises(at_rest.Unreadable):
            b"".join(jobs.result_chunks(job.id))
        first = db.session.get(JobFile, (job.id, 0))
        first.data = first.data[:-1] + bytes([first.data[-1] ^ 1])
        db.session.flush()
        assert not jobs.result_readable(job.id)
        db.session.rollback()


def test_a_job_that_fails_after_writing_its_file_stores_nothing(app, coordinator, monkeypatch):
    """The file was written whole, then the work failed: no chunk is kept, nothing offered."""

    def writes_then_fails(run):
        with run.result_file("half.csv") as out:
            out.write(b"a,b\r\n" * 10_000)
        raise jobs.JobFailed(plain="stopped after the file")

    monkeypatch.setitem(jobs.KINDS, "test-fails", writes_then_fails)
    with app.app_context():
        job = jobs.submit("test-fails", {})
        assert (job.state, job.result_size) == ("failed", None)
        assert db.session.scalar(select(func.count()).select_from(JobFile)) == 0
    assert coordinator.get(f"/coordinator/jobs/{job.id}/download").status_code == 404


def test_an_unknown_area_fails_in_words(app, coordinator, caplog):
    caplog.set_level("WARNING", logger="survey_app.jobs")
    start_letters(coordinator, area="9999")
    job = the_job(app)
    assert job.state == "failed" and job.result_size is None
    page = coordinator.get(f"/coordinator/jobs/{job.id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Wilayah 9999 bukan kota, kecamatan, atau kelurahan." in html
    assert "/download" not in html
    assert coordinator.get(f"/coordinator/jobs/{job.id}/download").status_code == 404
    assert f"Job {job.id} (letters) failed" in caplog.text


def test_an_error_in_the_work_is_a_message_not_a_500(app, coordinator, caplog):
    token = csrf(coordinator.get("/coordinator/roster/2027-Q1").get_data(as_text=True))
    with app.app_context():
        db.session.execute(text("ALTER TABLE invitations RENAME TO invitations_away"))
        db.session.commit()
    try:
        response = coordinator.post("/coordinator/jobs/letters/2027-Q1",
                                    data={"csrf_token": token, "format": "pdf"})
    finally:
        with app.app_context():
            db.session.execute(text("ALTER TABLE invitations_away RENAME TO invitations"))
            db.session.commit()
    assert response.status_code == 303
    job = the_job(app)
    assert job.state == "failed"
    html = coordinator.get(f"/coordinator/jobs/{job.id}").get_data(as_text=True)
    assert "Pekerjaan berhenti karena galat (" in html and "tidak ada yang disimpan" in html
    assert "INSERT" not in caplog.text and "SELECT" not in html


def test_a_running_job_refreshes_its_page_and_shows_a_bar(app, coordinator):
    with app.app_context():
        job = Job(kind="letters", params={"round": "2027-Q1", "format": "zip"}, state="running",
                  done=5, total=20, attempt=1, actor="cli")
        db.session.add(job)
        db.session.commit()
        job_id = job.id
    html = coordinator.get(f"/coordinator/jobs/{job_id}").get_data(as_text=True)
    assert '<meta http-equiv="refresh" content="3">' in html
    assert '<progress class="job" max="20" value="5">' in html
    assert "5 dari 20" in html
    assert "style=" not in html and "<script" not in html


@pytest.mark.parametrize("role", ["viewer", "official"])
def test_only_coordinators_and_admins_see_jobs(app, client, auth, users, role):
    with app.app_context():
        world()
        db.session.add(Job(kind="letters", params={}, state="done", actor="cli"))
        db.session.commit()
    auth.login(users[role])
    for url in ("/coordinator/jobs/", "/coordinator/jobs/1", "/coordinator/jobs/1/download"):
        assert client.get(url).status_code == 403


def test_a_stopped_job_is_sent_again_and_finished_whole(app, coordinator):
    """A worker killed mid-job leaves the row running with nothing stored (its file was never
    committed; tests/test_job_worker_killed.py kills a real one): the every-minute task sends it
    again and the next attempt writes the whole file."""
    with app.app_context():
        job = Job(kind="letters", params={"round": "2027-Q1", "format": "csv", "area": None,
                                          "pending": False},
                  state="running", attempt=1, done=1, total=4, actor="cli",
                  updated_at=datetime.now(UTC) - timedelta(minutes=jobs.JOB_STALE_MINUTES + 1))
        db.session.add(job)
        db.session.commit()
        assert jobs.requeue_stale() == 1  # sent again; memory:// runs it at once
    job = the_job(app)
    assert (job.state, job.attempt, job.done) == ("done", 2, 4)
    download = fetch(coordinator, f"/coordinator/jobs/{job.id}/download")
    assert download.data.count(b"\r\n") == 5  # the header and 4 rows


def test_a_job_stopped_too_often_fails_in_words(app, coordinator):
    with app.app_context():
        db.session.add(Job(kind="letters", params={"round": "2027-Q1", "format": "csv"},
                           state="running", attempt=jobs.JOB_MAX_ATTEMPTS, actor="cli",
                           updated_at=datetime.now(UTC) - timedelta(hours=1)))
        db.session.commit()
        assert jobs.requeue_stale() == 0
    job = the_job(app)
    assert job.state == "failed"
    html = coordinator.get(f"/coordinator/jobs/{job.id}").get_data(as_text=True)
    assert "Pekerjaan berhenti 3 kali sebelum selesai" in html


def test_old_results_are_removed(app, coordinator):
    start_letters(coordinator, format="csv")
    job = the_job(app)
    start_letters(coordinator, format="pdf")
    newer = the_job(app)

    def chunks(job_id: int) -> int:
        return db.session.scalar(select(func.count()).select_from(JobFile)
                                 .where(JobFile.job_id == job_id))

    with app.app_context():
        db.session.execute(update(Job).where(Job.id == newer.id)
                           .values(finished_at=job.finished_at + timedelta(hours=2)))
        db.session.commit()
        assert jobs.remove_old_results() == 0 and chunks(job.id) == 1  # still fresh
        later = job.finished_at + timedelta(hours=73)  # 71 hours for the newer one
        assert jobs.remove_old_results(now=later) == 1
        assert chunks(job.id) == 0 and chunks(newer.id) == 1
    assert the_job(app).result_size is not None
    with app.app_context():
        assert db.session.get(Job, job.id).result_size is None
    html = coordinator.get(f"/coordinator/jobs/{job.id}").get_data(as_text=True)
    assert "Berkas sudah dihapus" in html
    assert coordinator.get(f"/coordinator/jobs/{job.id}/download").status_code == 404


def test_a_large_roster_is_imported_by_a_job(app, client, auth, users):
    with app.app_context():
        world()
        db.session.commit()
    app.config["JOB_IMPORT_BYTES"] = 10  # every file is "large" here
    auth.login(users["coordinator"])
    page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    preview = client.post("/coordinator/roster/2027-Q1/preview", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(ROSTER.encode()), "roster.csv")},
        content_type="multipart/form-data").get_data(as_text=True)
    upload = re.search(r'name="upload" type="hidden" value="([^"]+)"', preview).group(1)
    response = client.post("/coordinator/roster/2027-Q1/import",
                           data={"csrf_token": csrf(preview), "upload": upload})
    job = the_job(app)
    assert response.headers["Location"] == f"/coordinator/jobs/{job.id}"
    assert job.kind == "import-respondents" and job.state == "done"
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Daftar responden diimpor: 4 baru, 0 diperbarui, 0 tidak berubah" in html
    assert 'href="/coordinator/roster/2027-Q1"' in html
    assert not (Path(app.instance_path) / "uploads" / upload).exists()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Respondent)) == 4
        assert db.session.scalar(select(func.count()).select_from(AuditEntry).where(
            AuditEntry.action == "import-respondents")) == 1


def test_large_paper_forms_are_imported_by_a_job_and_bad_rows_shown_in_words(app, coordinator):
    app.config["JOB_IMPORT_BYTES"] = 10
    header = "respondent_ref,position,area_code," + ",".join(f"U{i}" for i in range(1, 10))
    states = []
    for forms in (header + "\nR1,lurah,3171010001,4,4,4,4,4,4,4,4,9\n",  # 9: not an answer
                  header + "\nR1,lurah,3171010001,4,4,4,4,4,4,4,4,4\n"):
        page = coordinator.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
        response = coordinator.post("/coordinator/roster/2027-Q1/paper", data={
            "csrf_token": csrf(page), "file": (io.BytesIO(forms.encode()), "paper.csv")},
            content_type="multipart/form-data")
        job = the_job(app)
        assert response.headers["Location"] == f"/coordinator/jobs/{job.id}"
        assert job.kind == "import-responses"
        states.append((job.state, coordinator.get(response.headers["Location"])
                       .get_data(as_text=True)))
    (failed, refused), (done, stored) = states
    assert failed == "failed" and "baris 2 [u9]" in refused.lower()
    assert done == "done" and "1 formulir kertas disimpan." in stored
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HeldResponse)) == 1
