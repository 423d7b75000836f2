"""The respondent's form: the radio groups read from the request (CSRF is checked for every
POST by Flask-WTF's CSRFProtect, and the page carries its ``csrf_token()``).

The questions come from the round's pinned questionnaire, so they are not WTForms fields: each
answer is a radio group named ``p<position id>-<item code>`` and each comment ``p<position id>-
comment``. Reading them never fails: a value off the scale is kept as -1 for the domain check
to refuse, and a section left untouched means "I will answer this one later".
"""
from __future__ import annotations

from dataclasses import dataclass, field

from werkzeug.datastructures import MultiDict

from survey_app.domain.responses import COMMENT_MAX


@dataclass
class Section:
    position_id: int
    answers: dict[str, int | None] = field(default_factory=dict)
    comment: str = ""

    @property
    def touched(self) -> bool:
        return any(v is not None for v in self.answers.values()) or bool(self.comment.strip())


def field_name(position_id: int, item_code: str) -> str:
    return f"p{position_id}-{item_code}"


def read_sections(form: MultiDict, position_ids: list[int], item_codes: list[str]) -> list[Section]:
    sections = []
    for pid in position_ids:
        section = Section(pid, comment=form.get(f"p{pid}-comment", "")[:COMMENT_MAX])
        for code in item_codes:
            raw = form.get(field_name(pid, code), "").strip()
            section.answers[code] = None if not raw else (int(raw) if raw in "1234" and len(raw) == 1
                                                          else -1)
        sections.append(section)
    return sections
