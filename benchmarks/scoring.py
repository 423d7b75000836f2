"""Score a province-scale round and print its time and peak memory beside a baseline.

Usage: .venv/bin/python benchmarks/scoring.py [--sqlite PATH] [--pg postgresql://postgres@127.0.0.1:5432/DB]

Builds `skm demo --scale province` (about 40,000 respondents; over a million answers per round)
into a fresh database unless --sqlite names one already built, then, in a separate process so
that peak memory is the scoring's own, times for the newest closed round:
- baseline: one bare aggregate query over the same answers (sum and count per position, group
  and item), the least any scoring in the database can do;
- score_round: the scores of every position (two passes over the answers);
- results document, earlier rounds stored: what `skm results` costs in normal use;
- results document, cold: nothing stored, every earlier round (up to eight) scored too.
Targets (issue 6): the round under 3 s, within 5x the baseline, under 500 MB.
"""
from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def build(database_url: str) -> None:
    env = {**os.environ, "DATABASE_URL": database_url, "SECRET_KEY": "benchmark"}
    flask = [str(ROOT / ".venv/bin/flask"), "--app", "wsgi"]
    for args in (["db", "upgrade"], ["skm", "demo", "--scale", "province", "--seed", "1"]):
        done = subprocess.run([*flask, *args], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode:
            sys.exit(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")


def measure(database_url: str, label: str) -> None:
    """Runs in its own process (see main)."""
    os.environ.update({"DATABASE_URL": database_url, "SECRET_KEY": "benchmark"})
    import scipy.stats  # noqa: F401  (imported once, outside the timings)
    from sqlalchemy import delete, func, select

    from survey_app import create_app
    from survey_app.domain import results, scoring
    from survey_app.extensions import db
    from survey_app.models import Answer, Response, ResultSnapshot, Round

    app = create_app()
    with app.app_context():
        round_ = db.session.scalars(select(Round).where(Round.state == "closed")
                                    .order_by(Round.opens_at.desc())).first()
        answers = db.session.scalar(select(func.count()).select_from(Answer).join(
            Response, Response.id == Answer.response_id).where(Response.round_id == round_.id))

        def timed(fn, repeat: int = 3) -> float:
            best = float("inf")
            for _ in range(repeat):
                started = time.perf_counter()
                fn()
                best = min(best, time.perf_counter() - started)
            return best

        baseline = timed(lambda: db.session.execute(
            select(Response.position_id, Response.group, Answer.item_code, func.count(),
                   func.sum(Answer.value))
            .join(Answer, Answer.response_id == Response.id)
            .where(Response.round_id == round_.id)
            .group_by(Response.position_id, Response.group, Answer.item_code)).all())
        scores = {}
        score_time = timed(lambda: scores.update(scoring.score_round(round_)))

        def cold():
            db.session.execute(delete(ResultSnapshot))
            results.results_document(round_)
            db.session.rollback()

        cold_time = timed(cold, repeat=1)
        results.results_document(round_)
        db.session.commit()  # every round's base results stored
        db.session.execute(delete(ResultSnapshot).where(ResultSnapshot.round_id == round_.id))
        stored_time = timed(lambda: results.results_document(round_), repeat=1)
        db.session.rollback()
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"{label}: round {round_.code}, {len(scores)} positions, {answers:,} answers")
        print(f"  baseline (one bare aggregate query)        {baseline:6.2f} s")
        print(f"  score_round                                {score_time:6.2f} s  "
              f"= {score_time / baseline:.1f} x baseline (target < 3 s, < 5 x)")
        print(f"  results document, earlier rounds stored    {stored_time:6.2f} s  "
              f"= {stored_time / baseline:.1f} x baseline")
        print(f"  results document, cold (all rounds scored) {cold_time:6.2f} s")
        print(f"  peak memory of the scoring process         {peak_mb:6.0f} MB (target < 500 MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sqlite", help="an SQLite file already holding the province demo")
    parser.add_argument("--pg", help="an EMPTY PostgreSQL database to use (it is reset first)")
    parser.add_argument("--measure", nargs=2, metavar=("URL", "LABEL"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        measure(*args.measure)
        return
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        if args.sqlite:
            runs.append((f"sqlite:///{Path(args.sqlite).resolve()}", "SQLite"))
        else:
            url = f"sqlite:///{Path(tmp) / 'province.sqlite'}"
            print("building the province demo on SQLite ...", flush=True)
            build(url)
            runs.append((url, "SQLite"))
        if args.pg:
            import psycopg

            plain = args.pg.replace("+psycopg", "")
            with psycopg.connect(plain, autocommit=True) as conn:
                conn.execute("DROP SCHEMA public CASCADE")
                conn.execute("CREATE SCHEMA public")
            url = plain.replace("postgresql://", "postgresql+psycopg://")
            print("building the province demo on PostgreSQL ...", flush=True)
            build(url)
            runs.append((url, "PostgreSQL"))
        for url, label in runs:
            subprocess.run([sys.executable, __file__, "--measure", url, label], check=True)


if __name__ == "__main__":
    main()
