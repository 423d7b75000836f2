"""Time `skm demo --scale province` on a fresh, migrated database and print its size.

Usage: .venv/bin/python benchmarks/demo_build.py [--pg postgresql://postgres@127.0.0.1:5432/test]
Target (issue 2): under 60 s on this 2-core machine. Runs the real command in a subprocess,
exactly as a coordinator would, on SQLite and (when --pg is given and reachable) PostgreSQL.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import empty_postgres  # noqa: E402

FLASK = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]


def run(env: dict, *args: str) -> str:
    result = subprocess.run([*FLASK, *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if result.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def measure(label: str, database_url: str, size_of) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "benchmark"}
    run(env, "db", "upgrade")
    started = time.perf_counter()
    output = run(env, "skm", "demo", "--scale", "province", "--seed", "1")
    seconds = time.perf_counter() - started
    print(f"{label}: skm demo --scale province took {seconds:.1f} s (target < 60 s); "
          f"database size {size_of() / 1e6:.0f} MB")
    print("   " + output.splitlines()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", help="an EMPTY PostgreSQL database to use (it is reset first)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "demo.sqlite"
        measure("SQLite", f"sqlite:///{path}",
                lambda: sum(p.stat().st_size for p in Path(tmp).glob("demo.sqlite*")))
    if args.pg:
        import psycopg

        pg_url = empty_postgres(args.pg)

        def pg_size() -> int:
            with psycopg.connect(pg_url.replace("+psycopg", "")) as conn:
                return conn.execute("SELECT pg_database_size(current_database())").fetchone()[0]

        measure("PostgreSQL", pg_url, pg_size)


if __name__ == "__main__":
    main()
