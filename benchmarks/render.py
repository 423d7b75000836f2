"""Render a province-scale round's report cards and summary; print the times beside a baseline.

Usage: .venv/bin/python benchmarks/render.py [--sqlite PATH] [--round CODE]

Builds `skm demo --scale province` (about 320 positions) into a fresh SQLite database unless
--sqlite names one already built, then, for the newest closed round (or --round):
- baseline: a plain two-page reportlab document with two charts (reportlab.graphics bar and line
  charts), rendered in this process, measured in the same run;
- scoring: the results document as first asked for (cold on a fresh build: every round scored);
- data: the results document, the comments and the issued numbers of every card (main process);
- one core: every card rendered one after another in this process (time per card);
- the summary alone;
- the whole round on 2 processes: every card and the summary through reports.batch.render_all
  (worker start-up included), and end to end as `skm render` does it (data + rendering).
Targets (issue 7): under 60 ms a card on one core; the whole round under 15 s on 2 cores.
"""
from __future__ import annotations

import argparse
import io
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.common import build_province, timed  # noqa: E402


def baseline_document() -> bytes:
    """Two A4 pages of text, a bar chart and a line chart: reportlab's own cost of such a card."""
    from reportlab.graphics import renderPDF
    from reportlab.graphics.charts.barcharts import HorizontalBarChart
    from reportlab.graphics.charts.linecharts import HorizontalLineChart
    from reportlab.graphics.shapes import Drawing
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfgen import canvas

    out = io.BytesIO()
    pdf = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    for page in range(2):
        pdf.setFont("Helvetica-Bold", 16)
        pdf.drawString(40, 800, f"Baseline page {page + 1}")
        pdf.setFont("Helvetica", 9)
        for line in range(30):
            pdf.drawString(40, 770 - 12 * line,
                           f"A line of ordinary text on a plain reportlab page, number {line}.")
        drawing = Drawing(500, 260)
        if page == 0:
            chart = HorizontalBarChart()
            chart.data = [[2.6, 2.8, 2.7, 2.9, 3.0, 3.1, 2.9, 3.2, 3.3]]
            chart.categoryAxis.categoryNames = [f"U{i}" for i in range(1, 10)]
        else:
            chart = HorizontalLineChart()
            chart.data = [[79.2, 78.7, 78.6, 70.6, 72.0, 74.1, 75.3, 76.0]]
            chart.categoryAxis.categoryNames = [f"Q{i}" for i in range(1, 9)]
        chart.x, chart.y, chart.width, chart.height = 40, 20, 420, 220
        drawing.add(chart)
        renderPDF.draw(drawing, pdf, 40, 60)
        pdf.showPage()
    pdf.save()
    return out.getvalue()


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", help="a province demo database already built (its path)")
    parser.add_argument("--round", dest="code", help="the round (default: newest closed one)")
    args = parser.parse_args()
    workdir = tempfile.mkdtemp(prefix="skm-render-")
    path = args.sqlite or os.path.join(workdir, "province.sqlite")
    database_url = f"sqlite:///{path}"
    if not args.sqlite:
        print(f"building the province demo in {path} ...", flush=True)
        build_province(database_url)
    os.environ.update(DATABASE_URL=database_url, SECRET_KEY="benchmark")

    from sqlalchemy import func, select

    from reports.batch import render_all
    from reports.card import render_card
    from reports.summary import render_summary
    from survey_app import create_app
    from survey_app.domain import cards, results, rounds
    from survey_app.extensions import db
    from survey_app.models import IssuedDocument

    baseline_document()  # warm up the imports and font metrics
    app = create_app()
    with app.app_context():
        listing = rounds.listing()
        round_ = rounds.by_code(args.code) if args.code else next(
            r for r, state, _p in listing if state == "closed")
        started = time.perf_counter()
        results.results_document(round_)  # store the base results first (skm results does)
        db.session.commit()
        scoring_seconds = time.perf_counter() - started
        before = db.session.scalar(select(func.count()).select_from(IssuedDocument))
        started = time.perf_counter()
        document = results.results_document(round_)
        issued = cards.cards_for(round_, document, list(document.positions), "id",
                                 "http://127.0.0.1:5000/verify")
        summary = cards.summary_data(document, "id", cards.complaint_ranking(round_, document),
                                     published=round_.state == "published")
        cards.issue_summary(round_, summary, "http://127.0.0.1:5000/verify")
        db.session.commit()
        data_seconds = time.perf_counter() - started
        code = round_.code
        new = db.session.scalar(select(func.count()).select_from(IssuedDocument)) - before
    print(f"round {code}: {len(issued)} cards and the summary "
          f"({sum(len(c.comments) for c in issued)} comments printed)")

    baseline = timed(baseline_document, 50)
    render_card(issued[0])  # warm
    render_card_times = []
    for data in issued:
        started = time.perf_counter()
        render_card(data)
        render_card_times.append(time.perf_counter() - started)
    summary_times = timed(lambda: render_summary(summary), 3)
    jobs = [(cards.file_name(d), d) for d in issued] + [("summary.pdf", summary)]
    started = time.perf_counter()
    written = sum(len(pdf) for _name, pdf in render_all(jobs, processes=2))
    two_processes = time.perf_counter() - started
    one_core_total = sum(render_card_times) + statistics.median(summary_times)

    quantiles = statistics.quantiles(render_card_times, n=20)
    print(f"baseline (plain 2-page reportlab document, 2 charts): median "
          f"{ms(statistics.median(baseline))}, mean {ms(statistics.mean(baseline))}")
    ratio = statistics.median(render_card_times) / statistics.median(baseline)
    print(f"card on one core: median {ms(statistics.median(render_card_times))}, mean "
          f"{ms(statistics.mean(render_card_times))}, p95 {ms(quantiles[18])}, max "
          f"{ms(max(render_card_times))}  (target < 60 ms; {ratio:.2f}x the baseline)")
    print(f"summary: {ms(statistics.median(summary_times))}")
    print(f"before that, the results document as first asked for (scoring of the round and "
          f"its history unless already stored; issue 6's cost, not rendering): "
          f"{scoring_seconds:.2f} s")
    print(f"data for every card (results document, comments, numbers; {new} numbers issued "
          f"now, the rest reused): {data_seconds:.2f} s")
    print(f"rendering the whole round on one core: {one_core_total:.2f} s")
    print(f"rendering the whole round on 2 processes (worker start-up included): "
          f"{two_processes:.2f} s ({written / 1e6:.1f} MB of PDF)")
    print(f"whole round end to end (data + 2 processes), as skm render: "
          f"{data_seconds + two_processes:.2f} s  (target < 15 s)")


if __name__ == "__main__":
    main()
