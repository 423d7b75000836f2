"""The report card of one official for one quarter: CardData in, PDF bytes out (1-2 A4 pages).

Written for a lurah who has never seen a statistics course: the IKM large with its grade and where
the grades begin, the uncertainty in words, then what to work on (the weakest elements), who rated
(groups, and which were left out and why), the trend, complaints, standing, comments and the method.
Every page carries the document number and the fingerprint, so a printed card can be checked.
"""
from __future__ import annotations

import io
from collections.abc import Mapping
from itertools import pairwise

from reportlab.lib import colors
from reportlab.lib.utils import simpleSplit

from reports import fmt
from reports.drawing import (
    CONTENT_W,
    GRADE_COLOURS,
    GRADE_TINTS,
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
from reports.labels import label, post_name
from reports.model import CardData

ROMAN = {1: "I", 2: "II", 3: "III", 4: "IV"}
SCALE_LOW, SCALE_HIGH = 25.0, 100.0


def render_card(data: CardData) -> bytes:
    """The card as PDF bytes."""
    out = io.BytesIO()
    texts = data.texts
    pdf = DeferredCanvas(out, pagesize=(PAGE_W, PAGE_H), pageCompression=1,
                         footer=lambda c, n, total: _footer(c, data, n, total))
    pdf.setTitle(f"{label(texts, 'card_title')} {data.round_code} {data.official_name or ''}")
    pdf.setAuthor("SKM")
    flow = Flow(pdf, top_gap=0)
    _header(flow, data)
    _identity(flow, data)
    if data.rated:
        _score(flow, data)
        if data.ikm is not None:
            _elements(flow, data)
        _groups(flow, data)
        if len(data.trend) > 1 or data.ikm is not None:
            _trend(flow, data)
    else:
        flow.paragraph(label(texts, "complaints_only"), size=10, font="Helvetica-Oblique")
        flow.gap(6)
    if data.followups:
        _followups(flow, data)
    _complaints(flow, data)
    _standing(flow, data)
    if data.rated:
        _comments(flow, data)
        _method(flow, data)
    pdf.showPage()
    pdf.save()
    return out.getvalue()


def quarter_label(code: str, lang: str, texts: Mapping[str, str]) -> str:
    year, q = fmt.quarter(code)
    return label(texts, "quarter", q=ROMAN[q] if lang == "id" else q, year=year)


LEVEL_WORDS = {"lurah": "Kelurahan", "camat": "Kecamatan", "walikota": "Kota",
               "bupati": "Kabupaten"}


def post_title(data: CardData) -> str:
    """'Lurah PELA TIMUR', 'Kepala Dinas Bina Marga'."""
    return post_name(data.texts, data.position, data.area_name or data.unit_name)


def area_title(data: CardData) -> str:
    """'Kelurahan PELA TIMUR (3171010001)': the level word unless the name starts with it."""
    name = data.area_name or data.unit_name or ""
    word = LEVEL_WORDS.get(data.position)
    if word and not name.lower().startswith(word.lower()):
        name = f"{word} {name}"
    return name + (f" ({data.area_code})" if data.area_code else "")


# --- blocks ------------------------------------------------------------------------------------

def _header(flow: Flow, data: CardData) -> None:
    pdf, lang = flow.pdf, data.lang
    texts = data.texts
    height = 44
    pdf.setFillColor(HEAD)
    pdf.rect(MARGIN, flow.y - height, CONTENT_W, height, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont("Helvetica-Bold", 14)
    pdf.drawString(MARGIN + 10, flow.y - 19, label(texts, "card_title"))
    pdf.setFont("Helvetica", 10)
    pdf.drawString(MARGIN + 10, flow.y - 35, f"{quarter_label(data.round_code, lang, texts)} "
                                              f"({data.round_code})")
    pdf.setFont("Helvetica", 8)
    pdf.drawRightString(MARGIN + CONTENT_W - 10, flow.y - 19, label(texts, "doc_number"))
    pdf.setFont("Helvetica-Bold", 10)
    pdf.drawRightString(MARGIN + CONTENT_W - 10, flow.y - 33, data.number)
    flow.gap(height + 6)
    if not data.published:
        pdf.setFillColor(WARN)
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawString(MARGIN, flow.y - 9, label(texts, "summary_not_published"))
        flow.gap(14)
    pdf.setFillColor(INK)


def _identity(flow: Flow, data: CardData) -> None:
    pdf = flow.pdf
    texts = data.texts
    rows = [(label(texts, "name"), data.official_name or label(texts, "vacant")),
            (label(texts, "nip"), data.official_nip or "–"),
            (label(texts, "position"), label(texts, "pos_" + data.position)),
            (label(texts, "area") if data.area_name else label(texts, "unit"), area_title(data))]
    y = flow.y
    for i, (key, value) in enumerate(rows):
        y -= 15 if i else 16
        pdf.setFont("Helvetica", 8.5)
        pdf.setFillColor(MUTED)
        pdf.drawString(MARGIN, y, key)
        pdf.setFillColor(INK)
        size = 13 if i == 0 else 10
        pdf.setFont("Helvetica-Bold" if i == 0 else "Helvetica", size)
        pdf.drawString(MARGIN + 70, y, fit(value, "Helvetica-Bold", size, CONTENT_W - 70))
    flow.y = y - 12


def _score(flow: Flow, data: CardData) -> None:
    pdf, lang = flow.pdf, data.lang
    texts = data.texts
    box_h = 92
    flow.need(box_h + 60)
    top = flow.y
    pdf.setFillColor(GRADE_TINTS.get(data.grade or "", SOFT))  # no grade: no tint
    pdf.setStrokeColor(RULE)
    pdf.roundRect(MARGIN, top - box_h, CONTENT_W, box_h, 6, stroke=0, fill=1)
    pdf.setFillColor(MUTED)
    pdf.setFont("Helvetica", 8.5)
    pdf.drawString(MARGIN + 12, top - 16, label(texts, "ikm"))
    if data.ikm is None:
        pdf.setFillColor(INK)
        pdf.setFont("Helvetica-Bold", 22)
        pdf.drawString(MARGIN + 12, top - 46, label(texts, "no_score"))
        flow.y = top - 54
        flow.paragraph(label(texts, "no_score_why", min=data.min_group), size=9.5,
                       x=MARGIN + 12, width=CONTENT_W - 24)
        flow.y = min(flow.y, top - box_h) - 10
        _sample(flow, data)
        return
    pdf.setFillColor(INK)
    pdf.setFont("Helvetica-Bold", 44)
    big = fmt.number(data.ikm, lang)
    # a scored card has its grade and category (set with the IKM)
    assert data.grade is not None and data.category is not None
    pdf.drawString(MARGIN + 12, top - 60, big)
    # the grade letter in its colour, with the category under it
    gx = MARGIN + 160
    pdf.setFillColor(GRADE_COLOURS[data.grade])
    pdf.roundRect(gx, top - 66, 50, 50, 5, stroke=0, fill=1)
    pdf.setFillColor(colors.white)
    pdf.setFont("Helvetica-Bold", 34)
    pdf.drawCentredString(gx + 25, top - 54, data.grade)
    pdf.setFillColor(INK)
    pdf.setFont("Helvetica", 8.5)
    pdf.drawCentredString(gx + 25, top - 78, label(texts, "grade"))
    pdf.setFont("Helvetica-Bold", 11)
    pdf.drawString(MARGIN + 12, top - 80, label(texts, "cat_" + data.category))
    _band(pdf, data, MARGIN + 232, top - 62, CONTENT_W - 244)
    flow.y = top - box_h - 6
    # the uncertainty, the change and the sample, in words
    if data.ci95:
        low, high = data.ci95
        text = label(texts, "ci", low=fmt.number(low, lang, 1), high=fmt.number(high, lang, 1))
        if any(low < bound <= high for bound in data.grade_bounds):
            text += " " + label(texts, "ci_crosses")
        flow.paragraph(text, size=9.5)
    else:
        flow.paragraph(label(texts, "ci_none"), size=9.5)
    if data.previous_ikm is not None and data.change is not None:
        key = "change_up" if data.change > 0.005 else "change_down" if data.change < -0.005 \
            else "change_same"
        text = label(texts, key, prev=data.previous_round,
                     value=fmt.number(data.previous_ikm, lang),
                     delta=fmt.number(abs(data.change), lang))
        if data.change_p_value is not None:
            text += label(texts, "change_sig" if data.change_significant else "change_not_sig",
                          p=fmt.p_value(data.change_p_value, lang))
        else:
            text += label(texts, "change_no_p")
        if data.compared_elsewhere:
            text += " " + label(texts, "compared_elsewhere", post=data.compared_elsewhere)
        flow.paragraph(text, size=9.5)
    elif data.new_holder:
        flow.paragraph(label(texts, "new_holder"), size=9.5)
    _sample(flow, data)


def _sample(flow: Flow, data: CardData) -> None:
    lang = data.lang
    texts = data.texts
    if not data.invited:
        flow.paragraph(label(texts, "sample_no_invites", n=fmt.integer(data.respondents, lang)),
                       size=9.5)
        flow.gap(6)
        return
    text = label(texts, "sample", n=fmt.integer(data.respondents, lang),
                 invited=fmt.integer(data.invited, lang),
                 rate=fmt.percent(data.response_rate, lang),
                 required=fmt.integer(data.required_sample, lang))
    flow.paragraph(text, size=9.5)
    if data.meets_required_sample is False:
        flow.paragraph(label(texts, "sample_below"), size=9.5, font="Helvetica-Bold", colour=WARN)
    elif data.meets_required_sample:
        flow.paragraph(label(texts, "sample_ok"), size=9.5)
    flow.gap(6)


def _band(pdf, data: CardData, x: float, y: float, width: float) -> None:
    """The 25..100 scale cut where D, C, B and A begin, with a marker at the IKM."""
    a, b, c = data.grade_bounds
    height = 16

    def at(value: float) -> float:
        return x + width * (value - SCALE_LOW) / (SCALE_HIGH - SCALE_LOW)

    for low, high, grade in ((SCALE_LOW, c, "D"), (c, b, "C"), (b, a, "B"), (a, SCALE_HIGH, "A")):
        pdf.setFillColor(GRADE_COLOURS[grade])
        pdf.rect(at(low), y, at(high) - at(low), height, stroke=0, fill=1)
        pdf.setFillColor(colors.white)
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawCentredString((at(low) + at(high)) / 2, y + 4.5, grade)
    pdf.setFillColor(INK)
    pdf.setFont("Helvetica", 7)
    for bound in (SCALE_LOW, c, b, a, SCALE_HIGH):
        pdf.setStrokeColor(INK)
        pdf.setLineWidth(0.5)
        pdf.line(at(bound), y - 2, at(bound), y)
        pdf.drawCentredString(at(bound), y - 9, fmt.number(bound, data.lang))
    # the marker: a triangle above the band, and the CI as a bracket under it
    assert data.ikm is not None  # the scale is drawn for a scored card only
    mx = at(max(SCALE_LOW, min(SCALE_HIGH, data.ikm)))
    pdf.setFillColor(INK)
    path = pdf.beginPath()
    path.moveTo(mx - 5, y + height + 9)
    path.lineTo(mx + 5, y + height + 9)
    path.lineTo(mx, y + height + 1)
    path.close()
    pdf.drawPath(path, stroke=0, fill=1)
    if data.ci95:
        lo, hi = (at(max(SCALE_LOW, min(SCALE_HIGH, v))) for v in data.ci95)
        pdf.setStrokeColor(INK)
        pdf.setLineWidth(1.2)
        pdf.line(lo, y + height + 4, hi, y + height + 4)
        pdf.line(lo, y + height + 1, lo, y + height + 7)
        pdf.line(hi, y + height + 1, hi, y + height + 7)
    pdf.setFont("Helvetica", 7)
    pdf.setFillColor(MUTED)
    pdf.drawString(x, y - 21, label(data.texts, "band_where", **_bounds(data)))
    pdf.drawString(x, y - 30, label(data.texts, "band_marks"))
    pdf.setFillColor(INK)


def _elements(flow: Flow, data: CardData) -> None:
    pdf, lang = flow.pdf, data.lang
    texts = data.texts
    rows = [e for e in data.elements if e.nrr is not None]
    if not rows:
        return
    name_w, value_w, grade_w, tag_w = 230, 34, 14, 62
    bar_x = MARGIN + name_w
    bar_w = CONTENT_W - name_w - value_w - grade_w - tag_w
    # long element names wrap onto a second line rather than lose their end
    names = [simpleSplit(f"{e.code} {e.name_id if lang == 'id' else e.name_en}",
                         "Helvetica-Bold", 8.5, name_w - 8)[:2] for e in rows]
    heights = [15 if len(lines) == 1 else 23 for lines in names]
    flow.heading(label(texts, "elements_title"), keep_with=sum(heights) + 30)

    def at(v: float) -> float:
        return bar_x + bar_w * (v - 1) / 3

    top = flow.y
    bottom = top - sum(heights)
    pdf.setStrokeColor(RULE)
    pdf.setLineWidth(0.5)
    pdf.setFont("Helvetica", 7)
    pdf.setFillColor(MUTED)
    for tick in (1, 2, 3, 4):
        pdf.line(at(tick), bottom, at(tick), top + 2)
        pdf.drawCentredString(at(tick), bottom - 8, str(tick))
    y = top
    for element, lines, height in zip(rows, names, heights, strict=True):
        assert element.nrr is not None  # rows are the elements with an NRR
        y -= height
        pdf.setFillColor(INK)
        pdf.setFont("Helvetica-Bold" if element.priority else "Helvetica", 8.5)
        for i, line in enumerate(lines):
            pdf.drawString(MARGIN, y + height - 11 - 9 * i, line)
        bar_y = y + (height - 10) / 2
        pdf.setFillColor(WARN if element.priority else HEAD)
        pdf.rect(bar_x, bar_y, at(element.nrr) - bar_x, 10, stroke=0, fill=1)
        pdf.setFillColor(INK)
        pdf.setFont("Helvetica", 8.5)
        pdf.drawRightString(bar_x + bar_w + value_w - 4, bar_y + 2, fmt.number(element.nrr, lang))
        if element.grade:
            pdf.setFont("Helvetica-Bold", 8.5)
            pdf.drawString(bar_x + bar_w + value_w, bar_y + 2, element.grade)
        if element.priority:
            pdf.setFillColor(WARN)
            pdf.setFont("Helvetica-Bold", 7.5)
            pdf.drawString(bar_x + bar_w + value_w + grade_w + 2, bar_y + 2,
                           label(texts, "priority"))
    flow.y = bottom - 12
    flow.paragraph(label(texts, "priorities_note"), size=8, colour=MUTED)
    flow.gap(6)


def _followups(flow: Flow, data: CardData) -> None:
    """Last quarter's follow-up plans, each beside its element's change since then."""
    lang, texts = data.lang, data.texts
    flow.heading(label(texts, "fu_title", round=data.followups_round or ""), keep_with=40)
    for row in data.followups:
        change = (fmt.number(row.nrr_now - row.nrr_then, lang)
                  if row.nrr_now is not None and row.nrr_then is not None else "–")
        if change[:1] not in ("-", "–"):
            change = "+" + change
        flow.paragraph(label(texts, "fu_line", code=row.element,
                             name=row.name_id if lang == "id" else row.name_en,
                             then=fmt.number(row.nrr_then, lang),
                             round=data.followups_round or "",
                             now=fmt.number(row.nrr_now, lang), change=change),
                       size=9, font="Helvetica-Bold")
        flow.paragraph(label(texts, "fu_plan", action=fmt.printable(row.action),
                             due=row.due_quarter, state=label(texts, "fu_" + row.state)),
                       size=8.5, x=MARGIN + 8, width=CONTENT_W - 8)
        flow.gap(3)
    flow.paragraph(label(texts, "fu_note"), size=8, colour=MUTED)
    flow.gap(6)


def _groups(flow: Flow, data: CardData) -> None:
    pdf, lang = flow.pdf, data.lang
    texts = data.texts
    rows = data.groups
    row_h = 14
    flow.heading(label(texts, "groups_title"), keep_with=row_h * (len(rows) + 1) + 30)
    cols = (MARGIN, MARGIN + 170, MARGIN + 270, MARGIN + 380)
    pdf.setFont("Helvetica", 8)
    pdf.setFillColor(MUTED)
    y = flow.y - 10
    for x, key in zip(cols, ("group_col", "respondents_col", "score_col", "weight_col"),
                      strict=True):
        pdf.drawString(x, y, label(texts, key))
    for row in rows:
        y -= row_h
        pdf.setFillColor(MUTED if row.left_out else INK)
        pdf.setFont("Helvetica", 9)
        pdf.drawString(cols[0], y, label(texts, "g_" + row.group))
        pdf.drawString(cols[1], y, f"< {data.min_group}" if row.left_out
                       else fmt.integer(row.respondents, lang))
        if row.left_out:
            pdf.setFont("Helvetica-Oblique", 9)
            pdf.drawString(cols[2], y, label(texts, "left_out"))
        else:
            pdf.drawString(cols[2], y, fmt.number(row.score, lang))
            pdf.drawString(cols[3], y, fmt.percent(row.weight, lang))
    if not rows:
        y -= row_h
        pdf.setFont("Helvetica-Oblique", 9)
        pdf.drawString(cols[0], y, label(texts, "no_respondents"))
    flow.y = y - 8
    left_out = [g.group for g in data.groups if g.left_out]
    if left_out:
        names = ", ".join(label(texts, "g_" + g) for g in left_out)
        flow.paragraph(label(texts, "left_out_why", groups=names, min=data.min_group), size=8.5,
                       colour=MUTED)
    flow.gap(8)


def _trend(flow: Flow, data: CardData) -> None:
    pdf, lang = flow.pdf, data.lang
    texts = data.texts
    height = 96
    flow.heading(label(texts, "trend_title"), keep_with=height + 24)
    values = [p.ikm for p in data.trend if p.ikm is not None]
    low = min([60.0] + [v - 5 for v in values])
    low = max(SCALE_LOW, 5 * int(low // 5))
    high = 100.0
    x0, x1 = MARGIN + 30, MARGIN + CONTENT_W - 10
    top, bottom = flow.y - 4, flow.y - 4 - height

    def ypos(v: float) -> float:
        return bottom + (v - low) / (high - low) * height

    a, b, c = data.grade_bounds
    for lo, hi, grade in ((low, c, "D"), (c, b, "C"), (b, a, "B"), (a, high, "A")):
        if hi <= low:
            continue
        lo = max(lo, low)
        pdf.setFillColor(GRADE_TINTS[grade])
        pdf.rect(x0, ypos(lo), x1 - x0, ypos(hi) - ypos(lo), stroke=0, fill=1)
        pdf.setFillColor(GRADE_COLOURS[grade])
        pdf.setFont("Helvetica-Bold", 7)
        pdf.drawString(x1 + 2, (ypos(lo) + ypos(hi)) / 2 - 2, grade)
    pdf.setFont("Helvetica", 7)
    pdf.setFillColor(MUTED)
    for tick in range(int(low), 101, 10):
        pdf.drawRightString(x0 - 4, ypos(tick) - 2, str(tick))
    n = len(data.trend)
    step = (x1 - x0) / max(n, 1)
    points = []
    holder = 0  # counts the changes of holder up to each point
    for i, point in enumerate(data.trend):
        cx = x0 + step * (i + 0.5)
        holder += point.holder_changed
        pdf.setFillColor(INK)
        pdf.setFont("Helvetica", 7.5)
        pdf.drawCentredString(cx, bottom - 10, point.round)
        if point.holder_changed:  # a dashed line before the first point of a new holder
            pdf.setStrokeColor(MUTED)
            pdf.setLineWidth(0.6)
            pdf.setDash(2, 2)
            pdf.line(cx - step / 2, bottom, cx - step / 2, top)
            pdf.setDash()
            pdf.setFillColor(MUTED)
            pdf.setFont("Helvetica-Oblique", 6.5)
            pdf.drawString(cx - step / 2 + 2, top - 8, label(texts, "trend_holder_changed"))
            pdf.setFillColor(INK)
            pdf.setFont("Helvetica", 7.5)
        if point.ikm is None:
            pdf.setFillColor(MUTED)
            pdf.drawCentredString(cx, bottom + 6, label(texts, "trend_none"))
            continue
        points.append((cx, ypos(point.ikm), point.ikm, holder))
    pdf.setStrokeColor(HEAD)
    pdf.setLineWidth(1.5)
    for (ax, ay, _, one), (bx, by, _, other) in pairwise(points):
        if one == other:  # one official's scores are joined; another's stand apart
            pdf.line(ax, ay, bx, by)
    for i, (cx, cy, value, _holder) in enumerate(points):
        last = i == len(points) - 1 and data.trend[-1].ikm is not None
        pdf.setFillColor(HEAD)
        pdf.circle(cx, cy, 3.2 if last else 2.4, stroke=0, fill=1)
        pdf.setFillColor(INK)
        pdf.setFont("Helvetica-Bold" if last else "Helvetica", 7.5)
        pdf.drawCentredString(cx, cy + 6, fmt.number(value, lang))
    flow.y = bottom - 22


def _complaints(flow: Flow, data: CardData) -> None:
    pdf, lang = flow.pdf, data.lang
    texts = data.texts
    c = data.complaints
    if c is None:
        flow.heading(label(texts, "complaints_title"), keep_with=14)
        flow.paragraph(label(texts, "complaints_none"), size=9.5, colour=MUTED)
        flow.gap(6)
        return
    rows = [(label(texts, "c_received"), fmt.integer(c.received, lang)),
            (label(texts, "c_rejected"), fmt.integer(c.rejected, lang)),
            (label(texts, "c_resolved"), fmt.integer(c.resolved, lang)),
            (label(texts, "c_in_time",
                   days=c.deadline_days if c.deadline_days is not None else "–"),
             fmt.integer(c.resolved_in_time, lang)),
            (label(texts, "c_rate"), fmt.percent(c.in_time_rate, lang)),
            (label(texts, "c_median"), "–" if c.median_days_to_resolve is None else
             label(texts, "days", n=fmt.number(c.median_days_to_resolve, lang, 1))),
            (label(texts, "c_overdue"), fmt.integer(c.open_overdue, lang))]
    if c.median_hours_to_first_response is not None:
        rows.insert(6, (label(texts, "c_first"),
                        label(texts, "hours",
                              n=fmt.number(c.median_hours_to_first_response, lang, 1))))
    row_h = 13
    flow.heading(label(texts, "complaints_title"), keep_with=row_h * len(rows))
    days = c.deadline_days if c.deadline_days is not None else "–"
    _complaint_notes(pdf, c, lang, texts, days, flow.y, row_h * len(rows))
    y = flow.y
    for key, value in rows:
        y -= row_h
        pdf.setFont("Helvetica", 9)
        pdf.setFillColor(INK)
        pdf.drawString(MARGIN, y, key)
        pdf.setFont("Helvetica-Bold", 9)
        pdf.drawRightString(MARGIN + 330, y, value)
    flow.y = y - 6
    flow.paragraph(label(texts, "complaints_method", days=days), size=7.5, colour=MUTED,
                   leading=9.5)
    flow.gap(8)


NOTE_X = MARGIN + 345  # the complaint notes sit beside the figures, which end at MARGIN + 330


def _complaint_notes(pdf, c, lang: str, texts: Mapping[str, str], days, top: float,
                     height: float) -> None:
    """Beside the figures: whether they are final or provisional (and as of when), and whether
    the in-time rate is over too few complaints to judge anyone on it."""
    notes = []
    if c.as_of is not None:
        notes.append((label(texts, "c_final" if c.final else "c_provisional", time=c.as_of,
                            days=days), "Helvetica" if c.final else "Helvetica-Bold",
                      MUTED if c.final else WARN))
    if not c.enough_to_judge:
        judged = (c.resolved or 0) + (c.open_overdue or 0)  # the in-time rate's denominator
        notes.append((label(texts, "c_too_few", n=fmt.integer(judged, lang),
                            min=fmt.integer(c.min_complaints, lang)), "Helvetica-Bold", WARN))
    width, size, leading = MARGIN + CONTENT_W - NOTE_X, 7.5, 9
    y = top
    for text, font, colour in notes:
        pdf.setFont(font, size)
        pdf.setFillColor(colour)
        for line in simpleSplit(text, font, size, width):
            if y - leading < top - height - 2 * leading:
                break  # never into the text below
            y -= leading
            pdf.drawString(NOTE_X, y, line)
        y -= 4
    pdf.setFillColor(INK)


def _standing(flow: Flow, data: CardData) -> None:
    lang = data.lang
    texts = data.texts
    flow.heading(label(texts, "standing_title"), keep_with=50)
    by_complaints = data.tier == "kepala_dinas"  # dinas are not surveyed
    too_few = data.complaints is None or not data.complaints.enough_to_judge
    if data.rank is not None:
        flow.paragraph(label(texts, "rank_complaints" if by_complaints else "rank", rank=data.rank,
                             peers=data.peers, tier=label(texts, "tier_" + data.tier)), size=9.5)
    elif by_complaints:
        flow.paragraph(label(texts, "rank_complaints_none"), size=9.5)
    elif data.rated and data.ikm is not None and data.meets_required_sample is False:
        flow.paragraph(label(texts, "rank_below_sample"), size=9.5)
    elif data.rated:
        flow.paragraph(label(texts, "rank_none"), size=9.5)
    value = fmt.number(data.composite, lang)
    if data.composite_basis == "complaints":
        flow.paragraph(label(texts, "composite_complaints_only", value=value), size=9.5)
    elif data.composite_basis == "survey":
        flow.paragraph(label(texts, "composite_survey_too_few" if too_few
                             else "composite_survey_only", value=value), size=9.5)
    elif data.composite_basis is not None:
        flow.paragraph(label(texts, "composite", value=value,
                             sw=fmt.number(data.survey_weight, lang, 1),
                             cw=fmt.number(data.complaint_weight, lang, 1)), size=9.5)
    elif too_few:
        flow.paragraph(label(texts, "composite_none_too_few"), size=9.5)
    else:
        flow.paragraph(label(texts, "composite_none"), size=9.5)
    text = label(texts, "sanction", level=label(texts, "s_" + data.sanction_level))
    if data.failed_rounds_in_a_row:
        text += label(texts, "sanction_rounds", n=data.failed_rounds_in_a_row)
    flow.paragraph(text, size=9.5, font="Helvetica-Bold",
                   colour=WARN if data.sanction_level != "none" else INK)
    for reason in data.failed_because:
        where = (label(texts, "why_where", post=reason["elsewhere"]) if reason.get("elsewhere")
                 else label(texts, "why_posts") if reason.get("posts", 1) > 1 else "")
        if reason["rule"] == "followup":
            text = label(texts, "why_followup", missing=reason["missing"],
                         overdue=reason["overdue"])
        elif reason["rule"] == "grade":
            text = label(texts, "why_grade", grade=reason["grade"],
                         ikm=fmt.number(reason["ikm"], lang),
                         grades=" / ".join(reason["failing_grades"]), where=where)
        else:
            text = label(texts, "why_rate", rate=fmt.percent(reason["rate"], lang),
                         n=reason["complaints"], minimum=fmt.percent(reason["minimum"], lang),
                         where=where)
        flow.paragraph(text, size=9, colour=WARN)
    flow.paragraph(label(texts, "sanction_note"), size=8, colour=MUTED)
    flow.gap(8)


def _comments(flow: Flow, data: CardData) -> None:
    texts = data.texts
    flow.heading(label(texts, "comments_title"), keep_with=24)
    if not data.comments:
        flow.paragraph(label(texts, "comments_none"), size=9, colour=MUTED)
    counts = data.comment_counts or [1] * len(data.comments)
    for comment, count in zip(data.comments, counts, strict=True):
        shown = fmt.printable(comment)
        text = ("“" + shown + "”" if shown else label(texts, "comments_symbols")) + \
            (f" (×{count})" if count > 1 else "")
        flow.paragraph(text, size=8.5, x=MARGIN + 8, width=CONTENT_W - 8, leading=11)
        flow.gap(2)
    hidden = data.comments_total - sum(counts)
    if hidden > 0:
        flow.paragraph(label(texts, "comments_more", n=hidden), size=8, colour=MUTED)
    flow.gap(8)


def _bounds(data: CardData) -> dict[str, str]:
    """The grade bounds (A, B, C) as the labels print them, in the card's language."""
    return {key: fmt.number(bound, data.lang)
            for key, bound in zip("abc", data.grade_bounds, strict=True)}


def _method(flow: Flow, data: CardData) -> None:
    lang = data.lang
    texts = data.texts
    weights = ", ".join(f"{label(texts, 'g_' + g.group)} {fmt.percent(g.weight, lang)}"
                        for g in data.groups if not g.left_out and g.weight is not None)
    flow.heading(label(texts, "method_title"), size=9.5, keep_with=50)
    flow.paragraph(label(texts, "method", k=data.element_count,
                         weights=weights or label(texts, "weights_none"), min=data.min_group,
                         **_bounds(data)),
                   size=7.5, colour=MUTED, leading=9.5)


def _footer(pdf, data: CardData, page: int, total: int) -> None:
    texts = data.texts
    y = MARGIN + FOOTER_OFFSET
    pdf.setStrokeColor(RULE)
    pdf.setLineWidth(0.6)
    pdf.line(MARGIN, y + 10, MARGIN + CONTENT_W, y + 10)
    pdf.setFillColor(INK)
    pdf.setFont("Helvetica-Bold", 7.5)
    pdf.drawString(MARGIN, y, f"{label(texts, 'doc_number')}: {data.number}")
    pdf.setFont("Helvetica", 7.5)
    pdf.drawRightString(MARGIN + CONTENT_W, y, label(texts, "page", n=page, total=total))
    pdf.setFont("Courier", 6.5)
    pdf.drawString(MARGIN, y - 10, f"{label(texts, 'fingerprint')}: {data.fingerprint}")
    pdf.setFont("Helvetica", 7)
    pdf.setFillColor(MUTED)
    pdf.drawString(MARGIN, y - 20, label(texts, "verify_at", url=data.verify_url))
    if data.issued_on:
        pdf.drawRightString(MARGIN + CONTENT_W, y - 20, label(texts, "issued", date=data.issued_on))


FOOTER_OFFSET = 24
