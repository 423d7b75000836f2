"""A worker killed (SIGKILL) in the middle of a job: the job stays running with nothing offered
for download (its ZIP was being written to a nameless temporary file; no chunk of it reached the
database), the every-minute task sends it again, and a new worker finishes it whole; the
download, through this test's app (another process sharing only the database), is the complete
ZIP. A real worker process on a real SQLite queue, on SQLite and (SKM_TEST_DATABASE_URL)
PostgreSQL."""
from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from survey_app import jobs
from survey_app.extensions import db
from survey_app.models import Job, JobFile
from tests import factories
from tests.respondent_setup import HEADER, SECRET, load_roster, world

ROOT = Path(__file__).resolve().parent.parent
KELURAHAN = 10
LETTERS = 240
pytestmark = pytest.mark.slow

SUBMIT = """
from survey_app import create_app, jobs
app = create_app()
with app.app_context():
    jobs.submit("letters", {"round": "2027-Q1", "format": "zip", "area": None,
                            "pending": False})
"""
# What the every-minute task does once the job's progress has stood still for long enough.
REQUEUE = """
from datetime import timedelta
from survey_app import create_app, jobs
from survey_app.domain import clock
app = create_app()
with app.app_context():
    print(jobs.requeue_stale(now=clock.now() + timedelta(minutes=jobs.JOB_STALE_MINUTES + 1)))
"""


def job_row(app) -> Job | None:
    with app.app_context():
        try:
            job = db.session.scalars(select(Job)).first()
            if job is not None:
                db.session.expunge(job)
            return job
        finally:
            db.session.remove()


def wait_for(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = condition()
        if found:
            return found
        time.sleep(0.05)
    return None


def worker(env: dict, log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "wsgi", "skm", "worker"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)


def stored_chunks(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(JobFile))
        finally:
            db.session.remove()


def test_a_job_whose_worker_was_killed_is_finished_by_the_next_and_never_offered_half(
        app, tmp_path, client, auth, users):
    with app.app_context():
        areas, round_ = world()
        codes = [factories.area(f"3171010{n:03d}", "kelurahan", parent=areas["3171010"]).code
                 for n in range(3, 3 + KELURAHAN)]
        load_roster(round_, HEADER + "".join(
            f"K{n:05d},Warga {n},rt,{codes[n % KELURAHAN]},1,{n % 9 + 1},,\n"
            for n in range(LETTERS)))
        db.session.commit()
    env = {**os.environ, "JOBS_URL": f"sqlite:///{tmp_path / 'jobs.sqlite3'}", "JOBS_NAME": "skm",
           "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": SECRET,
           "SKM_ENV": "development", "SKM_INSTANCE_PATH": str(tmp_path / "worker")}
    subprocess.run([sys.executable, "-c", SUBMIT], cwd=ROOT, env=env, check=True, timeout=60)
    assert job_row(app).state == "queued"
    log = tmp_path / "worker.log"
    first = worker(env, log)
    try:
        job = wait_for(lambda: (j := job_row(app)) and j.state == "running" and
                       0 < j.done < j.total and j, seconds=120)
        assert job, log.read_text()
        first.send_signal(signal.SIGKILL)  # mid-job: no chance to clean up
        first.wait(timeout=10)
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
    killed = job_row(app)
    assert (killed.state, killed.attempt, killed.result_size) == ("running", 1, None)
    assert 0 < killed.done < LETTERS
    assert stored_chunks(app) == 0  # nothing, whole or half, to offer
    auth.login(users["coordinator"])
    assert client.get(f"/coordinator/jobs/{killed.id}/download").status_code == 404
    sent = subprocess.run([sys.executable, "-c", REQUEUE], cwd=ROOT, env=env, check=True,
                          timeout=60, capture_output=True, text=True)
    assert sent.stdout.strip() == "1"
    second = worker(env, log)
    try:
        done = wait_for(lambda: (j := job_row(app)) and j.state not in ("queued", "running")
                        and j, seconds=400)
        assert done, (job_row(app).done, log.read_text())
        second.send_signal(signal.SIGINT)
        second.wait(timeout=30)
    finally:
        if second.poll() is None:
            second.kill()
            second.wait()
    assert (done.state, done.attempt, done.done, done.total) == ("done", 2, LETTERS, LETTERS)
    download = client.get(f"/coordinator/jobs/{done.id}/download")
    assert download.status_code == 200 and len(download.data) == done.result_size
    assert stored_chunks(app) == -(-done.result_size // jobs.CHUNK_BYTES)
    with zipfile.ZipFile(io.BytesIO(download.data)) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert len(names) == KELURAHAN
        assert all(archive.read(n).endswith(b"%%EOF\n") for n in names)
