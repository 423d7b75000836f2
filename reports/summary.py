"""The province summary for superiors: SummaryData in, PDF bytes out.

Grades per level first (the picture in one glance), then the league table of each level, the units
ranked by complaint handling (when there are complaint figures) and the officials on each rung of
the sanctions ladder. Long tables continue on the next page with their header repeated.
"""
from __future__ import annotations

import io
from collections.abc import Sequence

from reportlab.lib import colors

from reports import fmt
from reports.card import quarter_label
from reports.drawing import (
    CONTENT_W,
    GRADE_COLOURS,
    HEAD,
    INK,
    MARGIN,
    MUTED,
    PAGE_H,
    PAGE_W,
    RULE,
    SOFT,
    WARN,
    DeferredCanvas,
    Flow,
    fit,
)
from reports.funnel_plot import draw_funnel
from reports.labels import label, post_name
from reports.model import SummaryData

ROW_H = 11.5
LADDER_ORDER = ("rotasi", "sp2", "sp1", "perhatian")


def render_summary(data: SummaryData) -> bytes:
    out = io.BytesIO()
    lang = data.lang
    texts = data.texts
    pdf = DeferredCanvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1,
                         footer=lambda c, n, total: _footer(c, data, n, total))
    pdf.setTitle(f"{label(texts, 'summary_title')} {data.round_code}")
    flow = Flow(pdf)
    _header(flow, data)
    _distribution(flow, data)
    for tier in [*data.leagues, *(t for t in data.too_few if t not in data.leagues)]:
        rows = data.leagues.get(tier, [])
        columns = [(label(texts, "col_rank"), 28, "r"), (label(texts, "col_area"), 130, "l"),
                   (label(texts, "col_official"), 130, "l"), (label(texts, "col_resp"), 36, "r"),
                   (label(texts, "col_ikm"), 44, "r"), (label(texts, "col_grade"), 34, "c"),
                   (label(texts, "col_composite"), 50, "r"),
                   (label(texts, "col_sanction"), 71, "l")]
        body = [[str(r.rank) if r.rank else "–", r.area, r.official or label(texts, "vacant"),
                 fmt.integer(r.respondents, lang), fmt.number(r.ikm, lang),
                 r.grade or "–", fmt.number(r.composite, lang),
                 "" if r.sanction_level == "none" else r.sanction_level.upper()] for r in rows]
        if rows:
            _table(flow, label(texts, "league_title", tier=label(texts, "tier_" + tier)), columns,
                   body, grade_col=5)
        _too_few(flow, data, tier)
    for chart in data.funnels:
        draw_funnel(flow, chart, data)
    charted = {chart.tier for chart in data.funnels}
    for tier in [t for t in data.distribution if t not in charted]:
        flow.paragraph(label(texts, "funnel_none", tier=label(texts, "tier_" + tier)), size=8,
                       colour=MUTED)
    if len(charted) < len(data.distribution):
        flow.gap(8)
    _complaint_ranking(flow, data)
    _ladder(flow, data)
    if data.followups:
        _followups(flow, data)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def _header(flow: Flow, data: SummaryData) -> None:
    pdf, lang = flow.pdf, data.lang
    texts = data.texts
    pdf.setFillColor(HEAD)
    pdf.rect(MARGIN, flow.y - 44, CONTENT_W, 44, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(MARGIN + 10, flow.y - 19, label(texts, "summary_title"))
    pdf.setFont("Helvetica", 10)
    pdf.drawString(MARGIN + 10, flow.y - 35,
                   f"{quarter_label(data.round_code, lang, texts)} ({data.round_code})")
    if data.number:
        pdf.setFont("Helvetica-Bold", 10)
        pdf.drawRightString(MARGIN + CONTENT_W - 10, flow.y - 33, data.number)
    flow.gap(50)
    if not data.published:
        pdf.setFillColor(WARN)
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(MARGIN, flow.y - 9, label(texts, "summary_not_published"))
        flow.gap(14)
    total = sum(sum(c.values()) for c in data.distribution.values())
    scored = sum(sum(v for g, v in c.items() if g != "-") for c in data.distribution.values())
    flow.paragraph(label(texts, "summary_positions", n=fmt.integer(total, lang),
                         scored=fmt.integer(scored, lang)), size=9.5)
    flow.gap(4)


def _distribution(flow: Flow, data: SummaryData) -> None:
    pdf, lang = flow.pdf, data.lang
    texts = data.texts
    tiers = list(data.distribution)
    flow.heading(label(texts, "distribution_title"), keep_with=22 * len(tiers) + 10)
    bar_x, bar_w = MARGIN + 110, CONTENT_W - 160
    for tier in tiers:
        counts = data.distribution[tier]
        total = sum(counts.values()) or 1
        y = flow.y - 16
        pdf.setFillColor(INK)
        pdf.setFont("Helvetica", 9)
        pdf.drawString(MARGIN, y + 3, label(texts, "tier_" + tier).capitalize())
        x = bar_x
        for grade in ("A", "B", "C", "D", "-"):
            n = counts.get(grade, 0)
            if not n:
                continue
            width = bar_w * n / total
            pdf.setFillColor(GRADE_COLOURS.get(grade, colors.HexColor("#9aa0a6")))
            pdf.rect(x, y, width, 14, stroke=0, fill=1)
            pdf.setFillColor(colors.white)
            pdf.setFont("Helvetica-Bold", 7.5)
            text = f"{grade if grade != '-' else label(texts, 'no_grade')} {n}"
            if width > 8 + pdf.stringWidth(text, "Helvetica-Bold", 7.5):
                pdf.drawCentredString(x + width / 2, y + 4, text)
            x += width
        pdf.setFillColor(INK)
        pdf.setFont("Helvetica", 8.5)
        pdf.drawString(bar_x + bar_w + 6, y + 3,
                       f"{label(texts, 'col_total')} {fmt.integer(sum(counts.values()), lang)}")
        flow.y = y - 6
    # the counts as text as well (a printout in grey loses the colours)
    flow.gap(2)
    for tier in tiers:
        counts = data.distribution[tier]
        parts = [f"{g} {counts.get(g, 0)}" for g in ("A", "B", "C", "D")]
        parts.append(f"{label(texts, 'no_grade')} {counts.get('-', 0)}")
        flow.paragraph(f"{label(texts, 'tier_' + tier).capitalize()}: " + " · ".join(parts),
                       size=8, colour=MUTED)
    flow.gap(8)


def _table(flow: Flow, title: str, columns: Sequence[tuple[str, float, str]], body: list[list[str]],
           grade_col: int | None = None) -> None:
    pdf = flow.pdf
    flow.heading(title, keep_with=ROW_H * min(len(body) + 1, 4))
    scale = CONTENT_W / sum(w for _t, w, _a in columns)
    widths = [w * scale for _t, w, _a in columns]

    def header_row():
        flow.need(ROW_H * 2)
        flow.y -= ROW_H
        pdf.setFillColor(SOFT)
        pdf.rect(MARGIN, flow.y - 3, CONTENT_W, ROW_H, stroke=0, fill=1)
        pdf.setFillColor(MUTED)
        pdf.setFont("Helvetica-Bold", 7.5)
        _cells(pdf, [t for t, _w, _a in columns], widths, [a for _t, _w, a in columns], flow.y,
               "Helvetica-Bold", 7.5)

    header_row()
    for i, row in enumerate(body):
        if flow.y - ROW_H < MARGIN + 46:
            flow.need(ROW_H * 3)
            header_row()
        flow.y -= ROW_H
        if i % 2:
            pdf.setFillColor(colors.HexColor("#f7f8fa"))
            pdf.rect(MARGIN, flow.y - 3, CONTENT_W, ROW_H, stroke=0, fill=1)
        pdf.setFillColor(INK)
        _cells(pdf, row, widths, [a for _t, _w, a in columns], flow.y, "Helvetica", 7.8,
               grade_col=grade_col)
    pdf.setStrokeColor(RULE)
    pdf.line(MARGIN, flow.y - 4, MARGIN + CONTENT_W, flow.y - 4)
    flow.gap(14)


def _cells(pdf, values, widths, aligns, y, font, size, grade_col=None):
    x = MARGIN
    for i, (value, width, align) in enumerate(zip(values, widths, aligns, strict=True)):
        text = fit(str(value), font, size, width - 6)
        if i == grade_col and value in GRADE_COLOURS:
            pdf.setFillColor(GRADE_COLOURS[value])
            pdf.setFont("Helvetica-Bold", size)
        else:
            pdf.setFont(font, size)
        if align == "r":
            pdf.drawRightString(x + width - 4, y, text)
        elif align == "c":
            pdf.drawCentredString(x + width / 2, y, text)
        else:
            pdf.drawString(x + 3, y, text)
        pdf.setFillColor(INK)
        x += width


def _too_few(flow: Flow, data: SummaryData, tier: str) -> None:
    """The posts of a tier below the required sample, apart from its league table (issue 20)."""
    rows = data.too_few.get(tier)
    if not rows:
        return
    lang, texts = data.lang, data.texts
    columns = [(label(texts, "col_area"), 150, "l"), (label(texts, "col_official"), 150, "l"),
               (label(texts, "col_resp"), 50, "r"), (label(texts, "col_required"), 55, "r"),
               (label(texts, "col_ikm"), 50, "r"), (label(texts, "col_grade"), 40, "c")]
    body = [[r.area, r.official or label(texts, "vacant"), fmt.integer(r.respondents, lang),
             fmt.integer(r.required_sample, lang), fmt.number(r.ikm, lang), r.grade or "–"]
            for r in rows]
    _table(flow, label(texts, "too_few_title", tier=label(texts, "tier_" + tier)), columns, body,
           grade_col=5)
    flow.gap(-8)
    flow.paragraph(label(texts, "too_few_note"), size=8, colour=MUTED)
    flow.gap(10)


def _nothing_listed(flow: Flow, texts, title: str, why: str) -> None:
    """A section with no rows: its heading and why it is empty."""
    flow.heading(label(texts, title), keep_with=14)
    flow.paragraph(label(texts, why), size=9, colour=MUTED)


def _complaint_ranking(flow: Flow, data: SummaryData) -> None:
    lang = data.lang
    texts = data.texts
    if not data.complaint_ranking:
        _nothing_listed(flow, texts, "complaint_rank_title", "complaint_rank_none")
        flow.gap(8)
        return
    columns = [(label(texts, "col_rank"), 28, "r"), (label(texts, "col_unit"), 220, "l"),
               (label(texts, "col_received"), 60, "r"), (label(texts, "col_in_time"), 60, "r"),
               (label(texts, "col_median"), 60, "r"), (label(texts, "col_overdue"), 60, "r")]
    body = [[str(r.rank), r.name, fmt.integer(r.received, lang), fmt.percent(r.in_time_rate, lang),
             fmt.number(r.median_days, lang, 1), fmt.integer(r.open_overdue, lang)]
            for r in data.complaint_ranking]
    _table(flow, label(texts, "complaint_rank_title"), columns, body)


def _ladder(flow: Flow, data: SummaryData) -> None:
    lang = data.lang
    texts = data.texts
    if not data.ladder:
        _nothing_listed(flow, texts, "ladder_title", "ladder_empty")
        return
    columns = [(label(texts, "col_official"), 130, "l"), (label(texts, "nip"), 110, "l"),
               (label(texts, "position"), 150, "l"), (label(texts, "col_failed"), 60, "r"),
               (label(texts, "col_ikm"), 50, "r"), (label(texts, "col_grade"), 34, "c")]
    for level in LADDER_ORDER:
        rows = [r for r in data.ladder if r.level == level]
        if not rows:
            continue
        body = [[r.official, r.nip, post_name(texts, r.position, r.area),
                 str(r.failed_rounds_in_a_row),
                 fmt.number(r.ikm, lang), r.grade or "–"] for r in rows]
        title = f"{label(texts, 'ladder_title')}: {label(texts, 's_' + level)} ({len(rows)})"
        _table(flow, title, columns, body, grade_col=5)
    flow.paragraph(label(texts, "sanction_note"), size=8, colour=MUTED)


def _followups(flow: Flow, data: SummaryData) -> None:
    """The follow-up plans written after this round, by state per kota."""
    lang, texts = data.lang, data.texts
    states = ("draft", "submitted", "returned", "approved", "done", "verified")
    columns = ([(label(texts, "col_area"), 110, "l")]
               + [(label(texts, "fu_" + s), 52, "r") for s in states]
               + [(label(texts, "fu_missing"), 66, "r")])
    body = [[r.area or label(texts, "fu_units")]
            + [fmt.integer(r.counts.get(s, 0), lang) for s in states]
            + [fmt.integer(r.missing, lang)] for r in data.followups or []]
    flow.gap(8)
    _table(flow, label(texts, "fu_summary_title"), columns, body)


def _footer(pdf, data: SummaryData, page: int, total: int) -> None:
    texts = data.texts
    y = MARGIN + 14
    pdf.setStrokeColor(RULE)
    pdf.line(MARGIN, y + 10, MARGIN + CONTENT_W, y + 10)
    pdf.setFont("Helvetica", 7.5)
    pdf.setFillColor(MUTED)
    left = f"{label(texts, 'doc_number')}: {data.number}" if data.number else data.round_code
    pdf.drawString(MARGIN, y, left)
    pdf.drawRightString(MARGIN + CONTENT_W, y, label(texts, "page", n=page, total=total))
    if data.verify_url:
        pdf.drawString(MARGIN, y - 10, label(texts, "verify_at", url=data.verify_url))
