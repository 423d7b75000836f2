"""One page of a long list (areas, officials, posts): two queries whatever the page, a count and
the page's rows, so a province's thousands of areas never load at once."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from survey_app.extensions import db

PER_PAGE = 50


@dataclass(frozen=True)
class Page:
    rows: list[Any]
    number: int  # 1-based
    total: int  # rows over every page
    per_page: int = PER_PAGE

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    @property
    def first_shown(self) -> int:
        return (self.number - 1) * self.per_page + 1 if self.rows else 0

    @property
    def last_shown(self) -> int:
        return (self.number - 1) * self.per_page + len(self.rows)


def page_number(text: str | None) -> int:
    """The page asked for in a query string: a positive number, else the first page."""
    try:
        number = int(text or 1)
    except ValueError:
        return 1
    return number if 1 <= number <= 1_000_000 else 1


def paginate(query: Select, number: int, per_page: int = PER_PAGE) -> Page:
    """The rows of page ``number`` of ``query`` (already ordered). A page past the end shows the
    last one."""
    total = db.session.scalar(select(func.count()).select_from(query.order_by(None).subquery()))
    pages = max(1, -(-(total or 0) // per_page))
    number = min(max(1, number), pages)
    rows = list(db.session.execute(query.limit(per_page).offset((number - 1) * per_page)).all())
    return Page(rows, number, total or 0, per_page)


def contains(column, text: str):
    """``column`` contains ``text``, whatever the case (%, _ in the text are plain characters)."""
    return func.lower(column).contains(text.lower(), autoescape=True)
