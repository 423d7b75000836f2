"""The complaint import against its floor, measured in the same run: what `skm import-complaints`
of N new complaints costs (through the command line, as benchmarks/bulk.py times it), against a
bare load of the same file into a copy of the same database that does only what no import can
skip (read the CSV, parse the three times of each row as the app does, write them as SQLite
stores them, one staging load and one INSERT ... SELECT, commit), with no check of any row, no
attribution, no error report and no start-up of the app.

Usage: .venv/bin/python benchmarks/complaint_floor.py --db PROVINCE.sqlite3 [--rows 200000]

Prints both, the app's start-up (`skm --help`), and the ratios: the import over the floor, and
the import less its start-up over the floor. On a machine whose speed drifts, the ratios hold
better than either figure.
"""
from __future__ import annotations

import argparse
import csv
import io
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bulk import run, write_complaints  # noqa: E402
from survey_app.domain.bulk import BULK_CACHE_KIB, _utc_text  # noqa: E402
from survey_app.domain.clock import parse_datetime  # noqa: E402

COLUMNS = ("external_id", "channel", "category", "area_id", "unit_id", "status", "reported_at",
           "first_response_at", "resolved_at", "source_as_of", "imported_at")


def floor(database: Path, export: Path) -> float:
    """Seconds of the bare load (see the module's doc), in this process."""
    started = time.perf_counter()
    connection = sqlite3.connect(database, isolation_level=None)
    # the app's settings, and the page cache its import writes with (bulk.larger_cache)
    for pragma in ("foreign_keys=ON", "journal_mode=WAL", "synchronous=NORMAL",
                   f"cache_size=-{BULK_CACHE_KIB}"):
        connection.execute(f"PRAGMA {pragma}")
    areas = dict(connection.execute("SELECT code, id FROM areas"))
    units = dict(connection.execute("SELECT code, id FROM units"))
    reader = csv.reader(io.StringIO(export.read_text(encoding="utf-8"), newline=""))
    header = next(reader)
    now = _utc_text(parse_datetime("2027-01-01 00:00"))

    def stored(text: str) -> str | None:
        return _utc_text(parse_datetime(text)) if text else None

    rows = []
    for values in reader:
        row = dict(zip(header, map(str.strip, values), strict=True))
        rows.append((row["complaint_id"], row["channel"] or None, row["category"] or None,
                     areas.get(row["area_code"]), units.get(row["unit_code"]),
                     "resolved" if row["resolved_at"] else "waiting",
                     stored(row["reported_at"]), stored(row["first_response_at"]),
                     stored(row["resolved_at"]), now, now))
    marks = ", ".join("?" for _ in COLUMNS)
    names = ", ".join(f'"{c}"' for c in COLUMNS)
    connection.execute("BEGIN")
    connection.execute(f"CREATE TEMP TABLE staging ({names})")
    connection.executemany(f"INSERT INTO staging VALUES ({marks})", rows)
    connection.execute(f"INSERT INTO complaints ({names}) SELECT {names} FROM staging")
    connection.execute("COMMIT")
    connection.close()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path, required=True, help="a built province demo (SQLite)")
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="skm-floor-") as folder:
        work = Path(folder)
        bare, app = work / "bare.sqlite3", work / "app.sqlite3"
        shutil.copy(args.db, bare)
        shutil.copy(args.db, app)
        env = {**os.environ, "DATABASE_URL": f"sqlite:///{app}", "SECRET_KEY": "benchmark"}
        export = work / "complaints.csv"
        write_complaints(env, export, args.rows)
        startup = run(env, "--help")[0]
        imported = run(env, "import-complaints", str(export))
        bare_seconds = floor(bare, export)
    print(f"{args.rows:,} new complaints (SQLite)")
    print(f"  floor (bare load, no checks, in-process)   {bare_seconds:6.1f} s")
    print(f"  skm import-complaints                      {imported[0]:6.1f} s "
          f"({imported[1]:.1f} s CPU, {imported[2]:.0f} MB)")
    print(f"  of which the app's start-up (skm --help)   {startup:6.1f} s")
    print(f"  import / floor                             {imported[0] / bare_seconds:6.2f}")
    print(f"  (import - start-up) / floor                "
          f"{(imported[0] - startup) / bare_seconds:6.2f}")


if __name__ == "__main__":
    main()
