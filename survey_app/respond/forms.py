"""The respondent's form: its CSRF token, and the radio groups read from the request.

CSRF here is bound to the personal link, not to a session cookie: the form carries
``form_token(link)``, a keyed signature (HMAC-SHA256 with the app's secret) of the link it was
served for, and every POST to the link must bring it back (``check_form_token``, run for every POST
of the respond blueprint, which Flask-WTF's session-bound CSRFProtect exempts). It is as strong
here as the session-bound token: a cross-site page cannot forge a POST to a link without knowing
the link, and whoever knows the link can open the form anyway. What it saves: respondents get no
cookie at all (nothing to store on a shared phone, nothing to send back; the language they choose
is kept in the URL, respond/routes.py), the form still works after the phone has dropped its
cookies (a browser closed and reopened, a private tab), and no session is signed or read on the
public form's hot path (benchmarks/respond_profile.py).

The questions come from the round's pinned questionnaire, so they are not WTForms fields: each
answer is a radio group named ``p<position id>-<item code>`` and each comment ``p<position id>-
comment``. Reading them never fails: a value off the scale is kept as -1 for the domain check
to refuse, and a section left untouched means "I will answer this one later".
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from functools import lru_cache

from flask import current_app
from flask_wtf.csrf import CSRFError
from itsdangerous import Signer
from werkzeug.datastructures import MultiDict

from survey_app.domain.responses import COMMENT_MAX
from survey_app.domain.text import strip_control


@dataclass
class Section:
    position_id: int
    answers: dict[str, int | None] = field(default_factory=dict)
    comment: str = ""

    @property
    def touched(self) -> bool:
        return any(v is not None for v in self.answers.values()) or bool(self.comment.strip())


@lru_cache(maxsize=8)
def _signer(secret_key: str) -> Signer:
    return Signer(secret_key, salt="skm-respond-form", digest_method=hashlib.sha256)


def form_token(link_token: str) -> str:
    """The CSRF token of the form served for ``link_token``."""
    return _signer(current_app.secret_key).get_signature(link_token).decode()


def check_form_token(link_token: str, sent: str | None) -> None:
    """Refuse (400, as Flask-WTF does) a POST that does not bring back the link's form token."""
    if not sent:
        raise CSRFError("The CSRF token is missing.")
    if not _signer(current_app.secret_key).verify_signature(link_token, sent):
        raise CSRFError("The CSRF token is invalid.")


def field_name(position_id: int, item_code: str) -> str:
    return f"p{position_id}-{item_code}"


def read_sections(form: MultiDict, position_ids: list[int], item_codes: list[str]) -> list[Section]:
    sections = []
    for pid in position_ids:
        # Control characters (a NUL from a paste) are invisible to the respondent: stripped, not
        # refused (domain/text.py), so that SQLite and PostgreSQL store the same comment.
        comment = strip_control(form.get(f"p{pid}-comment", ""))[:COMMENT_MAX]
        section = Section(pid, comment=comment)
        for code in item_codes:
            raw = form.get(field_name(pid, code), "").strip()
            section.answers[code] = None if not raw else (
                int(raw) if raw in "1234" and len(raw) == 1 else -1)
        sections.append(section)
    return sections
