"""Letters per second: the round's ZIP of invitation letters (a PDF per kelurahan), built by the
letters job exactly as a coordinator starts it, on the province demo.

Usage: .venv/bin/python benchmarks/letters.py --db PROVINCE.sqlite3 [--round 2026-Q4]
       [--area CODE] [--format zip|pdf|csv] [--pending]
--db: a built province demo (`skm demo --scale province --seed 1`, then `flask db upgrade`), copied
first (without it the demo is built, some two minutes). --area limits it to one kota, kecamatan
or kelurahan (the whole province's 40,000 letters take long on a small machine). Prints the
letters, seconds, CPU seconds, letters per second and the file's size.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import build_province  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", type=Path)
    parser.add_argument("--round", default="2026-Q4")
    parser.add_argument("--area")
    parser.add_argument("--format", default="zip", choices=["zip", "pdf", "csv"])
    parser.add_argument("--pending", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="skm-letters-") as folder:
        database = Path(folder) / "province.sqlite3"
        url = f"sqlite:///{database}"
        if args.db:
            shutil.copy(args.db, database)
        else:
            build_province(url)
        os.environ.update({"DATABASE_URL": url, "SECRET_KEY": "benchmark",
                           "JOBS_URL": "memory://"})
        from flask_migrate import upgrade

        from survey_app import create_app, jobs
        from survey_app.extensions import db
        from survey_app.models import Job

        app = create_app()
        with app.app_context():
            upgrade(directory=str(ROOT / "migrations"))
            started, cpu = time.perf_counter(), time.process_time()
            job = jobs.submit("letters", {"round": args.round, "format": args.format,
                                          "area": args.area, "pending": args.pending})
            seconds, cpu = time.perf_counter() - started, time.process_time() - cpu
            job = db.session.get(Job, job.id)
            if job.state != "done":
                sys.exit(f"the job {job.state}: {job.error}")
            size = job.result_size
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{job.total} letters ({args.format}, {args.area or 'whole round'}) in "
              f"{seconds:.1f} s ({cpu:.1f} s CPU): {job.total / seconds:.1f} letters/s "
              f"({job.total / cpu:.1f} per CPU second); {size / 1e6:.1f} MB; peak RSS {rss:.0f} MB")


if __name__ == "__main__":
    main()
