"""Typed errors raised by domain code; views and commands turn them into messages.

A RowError keeps its message as an English template (a gettext msgid, marked with ``N_`` so that
``make messages`` finds it) and the values that fill it in; the message is translated when it is
shown. A command therefore prints it in the default language (Bahasa Indonesia) and a page in the
language the visitor chose, and the domain never needs to know which.

Other domain errors carry one message, translated with flask_babel's ``gettext`` where they are
raised: raised during a request, in the visitor's language; on the command line, in the default
one. Messages meant for developers only (a broken questionnaire file, a bug) stay in English.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from flask_babel import gettext, ngettext


class DomainError(Exception):
    """A rule was broken; the message is meant for the user."""


class NotAllowed(DomainError):
    """The action is refused in the current state (e.g. editing an open round)."""


def N_(message: str) -> str:
    """Mark a message for translation without translating it here (RowError translates it when
    it is shown)."""
    return message


@dataclass(init=False)
class RowError:
    """One problem in an imported file: the 1-based line number as a spreadsheet shows it (0: the
    file as a whole), the column to blame if one is, and the message template with its values::

        RowError(line, N_("parent %(code)s does not exist"), "parent_code", code=parent_code)
    """

    line: int
    template: str
    column: str | None
    params: dict

    def __init__(self, line: int, template: str, column: str | None = None, /, **params) -> None:
        # Positional-only, so that a template may itself use %(line)s or %(column)s.
        self.line, self.template, self.column, self.params = line, template, column, params

    @property
    def message(self) -> str:
        """The message in the current language (the visitor's, or the default one outside a
        request)."""
        return gettext(self.template, **self.params)

    def __str__(self) -> str:
        where = gettext("line %(line)s", line=self.line) if self.line else gettext("file")
        col = f" [{self.column}]" if self.column else ""
        return f"{where}{col}: {self.message}"


@dataclass
class ImportRejected(DomainError):
    """An import found bad rows; nothing was written. ``errors`` lists every one of them."""

    errors: list[RowError] = field(default_factory=list)

    @property
    def headline(self) -> str:
        """What the list of errors is about, in the current language."""
        return ngettext("Nothing was imported: %(num)s problem found.",
                        "Nothing was imported: %(num)s problems found.", len(self.errors))

    def __str__(self) -> str:
        return "\n".join(str(e) for e in self.errors)

    def listing(self, most: int = 100) -> str:
        """The headline and the first ``most`` errors, one a line, and how many more there are
        (a job's page: a year's export can have 200,000 bad rows)."""
        more = len(self.errors) - most
        lines = [self.headline, *(str(e) for e in self.errors[:most])]
        if more > 0:
            lines.append(ngettext("... and %(num)s more problem.", "... and %(num)s more problems.",
                                  more))
        return "\n".join(lines)
