"""Paper forms (`import-responses`) under the web form's rules, and response rates."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select

from survey_app.domain import responses
from survey_app.domain.errors import ImportRejected, NotAllowed
from survey_app.domain.tabular import read_table
from survey_app.extensions import db
from survey_app.models import HeldAnswer, HeldResponse, Invitation, Respondent
from tests import factories
from tests.respondent_setup import load_roster, world

ITEMS = ",".join(f"U{i}" for i in range(1, 10))  # one item per element: coded like it
HEADER = f"respondent_ref,position,area_code,{ITEMS},comment\n"


def row(ref: str, kind: str, area: str, values: str = "3,3,3,3,3,3,3,3,3", comment: str = "") -> str:
    return f"{ref},{kind},{area},{values},{comment}\n"


@pytest.fixture
def round_(ctx):
    _areas, round_ = world()
    load_roster(round_)
    db.session.commit()
    return round_


def load(round_, text: str):
    columns = responses.paper_columns(round_)
    table = read_table(text.encode(), "paper.csv", required=columns[:-1], optional=["comment"])
    return responses.import_paper(round_, table)


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
    assert db.session.scalar(select(HeldResponse.group).where(HeldResponse.comment == "Baik")) == "rt"
    # the respondent's positions are now answered: the web form will not take them again
    invitation = db.session.scalar(select(Invitation).join(Respondent).where(Respondent.ref == "R1"))
    assert [p.answered for p in invitation.positions] == [True, True, False]


@pytest.mark.parametrize("line, expected", [
    (row("R9", "lurah", "3171010001"), "line 2 [respondent_ref]: respondent R9 is not invited"),
    (row("R1", "lurah", "3171010002"), "line 2 [area_code]: respondent R1 does not rate the lurah of 3171010002"),
    (row("R1", "gubernur", "31"), "line 2 [position]: unknown position 'gubernur'"),
    (row("R1", "lurah", "3171010001", "3,3,5,3,3,3,3,3,3"), "line 2 [U3]: U3 '5' must be 1, 2, 3 or 4"),
    (row("R1", "lurah", "3171010001", "3,3,,3,3,3,3,3,3"), "line 2 [U3]: U3 is required and blank"),
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
    assert str(caught.value) == "line 3: the same respondent and position appear twice (also on line 2)"
    load(round_, HEADER + row("R1", "lurah", "3171010001"))
    db.session.commit()
    with pytest.raises(ImportRejected, match="line 2: respondent R1 has already answered for the lurah"):
        load(round_, HEADER + row("R1", "lurah", "3171010001"))
    db.session.rollback()
    assert count(HeldResponse) == 1


def test_blanks_are_allowed_where_the_questionnaire_allows_them(ctx):
    content = factories.questionnaire_content()
    content["elements"][3]["items"][0]["required"] = False
    _areas, round_ = world(questionnaire=factories.pinned(content))
    load_roster(round_)
    load(round_, HEADER.lower() + row("R1", "lurah", "3171010001", "3,3,3,,3,3,3,3,3"))
    assert count(HeldAnswer) == 8


def test_paper_forms_wait_for_the_round_to_open_and_stop_at_publication(english):
    later = datetime.now(timezone.utc) + timedelta(days=5)
    _areas, round_ = world(state="scheduled", opens=later, closes=later + timedelta(days=30))
    with pytest.raises(NotAllowed, match="^Round 2027-Q1 is scheduled: paper forms are taken "):
        load(round_, HEADER + row("R1", "lurah", "3171010001"))


def test_cli_import_responses(app, runner, tmp_path):
    with app.app_context():
        _areas, round_ = world()
        load_roster(round_)
        db.session.commit()
    path = tmp_path / "paper.csv"
    path.write_text(HEADER + row("R1", "lurah", "3171010001") + row("R2", "lurah", "3171010001", "1,2,3,4,1,2,3,4,9"))
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path)])
    assert result.exit_code == 1
    assert "baris 3 [U9]: U9 '9' harus 1, 2, 3 atau 4" in result.output
    path.write_text(HEADER + row("R1", "lurah", "3171010001"))
    result = runner.invoke(args=["skm", "import-responses", "2027-Q1", str(path)])
    assert result.exit_code == 0 and result.output == "2027-Q1: 1 formulir kertas disimpan.\n"


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
