"""Empty files to fill in, one per import (a roster, a round's paper forms, a complaint export,
officials, areas, units), as CSV or XLSX.

A template's header is the column list its importer reads (one home: the importer's module), so
a template always imports. The XLSX has a second sheet explaining each column (importers read the
first sheet only); a round's paper-form template names there each item's question and the
meaning of answers 1 to 4, in the page's language.
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import get_locale, gettext

from survey_app.domain import exports, responses, roster
from survey_app.domain.areas import AREA_COLUMNS, UNIT_COLUMNS
from survey_app.domain.complaints import COMPLAINT_COLUMNS
from survey_app.domain.errors import N_
from survey_app.domain.officials import OFFICIAL_COLUMNS
from survey_app.domain.vocabulary import GROUPS, LEVELS, POSITION_KINDS
from survey_app.models import Round

# kind -> (the importer's columns, file name); the paper forms' template is per round (below).
KINDS = {
    "roster": (roster.REQUIRED_COLUMNS + roster.OPTIONAL_COLUMNS, "template-respondents"),
    "complaints": (COMPLAINT_COLUMNS, "template-complaints"),
    "officials": (OFFICIAL_COLUMNS, "template-officials"),
    "areas": (AREA_COLUMNS, "template-areas"),
    "units": (UNIT_COLUMNS, "template-units"),
}
# What each column holds (a column without a note explains itself).
NOTES = {
    "respondent_ref": N_("your own reference for the respondent, kept across rounds"),
    "group": N_("one of: %(groups)s"),
    "area_code": N_("the code of the area (as in the areas file)"),
    "rw": N_("RW number, e.g. 3 (optional)"),
    "rt": N_("RT number, e.g. 7 (optional)"),
    "phone": N_("mobile number, e.g. 0812 3456 7890 (optional)"),
    "complaint_id": N_("the complaint's id in the source system"),
    "status": N_("Menunggu, Koordinasi, Disposisi, Proses, Selesai or Ditolak"),
    "reported_at": N_("date and time, e.g. 2027-01-15 08:30 (WIB)"),
    "first_response_at": N_("date and time (optional)"),
    "resolved_at": N_("date and time (optional)"),
    "unit_code": N_("the code of a unit (dinas); for a kepala_dinas, or a complaint about a unit"),
    "nip": N_("the official's NIP, digits only"),
    "position": N_("one of: %(positions)s"),
    "start_date": N_("YYYY-MM-DD"),
    "end_date": N_("YYYY-MM-DD; empty while still in post"),
    "code": N_("letters, digits, '.' and '-'"),
    "parent_code": N_("the code of the area above (empty for the provinsi); parents first"),
    "level": N_("one of: %(levels)s"),
    "filled_on": N_("the day the form was filled in, YYYY-MM-DD (optional)"),
    "comment": N_("the respondent's comment (optional)"),
}


class UnknownTemplate(LookupError):
    """No import has that name."""


@dataclass(frozen=True)
class ImportTemplate:
    columns: list[str]
    notes: list[tuple[str, str]]  # (column, what it holds) in the current language
    filename: str  # without the suffix

    def as_csv(self) -> bytes:
        return exports.csv_text(self.columns, [], lineterminator="\r\n").encode("utf-8")

    def as_xlsx(self) -> bytes:
        return exports.xlsx_bytes(self.columns, [], title="data", text_columns=True,
                                  notes=[(gettext("Column"), gettext("What it holds")),
                                         *self.notes])

    def as_bytes(self, fmt: str) -> bytes:
        if fmt not in exports.FORMATS:
            raise UnknownTemplate(fmt)
        return self.as_csv() if fmt == "csv" else self.as_xlsx()


def _note(column: str) -> str:
    return gettext(NOTES[column], groups=", ".join(GROUPS), positions=", ".join(POSITION_KINDS),
                   levels=", ".join(LEVELS)) if column in NOTES else ""


def template_for(kind: str) -> ImportTemplate:
    """The template of an import that does not depend on a round (KINDS)."""
    if kind not in KINDS:
        raise UnknownTemplate(kind)
    columns, filename = KINDS[kind]
    return ImportTemplate(list(columns), [(c, _note(c)) for c in columns], filename)


@dataclass(frozen=True)
class PaperItem:
    code: str  # as the questionnaire writes it (K1.1, U1); the file's header is read in any case
    question: str
    labels: list[str]  # the meaning of answers 1 to 4


def paper_items(round_: Round) -> list[PaperItem]:
    """The answer columns of a round's paper forms, in the questionnaire's order, in the current
    language."""
    lang = str(get_locale() or "id")
    content = responses.pinned_content(round_.questionnaire_id)
    return [PaperItem(item["code"], item["question"].get(lang) or item["question"]["id"],
                      list(item["labels"].get(lang) or item["labels"]["id"]))
            for element in content["elements"] for item in element["items"]]


def paper_template(round_: Round) -> ImportTemplate:
    """The template of a round's paper forms: the columns responses.paper_columns reads, with the
    item codes written as the questionnaire writes them."""
    required, optional = responses.paper_columns(round_)
    items = {item.code.lower(): item for item in paper_items(round_)}
    columns = [items[c].code if c in items else c for c in required + optional]
    notes = []
    for column in columns:
        item = items.get(column.lower())
        if item is None:
            notes.append((column, _note(column)))
        else:
            scale = ", ".join(f"{n} = {label}" for n, label in enumerate(item.labels, start=1))
            notes.append((column, gettext("%(question)s (%(scale)s; empty if not answered)",
                                          question=item.question, scale=scale)))
    return ImportTemplate(columns, notes, f"template-paper-{round_.code}")
