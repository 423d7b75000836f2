"""Instructions per form in a gunicorn worker, against the baseline's per insert: a ratio that does
not drift with the machine's speed.

Usage: .venv/bin/python benchmarks/respond_instructions.py [--forms 200] [--pg postgresql://...]

benchmarks/respond_load.py measures forms per second, but on a shared machine the same run can
be half as fast from one minute to the next. This runs the same two apps (the form, and the bare
Flask + sqlite3 baseline) in one sync gunicorn worker each, as in production, under valgrind's
callgrind, and sends them requests one at a time: per form a GET of a fresh link and the POST of
every answer (303), per baseline request one POST inserting a response's answers. Each runs twice,
with no measured requests and with --forms of them, after the same warm-up; the difference of the
worker's instruction counts, divided by --forms, is what one form (or insert) costs in the worker:
HTTP parsing, Flask, the app, the database driver, SQLite itself (PostgreSQL's own processes are
not counted). Repeatable to a fraction of a percent. Valgrind is some fifty times slower than the
CPU: the whole takes a few minutes.
"""
from __future__ import annotations

import argparse
import glob
import http.client
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import respond_load as load  # noqa: E402

WARM_UP = 30


def request(port: int, method: str, path: str, body: str | None = None,
            headers: dict | None = None) -> tuple[int, str | None, bytes]:
    for _ in range(3000):  # the worker takes a while to start under valgrind
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
            connection.request(method, path, body=body, headers=headers or {})
            response = connection.getresponse()
            return response.status, response.getheader("Set-Cookie"), response.read()
        except ConnectionRefusedError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start under valgrind")


def send_form(port: int, token: str, n: int, rng: random.Random) -> None:
    path, address = f"/s/{token}", load.address_of(n)
    status, cookie, html = request(port, "GET", path, headers={"X-Forwarded-For": address})
    assert status == 200, status
    data = {"csrf_token": load.CSRF.search(html).group(1).decode()}
    for name in dict.fromkeys(load.RADIO.findall(html)):
        data[name.decode()] = str(rng.randint(1, 4))
    headers = {"X-Forwarded-For": address, "Content-Type": "application/x-www-form-urlencoded"}
    if cookie:
        headers["Cookie"] = cookie.split(";", 1)[0]
    status, _, _ = request(port, "POST", path, urllib.parse.urlencode(data), headers)
    assert status == 303, status


def send_insert(port: int, rng: random.Random) -> None:
    body = urllib.parse.urlencode({"position": 1, **{f"U{i}": rng.randint(1, 4)
                                                     for i in range(1, 10)}})
    status, _, _ = request(port, "POST", "/r", body,
                           {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 200, status


def worker_instructions(which: str, measured: int, database_url: str | None) -> int:
    """Instructions of the gunicorn worker over a run of WARM_UP + ``measured`` requests."""
    tmp = tempfile.mkdtemp()
    env = dict(os.environ)
    if which == "form":
        url = database_url or f"sqlite:///{tmp}/form.sqlite"
        tokens = load.prepare_database(url, WARM_UP + measured)
        env.update(BENCH_DB_URL=url, BENCH_RATELIMIT_STORAGE="memory://")
        target = "benchmarks.respond_load:wsgi_app()"
    else:
        path = f"{tmp}/baseline.sqlite"
        with sqlite3.connect(path) as connection:
            connection.executescript(load.BASELINE_SCHEMA)
        env.update(BENCH_BASELINE_DB=path)
        target = "benchmarks.respond_load:wsgi_baseline()"
    port = load.free_port()
    server = subprocess.Popen(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/callgrind.%p",
         str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "1",
         "--chdir", str(ROOT), "--log-level", "warning", "--timeout", "600", target],
        env=env, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rng = random.Random(1)
    try:
        for n in range(WARM_UP + measured):
            if which == "form":
                send_form(port, tokens[n], n, rng)
            else:
                send_insert(port, rng)
    finally:
        os.killpg(server.pid, signal.SIGTERM)  # the worker exits, and callgrind writes its counts
        server.wait()
    worker = [f for f in glob.glob(f"{tmp}/callgrind.*") if not f.endswith(f".{server.pid}")]
    assert len(worker) == 1, worker
    with open(worker[0]) as f:
        return int(re.search(r"^(?:summary|totals): *(\d+)", f.read(), re.M).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", type=int, default=200)
    parser.add_argument("--pg", help="a PostgreSQL database to empty and use for the form")
    args = parser.parse_args()
    pg = args.pg and (args.pg if "+psycopg" in args.pg else
                      args.pg.replace("postgresql://", "postgresql+psycopg://", 1))
    runs = [("baseline", 0), ("baseline", args.forms), ("form", 0), ("form", args.forms)]
    workers = 1 if pg else 2  # one PostgreSQL database cannot serve two runs at once
    with ThreadPoolExecutor(workers) as pool:
        counts = dict(zip(runs, pool.map(lambda run: worker_instructions(*run, pg), runs),
                          strict=True))
    per = {which: (counts[which, args.forms] - counts[which, 0]) / args.forms
           for which in ("baseline", "form")}
    print(f"baseline (bare Flask + sqlite3): {per['baseline'] / 1e6:.2f}M instructions per insert "
          f"in the gunicorn worker")
    print(f"form ({'PostgreSQL' if pg else 'SQLite'}): {per['form'] / 1e6:.2f}M instructions per "
          f"form (GET + POST) in the gunicorn worker, {per['form'] / per['baseline']:.2f} times "
          f"the baseline's insert ({args.forms} of each)")


if __name__ == "__main__":
    main()
