"""The area tree and units: importing them, listing them a page at a time, writing them back
in the import format, and walking the tree."""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from flask_babel import gettext
from sqlalchemy import case, or_, select
from sqlalchemy.orm import aliased

from survey_app.domain import text
from survey_app.domain.errors import N_, ImportRejected, RowError
from survey_app.domain.paging import Page, contains, paginate
from survey_app.domain.tabular import Table
from survey_app.domain.vocabulary import LEVELS, PARENT_LEVELS
from survey_app.extensions import db
from survey_app.models import Area, Unit

AREA_COLUMNS = ["code", "parent_code", "level", "name"]
UNIT_COLUMNS = ["code", "name"]
CODE_PATTERN = re.compile(r"^[0-9A-Za-z.\-]{1,20}$")
# The text each file column is stored in (text.row_errors: control characters and lengths).
AREA_TEXT = {"code": Area.code, "parent_code": Area.code, "level": None, "name": Area.name}
UNIT_TEXT = {"code": Unit.code, "name": Unit.name}


@dataclass
class ImportSummary:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    # (line, "new" | "update" | "unchanged", what the row is about): the upload page's preview
    changes: list[tuple[int, str, str]] = field(default_factory=list)

    def count(self, line: int, action: str, what: str) -> None:
        """Count one row of the file."""
        if action == "new":
            self.created += 1
        elif action == "update":
            self.updated += 1
        else:
            self.unchanged += 1
        self.changes.append((line, action, what))

    def changes_first(self) -> list[tuple[int, str, str]]:
        """New and changed rows before unchanged ones, each in file order."""
        return sorted(self.changes, key=lambda c: (c[1] == "unchanged", c[0]))

    def __str__(self) -> str:
        """In the current language (the default one on the command line)."""
        return ", ".join([gettext("%(num)s created", num=self.created),
                          gettext("%(num)s updated", num=self.updated),
                          gettext("%(num)s unchanged", num=self.unchanged)])


def import_areas(table: Table) -> ImportSummary:
    """Upsert areas by code. Parents must exist already or come earlier in the file."""
    existing = {a.code: a for a in db.session.scalars(select(Area))}
    errors: list[RowError] = []
    seen: dict[str, tuple[int, str]] = {}  # code -> (line, level) of this file's rows
    later_codes = {row["code"]: line for line, row in table.rows}
    for line, row in table.rows:
        errors.extend(text.row_errors(line, row, AREA_TEXT))
        errors.extend(_area_row_errors(line, row, seen, existing, later_codes))
    if errors:
        raise ImportRejected(errors)

    summary = ImportSummary()
    for line, row in table.rows:
        code, parent_code, level, name = (row["code"], row["parent_code"], row["level"].lower(),
                                          row["name"])
        parent = existing.get(parent_code) if parent_code else None
        area = existing.get(code)
        if area is None:
            area = Area(code=code, level=level, name=name, parent=parent)
            db.session.add(area)
            existing[code] = area
            summary.count(line, "new", f"{code} {name}")
        elif (area.level, area.name, area.parent_id) != (level, name,
                                                         parent.id if parent else None):
            area.level, area.name, area.parent = level, name, parent
            summary.count(line, "update", f"{code} {name}")
        else:
            summary.count(line, "unchanged", f"{code} {name}")
    return summary


def _area_row_errors(line: int, row: dict[str, str], seen: dict[str, tuple[int, str]],
                     existing: dict[str, Area], later_codes: dict[str, int]) -> list[RowError]:
    """One row of an areas file: its code, level and name, then its parent. A row without a code
    or repeating one is not checked further; a row is recorded in ``seen`` once its code is new."""
    code, parent_code, level, name = (row[c] for c in AREA_COLUMNS)
    if not code:
        return [RowError(line, N_("code is empty"), "code")]
    errors = _area_code_errors(line, code, seen)
    if code in seen:
        return errors
    level = level.lower()
    errors.extend(_level_and_name_errors(line, level, name))
    seen[code] = (line, level)
    if level in LEVELS:
        errors.extend(_parent_errors(line, level, parent_code, seen, existing, later_codes))
    return errors


def _area_code_errors(line: int, code: str, seen: dict[str, tuple[int, str]]) -> list[RowError]:
    """The code has only letters, digits, '.' and '-', and no earlier row has it."""
    errors = []
    if not CODE_PATTERN.match(code):
        errors.append(RowError(line, N_("code '%(code)s' has characters other than letters, "
                                        "digits, '.' and '-'"), "code", code=code))
    if code in seen:
        errors.append(RowError(line, N_("code %(code)s appears twice (also on line %(line)s)"),
                               "code", code=code, line=seen[code][0]))
    return errors


def _level_and_name_errors(line: int, level: str, name: str) -> list[RowError]:
    """A known level (lower-cased) and a name."""
    errors = []
    if level not in LEVELS:
        errors.append(RowError(line, N_("unknown level '%(level)s'; use one of %(levels)s"),
                               "level", level=level, levels=", ".join(LEVELS)))
    if not name:
        errors.append(RowError(line, N_("name is empty"), "name"))
    return errors


def _parent_errors(line: int, level: str, parent_code: str, seen: dict[str, tuple[int, str]],
                   existing: dict[str, Area], later_codes: dict[str, int]) -> list[RowError]:
    """A provinsi has no parent; any other level has one, stored or earlier in the file, of a
    level it may sit under."""
    if level == "provinsi":
        if parent_code:
            return [RowError(line, N_("a provinsi has no parent; leave parent_code "
                                      "empty"), "parent_code")]
        return []
    if not parent_code:
        return [RowError(line, N_("a %(level)s needs a parent_code"), "parent_code",
                         level=level)]
    if parent_code in seen:
        parent_level = seen[parent_code][1]
    elif parent_code in existing:
        parent_level = existing[parent_code].level
    elif parent_code in later_codes:
        return [RowError(line, N_("parent %(code)s comes later in the file (line "
                                  "%(line)s); list parents before their children"),
                         "parent_code", code=parent_code, line=later_codes[parent_code])]
    else:
        return [RowError(line, N_("parent %(code)s does not exist"), "parent_code",
                         code=parent_code)]
    if parent_level not in PARENT_LEVELS[level]:
        return [RowError(line, N_("a %(level)s cannot sit under a %(parent_level)s "
                                  "(%(code)s); its parent must be a %(parent_levels)s"),
                         "parent_code", level=level, parent_level=parent_level,
                         code=parent_code, parent_levels="/".join(PARENT_LEVELS[level]))]
    return []


def import_units(table: Table) -> ImportSummary:
    """Upsert units (dinas) by code."""
    existing = {u.code: u for u in db.session.scalars(select(Unit))}
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    for line, row in table.rows:
        errors.extend(text.row_errors(line, row, UNIT_TEXT))
        code, name = row["code"], row["name"]
        if not code or not CODE_PATTERN.match(code):
            errors.append(RowError(line, N_("code '%(code)s' must be 1-20 letters, digits, '.' or "
                                            "'-'"), "code", code=code))
        elif code in seen:
            errors.append(RowError(line, N_("code %(code)s appears twice (also on line %(line)s)"),
                                   "code", code=code, line=seen[code]))
        if not name:
            errors.append(RowError(line, N_("name is empty"), "name"))
        seen.setdefault(code, line)
    if errors:
        raise ImportRejected(errors)
    summary = ImportSummary()
    for line, row in table.rows:
        unit = existing.get(row["code"])
        what = f"{row['code']} {row['name']}"
        if unit is None:
            db.session.add(Unit(code=row["code"], name=row["name"]))
            summary.count(line, "new", what)
        elif unit.name != row["name"]:
            unit.name = row["name"]
            summary.count(line, "update", what)
        else:
            summary.count(line, "unchanged", what)
    return summary


def ancestors(area: Area) -> list[Area]:
    """The area and every area above it, nearest first."""
    chain = []
    current: Area | None = area
    while current is not None:
        chain.append(current)
        current = current.parent
    return chain


# --- listing and writing back -------------------------------------------------------------

def _level_order():
    """Levels top to bottom (a parent always sits above its children: PARENT_LEVELS)."""
    return case({level: depth for depth, level in enumerate(LEVELS)}, value=Area.level)


def list_areas(search: str = "", level: str = "", number: int = 1) -> Page:
    """A page of areas, top levels first then by code, each row (Area, parent code, parent
    name); ``search`` matches a code's start or any part of a name, ``level`` one level."""
    parent = aliased(Area)
    query = (select(Area, parent.code, parent.name).outerjoin(parent, Area.parent_id == parent.id)
             .order_by(_level_order(), Area.code))
    if level in LEVELS:
        query = query.where(Area.level == level)
    if search:
        query = query.where(or_(Area.code.startswith(search, autoescape=True),
                                contains(Area.name, search)))
    return paginate(query, number)


def list_units(search: str = "", number: int = 1) -> Page:
    """A page of units by code, each row (Unit,); ``search`` as in list_areas."""
    query = select(Unit).order_by(Unit.code)
    if search:
        query = query.where(or_(Unit.code.startswith(search, autoescape=True),
                                contains(Unit.name, search)))
    return paginate(query, number)


def area_rows() -> list[list[str]]:
    """Every area as a row of an areas file (AREA_COLUMNS), parents before their children: the
    file imports back unchanged."""
    parent = aliased(Area)
    return [[code, parent_code or "", level, name] for code, parent_code, level, name in
            db.session.execute(select(Area.code, parent.code, Area.level, Area.name)
                               .outerjoin(parent, Area.parent_id == parent.id)
                               .order_by(_level_order(), Area.code))]


def unit_rows() -> list[list[str]]:
    """Every unit as a row of a units file (UNIT_COLUMNS)."""
    return [[code, name] for code, name in
            db.session.execute(select(Unit.code, Unit.name).order_by(Unit.code))]
