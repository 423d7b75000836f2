"""Every page a coordinator, a viewer and an official use, on the province demo, served as in
production: time (median, p95, max), SQL statements per request, bytes.

Usage: .venv/bin/python benchmarks/pages.py [--sqlite PATH] [--pg URL [--reuse]] [--repeat N]

Builds `skm demo --scale province` (about 40,000 respondents, 2.9 M answers, 215,000
complaints) into a fresh SQLite file (or, with --pg, into the emptied PostgreSQL database URL),
unless --sqlite names a file built already (or --reuse keeps what the PostgreSQL database holds;
either is upgraded to this checkout's schema first, and must have been built with
benchmarks/common.SECRET_KEY, as build_province does, or the links cannot be exported).
Then starts gunicorn with gunicorn.conf.py on 127.0.0.1 (SKM_ENV=production, its workers and
timeout) with SKM_COUNT_QUERIES=1, so that each response says in X-Query-Count how many SQL
statements it took (off by default), logs in with the demo's logins and visits each page
--repeat times (10 by default) in turn, one request at a time. "first" is the first visit of
the page (a page that stores what it computes pays for it there); median, p95 and max are over
all the visits. The targets (issue 17): every page under 1 s at p95, no request over 2 s.

Heavy work is not a page: the letters and links of a whole round are asked for as a background
job (POST, answered at once with a redirect to the job's page, measured as an action like the
pages), and there is no direct download of them. After the pages, unless --no-worker, a job
worker (`flask skm worker`) is started and the jobs the visits queued run; their run times are
printed after the table (the worker is not running while the pages are measured).
"""
from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import (  # noqa: E402
    SECRET_KEY,
    build_province,
    empty_postgres,
    flask_command,
)

LOGINS = {"coordinator": ("koordinator@demo.skm.id", "demo-koordinator-2026"),
          "viewer": ("inspektorat@demo.skm.id", "demo-inspektorat-2026"),
          "lurah": ("lurah@demo.skm.id", "demo-lurah-2026"),
          "camat": ("camat@demo.skm.id", "demo-camat-2026")}
PUBLIC = "public"  # anyone, not logged in: /publik and /verify
TARGET_P95, TARGET_MAX = 1.0, 2.0


class Browser:
    """One logged-in person: keeps the session cookie by hand (production cookies are Secure,
    and this talks plain HTTP to 127.0.0.1, as a proxy in front of gunicorn does)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None,
                raw: tuple[bytes, str] | None = None) -> tuple[int, dict[str, str], bytes, float]:
        """One request: ``body`` a form's fields, or ``raw`` a body and its content type (a
        file upload's multipart/form-data); status, headers, content and seconds."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif raw is not None:
            data, headers["Content-Type"] = raw
        started = time.perf_counter()
        connection.request(method, path, body=data, headers=headers)
        response = connection.getresponse()
        content = response.read()
        elapsed = time.perf_counter() - started
        for header, value in response.getheaders():
            if header.lower() == "set-cookie":
                name, _, rest = value.partition("=")
                self.cookies[name] = rest.split(";", 1)[0]
        connection.close()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, content, elapsed

    def get(self, path: str) -> bytes:
        status, _headers, content, _elapsed = self.request("GET", path)
        if status != 200:
            sys.exit(f"GET {path}: {status}")
        return content

    def login(self, email: str, password: str) -> None:
        token = csrf_of(self.get("/auth/login"))
        status, _h, _c, _e = self.request("POST", "/auth/login", {
            "email": email, "password": password, "next": "", "csrf_token": token})
        if status != 302:
            sys.exit(f"login as {email}: {status}")


def rounds_of(database_url: str) -> dict[str, str]:
    """state -> the newest round code in that state (the demo has each of them)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    with engine.connect() as connection:
        rows = connection.execute(text("SELECT code, state FROM rounds ORDER BY opens_at"))
        found = {state: code for code, state in rows}
    engine.dispose()
    return found


def first_match(pattern: str, html: bytes) -> str:
    match = re.search(pattern, html.decode())
    if match is None:
        sys.exit(f"not found on the page: {pattern}")
    return match.group(1)


def csrf_of(html: bytes) -> str:
    return first_match(r'name="csrf_token"[^>]*value="([^"]+)"', html)


def plan(port: int, codes: dict[str, str]) -> list[tuple[str, Browser, str, str, dict | None]]:
    """(who, logged-in browser, method, path, form) for every page and action to measure."""
    people = {who: Browser(port) for who in LOGINS}
    for who, (email, password) in LOGINS.items():
        people[who].login(email, password)
    people[PUBLIC] = Browser(port)
    coordinator = people["coordinator"]
    open_, closed, published = codes["open"], codes["closed"], codes["published"]
    sanctions = coordinator.get(f"/results/{open_}/sanctions")
    nip = first_match(r'/sanctions/(\d+)"', sanctions)
    card = first_match(r'/cards/(\d+)\.pdf', coordinator.get(f"/portal/{published}"))
    lurah_card = first_match(r'/cards/(\d+)\.pdf', people["lurah"].get(f"/portal/{published}"))
    plan_id = first_match(r'/portal/rencana/(\d+)"',
                          coordinator.get(f"/portal/{published}/rencana"))
    lurah_plan = first_match(r'/portal/rencana/(\d+)"',
                             people["lurah"].get(f"/portal/{published}/rencana"))
    post = first_match(r'/coordinator/master/posts/(\d+)"',
                       coordinator.get("/coordinator/master/posts"))
    # The links of the whole open round: a job. One is asked for here, for its page.
    letters = {"csrf_token": csrf_of(coordinator.get(f"/coordinator/roster/{open_}")),
               "format": "csv", "area": ""}
    status, headers, _c, _e = coordinator.request("POST", f"/coordinator/jobs/letters/{open_}",
                                                  letters)
    if status != 303:
        sys.exit(f"letters job: {status}")
    job = urllib.parse.urlsplit(headers["location"]).path
    pages = [
        ("coordinator", "/"), ("coordinator", "/coordinator/rounds"),
        ("coordinator", f"/coordinator/rounds/{open_}"),
        ("coordinator", f"/coordinator/rounds/{closed}"),
        ("coordinator", f"/coordinator/rounds/{closed}/publish"),  # the publish checklist
        ("coordinator", "/coordinator/roster/"), ("coordinator", f"/coordinator/roster/{open_}"),
        ("coordinator", f"/coordinator/roster/{open_}/respondents"),
        ("coordinator", f"/coordinator/roster/{open_}/rates.csv"),
        ("coordinator", "/coordinator/complaints/"),
        ("coordinator", f"/coordinator/complaints/rounds/{open_}"),
        ("coordinator", f"/coordinator/complaints/rounds/{closed}"),
        ("coordinator", "/coordinator/master/"), ("coordinator", "/coordinator/master/areas"),
        ("coordinator", "/coordinator/master/units"),
        ("coordinator", "/coordinator/master/officials"),
        ("coordinator", "/coordinator/master/posts"),
        ("coordinator", f"/coordinator/master/posts/{post}"),
        ("coordinator", "/coordinator/master/officials.csv"),
        ("coordinator", f"/coordinator/templates/paper/{open_}.csv"),
        ("coordinator", "/coordinator/jobs/"), ("coordinator", job),
        ("coordinator", "/results/"),
        ("coordinator", f"/results/{open_}"),
        ("coordinator", f"/results/{open_}?tier=camat&sort=ikm"),
        ("coordinator", f"/results/{closed}"),
        ("coordinator", f"/results/{open_}/league.csv"),
        ("coordinator", f"/results/{open_}/complaints.csv"),
        ("coordinator", f"/results/{open_}/sanctions"),
        ("coordinator", f"/results/{open_}/sanctions?page=2"),
        ("coordinator", f"/results/{open_}/sanctions.csv"),
        ("coordinator", f"/results/{open_}/sanctions/{nip}"),
        ("coordinator", f"/results/officials/{nip}"),
        ("coordinator", "/portal/"), ("coordinator", f"/portal/{open_}"),
        ("coordinator", f"/portal/{published}/cards/{card}.pdf"),
        ("coordinator", f"/portal/{closed}/summary.pdf"),
        ("coordinator", f"/portal/{published}/rencana"),
        ("coordinator", f"/portal/{published}/rencana?page=2"),
        ("coordinator", f"/portal/rencana/{plan_id}"),
        ("coordinator", f"/api/rounds/{open_}/results"),
        ("viewer", "/"), ("viewer", "/results/"), ("viewer", f"/results/{published}"),
        ("viewer", f"/results/{published}/sanctions"),
        ("viewer", f"/results/officials/{nip}"), ("viewer", "/portal/"),
        ("viewer", f"/portal/{published}"),
        ("viewer", f"/portal/{published}/cards/{card}.pdf"),
        ("viewer", f"/portal/{published}/summary.pdf"),
        ("viewer", f"/portal/{published}/rencana"),
        ("lurah", "/portal/"), ("lurah", f"/portal/{published}"),
        ("lurah", f"/portal/{published}/cards/{lurah_card}.pdf"),
        ("lurah", f"/portal/{published}/rencana"), ("lurah", f"/portal/rencana/{lurah_plan}"),
        ("camat", "/portal/"), ("camat", f"/portal/{published}"),
        ("camat", f"/portal/{published}/cards.zip"), ("camat", f"/portal/{published}/rencana"),
        (PUBLIC, "/publik/"), (PUBLIC, f"/publik/{published}"),
        (PUBLIC, f"/publik/{published}.csv"), (PUBLIC, f"/publik/{published}.json"),
        (PUBLIC, "/publik/kamus-data"), (PUBLIC, "/verify"),
    ]
    visits: list[tuple[str, Browser, str, str, dict | None]] = [
        (who, people[who], "GET", path, None) for who, path in pages]
    # Actions: answered at once with the job's page (the work waits for the worker).
    visits.append(("coordinator", coordinator, "POST", f"/coordinator/jobs/letters/{open_}",
                   letters))
    return visits


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(port: int, codes: dict[str, str], repeat: int) -> list[tuple]:
    rows = []
    for who, browser, method, path, form in plan(port, codes):
        times, queries, size = [], None, 0
        label = path if method == "GET" else f"{method} {path}"
        for _ in range(repeat if method == "GET" else min(repeat, 3)):  # each action: a job
            status, headers, content, elapsed = browser.request(method, path, form)
            if status != (200 if method == "GET" else 303):
                sys.exit(f"{who} {method} {path}: {status}")
            times.append(elapsed)
            queries, size = headers.get("x-query-count", "?"), len(content)
        rows.append((who, label, times[0], statistics.median(times), p95(times), max(times),
                     queries, size))
        print(f"  {who} {label}: {statistics.median(times):.3f} s", file=sys.stderr)
    return rows


def print_table(rows: list[tuple], engine: str, repeat: int, load: float) -> None:
    print(f"\n{engine}: {repeat} visits of each page, one at a time (times in seconds; "
          f"load average {load:.1f} before, {os.getloadavg()[0]:.1f} after)")
    print(f"{'who':<12} {'page':<58} {'first':>6} {'median':>7} {'p95':>6} {'max':>6} "
          f"{'queries':>7} {'bytes':>9}")
    over = []
    for who, path, first, median, high, most, queries, size in rows:
        mark = " !" if high > TARGET_P95 or most > TARGET_MAX else ""
        print(f"{who:<12} {path:<58} {first:6.3f} {median:7.3f} {high:6.3f} {most:6.3f} "
              f"{queries:>7} {size:9d}{mark}")
        if mark:
            over.append(path)
    print(f"targets: p95 under {TARGET_P95} s, none over {TARGET_MAX} s: "
          + ("met" if not over else f"missed by {len(over)} pages (marked !)"))


def production_env(database_url: str, workdir: Path, port: int) -> dict[str, str]:
    """The environment of the web server and of the job worker (one queue; job results are kept
    in the database)."""
    return {**os.environ, "SKM_ENV": "production", "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": database_url, "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "JOBS_URL": "sqlite:///" + str(workdir / "jobs.sqlite3")}


def run_jobs(database_url: str, workdir: Path, port: int, timeout: float = 1200
             ) -> list[tuple]:
    """Start a job worker, wait until the jobs the visits queued have ended (or ``timeout``
    seconds), stop it; (id, kind, state, done, total, seconds from start to end, error) each."""
    from sqlalchemy import create_engine, text

    worker = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "skm", "worker"],
                              cwd=ROOT, env=production_env(database_url, workdir, port),
                              start_new_session=True, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    engine = create_engine(database_url)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as connection:
                waiting = connection.execute(text(
                    "SELECT count(*) FROM jobs WHERE state IN ('queued', 'running')")).scalar()
            if not waiting:
                break
            time.sleep(2)
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=60)
    with engine.connect() as connection:
        found = connection.execute(text(
            "SELECT id, kind, state, done, total, started_at, finished_at, error FROM jobs "
            "ORDER BY id")).all()
    engine.dispose()

    def moment(value):
        return datetime.fromisoformat(value) if isinstance(value, str) else value

    return [(job_id, kind, state, done, total,
             (moment(end) - moment(start)).total_seconds() if start and end else None, error)
            for job_id, kind, state, done, total, start, end, error in found]


def print_jobs(jobs: list[tuple]) -> None:
    print("\njobs the visits asked for, run afterwards by one worker (seconds from its start to "
          "its end):")
    for job_id, kind, state, done, total, seconds, error in jobs:
        took = f"{seconds:7.1f} s" if seconds is not None else "      -  "
        print(f"  #{job_id:<4} {kind:<20} {state:<8} {done:>7}/{total:<7} {took}"
              + (f"  {str(error)[:100]}" if error else ""))


def serve(database_url: str, workdir: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn as in production (gunicorn.conf.py), on a free port of 127.0.0.1."""
    from tests.live import free_port

    port = free_port()
    env = {**production_env(database_url, workdir, port), "BIND": f"127.0.0.1:{port}",
           "SKM_COUNT_QUERIES": "1"}
    server = subprocess.Popen([str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py",
                               "wsgi:app"], cwd=ROOT, env=env, start_new_session=True)
    for _ in range(600):
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
            connection.request("GET", "/health")
            if connection.getresponse().status == 200:
                return server, port
        except OSError:
            time.sleep(0.5)
    server.kill()
    sys.exit("gunicorn did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite", help="a province demo built already (SQLite file)")
    parser.add_argument("--pg", help="PostgreSQL URL: emptied and built, unless --reuse")
    parser.add_argument("--reuse", action="store_true", help="with --pg: keep what it holds")
    parser.add_argument("--repeat", type=int, default=10)
    parser.add_argument("--no-worker", action="store_true",
                        help="leave the jobs the visits asked for in the queue")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="skm-pages-"))
    if args.pg:
        url = args.pg.replace("postgresql://", "postgresql+psycopg://") \
            if "+psycopg" not in args.pg else args.pg
        if not args.reuse:
            url = empty_postgres(args.pg)
        engine = "PostgreSQL"
    else:
        path = Path(args.sqlite) if args.sqlite else workdir / "province.sqlite"
        url = f"sqlite:///{path}"
        engine = "SQLite"
    if not (args.sqlite or args.reuse):
        started = time.perf_counter()
        build_province(url)
        print(f"province demo built in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    else:  # a database built by an earlier checkout: this one's schema (its indexes too)
        flask_command(url, "db", "upgrade")
    server, port = serve(url, workdir)
    try:
        codes = rounds_of(url)
        load = os.getloadavg()[0]
        print(f"rounds: {codes}", file=sys.stderr)
        rows = measure(port, codes, args.repeat)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    print_table(rows, engine, args.repeat, load)
    if not args.no_worker:
        print_jobs(run_jobs(url, workdir, port))


if __name__ == "__main__":
    main()
