"""Invitation letters: four A6 letters to an A4 page, each with the respondent's QR code, link
and short instructions (in the language of the texts the caller gives: Indonesian as sent); a new
page whenever the kelurahan changes, so that a coordinator can cut the sheets and hand each
kelurahan its own pile."""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import groupby
from typing import IO

from reportlab.graphics.barcode import qrencoder
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen import canvas

from reports.labels import LETTER_MESSAGES, filled

PAGE_W, PAGE_H = A4
COLS, ROWS = 2, 2
CELL_W, CELL_H = PAGE_W / COLS, PAGE_H / ROWS
MARGIN = 8 * mm
QR_SIZE = 42 * mm

STEPS = ("step_1", "step_2", "step_3")


@dataclass
class Letter:
    name: str
    role: str  # e.g. "Ketua RT" (translated by the caller, as every text here)
    place: str  # e.g. "RW 001 / RT 002, Kel. Cempaka Barat, Kec. Menteng"
    link: str
    group_key: str  # letters are grouped by this (the kelurahan)
    group_title: str
    ref: str = ""


@dataclass
class LetterBatch:
    round_code: str
    closes: str  # the closing time, formatted: "01-04-2027 pukul 00:00 WIB" (in "deadline")
    letters: list[Letter] = field(default_factory=list)
    texts: dict[str, str] = field(default_factory=dict)  # LETTER_MESSAGES, translated

    def say(self, key: str, **values: object) -> str:
        """The translated text of ``key`` filled with ``values``."""
        return filled(LETTER_MESSAGES, self.texts, key, **values)


def _wrap(c: canvas.Canvas, text: str, font: str, size: float, width: float) -> list[str]:
    lines, line = [], ""
    for word in text.split():
        candidate = f"{line} {word}".strip()
        if c.stringWidth(candidate, font, size) <= width or not line:
            line = candidate
        else:
            lines.append(line)
            line = word
    if line:
        lines.append(line)
    return lines


def _letter(c: canvas.Canvas, x: float, y: float, letter: Letter, batch: LetterBatch) -> None:
    """One letter in the cell whose bottom-left corner is (x, y)."""
    left, width = x + MARGIN, CELL_W - 2 * MARGIN
    top = y + CELL_H - MARGIN
    c.setFont("Helvetica-Bold", 10.5)
    c.drawString(left, top - 10, batch.say("heading"))
    c.setFont("Helvetica", 8.5)
    c.drawString(left, top - 21, batch.say("subtitle", code=batch.round_code))
    c.setLineWidth(0.6)
    c.line(left, top - 26, left + width, top - 26)
    cursor = top - 39
    c.setFont("Helvetica", 9)
    c.drawString(left, cursor, batch.say("to"))
    cursor -= 13
    for line in _wrap(c, letter.name, "Helvetica-Bold", 13, width)[:2]:
        c.setFont("Helvetica-Bold", 13)
        c.drawString(left, cursor, line)
        cursor -= 15
    c.setFont("Helvetica", 9.5)
    for line in _wrap(c, f"{letter.role}, {letter.place}", "Helvetica", 9.5, width)[:2]:
        c.drawString(left, cursor, line)
        cursor -= 11.5
    # The QR code, centred: the link is all a phone camera needs.
    qr_bottom = cursor - QR_SIZE - 2
    _qr(c, letter.link, x + (CELL_W - QR_SIZE) / 2, qr_bottom, QR_SIZE)
    cursor = qr_bottom - 9
    c.setFont("Courier-Bold", 9)
    for line in _wrap(c, letter.link.replace("/s/", "/s/ "), "Courier-Bold", 9, width)[:2]:
        c.drawCentredString(x + CELL_W / 2, cursor, line.replace("/s/ ", "/s/"))
        cursor -= 11
    cursor -= 4
    # Large enough for older eyes: the letters have room for it.
    c.setFont("Helvetica", 9.5)
    for n, key in enumerate(STEPS, start=1):
        text = batch.say(key, button=batch.say("button"))
        lines = _wrap(c, text, "Helvetica", 9.5, width - 11)
        c.drawString(left, cursor, f"{n}.")
        for line in lines:
            c.drawString(left + 11, cursor, line)
            cursor -= 12
        cursor -= 2
    c.setFont("Helvetica-Bold", 9.5)
    for line in _wrap(c, batch.say("deadline", closes=batch.closes), "Helvetica-Bold", 9.5,
                      width):
        c.drawString(left, cursor, line)
        cursor -= 12
    cursor -= 2
    c.setFont("Helvetica-Oblique", 9)
    for line in _wrap(c, batch.say("privacy"), "Helvetica-Oblique", 9, width):
        c.drawString(left, cursor, line)
        cursor -= 11
    c.setFont("Helvetica", 6.5)
    c.setFillGray(0.45)
    # Which pile the letter belongs to, in the top margin (out of the way of the text).
    c.drawRightString(x + CELL_W - MARGIN, top + 4, f"{letter.group_title} \u2022 {letter.ref}")
    c.setFillGray(0)


QR_BORDER = 4  # modules of quiet zone around the code, as reportlab's QrCodeWidget draws it


def _qr(c: canvas.Canvas, text: str, x: float, y: float, size: float) -> None:
    """The QR code of ``text`` (error correction M) in the square of side ``size`` whose
    bottom-left corner is (x, y), quiet zone included: encoded once with reportlab's encoder and
    drawn as one path of dark runs (reportlab's widget encodes twice and draws a shape per run:
    the letters' main cost)."""
    code = qrencoder.QRCode(None, qrencoder.QRErrorCorrectLevel.M)
    code.addData(text)
    code.make()
    count = code.getModuleCount()
    box = size / (count + 2 * QR_BORDER)
    path = c.beginPath()
    for row_number, row in enumerate(code.modules):
        column = 0
        for dark, run in groupby(bool(module) for module in row):
            length = sum(1 for _ in run)
            if dark:
                path.rect(x + (column + QR_BORDER) * box,
                          y + size - (row_number + QR_BORDER + 1) * box, length * box, box)
            column += length
    c.saveState()
    c.setFillGray(0)
    c.drawPath(path, stroke=0, fill=1)
    c.restoreState()


def _cut_lines(c: canvas.Canvas) -> None:
    c.saveState()
    c.setDash(3, 3)
    c.setLineWidth(0.3)
    c.setStrokeGray(0.6)
    c.line(PAGE_W / 2, 0, PAGE_W / 2, PAGE_H)
    c.line(0, PAGE_H / 2, PAGE_W, PAGE_H / 2)
    c.restoreState()


def render_letters(batch: LetterBatch) -> bytes:
    """The PDF; an empty batch gives one page saying so (a coordinator should see why)."""
    out = io.BytesIO()
    write_letters(batch, out)
    return out.getvalue()


def write_letters(batch: LetterBatch, out: IO[bytes],
                  progress: Callable[[int], None] | None = None) -> None:
    """The PDF of render_letters, written to ``out`` (a file: a whole round's letters need not
    be held in memory twice); ``progress`` is told how many letters each kelurahan had, as it
    is drawn."""
    c = canvas.Canvas(out, pagesize=A4, pageCompression=1)
    c.setTitle(batch.say("title", code=batch.round_code))
    c.setAuthor("SKM")
    if not batch.letters:
        c.setFont("Helvetica", 12)
        c.drawString(20 * mm, PAGE_H - 30 * mm, batch.say("none", code=batch.round_code))
        c.showPage()
    for _key, group in groupby(batch.letters, key=lambda letter: letter.group_key):
        letters = list(group)
        for start in range(0, len(letters), COLS * ROWS):
            _cut_lines(c)
            for i, letter in enumerate(letters[start:start + COLS * ROWS]):
                col, row = i % COLS, i // COLS
                _letter(c, col * CELL_W, PAGE_H - (row + 1) * CELL_H, letter, batch)
            c.showPage()
        if progress is not None:
            progress(len(letters))
    c.save()
