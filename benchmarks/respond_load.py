"""Load on the respondent's form, served as in production: gunicorn on 127.0.0.1.

Usage: .venv/bin/python benchmarks/respond_load.py [--seconds 20] [--clients 32] [--workers 4]
           [--threads 1] [--pg postgresql://postgres@127.0.0.1:5432/bench_respond] [--no-sqlite]
           [--rounds 1]

A bounded number of concurrent clients (32 by default, one asyncio task each, all in this one
process, on uvloop's event loop: the clients share the two CPUs with the server, so the leaner they
are the more of the machine is left to what is measured; their CPU is printed apart) each take a
fresh personal link, open the form (GET: CSRF token, and any cookie it sets, like a phone) and send
it completely filled in (POST, answered by a 303 to the thanks page); then the next link. Printed:
submitted forms per second, and the 95th-percentile latency of the POST, of the GET and of the whole
form (GET + POST). Before each engine, in the same run, a baseline: a bare Flask endpoint under
the same gunicorn that inserts one response's answers with the sqlite3 module alone; the summary
at the end gives each engine's forms/s also as a share of the baseline measured just before it.
--rounds repeats all of it, for the spread of a machine whose pace drifts. Afterwards the database
is checked: as many stored responses as 303s, each with all its answers, and no invitation position
answered twice (no lost or duplicated response).

The app is the production app from create_app() with its rate limits, behind ProxyFix as behind
a reverse proxy: each client says which address it comes from (X-Forwarded-For), twenty
respondents to an address, like RT heads behind one mobile gateway. Cookies are plain-HTTP ones.
Targets (issue 4): >= 400 forms/s and p95 < 50 ms.
The PostgreSQL database given with --pg is emptied and filled (create it first: `createdb`).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import resource
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import uvloop

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))
SECRET = "benchmark-secret-key"
QUESTIONNAIRE = "skm-permenpan-14-2017"


# --- the two apps gunicorn serves (factories: 'benchmarks.respond_load:wsgi_app()') -----------

def app_config(database_url: str) -> dict:
    return {
        # BENCH_SECRET_KEY: a database built with another key (benchmarks/national.py)
        "SECRET_KEY": os.environ.get("BENCH_SECRET_KEY", SECRET),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "ENV_NAME": "production",
        "SESSION_COOKIE_SECURE": False,  # plain HTTP on 127.0.0.1
        "RATELIMIT_ENABLED": True,  # with the production limits; see wsgi_app
        "PUBLIC_BASE_URL": "http://127.0.0.1",
    }


def wsgi_app():
    """The production app behind one trusted reverse proxy (as deployed: nginx in front), so the
    rate limits key on the X-Forwarded-For address the clients send (see ``respondent``)."""
    from survey_app import create_app

    return create_app({**app_config(os.environ["BENCH_DB_URL"]), "TRUSTED_PROXIES": 1,
                       "RATELIMIT_STORAGE_URI": os.environ["BENCH_RATELIMIT_STORAGE"]})


RESPONDENTS_PER_ADDRESS = 20  # a kelurahan's RT heads behind one mobile gateway, say


def address_of(n: int) -> str:
    n //= RESPONDENTS_PER_ADDRESS
    return f"10.{n // 65536 % 256}.{n // 256 % 256}.{n % 256}"


BASELINE_SCHEMA = """
CREATE TABLE IF NOT EXISTS responses (id INTEGER PRIMARY KEY, round_id INT, position_id INT,
  "group" TEXT, area_id INT, submitted_on TEXT, source TEXT, comment TEXT);
CREATE TABLE IF NOT EXISTS answers (response_id INT, item_code TEXT, value INT,
  PRIMARY KEY (response_id, item_code));
"""


def wsgi_baseline():
    """The yardstick: a bare Flask endpoint inserting one response's answers with sqlite3."""
    from flask import Flask, request

    app = Flask("baseline")
    path = os.environ["BENCH_BASELINE_DB"]
    local = threading.local()  # one connection per worker thread

    def connect() -> sqlite3.Connection:
        if not hasattr(local, "connection"):
            local.connection = sqlite3.connect(path, timeout=30, isolation_level=None)
            local.connection.execute("PRAGMA journal_mode=WAL")
            local.connection.execute("PRAGMA synchronous=NORMAL")
        return local.connection

    @app.post("/r")
    def insert():
        form = request.form
        connection = connect()
        connection.execute("BEGIN IMMEDIATE")
        cursor = connection.execute(
            'INSERT INTO responses (round_id, position_id, "group", area_id, submitted_on, source)'
            " VALUES (1, ?, 'rt', 1, ?, 'web')", (int(form["position"]), date.today().isoformat()))
        connection.executemany("INSERT INTO answers VALUES (?, ?, ?)", [
            (cursor.lastrowid, code, int(value)) for code, value in form.items()
            if code != "position"])
        connection.execute("COMMIT")
        return "ok"

    return app


# --- the data ---------------------------------------------------------------------------------

def prepare_database(database_url: str, respondents: int) -> list[str]:
    """A fresh schema with one open round; returns the respondents' link tokens.

    Every respondent is an RT head of one of 20 kelurahan and rates its lurah only (the round's
    rating matrix), so one form is one response with its nine answers, like the baseline.
    """
    from sqlalchemy import select, text

    from survey_app import create_app
    from survey_app.domain import questionnaires
    from survey_app.domain.invitations import ensure_invitations, invitation_token
    from survey_app.extensions import db
    from survey_app.models import (
        Appointment,
        Area,
        Invitation,
        Official,
        Position,
        Respondent,
        Round,
    )

    app = create_app(app_config(database_url))
    with app.app_context():
        db.drop_all()
        if db.engine.dialect.name == "postgresql":
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        db.create_all()
        province = Area(code="31", level="provinsi", name="DKI JAKARTA")
        kota = Area(code="3171", level="kota", name="KOTA JAKARTA SELATAN", parent=province)
        kecamatan = Area(code="3171010", level="kecamatan", name="TEBET", parent=kota)
        kelurahan = [Area(code=f"3171010{i:03d}", level="kelurahan", name=f"KELURAHAN {i}",
                          parent=kecamatan) for i in range(1, 21)]
        db.session.add_all([province, kota, kecamatan, *kelurahan])
        for n, area in enumerate(kelurahan):
            official = Official(nip=f"19800101{n:010d}", name=f"Lurah {n}")
            db.session.add(Appointment(official=official,
                                       position=Position(kind="lurah", area=area),
                                       start_date=date(2020, 1, 1)))
        now = datetime.now(UTC)
        round_ = Round(code="2027-Q1", state="open",
                       questionnaire=questionnaires.pin(QUESTIONNAIRE),
                       opens_at=now - timedelta(days=1), closes_at=now + timedelta(days=30),
                       rating_matrix={"rt": ["lurah"]})
        db.session.add(round_)
        people = [Respondent(ref=f"B{i:06d}", name=f"Warga {i}", group="rt",
                             area=kelurahan[i % len(kelurahan)], rw="001", rt=f"{i % 999 + 1:03d}")
                  for i in range(respondents)]
        db.session.add_all(people)
        db.session.flush()
        ensure_invitations(round_, people, SECRET)
        db.session.commit()
        nonces = db.session.scalars(select(Invitation.token_nonce)).all()
        db.engine.dispose()
    return [invitation_token(SECRET, nonce) for nonce in nonces]


def check_database(database_url: str, submitted: int) -> str:
    from sqlalchemy import func, select

    from survey_app import create_app
    from survey_app.extensions import db
    from survey_app.models import HeldAnswer, HeldResponse, InvitationPosition

    app = create_app(app_config(database_url))
    with app.app_context():
        # The forms' responses wait in the holding table (nothing releases them during a run).
        responses = db.session.scalar(select(func.count()).select_from(HeldResponse))
        answers = db.session.scalar(select(func.count()).select_from(HeldAnswer))
        completed = db.session.scalar(select(func.count()).select_from(InvitationPosition).where(
            InvitationPosition.answered))
        db.engine.dispose()
    ok = responses == submitted == completed and answers == 9 * responses
    return (f"{'OK' if ok else 'MISMATCH'}: {responses} responses stored for {submitted} accepted "
            f"forms, {completed} positions marked answered, {answers} answers")


# --- gunicorn -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Gunicorn:
    def __init__(self, target: str, env: dict, workers: int, threads: int):
        self.port = free_port()
        command = [str(ROOT / ".venv/bin/gunicorn"), "--bind", f"127.0.0.1:{self.port}",
                   "--workers", str(workers), "--chdir", str(ROOT), "--backlog", "2048",
                   "--log-level", "warning"]
        if threads > 1:
            command += ["--threads", str(threads)]
        self.process = subprocess.Popen(command + [target], env={**os.environ, **env},
                                        start_new_session=True)
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.2):
                    return
            except OSError:
                time.sleep(0.1)
        self.stop()
        sys.exit("gunicorn did not start")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        self.process.wait(timeout=30)


# --- the clients ----------------------------------------------------------------------------

class Connection:
    """One client's HTTP/1.1 connection, kept alive when the server allows it (gunicorn's
    gthread workers do, its sync workers close after every response), as a phone's browser does."""

    def __init__(self, port: int):
        self.port = port
        self.reader = self.writer = None

    async def request(self, method: str, path: str, body: bytes = b"", cookie: str | None = None,
                      address: str | None = None):
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        head = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "User-Agent: respond-load"]
        if address:
            head.append(f"X-Forwarded-For: {address}")
        if cookie:
            head.append(f"Cookie: {cookie}")
        if body:
            head += ["Content-Type: application/x-www-form-urlencoded",
                     f"Content-Length: {len(body)}"]
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        header = await self.reader.readuntil(b"\r\n\r\n")
        lines = header.decode("latin-1").split("\r\n")
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if "content-length" in headers:
            content = await self.reader.readexactly(int(headers["content-length"]))
        else:
            content = await self.reader.read()
        if headers.get("connection", "").lower() == "close" or "content-length" not in headers:
            self.writer.close()
            self.reader = self.writer = None
        return int(lines[0].split()[1]), headers, content


@dataclass
class Stats:
    forms: list[float] = field(default_factory=list)  # completion times
    post: list[float] = field(default_factory=list)
    get: list[float] = field(default_factory=list)
    whole: list[float] = field(default_factory=list)
    accepted: int = 0
    errors: dict[int, int] = field(default_factory=dict)


CSRF = re.compile(rb'name="csrf_token"[^>]*value="([^"]+)"')
RADIO = re.compile(rb'type="radio" name="(p\d+-[^"]+)"')


async def respondent(port: int, tokens, stats: Stats, stop_at: float, rng: random.Random) -> None:
    connection = Connection(port)
    while time.perf_counter() < stop_at:
        try:
            n, token = next(tokens)
        except StopIteration:
            return
        path, address = f"/s/{token}", address_of(n)
        t0 = time.perf_counter()
        status, headers, html = await connection.request("GET", path, address=address)
        t1 = time.perf_counter()
        if status != 200:
            stats.errors[status] = stats.errors.get(status, 0) + 1
            continue
        cookie = headers.get("set-cookie", "").split(";", 1)[0]  # like a browser: any it got
        data = {"csrf_token": CSRF.search(html).group(1).decode()}
        for name in dict.fromkeys(RADIO.findall(html)):
            data[name.decode()] = str(rng.randint(1, 4))
        t2 = time.perf_counter()
        status, _headers, _ = await connection.request(
            "POST", path, urllib.parse.urlencode(data).encode(), cookie, address)
        t3 = time.perf_counter()
        if status == 303:
            stats.accepted += 1
            stats.forms.append(t3)
            stats.get.append(t1 - t0)
            stats.post.append(t3 - t2)
            stats.whole.append(t3 - t0)
        else:
            stats.errors[status] = stats.errors.get(status, 0) + 1


async def baseline_client(port: int, stats: Stats, stop_at: float, rng: random.Random) -> None:
    connection = Connection(port)
    while time.perf_counter() < stop_at:
        body = urllib.parse.urlencode({"position": 1, **{f"U{i}": rng.randint(1, 4)
                                                         for i in range(1, 10)}}).encode()
        t0 = time.perf_counter()
        status, _h, _ = await connection.request("POST", "/r", body)
        t1 = time.perf_counter()
        if status == 200:
            stats.accepted += 1
            stats.forms.append(t1)
            stats.post.append(t1 - t0)
        else:
            stats.errors[status] = stats.errors.get(status, 0) + 1


def p95(values: list[float]) -> float:
    values = sorted(values)
    return values[int(0.95 * (len(values) - 1))] * 1000 if values else float("nan")


async def drive(make_client, clients: int, seconds: float, warmup: float,
                sample_cpu) -> tuple[Stats, float, tuple[float, ...]]:
    """Run the clients; only what completes after the warm-up counts. ``sample_cpu()`` gives
    CPU seconds used so far (server, database, clients); their differences over the measured
    window are returned."""
    stats = Stats()
    started = time.perf_counter()
    stop_at = started + warmup + seconds
    window_start = started + warmup

    async def sample_after_warmup():
        await asyncio.sleep(warmup)
        return sample_cpu()

    sampler = asyncio.ensure_future(sample_after_warmup())
    await asyncio.gather(*(make_client(stats, stop_at, random.Random(n)) for n in range(clients)))
    cpu_after, cpu_before = sample_cpu(), await sampler
    kept = [i for i, t in enumerate(stats.forms) if t >= window_start]
    measured = Stats(forms=[stats.forms[i] for i in kept], post=[stats.post[i] for i in kept],
                     get=[stats.get[i] for i in kept] if stats.get else [],
                     whole=[stats.whole[i] for i in kept] if stats.whole else [],
                     accepted=stats.accepted, errors=stats.errors)
    elapsed = (max(measured.forms) if measured.forms else stop_at) - window_start
    return measured, elapsed, tuple(a - b for a, b in zip(cpu_after, cpu_before, strict=True))


def cpu_seconds(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


TICKS = os.sysconf("SC_CLK_TCK")


def group_cpu_seconds(group: int) -> tuple[float, float]:
    """CPU used so far, from /proc: by the live processes of one process group (gunicorn's master
    and workers), and by the database server's processes (PostgreSQL's, when it runs here)."""
    server = database = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                name, fields = f.read().split(" (", 1)[1].rsplit(")", 1)
        except (OSError, IndexError, ValueError):
            continue
        fields = fields.split()
        ticks = int(fields[11]) + int(fields[12])  # utime + stime
        if int(fields[2]) == group:  # pgrp
            server += ticks
        elif name == "postgres":
            database += ticks
    return server / TICKS, database / TICKS


def cpu_note(server_cpu: float, database_cpu: float, client_cpu: float, seconds: float,
             forms: int) -> str:
    """Where the CPU went in the measured window, per form completed in it: gunicorn (master and
    workers), PostgreSQL's processes and the clients (this process); and how busy the machine's
    CPUs were."""
    per_form = 1000 / max(forms, 1)
    return (f"CPU per form: server {per_form * server_cpu:.2f} ms, PostgreSQL "
            f"{per_form * database_cpu:.2f} ms, clients {per_form * client_cpu:.2f} ms; together "
            f"{100 * (server_cpu + database_cpu + client_cpu) / seconds:.0f}% of one CPU over the "
            f"measured window ({os.cpu_count()} CPUs)")


def serve_and_load(target: str, env: dict, args, client):
    """Start gunicorn on ``target``, run ``args.clients`` copies of ``client(port, stats, stop_at,
    rng)`` against it, stop it; returns (stats, measured seconds, (server, database and clients'
    CPU) in the measured window)."""
    server = Gunicorn(target, env, args.workers, args.threads)
    try:
        stats, elapsed, cpu = uvloop.run(drive(
            lambda stats, stop_at, rng: client(server.port, stats, stop_at, rng),
            args.clients, args.seconds, args.warmup,
            lambda: (*group_cpu_seconds(server.process.pid), cpu_seconds(resource.RUSAGE_SELF))))
    finally:
        server.stop()
    return stats, elapsed, cpu


@dataclass
class Figure:
    """One phase's result: requests per second and the 95th percentiles (ms)."""
    rate: float
    post: float
    get: float = float("nan")

    def meets_target(self) -> bool:
        return self.rate >= TARGET_FORMS and self.post < TARGET_P95 and self.get < TARGET_P95


TARGET_FORMS, TARGET_P95 = 400, 50.0  # issue 4: forms/s and p95 (ms) of each response
ISSUE_BASELINE = 2000  # what the issue says the baseline does "here"


def run_form(label: str, database_url: str, args) -> Figure:
    needed = int(args.seconds * 1500 + 3000)  # more links than the server can use up
    print(f"{label}: preparing {needed} invitations ...", flush=True)
    tokens = prepare_database(database_url, needed)
    random.Random(1).shuffle(tokens)
    iterator = iter(enumerate(tokens))
    stats, elapsed, cpu = serve_and_load(
        "benchmarks.respond_load:wsgi_app()",
        {"BENCH_DB_URL": database_url, "BENCH_RATELIMIT_STORAGE": args.ratelimit_storage}, args,
        lambda port, stats, stop_at, rng: respondent(port, iterator, stats, stop_at, rng))
    rate = len(stats.forms) / elapsed
    print(f"{label}: {rate:.0f} forms/s with {args.clients} clients; "
          f"p95 POST {p95(stats.post):.1f} ms, GET {p95(stats.get):.1f} ms, "
          f"whole form (GET+POST) {p95(stats.whole):.1f} ms; "
          f"errors {stats.errors or 'none'}", flush=True)
    print(f"{label}: {cpu_note(*cpu, elapsed, len(stats.forms))}", flush=True)
    print(f"{label}: {check_database(database_url, stats.accepted)}", flush=True)
    return Figure(rate, p95(stats.post), p95(stats.get))


def run_baseline(args) -> Figure:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "baseline.sqlite"
        with sqlite3.connect(path) as connection:
            connection.executescript(BASELINE_SCHEMA)
            connection.execute("PRAGMA journal_mode=WAL")
        stats, elapsed, cpu = serve_and_load(
            "benchmarks.respond_load:wsgi_baseline()", {"BENCH_BASELINE_DB": str(path)}, args,
            baseline_client)
        with sqlite3.connect(path) as connection:
            stored = connection.execute("SELECT count(*) FROM responses").fetchone()[0]
    rate = len(stats.forms) / elapsed
    print(f"baseline (bare Flask + sqlite3, one response's answers per POST): "
          f"{rate:.0f} inserts/s; p95 {p95(stats.post):.1f} ms; "
          f"{stored} stored for {stats.accepted} accepted; errors {stats.errors or 'none'}",
          flush=True)
    print(f"baseline: {cpu_note(*cpu, elapsed, len(stats.forms))}", flush=True)
    return Figure(rate, p95(stats.post))


def summary(rounds: list[dict[str, tuple[Figure, Figure | None]]]) -> str:
    """Every round's figures, each engine's forms/s also as a share of the baseline measured just
    before it (the machine's pace drifts from one minute to the next; the share drifts less),
    against the target: >= 400 forms/s and p95 < 50 ms, which at the issue's baseline of about
    2,000 inserts/s is a share of 0.20."""
    lines = [f"summary of {len(rounds)} round(s) (target: >= {TARGET_FORMS} forms/s and p95 POST "
             f"and GET < {TARGET_P95:.0f} ms, i.e. {TARGET_FORMS / ISSUE_BASELINE:.2f} of the "
             f"issue's baseline of {ISSUE_BASELINE:,} inserts/s):"]
    for label in rounds[0]:
        results = [figures[label] for figures in rounds]
        for n, (form, base) in enumerate(results, 1):
            share = (f" = {form.rate / base.rate:.2f} of the baseline's {base.rate:.0f}" if base
                     else "")
            lines.append(f"  {label} round {n}: {form.rate:.0f} forms/s{share}; p95 POST "
                         f"{form.post:.1f} ms, GET {form.get:.1f} ms; target "
                         f"{'met' if form.meets_target() else 'missed'}")
        median = f"median {statistics.median(form.rate for form, _ in results):.0f} forms/s"
        if all(base for _, base in results):
            median += (f", median share of the baseline "
                       f"{statistics.median(form.rate / base.rate for form, base in results):.2f}")
        met = sum(form.meets_target() for form, _ in results)
        lines.append(f"  {label}: target met in {met} of {len(results)} round(s); {median}")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20, help="measured time per run")
    parser.add_argument("--warmup", type=float, default=3)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--workers", type=int, default=4,
                        help="gunicorn worker processes (sync; 2 per core, as gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker (gthread)")
    parser.add_argument("--pg", help="a PostgreSQL database to empty and use")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--rounds", type=int, default=1,
                        help="repeat the whole (baseline, each engine) this many times; a summary "
                             "of every round follows")
    parser.add_argument("--ratelimit-storage", default="memory://",
                        help="where the rate limits count (redis://127.0.0.1:6379/15: shared by "
                             "all workers, as the README advises for production)")
    args = parser.parse_args()
    print(f"gunicorn {args.workers} worker(s) x {args.threads} thread(s), {args.clients} clients, "
          f"{args.seconds:.0f} s measured after {args.warmup:.0f} s warm-up, {os.cpu_count()} CPUs "
          f"(the clients run on the same machine); rate limits in {args.ratelimit_storage}",
          flush=True)
    engines = []
    if not args.no_sqlite:
        engines.append(("SQLite", None))
    if args.pg:
        engines.append(("PostgreSQL", args.pg if "+psycopg" in args.pg else args.pg.replace(
            "postgresql://", "postgresql+psycopg://", 1)))
    rounds = []
    for n in range(args.rounds):
        if args.rounds > 1:
            print(f"--- round {n + 1} of {args.rounds}", flush=True)
        figures = {}
        for label, url in engines:
            # A baseline right before each engine: the machine may have changed pace meanwhile.
            base = None if args.no_baseline else run_baseline(args)
            with tempfile.TemporaryDirectory() as tmp:
                figures[label] = (run_form(label, url or f"sqlite:///{Path(tmp) / 'bench.sqlite'}",
                                           args), base)
        rounds.append(figures)
    if rounds and rounds[0]:
        print(summary(rounds), flush=True)


if __name__ == "__main__":
    main()
