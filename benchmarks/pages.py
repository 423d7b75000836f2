"""Every page a coordinator, a viewer and an official use, on the province demo, served as in
production: time (median, p95, max), SQL statements per request, bytes.

Usage: .venv/bin/python benchmarks/pages.py [--sqlite PATH] [--pg URL [--reuse]] [--repeat N]

Builds `skm demo --scale province` (about 40,000 respondents, 2.9 M answers, 215,000
complaints) into a fresh SQLite file (or, with --pg, into the emptied PostgreSQL database URL),
unless --sqlite names a file built already (or --reuse keeps what the PostgreSQL database holds).
Then starts gunicorn with gunicorn.conf.py on 127.0.0.1 (SKM_ENV=production, its workers and
timeout) with SKM_COUNT_QUERIES=1, so that each response says in X-Query-Count how many SQL
statements it took (off by default), logs in with the demo's logins and visits each page
--repeat times (10 by default) in turn, one request at a time. "first" is the first visit of
the page (a page that stores what it computes pays for it there); median, p95 and max are over
all the visits. The targets (issue 17): every page under 1 s at p95, no request over 2 s.

The letters PDF of the pending respondents is left out: it is built as a background job.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import build_province, empty_postgres  # noqa: E402

LOGINS = {"coordinator": ("koordinator@demo.skm.id", "demo-koordinator-2026"),
          "viewer": ("inspektorat@demo.skm.id", "demo-inspektorat-2026"),
          "lurah": ("lurah@demo.skm.id", "demo-lurah-2026"),
          "camat": ("camat@demo.skm.id", "demo-camat-2026")}
TARGET_P95, TARGET_MAX = 1.0, 2.0


class Browser:
    """One logged-in person: keeps the session cookie by hand (production cookies are Secure,
    and this talks plain HTTP to 127.0.0.1, as a proxy in front of gunicorn does)."""

    def __init__(self, port: int):
        self.port = port
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: dict | None = None
                ) -> tuple[int, dict[str, str], bytes, float]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        data = None
        if body is not None:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
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
        html = self.get("/auth/login").decode()
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
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


def plan(port: int, codes: dict[str, str]) -> list[tuple[str, Browser, str]]:
    """(who, logged-in browser, path) for every page and action to measure."""
    people = {who: Browser(port) for who in LOGINS}
    for who, (email, password) in LOGINS.items():
        people[who].login(email, password)
    coordinator = people["coordinator"]
    open_, closed, published = codes["open"], codes["closed"], codes["published"]
    sanctions = coordinator.get(f"/results/{open_}/sanctions")
    nip = first_match(r'/sanctions/(\d+)"', sanctions)
    card = first_match(r'/cards/(\d+)\.pdf', coordinator.get(f"/portal/{published}"))
    lurah_card = first_match(r'/cards/(\d+)\.pdf', people["lurah"].get(f"/portal/{published}"))
    pages = [
        ("coordinator", "/"), ("coordinator", "/coordinator/rounds"),
        ("coordinator", f"/coordinator/rounds/{open_}"),
        ("coordinator", f"/coordinator/rounds/{closed}"),
        ("coordinator", "/coordinator/roster/"), ("coordinator", f"/coordinator/roster/{open_}"),
        ("coordinator", "/coordinator/complaints/"),
        ("coordinator", f"/coordinator/complaints/rounds/{open_}"),
        ("coordinator", f"/coordinator/complaints/rounds/{closed}"),
        ("coordinator", "/results/"),
        ("coordinator", f"/results/{open_}"),
        ("coordinator", f"/results/{open_}?tier=camat&sort=ikm"),
        ("coordinator", f"/results/{closed}"),
        ("coordinator", f"/results/{open_}/sanctions"),
        ("coordinator", f"/results/{open_}/sanctions?page=2"),
        ("coordinator", f"/results/{open_}/sanctions/{nip}"),
        ("coordinator", f"/results/officials/{nip}"),
        ("coordinator", "/portal/"), ("coordinator", f"/portal/{open_}"),
        ("coordinator", f"/portal/{published}/cards/{card}.pdf"),
        ("coordinator", f"/portal/{closed}/summary.pdf"),
        ("coordinator", f"/api/rounds/{open_}/results"),
        ("coordinator", f"/coordinator/roster/{open_}/invitations.csv?pending=y"),
        ("viewer", "/"), ("viewer", "/results/"), ("viewer", f"/results/{published}"),
        ("viewer", f"/results/{published}/sanctions"), ("viewer", "/portal/"),
        ("viewer", f"/portal/{published}"),
        ("viewer", f"/portal/{published}/cards/{card}.pdf"),
        ("viewer", f"/portal/{published}/summary.pdf"),
        ("lurah", "/portal/"), ("lurah", f"/portal/{published}"),
        ("lurah", f"/portal/{published}/cards/{lurah_card}.pdf"),
        ("camat", "/portal/"), ("camat", f"/portal/{published}"),
        ("camat", f"/portal/{published}/cards.zip"),
    ]
    return [(who, people[who], path) for who, path in pages]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def measure(port: int, codes: dict[str, str], repeat: int) -> list[tuple]:
    rows = []
    for who, browser, path in plan(port, codes):
        times, queries, size = [], None, 0
        for _ in range(repeat):
            status, headers, content, elapsed = browser.request("GET", path)
            if status != 200:
                sys.exit(f"{who} GET {path}: {status}")
            times.append(elapsed)
            queries, size = headers.get("x-query-count", "?"), len(content)
        rows.append((who, path, times[0], statistics.median(times), p95(times), max(times),
                     queries, size))
        print(f"  {who} {path}: {statistics.median(times):.3f} s", file=sys.stderr)
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


def serve(database_url: str, workdir: Path) -> tuple[subprocess.Popen, int]:
    """gunicorn as in production (gunicorn.conf.py), on a free port of 127.0.0.1."""
    from tests.live import free_port

    port = free_port()
    env = {**os.environ, "SKM_ENV": "production", "SECRET_KEY": "benchmark-secret",
           "DATABASE_URL": database_url, "BIND": f"127.0.0.1:{port}", "SKM_COUNT_QUERIES": "1",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
           "JOBS_URL": "sqlite:///" + str(workdir / "jobs.sqlite3")}
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


if __name__ == "__main__":
    main()
