"""Score a province-scale round and print its time and peak memory beside a baseline.

Usage: .venv/bin/python benchmarks/scoring.py [--sqlite PATH] [--pg postgresql://postgres@127.0.0.1:5432/DB]

Builds `skm demo --scale province` (about 40,000 respondents) into a fresh database unless
--sqlite names one already built, fills the newest closed round up to over a million answers
(copies of its responses: the demo's 60% response gives about 650,000), then, in a separate process
so that peak memory is the scoring's own, times for the newest closed round:
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

from benchmarks.common import build_province, empty_postgres  # noqa: E402


def fill_up(db, round_, target: int = 1_000_000) -> int:
    """The demo's round has about 60% response (some 650,000 answers); copy its responses
    (with new ids) until it has over a million answers, as a round where most answered."""
    from sqlalchemy import func, select, text

    from survey_app.models import Answer, Response

    def count() -> int:
        return db.session.scalar(select(func.count()).select_from(Answer).join(
            Response, Response.id == Answer.response_id).where(Response.round_id == round_.id))

    answers = count()
    while answers < target:
        offset = db.session.scalar(select(func.max(Response.id)))
        top = offset
        db.session.execute(text(
            'INSERT INTO responses (id, round_id, position_id, official_id, "group", area_id, '
            'source, comment) SELECT id + :off, round_id, position_id, official_id, "group", '
            'area_id, source, NULL FROM responses WHERE round_id = :r AND id <= :top'),
            {"off": offset, "r": round_.id, "top": top})
        db.session.execute(text(
            "INSERT INTO answers (response_id, item_code, value) SELECT a.response_id + :off, "
            "a.item_code, a.value FROM answers a JOIN responses r ON r.id = a.response_id "
            "WHERE r.round_id = :r AND r.id <= :top"), {"off": offset, "r": round_.id, "top": top})
        db.session.commit()
        answers = count()
    return answers


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
        answers = fill_up(db, round_)

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
            build_province(url)
            runs.append((url, "SQLite"))
        if args.pg:
            url = empty_postgres(args.pg)
            print("building the province demo on PostgreSQL ...", flush=True)
            build_province(url)
            runs.append((url, "PostgreSQL"))
        for url, label in runs:
            subprocess.run([sys.executable, __file__, "--measure", url, label], check=True)


if __name__ == "__main__":
    main()
