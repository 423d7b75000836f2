"""`skm results CODE` on the province demo: wall and CPU time and peak memory of the whole command
(starting Python and the app included), against issue 17's targets.

Usage: .venv/bin/python benchmarks/results_cli.py [--sqlite PATH] [--pg URL [--reuse]] [--repeat N]

Builds `skm demo --scale province` into a fresh database unless --sqlite names one built already
(it is copied first: the runs below store results, and the original stays as it was) or --reuse
keeps what the PostgreSQL database holds. Then runs `flask --app wsgi skm results CODE --format
json` under /usr/bin/time (elapsed seconds, user + system CPU seconds, maximum resident set size):
- the open round, first run: the figures `skm demo` stored (as the worker does every minute),
  printed with their age; right after a build this is the first command after it;
- the open round again, N times (warm: the same, read back);
- the open round with --fresh, computed now (and stored): the honest cost of computing the
  round, which the worker pays, never a page;
- a published round, N times: the stored publication, printed as it is.
Targets (issue 17): the open round under 3 s, a published one under 1 s, peak memory under
500 MB. The figures are medians of the runs; the load average before and after says how busy the
shared machine was (CPU seconds move less than wall seconds when other work shares it).
Python writes its bytecode caches as in production (PYTHONDONTWRITEBYTECODE is unset for the
runs): a cold start that compiles every module is not what a server or a cron job sees.
"""
from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import as_in_production, build_province, empty_postgres  # noqa: E402

TARGET_SECONDS = {"open": 3.0, "published": 1.0}
TARGET_MB = 500


def _env(url: str) -> dict:
    return as_in_production({**os.environ, "DATABASE_URL": url, "SECRET_KEY": "benchmark"})


def timed(url: str, code: str, *extra: str) -> tuple[float, float, float, int]:
    """(seconds, CPU seconds, peak MB, bytes of output) of one `skm results CODE`."""
    done = subprocess.run(["/usr/bin/time", "-f", "%e %U %S %M", str(ROOT / ".venv/bin/flask"),
                           "--app", "wsgi", "skm", "results", code, "--format", "json", *extra],
                          cwd=ROOT, env=_env(url), capture_output=True, text=True)
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
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    if args.pg:
        url = args.pg if args.reuse else empty_postgres(args.pg)
        url = url.replace("postgresql://", "postgresql+psycopg://") if "+psycopg" not in url \
            else url
        engine_name = "PostgreSQL"
    else:
        folder = Path(tempfile.mkdtemp())
        path = folder / "province.sqlite"
        if args.sqlite:
            shutil.copyfile(args.sqlite, path)
        url = f"sqlite:///{path}"
        engine_name = "SQLite"
    subprocess.run([sys.executable, "-m", "compileall", "-q", "survey_app", "reports", "wsgi.py"],
                   cwd=ROOT, env=_env(url), capture_output=True, check=True)
    if not (args.sqlite or args.reuse):
        build_province(url)
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as connection:
        codes = {state: code for code, state in connection.execute(
            text("SELECT code, state FROM rounds ORDER BY opens_at"))}
    engine.dispose()
    runs = [("open round, first run (stored by the demo)", "open", codes["open"], 1, ()),
            ("open round again (warm)", "open", codes["open"], args.repeat, ()),
            ("open round computed now (--fresh)", None, codes["open"], 1, ("--fresh",)),
            ("published round", "published", codes["published"], args.repeat, ())]
    print(f"skm results on the province demo ({engine_name}); load average before: "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"{'run':<44} {'round':<8} {'n':>2} {'wall s':>7} {'CPU s':>6} {'peak MB':>8} "
          f"{'bytes':>8}  target")
    for label, target, code, times, extra in runs:
        found = [timed(url, code, *extra) for _ in range(times)]
        seconds = statistics.median(f[0] for f in found)
        cpu = statistics.median(f[1] for f in found)
        megabytes = max(f[2] for f in found)
        if target is None:
            verdict = "(what the worker pays; no target)"
        else:
            limit = TARGET_SECONDS[target]
            verdict = (f"< {limit:.0f} s: wall {'met' if seconds < limit else 'NOT met'}, "
                       f"CPU {'met' if cpu < limit else 'NOT met'}; "
                       f"< {TARGET_MB} MB: {'met' if megabytes < TARGET_MB else 'NOT met'}")
        print(f"{label:<44} {code:<8} {times:>2} {seconds:7.2f} {cpu:6.2f} {megabytes:8.0f} "
              f"{found[-1][3]:8d}  {verdict}")
    print(f"load average after: {os.getloadavg()[0]:.1f}")
    if not args.pg:
        shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
