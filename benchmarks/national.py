"""National scale on PostgreSQL: the demo at F times DKI Jakarta (F=10: some 400,000 respondents
and 10 M answers a quarter), two quarters, loaded with COPY (survey_app/domain/bulk.py), then:

- build time;
- scoring the closed round (scoring.score_round) against one bare aggregate query over the same
  answers (sum and count per position, group and item);
- the results page of that round (a coordinator, in-process test client): median and p95;
- a report card PDF of the published round (the portal's download): median.

- forms per second with two app instances: two gunicorns (each --workers processes) on two
  ports against the same database, rate limits counted once in --ratelimit-storage (Redis, as
  in production), --clients bounded clients (benchmarks/respond_load.py's) taking turns between
  the two, each opening an untouched personal link of the open round and sending it filled in.

Usage: .venv/bin/python benchmarks/national.py --pg postgresql://postgres@127.0.0.1:5432/DB
       [--factor 10] [--seed 1] [--keep] [--forms-seconds 20]
The database is EMPTIED first, unless --keep: then the demo already in it (built by an earlier
run, same --factor and --seed) is measured again after `db upgrade` (the migrations added since,
timed), so that a schema or query change is measured against the same data.

Measured 2026-12-01 on the shared 2-core machine (load average 3 to 15 from other work), PostgreSQL
at 127.0.0.1; the full factor 10 would have taken well over 15 minutes there, so factors 1 and 3:

    factor 1: 41,840 respondents, 962,403 answers; build 107 s; bare aggregate 1.18 s,
              score_round 3.23 s (2.7 x); results page first view 10.6 s, then median
              0.78 s, p95 1.23 s; a card 0.62 s
    factor 3: 125,085 respondents, 2,866,366 answers; build 179 s; bare aggregate 2.37 s,
              score_round 8.03 s (3.4 x); results page first view 16.2 s, then median
              1.41 s, p95 1.83 s; a card 0.54 s

Nothing was changed for them (no schema or query change in this benchmark's commit).

Factor 10, 2026-12-01, same machine at load average 14 to 24 (other sessions' work): 424,004
respondents, 1,077,922 responses and 9,699,155 answers over the two quarters (the closed one
6,693,958; the open one part-answered), 790,524 complaints; build 696 s. Same data measured
three times (the build run; then --keep at revision 0014 after VACUUM (ANALYZE), and --keep at
0015, the indexes created in 4.1 s):

    build run:  bare aggregate 10.75 s, score_round 26.04 s (2.4 x); results page first 4.50 s,
                median 3.07 s, p95 4.89 s; card 0.21 s (first 3.41 s)
    0014:       bare 11.34 s, score_round 29.03 s (2.6 x); results page first 6.21 s, median
                2.23 s, p95 3.02 s; card 0.07 s (first 2.21 s); forms 45.7/s (p95 POST 245 ms)
    0015:       bare 14.04 s, score_round 37.11 s (2.6 x); results page first 5.15 s, median
                3.12 s, p95 4.28 s; card 0.26 s (first 4.39 s); forms 27.4/s (p95 POST 354 ms)

The machine's pace moved more between runs than any change did (the bare aggregate itself from
10.8 to 14.0 s). Measured again back to back at 22:52-22:56 UTC, load average 5 to 6: --keep at
0015, then `flask db downgrade 0014` and --keep --revision 0014:

    0015:       bare 4.05 s, score_round 9.21 s (2.3 x); results page first 1.37 s, median
                0.89 s, p95 1.06 s; card 0.03 s (first 0.54 s); forms 136.8/s with two
                instances (p95 POST 89 ms, GET 78 ms)
    0014:       bare 4.62 s, score_round 11.07 s (2.4 x); results page first 2.52 s, median
                1.03 s, p95 1.42 s; card 0.02 s (first 0.49 s); forms 124.5/s (p95 POST 97 ms)

benchmarks/national_indexes.py, alternating 0015's indexes with none in one process: the
fingerprint every results page view runs, median 0.76 s against 0.92 s (load 5 to 6; 2.43 s
against 2.75 s at load 20+). score_round is unchanged by them. EXPLAIN ANALYZE (load 20+): of
its ~21 s, the sums per item ~9 s (the bare aggregate's own work), each response's score ~9 s
(6.7 M answers grouped by response in two parallel workers, then 1.5 M partial rows merged and
finished by one process), the invited ~3 s. Folding the sums per item into the per-response
pass (FILTER aggregates, one read of the answers) was tried and did not help (17.4 s for that
one query, 4.5 s of it JIT compilation); nor did jit = off or work_mem = 64MB. What would: each
response's score kept beside it when it is written (a column), so that the second pass reads
0.75 M responses instead of 6.7 M answers.
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

SECRET = "benchmark-national"


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
    parser.add_argument("--keep", action="store_true",
                        help="measure the demo already in the database (no build)")
    parser.add_argument("--revision", default="head",
                        help="upgrade the schema to this revision only (before/after a migration: "
                             "`flask db downgrade REV` first)")
    parser.add_argument("--forms-seconds", type=float, default=20,
                        help="forms measured for this long (0: not measured)")
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per instance")
    parser.add_argument("--ratelimit-storage", default="redis://127.0.0.1:6379/6")
    args = parser.parse_args()
    url = args.pg if args.keep else empty_postgres(args.pg)
    url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    os.environ.update({"DATABASE_URL": url, "SECRET_KEY": SECRET, "JOBS_URL": "memory://"})
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from survey_app import create_app, demo
    from survey_app.domain import questionnaires, scoring
    from survey_app.extensions import db
    from survey_app.models import Answer, Position, Respondent, Response, Round

    app = create_app()
    app.config["RATELIMIT_ENABLED"] = False
    demo.SCALES["national"] = national_scale(args.factor)
    with app.app_context():
        started = time.perf_counter()
        upgrade(revision=args.revision)
        print(f"db upgrade to {args.revision}: {time.perf_counter() - started:.1f} s", flush=True)
        if not args.keep:
            started = time.perf_counter()
            summary = demo.build_demo("national", args.seed, questionnaires.pin(
                "skm-tokoh-masyarakat-2026"), today=date.today(),
                secret_key=app.config["SECRET_KEY"], hash_method="pbkdf2:sha256:1000",
                finished_rounds=1)
            db.session.commit()
            build = time.perf_counter() - started
            print(f"factor {args.factor}: built in {build:.1f} s: {summary.areas:,} areas, "
                  f"{summary.respondents:,} respondents, rounds {', '.join(summary.rounds)}, "
                  f"{summary.responses:,} responses, {summary.answers:,} answers, "
                  f"{summary.complaints:,} complaints", flush=True)
        else:
            back_to_closed()
        respondents = db.session.scalar(select(func.count()).select_from(Respondent))
        print(f"{respondents:,} respondents in the database", flush=True)
        started = time.perf_counter()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("VACUUM (ANALYZE)")
        print(f"VACUUM (ANALYZE) (what autovacuum does after a bulk load): "
              f"{time.perf_counter() - started:.1f} s", flush=True)
        round_ = db.session.scalars(select(Round).where(Round.state != "open")
                                    .order_by(Round.opens_at.desc())).first()
        answers = db.session.scalar(select(func.count()).select_from(Answer).join(Response)
                                    .where(Response.round_id == round_.id))
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
    with app.app_context():
        state = db.session.scalar(select(Round.state).where(Round.code == code))
        db.session.remove()
    if state != "published":
        published = app.test_cli_runner().invoke(args=["skm", "round", "publish", code])
        assert published.exit_code == 0, published.output
    cards = timed(lambda: client.get(f"/portal/{code}/cards/{position_id}.pdf"), 5)
    status = client.get(f"/portal/{code}/cards/{position_id}.pdf")
    print(f"report card: status {status.status_code}, {len(status.data):,} bytes, median "
          f"{statistics.median(cards):.3f} s (first {cards[0]:.3f} s)", flush=True)
    if args.forms_seconds:
        forms_with_two_instances(app, url, args)


def back_to_closed() -> None:
    """A benchmark database only: the round an earlier run published (to measure a card) is put
    back to closed, its publication and cards deleted, so that every run measures the same
    pages (a closed round's results page reads its stored document, a published one's its
    publication). Needs an app context; commits."""
    from survey_app.extensions import db

    for statement in (
            "DELETE FROM issued_documents WHERE publication_id IN (SELECT id FROM publications)",
            "DELETE FROM publications",
            "UPDATE rounds SET state = 'closed', published_at = NULL WHERE state = 'published'"):
        db.session.execute(db.text(statement))
    db.session.commit()


def untouched_links(app) -> list[tuple[int, str]]:
    """(n, link path) of each invitation of the open round none of whose positions is answered
    yet, in a fixed shuffled order (n numbers the clients' addresses, respond_load.address_of)."""
    import random

    from sqlalchemy import exists, select

    from survey_app.domain.invitations import invitation_token
    from survey_app.extensions import db
    from survey_app.models import Invitation, InvitationPosition, Round

    with app.app_context():
        nonces = db.session.scalars(
            select(Invitation.token_nonce).join(Round, Round.id == Invitation.round_id)
            .where(Round.state == "open", Invitation.withdrawn.is_(False),
                   ~exists().where(InvitationPosition.invitation_id == Invitation.id,
                                   InvitationPosition.answered))).all()
        db.session.remove()
    random.Random(1).shuffle(nonces)
    return [(n, f"/s/{invitation_token(SECRET, nonce)}") for n, nonce in enumerate(nonces)]


def forms_with_two_instances(app, url: str, args) -> None:
    """Forms per second through two gunicorns on two ports sharing the database and Redis."""
    import itertools
    import resource

    import uvloop

    from benchmarks import respond_load

    links = untouched_links(app)
    print(f"forms: {len(links):,} untouched links of the open round", flush=True)
    tokens = iter((n, path.removeprefix("/s/")) for n, path in links)
    env = {"BENCH_DB_URL": url, "BENCH_RATELIMIT_STORAGE": args.ratelimit_storage,
           "BENCH_SECRET_KEY": SECRET}
    servers = [respond_load.Gunicorn("benchmarks.respond_load:wsgi_app()", env, args.workers, 1)
               for _ in range(2)]
    turns = itertools.cycle(servers)
    by_server: dict[int, int] = {}

    def client(stats, stop_at, rng):
        port = next(turns).port
        by_server[port] = by_server.get(port, 0) + 1
        return respond_load.respondent(port, tokens, stats, stop_at, rng)

    def cpu():
        groups = [respond_load.group_cpu_seconds(s.process.pid) for s in servers]
        return (sum(g[0] for g in groups), groups[0][1],
                respond_load.cpu_seconds(resource.RUSAGE_SELF))

    try:
        stats, elapsed, used = uvloop.run(respond_load.drive(
            client, args.clients, args.forms_seconds, 3, cpu))
    finally:
        for server in servers:
            server.stop()
    print(f"forms with two instances ({args.workers} workers each; clients per port "
          f"{sorted(by_server.values())}): {len(stats.forms) / elapsed:.1f} forms/s over "
          f"{elapsed:.1f} s, p95 POST {respond_load.p95(stats.post):.0f} ms, GET "
          f"{respond_load.p95(stats.get):.0f} ms; errors {stats.errors or 'none'}", flush=True)
    print(f"forms: {respond_load.cpu_note(*used, elapsed, len(stats.forms))}", flush=True)


if __name__ == "__main__":
    main()
