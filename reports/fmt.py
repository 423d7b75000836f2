"""Numbers as printed: Indonesian uses a decimal comma and a thousands dot."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal


def number(value: float | int | None, lang: str, places: int = 2) -> str:
    if value is None:
        return "–"
    text = f"{value:,.{places}f}"
    if lang == "id":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def integer(value: int | None, lang: str) -> str:
    return number(value, lang, 0)


def percent(rate: float | None, lang: str, places: int = 1) -> str:
    return "–" if rate is None else number(rate * 100, lang, places) + "%"


P_FLOOR = 0.01  # a p-value below it prints as "p < 0,01", never "p = 0,00"


def p_figure(p: float | None) -> float | None:
    """A p-value as printed, for a card's figures (and fingerprint): two decimals, rounded half
    up, and 0.0 standing for "below 0.01" (0.0096 is below 0.01, though it rounds to 0.01)."""
    if p is None:
        return None
    if p < P_FLOOR:
        return 0.0
    return float(Decimal(repr(p)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def p_value(p: float | None, lang: str) -> str:
    """'p = 0,21', or 'p < 0,01' below 0.01 (English: 'p = 0.21', 'p < 0.01'): the one way a
    p-value is written, on cards and pages alike."""
    if p is None:
        return "–"
    shown = p_figure(p)
    assert shown is not None  # p is not None
    if shown < P_FLOOR:
        return "p < " + number(P_FLOOR, lang)
    return "p = " + number(shown, lang)


def quarter(code: str) -> tuple[int, int]:
    """'2026-Q3' -> (2026, 3)."""
    year, q = code.split("-Q")
    return int(year), int(q)


def printable(text: str) -> str:
    """Text as the cards' standard PDF fonts (Helvetica, Windows-1252) can print it: characters
    outside that set, such as the emoji that phones offer, are left out instead of printed as
    black boxes; the spaces they leave are closed up."""
    kept = "".join(ch for ch in text if _in_cp1252(ch))
    return " ".join(kept.split())


def _in_cp1252(ch: str) -> bool:
    try:
        ch.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True
