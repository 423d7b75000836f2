"""`skm results CODE` on the province demo: wall time and peak memory of the whole command.

Usage: .venv/bin/python benchmarks/results_cli.py [--sqlite PATH] [--pg URL [--reuse]]

Builds `skm demo --scale province` into a fresh database (as benchmarks/pages.py does) unless
--sqlite names one built already or --reuse keeps what the PostgreSQL database holds, then runs
`flask --app wsgi skm results CODE --format json` under /usr/bin/time (elapsed seconds and
maximum resident set size) for:
- the open round right after the build (the closed round's results stored by the demo, the
  published ones frozen: only the open round is computed);
- the open round again (within RESULTS_CACHE_SECONDS: read back);
- the open round computed anew (RESULTS_CACHE_SECONDS=0);
- a published round (read as published).
Each time includes starting Python and the app; CPU seconds (user + system) beside the wall
time, as those move less when other work shares the machine. Targets (issue 17): the open
round under 3 s, a published one under 1 s, peak memory under 500 MB.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import build_province, empty_postgres  # noqa: E402


def timed(url: str, code: str, extra_env: dict | None = None
          ) -> tuple[float, float, float, int]:
    """(seconds, CPU seconds, peak MB, bytes of output) of one `skm results CODE`."""
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark", **(extra_env or {})}
    done = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", str(ROOT / ".venv/bin/flask"),
                           "--app", "wsgi", "skm", "results", code, "--format", "json"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode:
        sys.exit(done.stderr)
    seconds, user, system, kilobytes = done.stderr.strip().splitlines()[-1].split()
    return (float(seconds), float(user) + float(system), int(kilobytes) / 1024,
            len(done.stdout.encode()))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sqlite")
    parser.add_argument("--pg")
    parser.add_argument("--reuse", action="store_true")
    args = parser.parse_args()
    if args.pg:
        url = args.pg if args.reuse else empty_postgres(args.pg)
        url = url.replace("postgresql://", "postgresql+psycopg://") if "+psycopg" not in url \
            else url
    else:
        path = Path(args.sqlite) if args.sqlite else Path(tempfile.mkdtemp()) / "province.sqlite"
        url = f"sqlite:///{path}"
    if not (args.sqlite or args.reuse):
        build_province(url)
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        codes = {state: code for code, state in connection.execute(
            text("SELECT code, state FROM rounds ORDER BY opens_at"))}
    engine.dispose()
    runs = [("open round, right after the build", codes["open"], None),
            ("open round again (read back)", codes["open"], None),
            ("open round computed anew", codes["open"], {"RESULTS_CACHE_SECONDS": "0"}),
            ("published round", codes["published"], None)]
    print(f"load average before: {os.getloadavg()[0]:.1f} "
          f"(CPU seconds move less with other work on the machine than wall seconds)")
    print(f"{'skm results':<36} {'round':<8} {'seconds':>8} {'CPU s':>6} {'peak MB':>8} "
          f"{'bytes':>9}")
    for label, code, env in runs:
        seconds, cpu, megabytes, size = timed(url, code, env)
        print(f"{label:<36} {code:<8} {seconds:8.2f} {cpu:6.2f} {megabytes:8.0f} {size:9d}")


if __name__ == "__main__":
    main()
