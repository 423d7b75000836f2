"""Paper forms (`import-responses`) under the web form's rules, and response rates."""
from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from survey_app.domain import clock, holding, responses, scoring
from survey_app.domain.errors import ImportRejected, NotAllowed
from survey_app.domain.officials import get_or_create_position
from survey_app.domain.tabular import read_table
from survey_app.extensions import db
from survey_app.models import (
    Appointment,
    AuditEntry,
    HeldAnswer,
    HeldResponse,
    Invitation,
    Respondent,
)
from tests import factories
from tests.respondent_setup import ROSTER, load_roster, world, world_with_roster

ITEMS = ",".join(f"U{i}" for i in range(1, 10))  # one item per element: coded like it
HEADER = f"respondent_ref,position,area_code,{ITEMS},comment\n"


def row(ref: str, kind: str, area: str, values: str = "3,3,3,3,3,3,3,3,3",
        comment: str = "") -> str:
    return f"{ref},{kind},{area},{values},{comment}\n"


@pytest.fixture
def round_(ctx):
    _areas, round_ = world()
    load_roster(round_)
    db.session.commit()
    return round_


def load(round_, text: str, now=None, filename: str = "paper.csv", data: bytes | None = None):
    required, optional = responses.paper_columns(round_)
    table = read_table(data or text.encode(), filename, required=required, optional=optional)
    return responses.import_paper(round_, table, now=now)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_paper_forms_are_stored_as_anonymous_paper_responses(round_):
    # the tests' questionnaire has one item per element, coded U1.1 ... U9
    summary = load(round_, HEADER + row("R1", "lurah", "3171010001", comment="Baik")
                   + row("R1", "Camat", "3171010") + row("R3", "walikota", "3171"))
    db.session.commit()
    assert summary.stored == 3
    assert count(HeldResponse) == 3 and count(HeldAnswer) == 27
    assert set(db.session.scalars(select(HeldResponse.source))) == {"paper"}
    assert db.session.scalar(select(HeldResponse.group)
                             .where(HeldResponse.comment == "Baik")) == "rt"
    # the respondent's positions are now answered: the web form will not take them again
    invitation = db.session.scalar(select(Invitation).join(Respondent)
                                   .where(Respondent.ref == "R1"))
    assert [p.answered for p in invitation.positions] == [True, True, False]


@pytest.mark.parametrize("line, expected", [
    (row("R9", "lurah", "3171010001"), "line 2 [respondent_ref]: respondent R9 is not invited"),
    (row("R1", "lurah", "3171010002"),
     "line 2 [area_code]: respondent R1 does not rate the lurah of 3171010002"),
    (row("R1", "gubernur", "31"), "line 2 [position]: unknown position 'gubernur'"),
    (row("R1", "lurah", "3171010001", "3,3,5,3,3,3,3,3,3"),
     "line 2 [U3]: U3 '5' must be 1, 2, 3 or 4"),
    (row("R1", "lurah", "3171010001", ",,,,,,,,"),
     "line 2: every answer is blank and there is no comment: nothing to store"),
    (row("R1", "lurah", "3171010001", "3,3,3,3,3,3,3,3,0"),
     "line 2 [U9]: U9 '0' must be 1, 2, 3 or 4"),
])
def test_bad_paper_rows_are_refused_with_their_line(round_, english, line, expected):
    with pytest.raises(ImportRejected) as caught:
        load(round_, HEADER + line)
    db.session.rollback()
    assert str(caught.value.errors[0]).startswith(expected), caught.value.errors
    assert count(HeldResponse) == 0


def test_one_paper_form_per_respondent_and_position(round_, english):
    with pytest.raises(ImportRejected) as caught:
        load(round_, HEADER + row("R1", "lurah", "3171010001") * 2)
    db.session.rollback()
    assert str(caught.value) == ("line 3: the same respondent and position appear twice "
                                 "(also on line 2)")
    load(round_, HEADER + row("R1", "lurah", "3171010001"))
    db.session.commit()
    with pytest.raises(ImportRejected,
                       match="line 2: respondent R1 has already answered for the lurah"):
        load(round_, HEADER + row("R1", "lurah", "3171010001"))
    db.session.rollback()
    assert count(HeldResponse) == 1


# Two more RT heads of kelurahan 3171010001: with R1, three forms for its lurah from one group.
MORE_RT = "R5,Dewi Lestari,rt,3171010001,1,3,,\nR6,Joko Susilo,rt,3171010001,2,1,,\n"


def test_a_paper_form_may_leave_any_answer_blank_and_blanks_are_left_out_of_the_nrr(ctx, english):
    # Every item of the tests' questionnaire is required: the web form would refuse these blanks,
    # paper cannot force an answer.
    _areas, round_ = world(min_group=2)
    load_roster(round_, ROSTER + MORE_RT)
    summary = load(round_, HEADER
                   + row("R1", "lurah", "3171010001", "4,3,,3,3,3,3,3,3")
                   + row("R5", "lurah", "3171010001", "2,2,1,4,4,4,4,4,4")
                   + row("R6", "lurah", "3171010001", ",,,,,,,,", comment="Tidak mau menilai"))
    assert (summary.stored, summary.blanks) == (3, 10)  # R1 leaves U3, R6 all nine
    assert str(summary) == "3 paper responses stored (10 blank answers left out of the scores)"
    assert count(HeldResponse) == 3 and count(HeldAnswer) == 8 + 9 + 0
    lurah = get_or_create_position("lurah", _areas["3171010001"])
    score = scoring.score_round(round_)[lurah.id]
    # NRR over the answers given only (DOMAIN.md section 3), in the one group (rt, n = 3 >= 2):
    #   U1 = (4 + 2) / 2 = 3;  U2 = (3 + 2) / 2 = 2.5;  U3 = 1 / 1 = 1 (R5's answer alone);
    #   U4..U9 = (3 + 4) / 2 = 3.5 each.
    # IKM = 25 x sum(NRR) / 9 = 25 x (3 + 2.5 + 1 + 6 x 3.5) / 9 = 25 x 27.5 / 9 = 76.3888...
    # (a blank read as 0 would give U3 = 0.5 and 75.00; the mean of all 17 answers, 54/17 x 25,
    # 79.41)
    assert score.respondents == 3  # R6's comment-only form is a respondent with no answer
    assert score.elements["U1"] == 3.0 and score.elements["U2"] == 2.5
    assert score.elements["U3"] == 1.0
    assert [score.elements[f"U{i}"] for i in range(4, 10)] == [3.5] * 6
    assert score.ikm == pytest.approx(687.5 / 9, abs=1e-9)
    assert score.grade == ("C", "Kurang baik")  # 76.39: C runs from 65.00 to 76.60
    # Released, they score the same.
    assert holding.release_held() == 3
    assert scoring.score_round(round_)[lurah.id].ikm == pytest.approx(687.5 / 9, abs=1e-9)


def test_the_import_says_how_many_blanks_it_took_in_indonesian(ctx):
    _areas, round_ = world()
    load_roster(round_)
    one = load(round_, HEADER + row("R1", "lurah", "3171010001", "4,,3,3,3,3,3,3,3"))
    assert str(one) == "1 formulir kertas disimpan (1 jawaban kosong tidak dihitung dalam nilai)"
    none = load(round_, HEADER + row("R2", "lurah", "3171010001"))
    assert str(none) == "1 formulir kertas disimpan"


# filled_on: a round of 2027-Q1 from 1 January 00:00 WIB, closing 1 April 00:00 WIB (its last
# day 31 March). The lurah of 3171010001 is A until 14 February, nobody on the 15th, B from the
# 16th.
OPENS = datetime(2027, 1, 1, tzinfo=clock.JAKARTA)
CLOSES = datetime(2027, 4, 1, tzinfo=clock.JAKARTA)
FILLED_HEADER = f"respondent_ref,position,area_code,{ITEMS},filled_on,comment\n"


def filled(ref: str, day: str, comment: str) -> str:
    return f"{ref},lurah,3171010001,3,3,3,3,3,3,3,3,3,{day},{comment}\n"


def jakarta(*args) -> datetime:
    return datetime(*args, tzinfo=clock.JAKARTA)


@pytest.fixture
def rotated(ctx):
    """Round 2027-Q1 (scheduled today, open in the test's `now`), its roster, and the lurah of
    3171010001: A until 2027-02-14, nobody on the 15th, B from 2027-02-16."""
    areas, round_ = world(state="open", opens=OPENS, closes=CLOSES)
    lurah = get_or_create_position("lurah", areas["3171010001"])
    first = db.session.scalar(select(Appointment).where(Appointment.position_id == lurah.id))
    first.end_date = date(2027, 2, 14)
    second = factories.official("197001012000011001", "Lurah B")
    factories.appoint(second, lurah, date(2027, 2, 16))
    load_roster(round_, ROSTER + MORE_RT)
    db.session.commit()
    return round_, first.official_id, second.id


def officials_by_comment() -> dict[str, int | None]:
    return dict(db.session.execute(select(HeldResponse.comment, HeldResponse.official_id)).all())


def test_a_paper_form_belongs_to_the_holder_on_the_day_it_was_filled_in(rotated):
    round_, a, b = rotated
    # Imported on 20 February, when B holds the post.
    load(round_, FILLED_HEADER + filled("R1", "2027-02-14", "A's last day")
         + filled("R2", "2027-02-15", "nobody in post")
         + filled("R5", "2027-02-16", "B's first day")
         + filled("R6", "", "no day written"), now=jakarta(2027, 2, 20, 10))
    assert officials_by_comment() == {"A's last day": a, "nobody in post": None,
                                      "B's first day": b, "no day written": b}


def test_the_holders_are_read_once_per_distinct_day_not_once_per_row(rotated):
    from sqlalchemy import event

    round_, _a, b = rotated
    statements = []

    def seen(_conn, _cursor, statement, *_args):
        if "FROM appointments" in statement:
            statements.append(statement)

    engine = db.session.get_bind()
    event.listen(engine, "before_cursor_execute", seen)
    try:
        # three forms of 16 February and one without a day (the import day, 20 February)
        load(round_, FILLED_HEADER + filled("R1", "2027-02-16", "1")
             + filled("R2", "2027-02-16", "2") + filled("R5", "2027-02-16", "3")
             + filled("R6", "", "4"), now=jakarta(2027, 2, 20, 10))
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 2
    assert set(officials_by_comment().values()) == {b}


@pytest.mark.parametrize("filled_on, now, holder", [
    # without filled_on: the holder on the import day, 10 February, A (B's appointment is
    # already recorded)
    ("", jakarta(2027, 2, 10, 10), "A"),
    # the last day of a closed round is a good filled_on
    ("2027-03-31", jakarta(2027, 4, 5, 10), "B"),
])
def test_a_paper_form_without_a_day_or_of_the_last_day_goes_to_that_days_holder(
        rotated, filled_on, now, holder):
    round_, a, b = rotated
    load(round_, FILLED_HEADER + filled("R1", filled_on, "the form"), now=now)
    assert officials_by_comment() == {"the form": {"A": a, "B": b}[holder]}


def test_filled_on_from_an_xlsx_date_cell(rotated):
    from openpyxl import Workbook

    round_, a, _b = rotated
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["respondent_ref", "position", "area_code", *ITEMS.split(","), "filled_on",
                  "comment"])
    sheet.append(["R1", "lurah", "3171010001", *[3] * 9, date(2027, 2, 14), "xlsx"])
    data = io.BytesIO()
    workbook.save(data)
    load(round_, "", now=jakarta(2027, 2, 20, 10), filename="paper.xlsx", data=data.getvalue())
    assert officials_by_comment() == {"xlsx": a}


@pytest.mark.parametrize("day, now, expected", [
    ("2027-02-21", jakarta(2027, 2, 20, 23, 59), "filled_on 2027-02-21 is in the future"),
    ("2026-12-31", jakarta(2027, 2, 20, 10),
     "filled_on 2026-12-31 is outside the round (2027-01-01 to 2027-03-31)"),
    # closed on 1 April 00:00 WIB: paper forms still come in, but none was filled in on 1 April
    ("2027-04-01", jakarta(2027, 4, 5, 10),
     "filled_on 2027-04-01 is outside the round (2027-01-01 to 2027-03-31)"),
    ("14-02-2027", jakarta(2027, 2, 20, 10), "filled_on '14-02-2027' is not a date (YYYY-MM-DD)"),
    ("2027-02-30", jakarta(2027, 2, 20, 10), "filled_on '2027-02-30' is not a date (YYYY-MM-DD)"),
])
def test_a_bad_filled_on_is_refused_with_its_line(rotated, english, day, now, expected):
    round_, _a, _b = rotated
    with pytest.raises(ImportRejected) as caught:
        load(round_, FILLED_HEADER + filled("R1", "2027-02-14", "fine") + filled("R5", day, "bad"),
             now=now)
    db.session.rollback()
    assert [str(e) for e in caught.value.errors] == [f"line 3 [filled_on]: {expected}"]
    assert count(HeldResponse) == 0


def test_paper_forms_wait_for_the_round_to_open_and_stop_at_publication(english):
    later = datetime.now(UTC) + timedelta(days=5)
    _areas, round_ = world(state="scheduled", opens=later, closes=later + timedelta(days=30))
    with pytest.raises(NotAllowed, match="^Round 2027-Q1 is scheduled: paper forms are taken "):
        load(round_, HEADER + row("R1", "lurah", "3171010001"))


def test_cli_import_responses(app, runner, tmp_path):
    with app.app_context():
        _areas, round_ = world()
        load_roster(round_)
        db.session.commit()
    path = tmp_path / "paper.csv"
    path.write_text(HEADER + row("R1", "lurah", "3171010001")
                    + row("R2", "lurah", "3171010001", "1,2,3,4,1,2,3,4,9"))
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path)])
    assert result.exit_code == 1
    assert "baris 3 [U9]: U9 '9' harus 1, 2, 3 atau 4" in result.output
    path.write_text(FILLED_HEADER + filled("R1", "2020-01-01", ""))
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path)])
    assert result.exit_code == 1
    assert "baris 2 [filled_on]: filled_on 2020-01-01 di luar masa putaran (" in result.output
    path.write_text(HEADER + row("R1", "lurah", "3171010001"))
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path)])
    assert result.exit_code == 0 and result.output == "2027-Q1: 1 formulir kertas disimpan.\n"
    today = clock.jakarta_day(clock.now())
    path.write_text(FILLED_HEADER + f"R2,lurah,3171010001,4,4,,4,4,4,4,,4,{today},\n")
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == ("2027-Q1: 1 formulir kertas disimpan (2 jawaban kosong tidak "
                             "dihitung dalam nilai).\n")


def test_cli_skip_bad_stores_the_good_row_and_writes_the_bad_ones(app, runner, tmp_path):
    with app.app_context():
        _areas, round_ = world()
        load_roster(round_)
        load(round_, HEADER + row("R1", "lurah", "3171010001"))  # R1 has answered for the lurah
        db.session.commit()
    path = tmp_path / "paper.csv"
    path.write_text(HEADER + row("R2", "lurah", "3171010001", "4,4,4,4,4,4,4,4,4", "Bagus")
                    + row("R1", "lurah", "3171010001")  # answered already
                    + row("R3", "camat", "3171010", "3,3,5,3,3,3,3,3,3"))  # off the scale
    out = tmp_path / "bad.csv"
    # Without --skip-bad: every bad row with its line, nothing stored, no OUT written.
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path)])
    assert result.exit_code == 1
    assert result.output.splitlines() == [
        "Tidak ada yang diimpor: 2 masalah ditemukan.",
        "  baris 3: responden R1 sudah menjawab untuk lurah 3171010001",
        "  baris 4 [U3]: U3 '5' harus 1, 2, 3 atau 4 (atau kosong)"]
    with app.app_context():
        assert count(HeldResponse) == 1 and not out.exists()

    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path),
                                 "--skip-bad", str(out)])
    assert result.exit_code == 0, result.output
    assert result.output == ("2027-Q1: 1 formulir kertas disimpan; 2 baris salah dilewati.\n"
                             f"2 baris salah ditulis ke {out}.\n")
    with app.app_context():
        stored = db.session.scalars(select(HeldResponse).order_by(HeldResponse.id)).all()
        assert [(r.group, r.source, r.comment) for r in stored] == [
            ("rt", "paper", None), ("rw", "paper", "Bagus")]
        assert list(db.session.scalars(select(HeldAnswer.value).where(
            HeldAnswer.held_response_id == stored[1].id))) == [4] * 9
        answered = {ref: [p.answered for p in inv.positions] for ref, inv in db.session.execute(
            select(Respondent.ref, Invitation).join(Invitation))}
        assert answered == {"R1": [True, False, False], "R2": [True, False, False],
                            "R3": [False, False], "R4": [False, False, False]}
        audit = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "import-responses")).all()
        assert [(a.target, a.detail) for a in audit] == [("2027-Q1", {
            "file": str(path),
            "summary": "1 formulir kertas disimpan; 2 baris salah dilewati"})]
    # OUT: the web page's file of bad rows, the file's columns and each row's line and errors
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))
    assert rows == [
        ["respondent_ref", "position", "area_code", *ITEMS.lower().split(","), "comment",
         "errors"],
        ["R1", "lurah", "3171010001", *["3"] * 9, "",
         "baris 3: responden R1 sudah menjawab untuk lurah 3171010001"],
        ["R3", "camat", "3171010", "3", "3", "5", *["3"] * 6, "",
         "baris 4 [U3]: U3 '5' harus 1, 2, 3 atau 4 (atau kosong)"]]
    # OUT, fixed (the errors column left in), imports as it is
    out.write_text(out.read_text(encoding="utf-8").replace(",5,", ",2,")
                   .replace("R1,lurah,3171010001", "R1,camat,3171010"), encoding="utf-8")
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(out)])
    assert result.output == "2027-Q1: 2 formulir kertas disimpan.\n"
    with app.app_context():
        assert count(HeldResponse) == 4


def test_cli_skip_bad_stores_nothing_when_out_cannot_be_written(app, runner, tmp_path):
    with app.app_context():
        world_with_roster()
    path = tmp_path / "paper.csv"
    path.write_text(HEADER + row("R1", "lurah", "3171010001") + row("R9", "lurah", "3171010001"))
    missing = tmp_path / "no-such-folder" / "bad.csv"
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path),
                                 "--skip-bad", str(missing)])
    assert result.exit_code == 1
    assert result.output.startswith("Kesalahan: Tidak ada yang diimpor: baris yang salah tidak "
                                    f"dapat ditulis ke {missing} (")
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path),
                                 "--skip-bad", str(path)])
    assert result.exit_code == 2 and "OUT tidak boleh FILE itu sendiri." in result.output
    assert path.read_text().startswith(HEADER)  # the paper forms are still there
    with app.app_context():
        assert count(HeldResponse) == 0


def test_cli_help_names_the_optional_columns(runner):
    result = runner.invoke(args=["skm", "import-responses", "--help"])
    assert "optional columns filled_on,comment" in " ".join(result.output.split())


def test_response_rates_by_kota_kecamatan_kelurahan_and_group(round_):
    load(round_, HEADER + row("R1", "lurah", "3171010001") + row("R1", "camat", "3171010")
         + row("R1", "walikota", "3171") + row("R4", "camat", "3171020"))
    rates = responses.response_rates(round_)
    assert (rates.total.invited, rates.total.responded, rates.total.finished) == (4, 2, 1)
    assert (rates.total.forms, rates.total.forms_done) == (11, 4)
    assert [(r.key, r.invited, r.responded) for r in rates.by_kota] == [("3171", 4, 2)]
    assert [(r.key, r.invited, r.responded) for r in rates.by_kecamatan] == [
        ("3171010", 3, 1), ("3171020", 1, 1)]
    # R3 (FKDM) belongs to the kecamatan itself, not to a kelurahan
    assert [(r.key, r.invited, r.responded) for r in rates.by_kelurahan] == [
        ("3171010001", 2, 1), ("3171020002", 1, 1)]
    assert [(r.key, r.invited, r.responded, round(r.rate, 2)) for r in rates.by_group] == [
        ("rt", 1, 1, 1.0), ("rw", 1, 0, 0.0), ("lmk", 1, 1, 1.0), ("fkdm", 1, 0, 0.0)]
