"""Migrations 0013 and 0015's indexes against none, in one process on the national demo (build
it with benchmarks/national.py): results.fingerprint of the closed round, which every look at its
results page runs (counting its responses, its invited and answered, its quarter's complaints),
timed with the indexes and without them (dropped, and the index on invitations.round_id put
back, inside a transaction that is rolled back), alternated, so that a machine whose pace
drifts weighs on both alike.

Usage: .venv/bin/python benchmarks/national_indexes.py --pg postgresql://postgres@127.0.0.1:5432/DB
       [--round 2026-Q3] [--cycles 3] [--repeat 5]
The database must be at revision 0015 or later (0013: the quarter's complaints; 0015: the
invited); it is left as it was.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WITHOUT = ("DROP INDEX ix_complaints_reported", "DROP INDEX ix_invitations_round_id_id",
           "CREATE INDEX ix_invitations_round_id ON invitations (round_id)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True)
    parser.add_argument("--round", default="2026-Q3")
    parser.add_argument("--cycles", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    os.environ.update({"DATABASE_URL": args.pg.replace("postgresql://", "postgresql+psycopg://", 1),
                       "SECRET_KEY": "benchmark-national", "JOBS_URL": "memory://"})
    from sqlalchemy import select, text

    from survey_app import create_app
    from survey_app.domain import results
    from survey_app.extensions import db
    from survey_app.models import Round

    app = create_app()
    timings: dict[str, list[float]] = {"with 0015": [], "without": []}
    with app.app_context():
        round_ = db.session.scalars(select(Round).where(Round.code == args.round)).one()
        db.session.commit()

        def measure(label: str) -> None:
            for _ in range(args.repeat):
                started = time.perf_counter()
                results.fingerprint(round_)
                timings[label].append(time.perf_counter() - started)

        for _ in range(args.cycles):
            measure("with 0015")
            db.session.commit()
            for statement in WITHOUT:
                db.session.execute(text(statement))
            measure("without")
            db.session.rollback()
    for label, values in timings.items():
        print(f"fingerprint of {args.round} {label}: median {statistics.median(values):.3f} s, "
              f"min {min(values):.3f} s over {len(values)}", flush=True)


if __name__ == "__main__":
    main()
