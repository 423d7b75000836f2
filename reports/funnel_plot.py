"""The province summary's funnel plots: one tier's FunnelChart drawn on the flowing page.

Pure drawing: the mean, the limits (``curve``) and which posts lie outside them come computed in
the chart (survey_app/domain/funnel.py); this module only scales them to the page. The region
between the 99.8% limits is tinted lightly, the 95% band a little more, the mean is a dashed
line; a post outside the 95% limits is orange and named, outside the 99.8% red and named. The
names are listed under the plot as well (a grey printout loses the colours).
"""
from __future__ import annotations

import math

from reportlab.lib import colors

from reports import fmt
from reports.drawing import CONTENT_W, HEAD, INK, MARGIN, MUTED, RULE, WARN, Flow, fit
from reports.labels import label
from reports.model import FunnelChart, SummaryData

PLOT_H = 190.0
LEFT_AXIS = 34.0
BOTTOM_AXIS = 22.0
BAND_998 = colors.HexColor("#eef2f7")
BAND_95 = colors.HexColor("#dbe4ef")
OUTSIDE_95 = colors.HexColor("#b86e00")
DOT = colors.HexColor("#17406d")


def _nice_step(span: float, ticks: int = 5) -> float:
    """A round step (1, 2 or 5 times a power of ten) giving about ``ticks`` ticks over span."""
    raw = max(span, 1e-9) / ticks
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 5, 10):
        if raw <= factor * power:
            return factor * power
    return 10 * power


def _y_range(chart: FunnelChart) -> tuple[float, float]:
    values = [p.value for p in chart.points] + [chart.mean]
    if chart.curve:
        _n, _l95, _h95, low998, high998 = chart.curve[-1]
        values += [low998, high998]
    low, high = min(values), max(values)
    pad = max(3.0, 0.12 * (high - low))
    return max(chart.lowest, low - pad), min(chart.highest, high + pad)


def draw_funnel(flow: Flow, chart: FunnelChart, data: SummaryData) -> None:
    texts, lang = data.texts, data.lang
    tier = label(texts, "tier_" + chart.tier)
    flow.heading(label(texts, "funnel_title", tier=tier), keep_with=PLOT_H + 40)
    note = "funnel_note_ikm" if chart.measure == "ikm" else "funnel_note_rate"
    flow.paragraph(label(texts, note, mean=fmt.number(chart.mean, lang),
                         sd=fmt.number(chart.sd, lang)), size=8, colour=MUTED)
    flow.need(PLOT_H + 14)
    pdf = flow.pdf
    top = flow.y - 6
    x0, y0 = MARGIN + LEFT_AXIS, top - PLOT_H + BOTTOM_AXIS
    width, height = CONTENT_W - LEFT_AXIS - 8, PLOT_H - BOTTOM_AXIS - 6
    n_max = chart.curve[-1][0] if chart.curve else max(p.n for p in chart.points) * 1.08
    y_low, y_high = _y_range(chart)

    def sx(n: float) -> float:
        return x0 + width * n / n_max

    def sy(v: float) -> float:
        return y0 + height * (v - y_low) / (y_high - y_low)

    _axes(pdf, chart, data, (x0, y0, width, height), n_max, (y_low, y_high), sx, sy)
    pdf.saveState()
    clip = pdf.beginPath()
    clip.rect(x0, y0, width, height)
    pdf.clipPath(clip, stroke=0, fill=0)
    if chart.curve:
        _band(pdf, chart, 3, 4, BAND_998, sx, sy)
        _band(pdf, chart, 1, 2, BAND_95, sx, sy)
        for index, dash in ((1, (2, 2)), (2, (2, 2)), (3, ()), (4, ())):
            line = pdf.beginPath()
            for i, row in enumerate(chart.curve):
                (line.moveTo if i == 0 else line.lineTo)(sx(row[0]), sy(row[index]))
            pdf.setStrokeColor(MUTED)
            pdf.setLineWidth(0.5)
            pdf.setDash(*dash) if dash else pdf.setDash()
            pdf.drawPath(line, stroke=1, fill=0)
    pdf.restoreState()
    pdf.setDash(4, 2)
    pdf.setStrokeColor(HEAD)
    pdf.setLineWidth(0.9)
    pdf.line(x0, sy(chart.mean), x0 + width, sy(chart.mean))
    pdf.setDash()
    for point in sorted(chart.points, key=lambda p: p.outside):
        colour = WARN if point.outside == 998 else OUTSIDE_95 if point.outside else DOT
        pdf.setFillColor(colour)
        pdf.setStrokeColor(colors.white)
        pdf.setLineWidth(0.4)
        pdf.circle(sx(point.n), sy(point.value), 2.6, stroke=1, fill=1)
        if point.outside:
            pdf.setFont("Helvetica", 6.3)
            name = fit(point.label, "Helvetica", 6.3, 110)
            x = sx(point.n) + 4
            if x + pdf.stringWidth(name, "Helvetica", 6.3) > x0 + width:
                x = sx(point.n) - 4 - pdf.stringWidth(name, "Helvetica", 6.3)
            pdf.drawString(x, sy(point.value) - 2, name)
    flow.y = top - PLOT_H - 4
    _legend(flow, chart, data)


def _band(pdf, chart: FunnelChart, low: int, high: int, colour, sx, sy) -> None:
    band = pdf.beginPath()
    for i, row in enumerate(chart.curve):
        (band.moveTo if i == 0 else band.lineTo)(sx(row[0]), sy(row[high]))
    for row in reversed(chart.curve):
        band.lineTo(sx(row[0]), sy(row[low]))
    band.close()
    pdf.setFillColor(colour)
    pdf.drawPath(band, stroke=0, fill=1)


def _axes(pdf, chart: FunnelChart, data: SummaryData, box, n_max: float,
          y_span: tuple[float, float], sx, sy) -> None:
    x0, y0, width, height = box
    lang, texts = data.lang, data.texts
    pdf.setStrokeColor(RULE)
    pdf.setLineWidth(0.6)
    pdf.rect(x0, y0, width, height, stroke=1, fill=0)
    pdf.setFont("Helvetica", 7)
    pdf.setFillColor(MUTED)
    step = _nice_step(n_max)
    tick = 0.0
    while tick <= n_max:
        pdf.line(sx(tick), y0, sx(tick), y0 - 3)
        pdf.drawCentredString(sx(tick), y0 - 11, fmt.integer(int(tick), lang))
        tick += step
    y_low, y_high = y_span
    step = _nice_step(y_high - y_low)
    tick = math.ceil(y_low / step) * step
    while tick <= y_high + 1e-9:
        pdf.line(x0 - 3, sy(tick), x0, sy(tick))
        pdf.drawRightString(x0 - 5, sy(tick) - 2.5, fmt.number(tick, lang, 0))
        tick += step
    axis_x = "funnel_x_ikm" if chart.measure == "ikm" else "funnel_x_rate"
    axis_y = "funnel_y_ikm" if chart.measure == "ikm" else "funnel_y_rate"
    pdf.drawRightString(x0 + width, y0 - 20, label(texts, axis_x))
    pdf.saveState()
    pdf.translate(MARGIN + 6, y0 + height / 2)
    pdf.rotate(90)
    pdf.drawCentredString(0, 0, label(texts, axis_y))
    pdf.restoreState()


def _legend(flow: Flow, chart: FunnelChart, data: SummaryData) -> None:
    texts = data.texts
    if chart.sd is None:
        flow.paragraph(label(texts, "funnel_no_limits"), size=8, colour=MUTED)
        flow.gap(8)
        return
    lines = []
    for key, level, above in (("funnel_above_998", 998, True), ("funnel_below_998", 998, False),
                              ("funnel_above_95", 95, True), ("funnel_below_95", 95, False)):
        names = [p.label for p in chart.points if p.outside == level and p.above == above]
        if names:
            lines.append((label(texts, key, names=", ".join(sorted(names))),
                          WARN if level == 998 else INK))
    if not lines:
        lines.append((label(texts, "funnel_inside"), MUTED))
    for text, colour in lines:
        flow.paragraph(text, size=8, colour=colour)
    flow.gap(8)
