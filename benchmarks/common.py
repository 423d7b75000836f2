"""What several benchmarks share: the province demo built in a fresh database, and an emptied
PostgreSQL database to build it in."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def timed(function, repeat: int) -> list[float]:
    """The wall seconds of each of ``repeat`` calls of ``function``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def build_province(database_url: str) -> None:
    """`flask db upgrade` and `skm demo --scale province --seed 1` into ``database_url``."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "benchmark"}
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
    for args in (["db", "upgrade"], ["skm", "demo", "--scale", "province", "--seed", "1"]):
        done = subprocess.run([*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def empty_postgres(url: str) -> str:
    """Drop everything in the PostgreSQL database ``url`` (with or without +psycopg); returns its
    SQLAlchemy URL."""
    import psycopg

    plain = url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return plain.replace("postgresql://", "postgresql+psycopg://")
