"""Time the complaint import and figures at the scale of a year of Jakarta's CRM.

Usage: .venv/bin/python benchmarks/complaints.py [--rows 200000] [--pg URL | --no-pg]

On a fresh database (a temporary SQLite file, then PostgreSQL when reachable: by default the
database bench_complaints on 127.0.0.1, created if missing and emptied first) it builds the
province-scale areas, units, positions and officials of the demo (with its rotations), four rounds
(2025-Q1..Q4), writes a CSV export of N complaints over 2025 (80% filed at a kelurahan, 20% naming
a unit; times with and without offsets; every status), then times, through the real command line:

  import      `skm import-complaints FILE` into an empty table        target < 20 s
  re-import   the same file again (every row compared, none changed)   target < 20 s
  figures     figures_for_round (every position) for each round        target < 2 s each
and, for information, the figures per official and the unit ranking of one round.
"""
from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402

from survey_app import create_app  # noqa: E402
from survey_app.extensions import db  # noqa: E402

DEFAULT_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/bench_complaints"
YEAR = 2025
STATUSES = ["Selesai"] * 90 + ["Ditolak"] * 3 + ["Menunggu", "Koordinasi", "Disposisi", "Proses",
                                                  "waiting", "in_progress", "rejected"]


def build_world(seed: int) -> tuple[list[str], list[str]]:
    """Areas, units, positions and officials as the province demo has them; returns the
    kelurahan codes and unit codes to file complaints at."""
    from survey_app.demo import SCALES, _Builder
    from survey_app.domain.questionnaires import pin
    from survey_app.models import Area, Round, Unit

    questionnaire = pin("skm-tokoh-masyarakat-2026")
    quarters = [(YEAR, q) for q in range(1, 5)]
    builder = _Builder(SCALES["province"], seed, questionnaire, date(YEAR, 12, 31), "bench", 3)
    builder.build_areas()
    builder.build_units_and_positions()
    builder.build_officials(quarters)
    for year, quarter in quarters:
        end = date(year + 1, 1, 1) if quarter == 4 else date(year, 3 * quarter + 1, 1)
        db.session.add(Round(
            code=f"{year}-Q{quarter}", questionnaire=questionnaire, state="closed",
            opens_at=datetime.combine(end - timedelta(days=20), datetime.min.time(), UTC),
            closes_at=datetime.combine(end + timedelta(days=10), datetime.min.time(), UTC)))
    from survey_app.domain.bulk import reset_sequences
    db.session.flush()
    reset_sequences(db.metadata.sorted_tables)
    db.session.commit()
    kelurahan = list(db.session.scalars(select(Area.code).where(Area.level == "kelurahan")))
    units = list(db.session.scalars(select(Unit.code)))
    return kelurahan, units


def write_export(path: Path, rows: int, kelurahan: list[str], units: list[str], seed: int) -> None:
    rng = random.Random(seed)
    start = datetime(YEAR, 1, 1)
    minutes = 365 * 1440
    with path.open("w", encoding="utf-8") as out:
        out.write("complaint_id,channel,category,area_code,unit_code,status,reported_at,"
                  "first_response_at,resolved_at\n")
        for n in range(rows):
            reported = start + timedelta(minutes=rng.randrange(minutes))
            status = rng.choice(STATUSES)
            first = reported + timedelta(minutes=int(rng.lognormvariate(5.0, 0.9)))
            resolved = reported + timedelta(minutes=int(rng.lognormvariate(8.4, 0.7)))
            if resolved > datetime(YEAR + 1, 1, 1):
                status = "Proses"
            unit = rng.choice(units) if rng.random() < 0.2 else ""
            offset = rng.random() < 0.1  # some exports write UTC with an offset

            def fmt(t: datetime, offset: bool = offset) -> str:
                if offset:
                    return (t - timedelta(hours=7)).strftime("%Y-%m-%dT%H:%M:%SZ")
                return t.strftime("%Y-%m-%d %H:%M:%S")

            out.write(f"CRM-{YEAR}-{n:07d},JAKI,Jalan,{rng.choice(kelurahan)},{unit},{status},"
                      f"{fmt(reported)},{fmt(first) if rng.random() < 0.8 else ''},"
                      f"{fmt(resolved) if status in ('Selesai', 'Ditolak') else ''}\n")


def timed(label: str, target: float | None, action):
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    verdict = "" if target is None else (" OK" if seconds < target else " OVER TARGET")
    goal = "" if target is None else f" (target < {target:g} s){verdict}"
    print(f"  {label:<44} {seconds:7.2f} s{goal}")
    return result


def measure(label: str, url: str, rows: int, seed: int, workdir: Path) -> None:
    from survey_app.domain.complaint_figures import (
        figures_by_official,
        figures_for_round,
        rank_units,
        round_by_code,
    )
    from survey_app.models import Complaint, Position

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "TESTING": False,
                      "PASSWORD_HASH_METHOD": "pbkdf2:sha256:1"})
    with app.app_context():
        if url.startswith("postgresql"):
            db.drop_all()
            db.session.execute(text("DROP TABLE IF EXISTS alembic_version"))
            db.session.commit()
        db.create_all()
        kelurahan, units = build_world(seed)
        export = workdir / "export.csv"
        write_export(export, rows, kelurahan, units, seed)
        print(f"{label}: {len(kelurahan)} kelurahan, {len(units)} units, "
              f"{db.session.scalar(select(func.count()).select_from(Position))} positions; "
              f"export of {rows:,} rows ({export.stat().st_size / 1e6:.1f} MB)")
        db.session.remove()
    runner = app.test_cli_runner()

    def run_import():
        result = runner.invoke(args=["skm", "import-complaints", str(export)])
        if result.exit_code:
            sys.exit(result.output)
        return result.output.splitlines()[0]

    print("   " + timed("import (empty table)", 20, run_import))
    print("   " + timed("re-import of the same file", 20, run_import))
    with app.app_context():
        stored = db.session.scalar(select(func.count()).select_from(Complaint))
        print(f"  complaints stored: {stored:,}")
        positions = 0
        for quarter in range(1, 5):
            round_ = round_by_code(f"{YEAR}-Q{quarter}")
            figures = timed(f"figures_for_round {round_.code} (every position)", 2,
                            lambda round_=round_: figures_for_round(round_))
            positions = len(figures)
        received = sum(f.received for p, f in figures.items())
        print(f"  ({positions} positions; {YEAR}-Q4 received summed over positions: {received:,})")
        timed(f"figures_by_official {round_.code}", None, lambda: figures_by_official(round_))
        timed(f"rank_units {round_.code} (with its figures)", None, lambda: rank_units(round_))
        db.session.remove()
        db.engine.dispose()


def pg_reachable(url: str) -> bool:
    import psycopg

    plain = url.replace("+psycopg", "")
    try:
        psycopg.connect(plain, connect_timeout=3).close()
        return True
    except psycopg.OperationalError:
        # The server may answer but lack the database: create it (our own benchmark database).
        server, _slash, name = plain.rpartition("/")
        try:
            with psycopg.connect(server + "/postgres", connect_timeout=3, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{name}"')
            return True
        except psycopg.Error:
            return False


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg", default=DEFAULT_PG, help="PostgreSQL URL (emptied first)")
    parser.add_argument("--no-pg", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        measure("SQLite", f"sqlite:///{Path(tmp) / 'bench.sqlite'}", args.rows, args.seed,
                Path(tmp))
        if args.no_pg:
            return
        if pg_reachable(args.pg):
            measure("PostgreSQL", args.pg, args.rows, args.seed, Path(tmp))
        else:
            print(f"PostgreSQL is not reachable at {args.pg}: skipped.")


if __name__ == "__main__":
    main()
