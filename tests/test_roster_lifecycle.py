"""Roster lifecycle (survey_app/domain/lifecycle.py): deactivate, reactivate, replace; an inactive
respondent gets no letters, is not counted as invited and is not copied to the next quarter;
answers already given stay counted, and nothing says whether someone had answered."""
from __future__ import annotations

from datetime import UTC, datetime

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from survey_app.domain import holding, invitations, lifecycle, responses, results, roster, rounds
from survey_app.domain.errors import DomainError
from survey_app.domain.tabular import read_table
from survey_app.extensions import db
from survey_app.models import AuditEntry, Invitation, Respondent
from tests import factories
from tests.conftest import csrf_token
from tests.respondent_setup import (
    HEADER,
    ROSTER,
    SECRET,
    load_roster,
    token_of,
    world,
    world_with_roster,
)

ITEMS = ",".join(f"U{i}" for i in range(1, 10))
PAPER = f"respondent_ref,position,area_code,{ITEMS},comment\n"


def answer_on_paper(round_, ref: str, kind: str, area: str) -> None:
    required, optional = responses.paper_columns(round_)
    text = PAPER + f"{ref},{kind},{area},3,3,3,3,3,3,3,3,3,\n"
    responses.import_paper(round_, read_table(text.encode(), "p.csv", required=required,
                                              optional=optional))


def respondent(ref: str) -> Respondent:
    return db.session.scalar(select(Respondent).where(Respondent.ref == ref))


@pytest.fixture
def open_round(ctx):
    # R1 rt, R2 rw (kelurahan 3171010001), R3 fkdm (kecamatan), R4 lmk
    return world_with_roster()


def test_deactivation_takes_the_same_seat_out_whether_or_not_they_answered(open_round):
    round_ = open_round
    answer_on_paper(round_, "R1", "lurah", "3171010001")  # R1 answered; R2 did not
    db.session.commit()
    before = responses.response_rates(round_).total
    assert (before.invited, before.responded, before.forms, before.forms_done) == (4, 1, 11, 1)
    lifecycle.deactivate(respondent("R1"))
    after_one = responses.response_rates(round_).total
    lifecycle.deactivate(respondent("R2"))
    after_two = responses.response_rates(round_).total
    db.session.commit()
    # each deactivation removes one respondent and their forms from the denominators, the same
    # for the one who answered (R1, 3 forms) and the one who did not (R2, 3 forms); the answer
    # given stays counted
    assert (after_one.invited, after_one.responded, after_one.forms) == (3, 1, 8)
    assert (after_two.invited, after_two.responded, after_two.forms) == (2, 1, 5)
    assert after_two.forms_done == 1
    progress = rounds.progress_by_round()[round_.id]
    assert (progress.invited, progress.completed) == (5, 1)
    # their links stop working, no letter is printed for them
    with db.engine.connect() as connection:
        assert invitations.open_link(connection, token_of("R1", round_)) is None
        assert invitations.open_link(connection, token_of("R3", round_)) is not None
    rows = invitations.export_rows(round_, "http://x", SECRET)
    assert [r.respondent_ref for r in rows] == ["R3", "R4"]
    entries = {e.action: e.detail for e in db.session.scalars(select(AuditEntry))}
    assert entries["respondent-deactivate"] == {"withdrawn": 1}  # says nothing about answers


def test_the_scores_denominator_drops_but_the_answer_stays(open_round):
    round_ = open_round
    answer_on_paper(round_, "R1", "lurah", "3171010001")

    def lurah():
        return next(p for p in results.results_document(round_).positions
                    if p.position == "lurah" and p.area_code == "3171010001")

    assert lurah().invited == 2  # R1 (rt) and R2 (rw)
    stored = db.session.scalar(select(func.count()).select_from(
        holding.stored_responses(round_.id)))
    lifecycle.deactivate(respondent("R1"))
    db.session.flush()
    assert lurah().invited == 1  # the stored results are computed again (the fingerprint)
    assert db.session.scalar(select(func.count()).select_from(
        holding.stored_responses(round_.id))) == stored == 1  # R1's answer stays


def closed_round_with_r2_off_and_the_next_one():
    """A closed round whose roster was loaded as a draft, R2 deactivated since, and the next
    quarter's draft with no roster yet; committed. Returns both rounds."""
    _areas, round_ = world(state="closed", opens=datetime(2027, 1, 10, tzinfo=UTC),
                           closes=datetime(2027, 3, 31, tzinfo=UTC))
    round_.state = "draft"
    load_roster(round_)
    round_.state = "closed"
    lifecycle.deactivate(respondent("R2"))
    nxt = factories.round_("2027-Q2", state="draft", opens=datetime(2027, 4, 10, tzinfo=UTC),
                           closes=datetime(2027, 6, 30, tzinfo=UTC),
                           questionnaire=round_.questionnaire)
    db.session.commit()
    return round_, nxt


def test_an_inactive_respondent_is_not_copied_to_the_next_quarter(ctx):
    round_, nxt = closed_round_with_r2_off_and_the_next_one()
    # the closed round keeps its history: R2's invitation there is not withdrawn
    assert not db.session.scalar(select(Invitation.withdrawn).join(Respondent)
                                 .where(Respondent.ref == "R2", Invitation.round_id == round_.id))
    assert responses.response_rates(round_).total.invited == 4
    assert invitations.copy_roster(round_, nxt, SECRET) == 3  # what next_quarter copies
    refs = set(db.session.scalars(select(Respondent.ref).join(Invitation)
                                  .where(Invitation.round_id == nxt.id)))
    assert refs == {"R1", "R3", "R4"}


def test_replace_gives_a_new_person_the_seat_and_a_new_link(open_round):
    round_ = open_round
    old_token = token_of("R1", round_)
    new = lifecycle.replace(respondent("R1"), lifecycle.Newcomer("R1-2027", " Joko  Widodo ",
                                                                 "0812 9999 0000"), SECRET)
    db.session.commit()
    old = respondent("R1")
    assert not old.active and new.active
    assert (new.ref, new.name, new.phone) == ("R1-2027", "Joko Widodo", "6281299990000")
    assert (new.group, new.area_id, new.rw, new.rt) == (old.group, old.area_id, old.rw, old.rt)
    new_token = token_of("R1-2027", round_)
    assert new_token != old_token
    with db.engine.connect() as connection:
        link = invitations.open_link(connection, new_token)
        assert link is not None and [p.completed for p in link.positions] == [False] * 3
    assert responses.response_rates(round_).total.invited == 4  # the seat is counted once
    replaced = db.session.scalar(select(AuditEntry).where(
        AuditEntry.action == "respondent-replace"))
    assert replaced.target == "R1" and replaced.detail == {"by": "R1-2027", "invitations": 1}


@pytest.mark.parametrize("ref, name, phone, message", [
    ("R2", "Someone", "", "sudah ada"),
    ("bad ref!", "Someone", "", "respondent_ref"),
    ("R9", "", "", "nama"),
    ("R9", "Someone", "12", "telepon"),
])
def test_a_bad_replacement_changes_nothing(open_round, ref, name, phone, message):
    with pytest.raises(DomainError, match=message):
        lifecycle.replace(respondent("R1"), lifecycle.Newcomer(ref, name, phone), SECRET)
    db.session.rollback()
    assert respondent("R1").active and respondent("R9") is None


def test_reactivation_gives_the_same_link_back(open_round):
    token = token_of("R3", open_round)
    lifecycle.deactivate(respondent("R3"))
    lifecycle.reactivate(respondent("R3"))
    db.session.commit()
    with db.engine.connect() as connection:
        assert invitations.open_link(connection, token) is not None
    with pytest.raises(DomainError):
        lifecycle.reactivate(respondent("R3"))


def test_a_replacement_needs_a_roster_that_may_still_change(ctx):
    _areas, round_ = world(state="draft")
    load_roster(round_)
    round_.state = "published"
    db.session.commit()
    with pytest.raises(DomainError, match="Triwulan berikutnya"):
        lifecycle.replace(respondent("R1"), lifecycle.Newcomer("R9", "Someone"), SECRET)


def test_the_cli_deactivates_replaces_and_reactivates(app, runner):
    with app.app_context():
        world_with_roster()
    result = runner.invoke(args=["skm", "respondent", "deactivate", "R4"])
    assert result.exit_code == 0 and "R4 dinonaktifkan; 1 undangan ditarik" in result.output
    result = runner.invoke(args=["skm", "respondent", "replace", "R2", "--new-ref", "R2B",
                                 "--name", "Dewi"])
    assert result.exit_code == 0 and "R2B menggantikan R2" in result.output
    result = runner.invoke(args=["skm", "respondent", "reactivate", "R4"])
    assert result.exit_code == 0
    result = runner.invoke(args=["skm", "respondent", "deactivate", "NOPE"])
    assert result.exit_code == 1 and "Tidak ada responden NOPE" in result.output
    with app.app_context():
        assert {r.ref: r.active for r in db.session.scalars(select(Respondent))} == {
            "R1": True, "R2": False, "R3": True, "R4": True, "R2B": True}


def test_the_roster_page_deactivates_and_replaces(app, client, auth, users):
    with app.app_context():
        world_with_roster()
    auth.login(users["coordinator"])
    page = client.get("/coordinator/roster/2027-Q1/respondents?q=siti")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "Siti Aminah" in html and "Budi Santoso" not in html
    token = csrf_token(client, "/coordinator/roster/2027-Q1/respondents")
    done = client.post("/coordinator/roster/2027-Q1/respondents/deactivate/R3",
                       data={"csrf_token": token,
                             "back": "/coordinator/roster/2027-Q1/respondents?q=R3"})
    assert done.headers["Location"] == "/coordinator/roster/2027-Q1/respondents?q=R3"
    form = client.get("/coordinator/roster/2027-Q1/respondents/replace/R1")
    assert "Ganti R1" in form.get_data(as_text=True)
    bad = client.post("/coordinator/roster/2027-Q1/respondents/replace/R1",
                      data={"csrf_token": token, "ref": "R2", "name": "X"})
    assert "sudah ada" in bad.get_data(as_text=True)
    client.post("/coordinator/roster/2027-Q1/respondents/replace/R1",
                data={"csrf_token": token, "ref": "R1B", "name": "Joko"})
    with app.app_context():
        assert {r.ref: r.active for r in db.session.scalars(select(Respondent))} == {
            "R1": False, "R2": True, "R3": False, "R4": True, "R1B": True}
    assert client.get("/coordinator/roster/2027-Q1/respondents/replace/NOPE").status_code == 404


def test_a_viewer_cannot_change_the_roster(app, client, auth, users):
    auth.login(users["viewer"])
    token = csrf_token(client, "/")
    assert client.post("/coordinator/roster/2027-Q1/respondents/deactivate/R1",
                       data={"csrf_token": token}).status_code == 403



# --- a roster file that names inactive respondents ------------------------------------------

def roster_table(text: str):
    return read_table(text.encode(), "roster.csv", required=roster.REQUIRED_COLUMNS,
                      optional=roster.OPTIONAL_COLUMNS)


def test_a_roster_naming_inactive_respondents_updates_them_but_leaves_them_inactive(open_round):
    round_ = open_round
    lifecycle.deactivate(respondent("R2"))
    lifecycle.deactivate(respondent("R4"))
    db.session.commit()
    tokens = {ref: token_of(ref, round_) for ref in ("R2", "R4")}
    # R2's name changed, R4 unchanged, R5 new
    text = ROSTER.replace("Siti Aminah", "Siti A.") + "R5,Dewi,rt,3171010001,1,3,,\n"
    plan = roster.plan(round_, roster_table(text))
    db.session.rollback()
    assert plan.inactive_refs() == ["R2", "R4"]
    # what the coordinator must check first: changed, inactive and new rows, then the others
    assert [r.ref for r in plan.changes_first()] == ["R2", "R4", "R5", "R1", "R3"]
    with force_locale("en"):
        assert plan.inactive_notice() == (
            "2 respondents in the file are inactive (taken off the roster): R2, R4. Their details "
            "are updated from the file, but they stay inactive: no working link to this round, "
            "no letters, not counted as invited. To invite them, cancel, reactivate them on the "
            "roster page of a round they were invited to, then load this file again.")
    summary = roster.import_roster(round_, roster_table(text), SECRET)
    db.session.commit()
    assert (summary.created, summary.updated, summary.unchanged, summary.invitations_created,
            summary.inactive) == (1, 1, 3, 1, ["R2", "R4"])
    assert str(summary) == (
        "1 responden baru, 1 diperbarui, 3 tidak berubah; 1 undangan baru; 2 responden dalam "
        "berkas nonaktif dan tetap nonaktif, tanpa tautan yang berlaku ke putaran ini: R2, R4; "
        "untuk mengundang mereka, aktifkan kembali, lalu impor berkas ini lagi")
    # what the notice says: the details are written, they stay inactive, their links dead
    assert (respondent("R2").name, respondent("R2").active, respondent("R4").active) == (
        "Siti A.", False, False)
    with db.engine.connect() as connection:
        assert all(invitations.open_link(connection, t) is None for t in tokens.values())
    assert responses.response_rates(round_).total.invited == 3  # R1, R3 and R5
    assert roster.plan(round_, roster_table(ROSTER.replace("R2,", "R9,"))).inactive_notice() == (
        "1 responden dalam berkas nonaktif (sudah dikeluarkan dari daftar responden): R4. Datanya "
        "diperbarui dari berkas, tetapi ia tetap nonaktif: tidak ada tautan yang berlaku ke "
        "putaran ini, tidak mendapat surat, tidak dihitung sebagai diundang. Untuk mengundangnya: "
        "batalkan, aktifkan kembali di halaman daftar responden putaran tempat ia pernah diundang, "
        "lalu muat berkas ini lagi.")
    db.session.rollback()


def test_reactivating_then_loading_the_file_again_invites_them_as_the_notice_says(ctx):
    _round, nxt = closed_round_with_r2_off_and_the_next_one()
    # the next quarter's roster names R2, who has no invitation there at all
    assert load_roster(nxt).inactive == ["R2"]
    assert db.session.scalar(select(Invitation.id).join(Respondent).where(
        Respondent.ref == "R2", Invitation.round_id == nxt.id)) is None
    lifecycle.reactivate(respondent("R2"))  # from the closed round's roster page
    summary = load_roster(nxt)
    assert (summary.inactive, summary.invitations_created) == ([], 1)
    assert db.session.scalar(select(Invitation.withdrawn).join(Respondent).where(
        Respondent.ref == "R2", Invitation.round_id == nxt.id)) is False


def test_the_cli_names_the_first_ten_inactive_respondents_and_counts_the_others(app, runner,
                                                                                tmp_path):
    text = HEADER + "".join(f"X{n:02d},Warga {n},rt,3171010001,1,{n + 1},,\n" for n in range(12))
    with app.app_context():
        world_with_roster(text)
        for n in range(12):
            lifecycle.deactivate(respondent(f"X{n:02d}"))
        db.session.commit()
    path = tmp_path / "roster.csv"
    path.write_text(text)
    result = runner.invoke(args=["skm", "import-respondents", "2027-Q1", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output == (
        "2027-Q1: 0 responden baru, 0 diperbarui, 12 tidak berubah; 0 undangan baru; 12 responden "
        "dalam berkas nonaktif dan tetap nonaktif, tanpa tautan yang berlaku ke putaran ini: X00, "
        "X01, X02, X03, X04, X05, X06, X07, X08, X09 dan 2 lainnya; untuk mengundang mereka, "
        "aktifkan kembali, lalu impor berkas ini lagi.\n")
