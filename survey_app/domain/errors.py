"""Typed errors raised by domain code; views and commands turn them into messages."""
from __future__ import annotations

from dataclasses import dataclass, field


class DomainError(Exception):
    """A rule was broken; the message is meant for the user."""


class NotAllowed(DomainError):
    """The action is refused in the current state (e.g. editing an open round)."""


@dataclass
class RowError:
    """One problem in an imported file: the 1-based line number as a spreadsheet shows it."""

    line: int
    message: str
    column: str | None = None

    def __str__(self) -> str:
        where = f"line {self.line}" if self.line else "file"
        col = f" [{self.column}]" if self.column else ""
        return f"{where}{col}: {self.message}"


@dataclass
class ImportRejected(DomainError):
    """An import found bad rows; nothing was written. ``errors`` lists every one of them."""

    errors: list[RowError] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)
