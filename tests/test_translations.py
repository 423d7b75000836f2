"""Every user-facing string has its Indonesian translation (Indonesian is the default language)."""
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "survey_app/translations/id/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}


def _source_messages() -> set[str]:
    found = set()
    for dirname in ("survey_app", "reports"):
        method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
        for _file, _line, message, _comments, _ctx in extract_from_dir(
                ROOT / dirname, method_map, keywords=KEYWORDS,
                options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
            found.add(message if isinstance(message, str) else message[0])
    return found


def test_every_message_has_an_indonesian_translation():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="id")
    translated = {
        (m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and m.string and (m.string if isinstance(m.string, str) else all(m.string))
        and "fuzzy" not in m.flags
    }
    missing = sorted(_source_messages() - translated)
    assert missing == [], "run `make messages`, then translate these in " + str(PO)
