"""A year's complaint export through the coordinator's pages on the province demo, served as in
production: the upload, the preview and the confirmation, each timed (targets: under 1 s at
p95, none over 2 s, issue 17), then the import job the confirmation starts, run by a worker.

Usage: .venv/bin/python benchmarks/complaint_upload.py --sqlite PROVINCE.sqlite [--rows 200000]
       [--repeat 5]
       .venv/bin/python benchmarks/complaint_upload.py --pg URL [--rows ...]  (reused as it is)

The SQLite file is copied first (the import adds its complaints). The export is
benchmarks/bulk.py's (new complaints of 2025, ids of their own, a tenth of the times in UTC
with a Z). The preview is visited --repeat times; the upload and the confirmation once each
(a second upload would be another file). A large export's preview reads its first rows only,
and its import checks every row in the job (survey_app/job_kinds.py, import-complaints).
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import statistics
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bulk import write_complaints  # noqa: E402
from benchmarks.common import flask_command  # noqa: E402
from benchmarks.pages import (  # noqa: E402
    LOGINS,
    Browser,
    csrf_of,
    print_jobs,
    run_jobs,
    serve,
)

INDEX = "/coordinator/complaints/"


def upload(browser: Browser, path: Path) -> tuple[int, dict[str, str], float]:
    """POST the file as a browser does (multipart/form-data); status, headers, seconds."""
    token = csrf_of(browser.get(INDEX))
    boundary = uuid.uuid4().hex
    body = (f'--{boundary}\r\nContent-Disposition: form-data; name="csrf_token"\r\n\r\n'
            f'{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name="export"; '
            f'filename="{path.name}"\r\nContent-Type: text/csv\r\n\r\n').encode() \
        + path.read_bytes() + f"\r\n--{boundary}--\r\n".encode()
    status, headers, _content, seconds = browser.request(
        "POST", INDEX + "upload", raw=(body, f"multipart/form-data; boundary={boundary}"))
    return status, headers, seconds


def confirmation(page: bytes) -> dict[str, str]:
    """The preview's form as the browser sends it: its token, each column's chosen mapping, and
    the Import button."""
    html = page.decode()
    form = {"csrf_token": csrf_of(page), "submit": "1"}
    for name, options in re.findall(r'<select name="(map-\d+)"[^>]*>(.*?)</select>', html, re.S):
        selected = re.search(r'<option value="([^"]*)" selected', options)
        form[name] = selected.group(1) if selected else ""
    return form


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite", help="a province demo built already (copied first)")
    parser.add_argument("--pg", help="PostgreSQL URL of a province demo (used as it is)")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="skm-complaint-upload-"))
    if args.pg:
        url = args.pg if "+psycopg" in args.pg else args.pg.replace("postgresql://",
                                                                     "postgresql+psycopg://")
    elif args.sqlite:
        shutil.copyfile(args.sqlite, workdir / "province.sqlite")
        url = f"sqlite:///{workdir / 'province.sqlite'}"
    else:
        sys.exit("--sqlite or --pg: a province demo built already (benchmarks/pages.py builds one)")
    flask_command(url, "db", "upgrade")
    export = workdir / "crm-2025.csv"
    write_complaints({**os.environ, "DATABASE_URL": url}, export, args.rows)
    server, port = serve(url, workdir)
    try:
        coordinator = Browser(port)
        coordinator.login(*LOGINS["coordinator"])
        status, headers, upload_seconds = upload(coordinator, export)
        if status != 302:
            sys.exit(f"upload: {status}")
        preview_url = headers["location"]
        previews = []
        for _ in range(args.repeat):
            status, _h, page, seconds = coordinator.request("GET", preview_url)
            if status != 200:
                sys.exit(f"preview: {status}")
            previews.append(seconds)
        status, headers, _c, confirm_seconds = coordinator.request("POST", preview_url,
                                                                   confirmation(page))
        if status != 303 or "/coordinator/jobs/" not in headers.get("location", ""):
            sys.exit(f"confirmation: {status}, not a job's page")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    size = export.stat().st_size / 1024 / 1024
    print(f"complaint upload of {args.rows:,} rows ({size:.1f} MB), "
          f"{'PostgreSQL' if args.pg else 'SQLite'}, gunicorn as in production")
    print(f"  upload (POST, streamed to disk)        {upload_seconds:6.3f} s")
    print(f"  preview (GET, first rows), median      {statistics.median(previews):6.3f} s "
          f"(max {max(previews):.3f} s, {len(previews)} visits)")
    print(f"  confirmation (POST, answered by a job) {confirm_seconds:6.3f} s")
    worst = max(upload_seconds, confirm_seconds, *previews)
    print(f"  targets (under 1 s, none over 2 s): {'met' if worst < 1 else 'NOT met'}")
    print_jobs([job for job in run_jobs(url, workdir, port) if job[1] == "import-complaints"])
    print(f"  complaints of the export stored: {stored(url):,}")


def stored(url: str) -> int:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        count = connection.execute(text(
            "SELECT count(*) FROM complaints WHERE external_id LIKE 'BULK-%'")).scalar_one()
    engine.dispose()
    return count


if __name__ == "__main__":
    main()
