"""What several benchmarks share: the province demo built in a fresh database, and an emptied
PostgreSQL database to build it in."""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The key the demos are built with (the invitations' links are made with it): a server started
# on such a demo uses it too, or it refuses to export the links (invitations.check_secret_key).
SECRET_KEY = "benchmark"


def as_in_production(env: dict) -> dict:
    """``env`` for a timed command: without PYTHONDONTWRITEBYTECODE, Python writes and reuses
    its bytecode caches as a server or a cron job does. With it set (as on the project's
    machines), a command run after a change compiles every changed module at each start, and
    its figure counts the compiler (0.5 s more start-up, seen timing the complaint import)."""
    return {name: value for name, value in env.items() if name != "PYTHONDONTWRITEBYTECODE"}


def flask_command(database_url: str, *args: str) -> None:
    """`flask --app wsgi ARGS` on ``database_url``; exits with its output if it fails."""
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": SECRET_KEY}
    done = subprocess.run([str(ROOT / ".venv/bin/flask"), "--app", "wsgi", *args], cwd=ROOT,
                          env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def timed(function, repeat: int) -> list[float]:
    """The wall seconds of each of ``repeat`` calls of ``function``."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        function()
        times.append(time.perf_counter() - started)
    return times


def build_province(database_url: str) -> None:
    """`flask db upgrade` and `skm demo --scale province --seed 1` into ``database_url``; on
    PostgreSQL then VACUUM ANALYZE, as after any bulk load: the planner has no statistics of
    the tables just filled (it guessed 450 invitations of a round where there are 40,675) and
    index-only scans need the visibility map. Autovacuum does the same within minutes; the
    benchmarks start at once."""
    flask_command(database_url, "db", "upgrade")
    flask_command(database_url, "skm", "demo", "--scale", "province", "--seed", "1")
    if database_url.startswith("postgresql"):
        import psycopg

        plain = database_url.replace("+psycopg", "")
        with psycopg.connect(plain, autocommit=True) as conn:
            conn.execute("VACUUM ANALYZE")


def empty_postgres(url: str) -> str:
    """Drop everything in the PostgreSQL database ``url`` (with or without +psycopg); returns its
    SQLAlchemy URL."""
    import psycopg

    plain = url.replace("+psycopg", "")
    with psycopg.connect(plain, autocommit=True) as conn:
        conn.execute("DROP SCHEMA public CASCADE")
        conn.execute("CREATE SCHEMA public")
    return plain.replace("postgresql://", "postgresql+psycopg://")
