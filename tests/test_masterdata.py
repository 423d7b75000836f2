"""Master data (issue 18): lists a page at a time in a constant number of queries, the import
format written back (a round trip changes nothing), rotations and their refusals."""
from __future__ import annotations

import io
from datetime import date

import pytest
from sqlalchemy import event, func, select

from survey_app.domain import areas, exports, officials
from survey_app.domain.officials import RotationInvalid, find_post, record_rotation
from survey_app.domain.tabular import read_table
from survey_app.extensions import db
from survey_app.models import Appointment, Area, Official
from tests import factories

AREAS_CSV = (
    "code,parent_code,level,name\n"
    "31,,provinsi,DKI JAKARTA\n"
    "3171,31,kota,KOTA JAKARTA SELATAN\n"
    "3171010,3171,kecamatan,KEBAYORAN BARU\n"
    "3171010001,3171010,kelurahan,SELONG\n"
    "3171010002,3171010,kelurahan,GUNUNG\n"
    "3172,31,kota,KOTA JAKARTA TIMUR\n"
)
UNITS_CSV = "code,name\nDINKES,Dinas Kesehatan\nDISHUB,Dinas Perhubungan\n"
OFFICIALS_CSV = (
    "nip,name,position,area_code,unit_code,start_date,end_date\n"
    "198001012005011001,Budi Santoso,lurah,3171010001,,2024-01-01,2026-06-30\n"
    "198001012005011002,Siti Aminah,lurah,3171010001,,2026-07-01,\n"
    "198001012005011003,Agus Salim,camat,3171010,,2023-03-01,\n"
    "198001012005011004,Rina Wati,kepala_dinas,,DINKES,2025-01-01,\n"
)


def load(importer, columns, text: str, name: str = "file.csv", data: bytes | None = None):
    return importer(read_table(data or text.encode(), name, required=columns))


def load_everything():
    load(areas.import_areas, areas.AREA_COLUMNS, AREAS_CSV)
    load(areas.import_units, areas.UNIT_COLUMNS, UNITS_CSV)
    load(officials.import_officials, officials.OFFICIAL_COLUMNS, OFFICIALS_CSV)
    db.session.commit()


class QueryCount:
    """The statements run on the database while the block runs."""

    def __init__(self):
        self.count = 0

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self._count)
        return self

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self._count)

    def _count(self, *args):
        self.count += 1


# --- the import format written back ------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_downloading_then_loading_the_same_file_changes_nothing(ctx, fmt):
    load_everything()
    kinds = [(areas.AREA_COLUMNS, areas.area_rows, areas.import_areas, 6),
             (areas.UNIT_COLUMNS, areas.unit_rows, areas.import_units, 2),
             (officials.OFFICIAL_COLUMNS, officials.official_rows, officials.import_officials, 4)]
    for columns, rows, importer, expected in kinds:
        written = rows()
        assert len(written) == expected
        data = (exports.csv_text(columns, written).encode() if fmt == "csv"
                else exports.xlsx_bytes(columns, written))
        summary = load(importer, columns, "", f"back.{fmt}", data)
        assert (summary.created, summary.updated, summary.unchanged) == (0, 0, expected)
        db.session.rollback()


def test_areas_are_written_parents_first_and_officials_by_nip(ctx):
    load_everything()
    assert [row[0] for row in areas.area_rows()] == [
        "31", "3171", "3172", "3171010", "3171010001", "3171010002"]
    assert officials.official_rows()[0] == [
        "198001012005011001", "Budi Santoso", "lurah", "3171010001", "", "2024-01-01",
        "2026-06-30"]
    assert officials.official_rows()[3] == [
        "198001012005011004", "Rina Wati", "kepala_dinas", "", "DINKES", "2025-01-01", ""]


def test_the_import_summary_lists_each_row_changes_first(ctx):
    load_everything()
    changed = AREAS_CSV.replace("GUNUNG", "GUNUNG BARU") + "3172010,3172,kecamatan,MATRAMAN\n"
    summary = load(areas.import_areas, areas.AREA_COLUMNS, changed)
    assert (summary.created, summary.updated, summary.unchanged) == (1, 1, 5)
    assert summary.changes_first()[:2] == [(6, "update", "3171010002 GUNUNG BARU"),
                                           (8, "new", "3172010 MATRAMAN")]


# --- lists ----------------------------------------------------------------------------------

def many_kelurahan(n: int):
    tree = factories.small_tree()
    for i in range(n):
        factories.area(f"3171030{i:03d}", "kelurahan", f"KELURAHAN {i:03d}", tree["3171010"])
    db.session.commit()


def test_areas_come_a_page_at_a_time_top_levels_first(ctx):
    many_kelurahan(120)  # 8 areas of the small tree + 120
    first = areas.list_areas()
    assert (first.total, first.pages, len(first.rows)) == (128, 3, 50)
    assert [row[0].code for row in first.rows[:4]] == ["31", "3171", "3171010", "3171020"]
    last = areas.list_areas(number=3)
    assert len(last.rows) == 28 and (last.first_shown, last.last_shown) == (101, 128)
    assert areas.list_areas(number=99).number == 3  # past the end: the last page
    found = areas.list_areas("kelurahan 11")
    assert [row[0].code for row in found.rows] == [f"3171030{i}" for i in range(110, 120)]
    assert found.rows[0][1:] == ("3171010", "KECAMATAN 3171010")  # the parent's code and name
    assert areas.list_areas("3171020").total == 3  # a code's start: the kecamatan and its two
    assert areas.list_areas(level="kecamatan").total == 2
    assert areas.list_areas("100%").total == 0  # % is a character, not a wildcard


def test_a_list_page_takes_the_same_queries_for_10_or_300_officials(ctx):
    def build(n: int, offset: int):
        tree = {a.code: a for a in db.session.scalars(select(Area))}
        for i in range(n):
            area = factories.area(f"9{offset}{i:05d}", "kelurahan", parent=tree["3171010"])
            person = factories.official(f"19900101{offset}{i:08d}")
            factories.appoint(person, factories.position("lurah", area), date(2025, 1, 1))
        db.session.commit()

    def queries(call) -> int:
        db.session.expunge_all()
        with QueryCount() as counter:
            call()
        return counter.count

    factories.small_tree()
    build(10, 1)
    small = [queries(lambda: officials.list_officials(number=1)),
             queries(lambda: officials.list_posts(date(2026, 1, 1))),
             queries(lambda: areas.list_areas())]
    build(290, 2)
    large = [queries(lambda: officials.list_officials(number=2)),
             queries(lambda: officials.list_posts(date(2026, 1, 1), number=3)),
             queries(lambda: areas.list_areas(number=4))]
    assert small == large == [3, 2, 2]


def test_officials_come_with_their_terms_and_posts_with_todays_holder(ctx):
    load_everything()
    page, terms = officials.list_officials("siti")
    (siti,), = page.rows
    assert [(t.kind, t.place_code, t.start) for t in terms[siti.id]] == [
        ("lurah", "3171010001", date(2026, 7, 1))]
    assert officials.list_officials("19800101200501100")[0].total == 4  # a NIP's start
    posts = officials.list_posts(date(2026, 1, 1))
    assert [(p.kind, code, nip) for p, code, _name, nip, _holder, _since in posts.rows] == [
        ("camat", "3171010", "198001012005011003"),
        ("lurah", "3171010001", "198001012005011001"),
        ("kepala_dinas", "DINKES", "198001012005011004")]
    # on 1 July the lurah changes hands; a search finds a post by its holder's name
    july = officials.list_posts(date(2026, 7, 1), "siti")
    assert [(code, holder) for _p, code, _n, _nip, holder, _s in july.rows] == [
        ("3171010001", "Siti Aminah")]
    assert officials.list_posts(date(2026, 7, 1), kind="kepala_dinas").total == 1


# --- rotations ------------------------------------------------------------------------------

def test_a_rotation_ends_the_current_term_the_day_before_and_starts_the_next(ctx):
    load_everything()
    post = find_post("camat", "3171010")
    rotation = record_rotation(post, "1990 0101 2015 011001", "Dewi  Lestari", date(2027, 2, 1))
    db.session.commit()
    assert rotation.ended.end_date == date(2027, 1, 31)
    assert (rotation.started.official.nip, rotation.started.official.name) == (
        "199001012015011001", "Dewi Lestari")
    history = officials.post_history(post.id)
    assert [(t.name, t.start, t.end) for t in history] == [
        ("Dewi Lestari", date(2027, 2, 1), None),
        ("Agus Salim", date(2023, 3, 1), date(2027, 1, 31))]
    assert officials.holder_on(post.id, date(2027, 1, 31)).name == "Agus Salim"
    assert officials.holder_on(post.id, date(2027, 2, 1)).name == "Dewi Lestari"
    # an official on record needs no name; a vacant post gets its first holder
    second = record_rotation(find_post("lurah", "3171010002"), "198001012005011001", "",
                             date(2026, 7, 1))
    assert second.ended is None and second.started.official.name == "Budi Santoso"


@pytest.mark.parametrize("nip, name, start, end, field, message", [
    ("199001012015011001", "Dewi", date(2027, 2, 1), date(2027, 1, 1), "end_date",
     "The end is before the start."),
    ("12AB", "Dewi", date(2027, 2, 1), None, "nip", "A NIP has digits only (at most 30)."),
    ("199001012015011001", "", date(2027, 2, 1), None, "name",
     "NIP 199001012015011001 is not on record yet: enter the official's name."),
    ("198001012005011001", "Budi S.", date(2027, 2, 1), None, "name",
     "NIP 198001012005011001 is on record as Budi Santoso: leave the name empty or write it "
     "the same way."),
    ("198001012005011002", "", date(2027, 2, 1), None, "nip",
     "Siti Aminah already holds this post on that day."),
    # the current term began that day: it cannot end the day before
    ("199001012015011001", "Dewi", date(2026, 7, 1), None, "start_date",
     "Siti Aminah (198001012005011002) holds this post from 2026-07-01: a term starting on "
     "2026-07-01 would overlap it."),
    # a term from 2026-07-01 is later than this start and the new term has no end: overlap
    ("199001012015011001", "Dewi", date(2026, 3, 1), None, "start_date",
     "Siti Aminah (198001012005011002) holds this post from 2026-07-01: a term starting on "
     "2026-03-01 would overlap it."),
])
def test_a_rotation_that_breaks_a_rule_is_refused_and_changes_nothing(english, nip, name, start,
                                                                      end, field, message):
    load_everything()
    post = find_post("lurah", "3171010001")
    with pytest.raises(RotationInvalid) as refused:
        record_rotation(post, nip, name, start, end)
    assert refused.value.errors[field] == message
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(Appointment)) == 4
    assert db.session.scalar(select(func.count()).select_from(Official)) == 4


def test_a_short_term_between_two_others_fits(ctx):
    """An acting holder (Plt) ending before the next term starts does not overlap it."""
    load_everything()
    post = find_post("lurah", "3171010001")
    # Budi's term is cut at 2026-02-28; the acting term ends before Siti's starts on 1 July
    rotation = record_rotation(post, "199001012015011009", "Plt Lurah", date(2026, 3, 1),
                               date(2026, 6, 30))
    assert rotation.ended.end_date == date(2026, 2, 28)


@pytest.mark.parametrize("kind, code, field, message", [
    ("lurah", "9999", "place_code", "There is no area with the code 9999."),
    ("camat", "3171010001", "place_code",
     "A camat heads a kecamatan, but 3171010001 (SELONG) is a kelurahan."),
    ("kepala_dinas", "NOPE", "place_code", "There is no unit with the code NOPE."),
    ("sekda", "31", "kind", "Choose a position."),
])
def test_a_rotation_needs_a_post_that_exists(english, kind, code, field, message):
    load_everything()
    with pytest.raises(RotationInvalid) as refused:
        find_post(kind, code)
    assert refused.value.errors == {field: message}


def test_xlsx_written_back_keeps_codes_as_text(ctx):
    load_everything()
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(exports.xlsx_bytes(officials.OFFICIAL_COLUMNS,
                                                        officials.official_rows()))).active
    assert sheet["A2"].value == "198001012005011001" and sheet["A2"].data_type == "s"
    assert [c.value for c in sheet[1]] == officials.OFFICIAL_COLUMNS
