"""A small flowing layout on a reportlab canvas, shared by the card and the summary.

Drawing straight on the canvas (no platypus story) keeps a card near the cost of a bare two-page
document: a card is a fixed set of blocks, each of which knows its height before it is drawn.
"""
from __future__ import annotations

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.utils import simpleSplit
from reportlab.pdfgen import canvas

PAGE_W, PAGE_H = A4
MARGIN = 36
CONTENT_W = PAGE_W - 2 * MARGIN
FOOTER_H = 46

INK = colors.HexColor("#1b1b1b")
MUTED = colors.HexColor("#5f6368")
RULE = colors.HexColor("#c9ced6")
HEAD = colors.HexColor("#17406d")
SOFT = colors.HexColor("#eef2f7")
WARN = colors.HexColor("#b3261e")
GRADE_COLOURS = {"A": colors.HexColor("#1e7b34"), "B": colors.HexColor("#6a9f2a"),
                 "C": colors.HexColor("#d08700"), "D": colors.HexColor("#b3261e")}
GRADE_TINTS = {"A": colors.HexColor("#d7ecd9"), "B": colors.HexColor("#e6f0d3"),
               "C": colors.HexColor("#fbeac4"), "D": colors.HexColor("#f6d5d2")}


class DeferredCanvas(canvas.Canvas):
    """Keeps each page until the end so the footer can say 'page n of N'."""

    def __init__(self, *args, footer=None, **kwargs):
        super().__init__(*args, **kwargs)
        self._pages: list[dict] = []
        self._footer = footer

    def showPage(self):  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        total = len(self._pages)
        for number, state in enumerate(self._pages, start=1):
            self.__dict__.update(state)
            if self._footer:
                self._footer(self, number, total)
            super().showPage()
        super().save()


class Flow:
    """A cursor going down the page; ``need`` starts a new page when a block would not fit."""

    def __init__(self, pdf: canvas.Canvas, top_gap: float = 0):
        self.pdf = pdf
        self.y = PAGE_H - MARGIN - top_gap
        self.page = 1

    def need(self, height: float) -> None:
        if self.y - height < MARGIN + FOOTER_H:
            self.pdf.showPage()
            self.page += 1
            self.y = PAGE_H - MARGIN

    def gap(self, height: float) -> None:
        self.y -= height

    def heading(self, text: str, size: float = 11.5, keep_with: float = 40) -> None:
        self.need(size + 8 + keep_with)
        self.y -= size + 2
        self.pdf.setFillColor(HEAD)
        self.pdf.setFont("Helvetica-Bold", size)
        self.pdf.drawString(MARGIN, self.y, text)
        self.y -= 4
        self.pdf.setStrokeColor(RULE)
        self.pdf.setLineWidth(0.6)
        self.pdf.line(MARGIN, self.y, MARGIN + CONTENT_W, self.y)
        self.y -= 8
        self.pdf.setFillColor(INK)

    def paragraph(self, text: str, size: float = 9, font: str = "Helvetica", colour=INK,
                  x: float = MARGIN, width: float = CONTENT_W,
                  leading: float | None = None) -> None:
        leading = leading or size * 1.3
        lines = simpleSplit(text, font, size, width)
        for line in lines:
            self.need(leading)
            self.y -= leading
            self.pdf.setFillColor(colour)
            self.pdf.setFont(font, size)
            self.pdf.drawString(x, self.y + (leading - size) * 0.5, line)
        self.pdf.setFillColor(INK)


def fit(text: str, font: str, size: float, width: float) -> str:
    """The text cut with an ellipsis so that it fits the width."""
    from reportlab.pdfbase.pdfmetrics import stringWidth

    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"
