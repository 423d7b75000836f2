"""Questionnaires: the TOML files in questionnaires/, validated when loaded, and pinned to rounds.

A file is parsed, checked field by field (a broken file names itself and the field that is wrong)
and normalised into the stored form described in questionnaires/README.md. A round stores an
exact copy of that form with its SHA-256 content hash (``pin``), so editing a file later never
changes a round that used it.
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask_babel import gettext
from sqlalchemy import select

from survey_app.config import bundled_directory
from survey_app.domain.errors import DomainError
from survey_app.extensions import db
from survey_app.models import PinnedQuestionnaire

DEFAULT_DIRECTORY = bundled_directory("questionnaires")  # the checkout's, or the installed copy
LANGUAGES = ("id", "en")
SCALE_POINTS = 4

_TOP_FIELDS = {"key", "version", "title", "comment", "elements"}
_ELEMENT_FIELDS = {"code", "name", "weight", "items"}
_ITEM_FIELDS = {"code", "question", "labels", "required"}


class QuestionnaireError(DomainError):
    """A questionnaire file is broken, or the one asked for does not exist."""


@dataclass(frozen=True)
class Item:
    element: str
    code: str
    required: bool


def _text_pair(value, where: str) -> dict:
    """A text in both languages: {id = "...", en = "..."}."""
    if not isinstance(value, dict) or set(value) != set(LANGUAGES):
        raise QuestionnaireError(f"{where} must have exactly the languages id and en")
    for lang in LANGUAGES:
        if not isinstance(value[lang], str) or not value[lang].strip():
            raise QuestionnaireError(f"{where}.{lang} must be a non-empty text")
    return {lang: value[lang].strip() for lang in LANGUAGES}


def _no_unknown(table: dict, allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise QuestionnaireError(f"{where} has unknown field(s) {', '.join(unknown)} "
                                 f"(allowed: {', '.join(sorted(allowed))})")


def validate(raw: dict) -> dict:
    """Check a parsed questionnaire and return its stored form (defaults filled in).

    Raises QuestionnaireError naming the field that is wrong.
    """
    comment = _check_top(raw)
    elements_raw = raw.get("elements")
    if not isinstance(elements_raw, list) or not elements_raw:
        raise QuestionnaireError("'elements' must list at least one element")
    element_codes: set[str] = set()
    item_codes: set[str] = set()
    elements = [_element(n, element, element_codes, item_codes)
                for n, element in enumerate(elements_raw, start=1)]
    return {"key": raw["key"].strip(), "version": raw["version"].strip(),
            "title": _text_pair(raw.get("title"), "title"), "comment": comment,
            "elements": elements}


# Each check below raises QuestionnaireError at the first problem, in the order of the file.

def _check_top(raw: object) -> bool:
    """The questionnaire is a table with known fields, a key and a version; returns ``comment``."""
    if not isinstance(raw, dict):
        raise QuestionnaireError("the questionnaire must be a table")
    _no_unknown(raw, _TOP_FIELDS, "the questionnaire")
    for field in ("key", "version"):
        if not isinstance(raw.get(field), str) or not raw[field].strip():
            raise QuestionnaireError(f"'{field}' must be a non-empty text")
    comment = raw.get("comment", True)
    if not isinstance(comment, bool):
        raise QuestionnaireError("'comment' must be true or false")
    return comment


def _code(entry: object, where: str) -> str:
    """A table with a non-empty text ``code``."""
    if not isinstance(entry, dict):
        raise QuestionnaireError(f"{where} must be a table")
    code = entry.get("code")
    if not isinstance(code, str) or not code.strip():
        raise QuestionnaireError(f"{where}.code must be a non-empty text")
    return code


def _element(n: int, element: dict, element_codes: set[str], item_codes: set[str]) -> dict:
    """The n-th element: a unique code, a weight above 0 and at least one item."""
    code = _code(element, f"elements[{n}]")
    where = f"element {code}"
    _no_unknown(element, _ELEMENT_FIELDS, where)
    if code in element_codes:
        raise QuestionnaireError(f"{where}: the code appears twice")
    element_codes.add(code)
    weight = element.get("weight", 1.0)
    if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not weight > 0:
        raise QuestionnaireError(f"{where}.weight must be a number above 0")
    items_raw = element.get("items")
    if not isinstance(items_raw, list) or not items_raw:
        raise QuestionnaireError(f"{where}.items must list at least one item")
    items = [_item(f"{where}, items[{m}]", item, item_codes)
             for m, item in enumerate(items_raw, start=1)]
    return {"code": code, "name": _text_pair(element.get("name"), f"{where}.name"),
            "weight": float(weight), "items": items}


def _item(position: str, item: dict, item_codes: set[str]) -> dict:
    """An item: a code unique in the file, labels in every language, ``required`` a boolean."""
    item_code = _code(item, position)
    item_where = f"item {item_code}"
    _no_unknown(item, _ITEM_FIELDS, item_where)
    if item_code in item_codes:
        raise QuestionnaireError(f"{item_where}: item codes must be unique in the file")
    item_codes.add(item_code)
    labels = _labels(item.get("labels"), item_where)
    required = item.get("required", True)
    if not isinstance(required, bool):
        raise QuestionnaireError(f"{item_where}.required must be true or false")
    return {
        "code": item_code,
        "question": _text_pair(item.get("question"), f"{item_where}.question"),
        "labels": {lang: [t.strip() for t in labels[lang]] for lang in LANGUAGES},
        "required": required,
    }


def _labels(labels: object, item_where: str) -> dict:
    """Exactly the languages id and en, each listing SCALE_POINTS non-empty labels."""
    if not isinstance(labels, dict) or set(labels) != set(LANGUAGES):
        raise QuestionnaireError(f"{item_where}.labels must have exactly the languages "
                                 "id and en")
    for lang in LANGUAGES:
        texts = labels[lang]
        if (not isinstance(texts, list) or len(texts) != SCALE_POINTS
                or not all(isinstance(t, str) and t.strip() for t in texts)):
            raise QuestionnaireError(f"{item_where}.labels.{lang} must list {SCALE_POINTS} "
                                     "non-empty labels, from answer 1 to answer 4")
    return labels


def load_file(path: Path) -> dict:
    """Parse and validate one file; errors name the file. The key must match the file name."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        content = validate(raw)
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise QuestionnaireError(f"{path.name}: not a valid TOML file: {e}") from e
    except QuestionnaireError as e:
        raise QuestionnaireError(f"{path.name}: {e}") from e
    stem = path.stem
    if stem not in (content["key"], f"{content['key']}-v{content['version']}"):
        raise QuestionnaireError(f"{path.name}: the file must be named {content['key']}.toml "
                                 f"(or {content['key']}-v{content['version']}.toml)")
    return content


def load_all(directory: Path | str = DEFAULT_DIRECTORY) -> dict[str, dict]:
    """Every questionnaire in the directory, by key; the highest version wins a shared key."""
    found: dict[str, dict] = {}
    for path in sorted(Path(directory).glob("*.toml")):
        content = load_file(path)
        known = found.get(content["key"])
        if known is None or _version_key(content["version"]) > _version_key(known["version"]):
            found[content["key"]] = content
    return found


def _version_key(version: str) -> tuple:
    return tuple(int(p) if p.isdigit() else p for p in version.split("."))


def get(key: str, directory: Path | str = DEFAULT_DIRECTORY) -> dict:
    available = load_all(directory)
    if key not in available:
        raise QuestionnaireError(gettext("Unknown questionnaire '%(key)s' (available: %(known)s).",
                                         key=key, known=", ".join(sorted(available)) or "-"))
    return available[key]


def content_hash(content: dict) -> str:
    """SHA-256 of the canonical JSON form: the same content always gives the same hash."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def pin(key_or_content: str | dict,
        directory: Path | str = DEFAULT_DIRECTORY) -> PinnedQuestionnaire:
    """The stored copy of a questionnaire: reused when this exact content was pinned before."""
    content = (get(key_or_content, directory) if isinstance(key_or_content, str)
               else validate(key_or_content))
    digest = content_hash(content)
    row = db.session.scalar(select(PinnedQuestionnaire).where(
        PinnedQuestionnaire.key == content["key"],
        PinnedQuestionnaire.version == content["version"],
        PinnedQuestionnaire.content_hash == digest))
    if row is None:
        row = PinnedQuestionnaire(key=content["key"], version=content["version"],
                                  content_hash=digest, content=content)
        db.session.add(row)
        db.session.flush()
    return row


def items(content: dict) -> list[Item]:
    """Every item in order, with its element."""
    return [Item(element["code"], item["code"], bool(item.get("required", True)))
            for element in content["elements"] for item in element["items"]]


def element_weights(content: dict) -> dict[str, float]:
    """Each element's weight, normalised to sum to 1 (equal weights give exactly 1/9 each)."""
    total = sum(float(e.get("weight", 1.0)) for e in content["elements"])
    return {e["code"]: float(e.get("weight", 1.0)) / total for e in content["elements"]}
