"""WTForms validators for text that enters the database (or a query): the form side of
survey_app/domain/text.py, so that SQLite and PostgreSQL answer the same way."""
from __future__ import annotations

from flask_babel import gettext
from wtforms.validators import Length, ValidationError

from survey_app.domain.text import column_length, first_control


class NoControlCharacters:
    """Refuse a NUL or another invisible control character (tab and line breaks are allowed in
    ``free_text``, e.g. a note), with the position of the first one."""

    def __init__(self, free_text: bool = False) -> None:
        self.free_text = free_text

    def __call__(self, form, field) -> None:
        value = field.data if isinstance(field.data, str) else None
        position = first_control(value, self.free_text) if value else None
        if position is not None:
            raise ValidationError(gettext(
                "Remove the invisible control character (%(char)s) at position %(position)s.",
                char=f"U+{ord(value[position]):04X}", position=position + 1))


def ColumnLength(attribute) -> Length:  # noqa: N802 - reads like the validators it stands for
    """``Length(max=n)`` for a model attribute stored in ``String(n)``."""
    return Length(max=column_length(attribute))
