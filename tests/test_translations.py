"""Every user-facing string has its Indonesian translation (Indonesian is the default language)."""
import re
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import force_locale

from survey_app.domain.errors import N_, ImportRejected, RowError

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "survey_app/translations/id/LC_MESSAGES/messages.po"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None,
            "pgettext": ((1, "c"), 2), "N_": None, "NP_": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


def _source_messages() -> set[tuple[str | None, str]]:
    """(context, message) of every marked string: the same words in another context (pgettext,
    NP_) are another entry of the catalog, translated on their own."""
    found = set()
    for dirname in ("survey_app", "reports"):
        method_map = [("**.py", "python"), ("**/templates/**.html", "jinja2")]
        for _file, _line, message, _comments, context in extract_from_dir(
                ROOT / dirname, method_map, keywords=KEYWORDS,
                options_map={"**/templates/**.html": {"extensions": "jinja2.ext.i18n"}}):
            found.add((context, message if isinstance(message, str) else message[0]))
    return found


def test_every_message_has_an_indonesian_translation():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="id")
    translated = {
        (m.context, m.id if isinstance(m.id, str) else m.id[0])
        for m in catalog
        if m.id and m.string and (m.string if isinstance(m.string, str) else all(m.string))
        and "fuzzy" not in m.flags
    }
    missing = sorted(_source_messages() - translated)
    assert missing == [], "run `make messages`, then translate these in " + str(PO)


def test_every_translation_keeps_the_placeholders_of_its_message():
    with PO.open("rb") as f:
        catalog = read_po(f, locale="id")
    wrong = [m.id for m in catalog if m.id and isinstance(m.id, str) and m.string
             and sorted(PLACEHOLDER.findall(m.id)) != sorted(PLACEHOLDER.findall(m.string))]
    assert wrong == []


def test_row_errors_are_translated_when_shown(ctx):
    error = RowError(12, N_("parent %(code)s does not exist"), "parent_code", code="3171010")
    assert str(error) == "baris 12 [parent_code]: induk 3171010 tidak ada"  # the default
    with force_locale("en"):
        assert str(error) == "line 12 [parent_code]: parent 3171010 does not exist"
        assert error.message == "parent 3171010 does not exist"
        # line and column are the error's own; a template may use the same names for its values
        twice = RowError(5, N_("complaint_id %(id)s appears twice (also on line %(line)s)"),
                         "complaint_id", id="C1", line=2)
        assert (twice.line, twice.column) == (5, "complaint_id")
        assert str(twice) == "line 5 [complaint_id]: complaint_id C1 appears twice (also on line 2)"
        empty = ImportRejected([RowError(0, N_("the file is empty"))])
        assert str(empty) == "file: the file is empty"
    assert str(ImportRejected([RowError(0, N_("the file is empty"))])) == "berkas: berkas kosong"


def test_row_errors_outside_the_app_are_in_english():
    error = RowError(3, N_("area %(code)s does not exist"), "area_code", code="9999")
    assert str(error) == "line 3 [area_code]: area 9999 does not exist"
