"""The public form's cost per form in one process, without HTTP: for finding where the time goes.

Usage: .venv/bin/python benchmarks/respond_profile.py [--forms 3000] [--pg postgresql://...]
                                                      [--callgrind]

The same app and data as benchmarks/respond_load.py (production settings, rate limits on, behind
ProxyFix), called as gunicorn calls it (a WSGI environ per request), so that what is printed is
the app's own cost: each form is a GET of a fresh link and the POST of every answer (303). After
100 forms to warm up, prints the CPU per form of this process and of PostgreSQL's processes.

--callgrind runs the whole under valgrind twice, with no measured forms and with --forms of them,
and prints the difference in instructions per form: steady from run to run where CPU time on a
shared machine is not (use --forms 200 or so: valgrind is some fifty times slower).
"""
from __future__ import annotations

import argparse
import io
import os
import re
import subprocess
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks import respond_load as load  # noqa: E402

WARM_UP = 100


def call(app, method: str, path: str, address: str, body: bytes = b"", cookie: str = ""):
    environ = {"REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": "",
               "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1",
               "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body),
               "wsgi.errors": sys.stderr, "wsgi.multithread": False, "wsgi.multiprocess": True,
               "wsgi.run_once": False, "wsgi.version": (1, 0), "REMOTE_ADDR": "127.0.0.1",
               "HTTP_HOST": "127.0.0.1", "HTTP_USER_AGENT": "respond-profile",
               "HTTP_X_FORWARDED_FOR": address}
    if cookie:
        environ["HTTP_COOKIE"] = cookie
    if body:
        environ.update(CONTENT_TYPE="application/x-www-form-urlencoded",
                       CONTENT_LENGTH=str(len(body)))
    answer = {}

    def start_response(status, headers, exc_info=None):
        answer["status"], answer["headers"] = int(status.split()[0]), dict(headers)

    chunks = app(environ, start_response)
    content = b"".join(chunks)
    getattr(chunks, "close", lambda: None)()
    return answer["status"], answer["headers"], content


def one_form(app, token: str, n: int) -> None:
    path, address = f"/s/{token}", load.address_of(n)
    status, headers, html = call(app, "GET", path, address)
    assert status == 200, status
    data = {"csrf_token": load.CSRF.search(html).group(1).decode()}
    for name in dict.fromkeys(load.RADIO.findall(html)):
        data[name.decode()] = "3"
    status, _headers, _ = call(app, "POST", path, address, urllib.parse.urlencode(data).encode(),
                               headers.get("Set-Cookie", "").split(";", 1)[0])
    assert status == 303, status


def measure(database_url: str, forms: int, links: int) -> None:
    tokens = load.prepare_database(database_url, links)
    os.environ.update(BENCH_DB_URL=database_url, BENCH_RATELIMIT_STORAGE="memory://")
    app = load.wsgi_app()
    for n in range(WARM_UP):
        one_form(app, tokens[n], n)
    cpu, database = time.process_time(), load.group_cpu_seconds(-1)[1]
    for n in range(WARM_UP, WARM_UP + forms):
        one_form(app, tokens[n], n)
    if forms:
        print(f"CPU per form: this process {1000 * (time.process_time() - cpu) / forms:.2f} ms, "
              f"PostgreSQL {1000 * (load.group_cpu_seconds(-1)[1] - database) / forms:.2f} ms "
              f"({forms} forms)", flush=True)


def instructions(database_url: str, forms: int, links: int) -> int:
    """Instructions of a whole run (the same links prepared in every run, so that only the
    measured forms differ)."""
    with tempfile.TemporaryDirectory() as tmp:
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={tmp}/out", sys.executable,
             __file__, "--forms", str(forms), "--url", database_url, "--links", str(links)],
            capture_output=True, text=True, check=True)
    return int(re.search(r"Collected : (\d+)", run.stderr).group(1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--forms", type=int, default=3000)
    parser.add_argument("--pg", help="a PostgreSQL database to empty and use")
    parser.add_argument("--callgrind", action="store_true")
    parser.add_argument("--url", help=argparse.SUPPRESS)  # the database of a callgrind run
    parser.add_argument("--links", type=int, help=argparse.SUPPRESS)  # and its links
    args = parser.parse_args()
    links = WARM_UP + args.forms
    if args.url:
        measure(args.url, args.forms, args.links)
        return
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'profile.sqlite'}"
        if args.pg:
            url = args.pg if "+psycopg" in args.pg else args.pg.replace(
                "postgresql://", "postgresql+psycopg://", 1)
        if args.callgrind:
            empty, full = instructions(url, 0, links), instructions(url, args.forms, links)
            print(f"instructions per form (GET + POST): {(full - empty) / args.forms / 1e6:.2f}M")
        else:
            measure(url, args.forms, links)


if __name__ == "__main__":
    main()
