"""Time the master data pages at province scale and count their queries (issue 18).

Usage: .venv/bin/python benchmarks/masterdata_pages.py [--pg postgresql://...] [--extra-areas N]

Builds `skm demo --scale province --seed 1` (318 areas, some 350 officials and their posts) in a
fresh database (SQLite in a temporary folder, or the PostgreSQL database given, emptied first),
adds N more kelurahan (default 5,000: "thousands of areas"), then logs in as the demo coordinator
and requests each list page (first page, a search, the last page), a post's page and the
downloads. Prints, per request, the median of 5 timings and the number of SQL statements run.
A list page must take the same few queries whatever the size (no query per row).
"""
from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import build_province, empty_postgres  # noqa: E402


def add_areas(app, n: int) -> None:
    from sqlalchemy import insert, select

    from survey_app.extensions import db
    from survey_app.models import Area

    with app.app_context():
        parents = db.session.scalars(select(Area.id).where(Area.level == "kecamatan")).all()
        db.session.execute(insert(Area), [
            {"code": f"99{i:06d}", "level": "kelurahan", "name": f"KELURAHAN UJI {i}",
             "parent_id": parents[i % len(parents)]} for i in range(n)])
        db.session.commit()


def measure(client, engine, url: str) -> tuple[float, int, int]:
    from sqlalchemy import event

    statements = []

    def count(*_args):
        statements.append(1)

    timings = []
    for _ in range(5):
        statements.clear()
        event.listen(engine, "before_cursor_execute", count)
        start = time.perf_counter()
        response = client.get(url)
        timings.append(time.perf_counter() - start)
        event.remove(engine, "before_cursor_execute", count)
        assert response.status_code == 200, (url, response.status_code)
    return statistics.median(timings) * 1000, len(statements), len(response.data)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pg", help="an emptied PostgreSQL database to build in")
    parser.add_argument("--extra-areas", type=int, default=5000)
    args = parser.parse_args()
    folder = tempfile.mkdtemp()
    url = empty_postgres(args.pg) if args.pg else f"sqlite:///{folder}/bench.sqlite"
    started = time.perf_counter()
    build_province(url)
    print(f"province demo built in {time.perf_counter() - started:.1f} s ({url.split(':')[0]})")

    from survey_app import create_app
    from survey_app.demo import DEMO_PASSWORDS
    from survey_app.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "benchmark",
                      "WTF_CSRF_ENABLED": False, "RATELIMIT_ENABLED": False})
    add_areas(app, args.extra_areas)
    client = app.test_client()
    email, password = DEMO_PASSWORDS["coordinator"]
    client.post("/auth/login", data={"email": email, "password": password})
    with app.app_context():
        engine = db.engine
    posts = client.get("/coordinator/master/posts?kind=lurah").get_data(as_text=True)
    post = re.search(r'href="(/coordinator/master/posts/\d+)"', posts).group(1)
    urls = ["/coordinator/master/areas", "/coordinator/master/areas?q=uji+42",
            "/coordinator/master/areas?page=107", "/coordinator/master/units",
            "/coordinator/master/officials", "/coordinator/master/officials?q=a",
            "/coordinator/master/officials?page=7", "/coordinator/master/posts",
            "/coordinator/master/posts?q=pela", post, "/coordinator/master/areas.csv",
            "/coordinator/master/officials.csv", "/coordinator/master/officials.xlsx",
            "/coordinator/templates/officials.xlsx"]
    print(f"{'request':48} {'ms':>8} {'queries':>8} {'bytes':>9}")
    for target in urls:
        ms, queries, size = measure(client, engine, target)
        print(f"{target:48} {ms:8.1f} {queries:8d} {size:9,d}")


if __name__ == "__main__":
    main()
