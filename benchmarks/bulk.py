"""Time the set-based bulk work on the province demo, through the real command line, each in a
process of its own (wall seconds, CPU seconds, peak memory (RSS), the target and whether it was
met; "startup only" is `skm --help`: the part of each figure that is the app's start):

  round next       `skm round next 2026-Q4`: the draft 2027-Q1 with ~40,700 invitations   < 5 s
  roster again     `skm import-respondents 2026-Q4 FILE`, the round's own roster unchanged   < 5 s
  roster 200k      `skm import-respondents 2027-Q1 FILE`, 200,000 new respondents
                                                                        < 20 s and < 500 MB
  paper forms      `skm import-responses 2026-Q4 FILE`: N paper forms of unanswered positions
  complaints 200k  `skm import-complaints FILE`: 200,000 new complaints (of 2026)         < 5 s

Usage: .venv/bin/python benchmarks/bulk.py [--db PROVINCE.sqlite3] [--rows 200000]
       [--paper 20000] [--pg URL] [--only STEP ...]
--only runs only these steps (round, again, roster, paper, complaints; startup always runs).
--db copies an already built province demo (`skm demo --scale province --seed 1`, then
`flask db upgrade`) instead of building one (some two minutes); --pg runs on that PostgreSQL
database instead (emptied, the demo built into it). The files are generated into a temporary
folder.
"""
from __future__ import annotations

import argparse
import csv
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import as_in_production, build_province, empty_postgres  # noqa: E402

STEPS = ["round", "again", "roster", "paper", "complaints"]
ROSTER_HEADER = ["respondent_ref", "name", "group", "area_code", "rw", "rt", "phone", "email"]


def run(env: dict, *args: str) -> tuple[float, float, float, str]:
    """Run `flask --app wsgi skm ARGS`; (seconds, CPU seconds (user + system: what the machine's
    other load changes least), peak RSS in MB, its last output line)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as out:
        process = subprocess.Popen([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "skm", *args],
                                   cwd=ROOT, env=as_in_production(env), stdout=out,
                                   stderr=subprocess.STDOUT)
        _pid, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read().decode(errors="replace").strip()
    if status:
        sys.exit(f"skm {' '.join(args)} failed:\n{text[-3000:]}")
    return (seconds, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024,
            text.splitlines()[-1] if text else "")


def query(env: dict, sql: str) -> list[tuple]:
    url = env["DATABASE_URL"]
    if url.startswith("sqlite:///"):
        with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
            return connection.execute(sql).fetchall()
    import psycopg

    with psycopg.connect(url.replace("+psycopg", "")) as connection:
        return connection.execute(sql).fetchall()


def write_roster_again(env: dict, path: Path) -> int:
    """The roster of 2026-Q4 as it is stored: importing it changes nothing."""
    rows = query(env, "SELECT r.ref, r.name, r.\"group\", a.code, r.rw, r.rt, r.phone, r.email "
                      "FROM respondents r JOIN areas a ON a.id = r.area_id "
                      "JOIN invitations i ON i.respondent_id = r.id "
                      "JOIN rounds o ON o.id = i.round_id WHERE o.code = '2026-Q4' ORDER BY r.id")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(ROSTER_HEADER)
        writer.writerows([ref, name, group, code, rw or "", rt or "", phone or "", email or ""]
                         for ref, name, group, code, rw, rt, phone, email in rows)
    return len(rows)


def write_big_roster(env: dict, path: Path, count: int, seed: int = 1) -> None:
    """``count`` new respondents spread over the kelurahan: RT heads mostly, every group."""
    rng = random.Random(seed)
    kelurahan = [code for (code,) in query(env, "SELECT code FROM areas WHERE level = 'kelurahan'")]
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(ROSTER_HEADER)
        for n in range(count):
            group = rng.choice(["rt"] * 6 + ["rw", "lmk", "fkdm", "tokoh"])
            rw = str(rng.randint(1, 20)) if group in ("rt", "rw", "lmk") else ""
            rt = str(rng.randint(1, 15)) if group == "rt" else ""
            phone = f"0812{rng.randrange(10**8):08d}" if rng.random() < 0.7 else ""
            writer.writerow([f"BIG-{n:07d}", f"Warga Nomor {n}", group, rng.choice(kelurahan),
                             rw, rt, phone, ""])


def write_paper(env: dict, path: Path, count: int, seed: int = 1) -> int:
    """Paper forms for positions not yet answered in 2026-Q4, every item answered."""
    rng = random.Random(seed)
    items = [code for (code,) in query(
        env, "SELECT DISTINCT item_code FROM answers a JOIN responses r ON r.id = a.response_id "
             "JOIN rounds o ON o.id = r.round_id WHERE o.code = '2026-Q3' ORDER BY 1")]
    rows = query(env, "SELECT r.ref, p.kind, a.code FROM invitation_positions ip "
                      "JOIN invitations i ON i.id = ip.invitation_id "
                      "JOIN rounds o ON o.id = i.round_id "
                      "JOIN respondents r ON r.id = i.respondent_id "
                      "JOIN positions p ON p.id = ip.position_id JOIN areas a ON a.id = p.area_id "
                      "WHERE o.code = '2026-Q4' AND NOT ip.answered ORDER BY ip.invitation_id, "
                      f"ip.position_id LIMIT {count}")
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["respondent_ref", "position", "area_code", *items, "comment"])
        for ref, kind, code in rows:
            writer.writerow([ref, kind, code, *(rng.randint(2, 4) for _ in items), ""])
    return len(rows)


def write_complaints(env: dict, path: Path, count: int) -> None:
    """``count`` new complaints of 2025 (benchmarks/complaints.py's export, ids of their own)."""
    from benchmarks import complaints

    kelurahan = [code for (code,) in query(env, "SELECT code FROM areas WHERE level = 'kelurahan'")]
    units = [code for (code,) in query(env, "SELECT code FROM units")]
    complaints.write_export(path, count, kelurahan, units, seed=7)
    text = path.read_text(encoding="utf-8").replace(f"CRM-{complaints.YEAR}-", "BULK-")
    path.write_text(text, encoding="utf-8")


def report(label: str, figures: tuple[float, float, float, str], seconds_limit: float | None = None,
           mb_limit: float | None = None) -> None:
    """One line: wall seconds, CPU seconds, peak RSS, the target and whether the wall time (and
    memory) met it, and the command's last line. On a loaded machine the wall time grows with
    the load while the CPU time does not: both are printed."""
    seconds, cpu, rss, line = figures
    target, met = "", ""
    if seconds_limit is not None:
        target = f"< {seconds_limit:g} s" + (f", < {mb_limit:g} MB" if mb_limit else "")
        ok = seconds < seconds_limit and (mb_limit is None or rss < mb_limit)
        met = "met" if ok else "NOT met"
    print(f"{label:<20} {seconds:7.1f} s {cpu:7.1f} s CPU {rss:6.0f} MB  {target:<17} "
          f"{met:<8} {line[:70]}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, help="a built province demo (SQLite) to copy")
    parser.add_argument("--pg", help="run on this PostgreSQL database (emptied first)")
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--paper", type=int, default=20_000)
    parser.add_argument("--only", nargs="+", choices=STEPS, default=STEPS,
                        help="run only these steps (the start-up figure is always printed)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="skm-bulk-") as folder:
        work = Path(folder)
        if args.pg:
            url = empty_postgres(args.pg)
            build_province(url)
        else:
            database = work / "province.sqlite3"
            if args.db:
                shutil.copy(args.db, database)
            url = f"sqlite:///{database}"
            if not args.db:
                build_province(url)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark"}
        subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", "db", "upgrade"],
                       cwd=ROOT, env=env, check=True, capture_output=True)
        print(f"engine: {url.split(':')[0]}; timed through the command line, each in a "
              "process of its own", flush=True)
        print(f"{'':<20} {'wall':>9} {'CPU':>11} {'peak RSS':>9}  {'target':<17} {'wall met':<8} "
              "last line", flush=True)
        report("startup only", run(env, "--help"))
        only = set(args.only)
        if "round" in only:
            report("round next", run(env, "round", "next", "2026-Q4"), 5)
        if "again" in only:
            again = work / "roster-again.csv"
            rows = write_roster_again(env, again)
            report(f"roster again {rows}",
                   run(env, "import-respondents", "2026-Q4", str(again)), 5)
        if "roster" in only:
            big = work / "roster-big.csv"
            write_big_roster(env, big, args.rows)
            report(f"roster {args.rows // 1000}k",
                   run(env, "import-respondents", "2027-Q1", str(big)), 20, 500)
        if "paper" in only:
            paper = work / "paper.csv"
            forms = write_paper(env, paper, args.paper)
            report(f"paper {forms}", run(env, "import-responses", "2026-Q4", str(paper)))
        if "complaints" in only:
            complaints = work / "complaints.csv"
            write_complaints(env, complaints, args.rows)
            report(f"complaints {args.rows // 1000}k",
                   run(env, "import-complaints", str(complaints)), 5)

if __name__ == "__main__":
    main()
