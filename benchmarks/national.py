"""National scale on PostgreSQL: the demo at F times DKI Jakarta (F=10: some 400,000 respondents
and 10 M answers a quarter), two quarters, loaded with COPY (survey_app/domain/bulk.py), then:

- build time;
- scoring the closed round (scoring.score_round) against one bare aggregate query over the same
  answers (sum and count per position, group and item);
- the results page of that round (a coordinator, in-process test client): median and p95;
- a report card PDF of the published round (the portal's download): median.

Usage: .venv/bin/python benchmarks/national.py --pg postgresql://postgres@127.0.0.1:5432/DB
       [--factor 10] [--seed 1]
The database is EMPTIED first. Forms per second with two app instances: benchmarks/respond_load.py
(gunicorn as in production) measures the public form; it does not depend on the data's size.

Measured 2026-12-01 on the shared 2-core machine (load average 3 to 15 from other work), PostgreSQL
at 127.0.0.1; the full factor 10 would have taken well over 15 minutes there, so factors 1 and 3:

    factor 1: 41,840 respondents, 962,403 answers; build 107 s; bare aggregate 1.18 s,
              score_round 3.23 s (2.7 x); results page first view 10.6 s, then median
              0.78 s, p95 1.23 s; a card 0.62 s
    factor 3: 125,085 respondents, 2,866,366 answers; build 179 s; bare aggregate 2.37 s,
              score_round 8.03 s (3.4 x); results page first view 16.2 s, then median
              1.41 s, p95 1.83 s; a card 0.54 s

Nothing was changed for them (no schema or query change in this benchmark's commit).
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import empty_postgres, timed  # noqa: E402


def national_scale(factor: int):
    """F times the province: 6 F kota of 7-8 kecamatan of 6 kelurahan (267 kelurahan per
    province; about 45 per kota), the province's RW, RT and membership figures."""
    from survey_app import demo

    province = demo.SCALES["province"]
    # The demo's place names run out past some 600 areas: numbered words beside them.
    demo.PLACE_WORDS = tuple(dict.fromkeys(
        demo.PLACE_WORDS + tuple(f"{w} {n}" for w in demo.PLACE_WORDS for n in range(2, 40))))
    kota = tuple((f"{11 + i // 60:02d}{71 + i % 60:02d}", "kota", f"KOTA NASIONAL {i + 1}")
                 for i in range(6 * factor))
    return demo.Scale(kota=kota, kecamatan_per_kota=(7, 8), kelurahan_per_kecamatan=(6, 6),
                      rw_per_kelurahan=province.rw_per_kelurahan, rt_per_rw=province.rt_per_rw,
                      tokoh_per_kelurahan=province.tokoh_per_kelurahan,
                      fkdm_per_kelurahan=province.fkdm_per_kelurahan,
                      fkdm_per_kecamatan=province.fkdm_per_kecamatan, units=province.units,
                      complaints_per_kelurahan_quarter=province.complaints_per_kelurahan_quarter)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def main() -> None:  # noqa: C901 (a script: one step after the other)
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--pg", required=True, help="an EMPTY PostgreSQL database (reset first)")
    parser.add_argument("--factor", type=int, default=10, help="times DKI Jakarta (default 10)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--views", type=int, default=20, help="results page views measured")
    args = parser.parse_args()
    url = empty_postgres(args.pg)
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": "benchmark-national",
                       "JOBS_URL": "memory://"})
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from survey_app import create_app, demo
    from survey_app.domain import questionnaires, scoring
    from survey_app.extensions import db
    from survey_app.models import Answer, Position, Response, Round

    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False
    demo.SCALES["national"] = national_scale(args.factor)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        summary = demo.build_demo("national", args.seed, questionnaires.pin(
            "skm-tokoh-masyarakat-2026"), today=date.today(), secret_key=app.config["SECRET_KEY"],
            hash_method="pbkdf2:sha256:1000", finished_rounds=1)
        db.session.commit()
        build = time.perf_counter() - started
        print(f"factor {args.factor}: built in {build:.1f} s: {summary.areas:,} areas, "
              f"{summary.respondents:,} respondents, rounds {', '.join(summary.rounds)}, "
              f"{summary.responses:,} responses, {summary.answers:,} answers, "
              f"{summary.complaints:,} complaints", flush=True)
        round_ = db.session.scalars(select(Round).where(Round.state != "open")
                                    .order_by(Round.opens_at.desc())).first()
        answers = db.session.scalar(select(func.count()).select_from(Answer).join(Response)
                                    .where(Response.round_id == round_.id))
        db.session.execute(db.text("ANALYZE"))
        bare = min(timed(lambda: db.session.execute(
            select(Response.position_id, Response.group, Answer.item_code, func.count(),
                   func.sum(Answer.value))
            .join(Answer, Answer.response_id == Response.id)
            .where(Response.round_id == round_.id)
            .group_by(Response.position_id, Response.group, Answer.item_code)).all(), 2))
        score = min(timed(lambda: scoring.score_round(round_), 2))
        print(f"round {round_.code} ({round_.state}), {answers:,} answers: bare aggregate "
              f"{bare:.2f} s, score_round {score:.2f} s = {score / bare:.1f} x", flush=True)
        code = round_.code
        db.session.remove()

    client = app.test_client()
    email, password = demo.DEMO_PASSWORDS["coordinator"]
    page = client.get("/auth/login").get_data(as_text=True)
    import re

    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"email": email, "password": password, "next": "",
                                     "csrf_token": token})
    first = timed(lambda: client.get(f"/results/{code}"), 1)[0]
    views = timed(lambda: client.get(f"/results/{code}"), args.views)
    assert client.get(f"/results/{code}").status_code == 200
    print(f"results page: first view {first:.2f} s, then median {statistics.median(views):.3f} s, "
          f"p95 {_p95(views):.3f} s over {args.views} views", flush=True)

    with app.app_context():
        position_id = db.session.scalar(select(Position.id).where(Position.kind == "lurah")
                                        .order_by(Position.id).limit(1))
        db.session.remove()
    published = app.test_cli_runner().invoke(args=["skm", "round", "publish", code])
    assert published.exit_code == 0, published.output
    cards = timed(lambda: client.get(f"/portal/{code}/cards/{position_id}.pdf"), 5)
    status = client.get(f"/portal/{code}/cards/{position_id}.pdf")
    print(f"report card: status {status.status_code}, {len(status.data):,} bytes, median "
          f"{statistics.median(cards):.3f} s (first {cards[0]:.3f} s)", flush=True)


if __name__ == "__main__":
    main()
