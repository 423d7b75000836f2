"""Numbers as printed: Indonesian uses a decimal comma and a thousands dot."""
from __future__ import annotations


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
