"""A response carries the group and area its link was made for (invitations.group, area_id),
never the respondent's group or area of today: a roster re-import during an open round may move
a respondent, but their link keeps rating their old area's posts, and a form stored with the new
area next to them would be theirs alone (docs/anonymity.md). Before the round opens, a move
remakes the link for the new area (the same link, new positions)."""
from __future__ import annotations

from sqlalchemy import select

from survey_app.domain import holding, responses, roster
from survey_app.domain.roster import read_roster
from survey_app.extensions import db
from survey_app.models import Area, Invitation, Respondent, Response
from tests.respondent_setup import ROSTER, load_roster, token_of, world, world_with_roster
from tests.test_paper_and_rates import HEADER as PAPER_HEADER
from tests.test_paper_and_rates import load as load_paper
from tests.test_paper_and_rates import row as paper_row
from tests.test_respond import answer
from tests.test_roster import rated

R1_ROW = "R1,Budi Santoso,rt,3171010001,1,2,0812-3456-7890,"
R1_RATES = [("lurah", "3171010001"), ("camat", "3171010"), ("walikota", "3171")]
MOVED_R1 = ("1 responden dalam berkas pindah ke kelompok atau wilayah lain selagi tautannya ke "
            "putaran 2027-Q1, yang sedang dibuka, masih aktif: R1. Tautan itu tetap menilai "
            "jabatan yang ditetapkan saat tautan dibuat, dan jawabannya di sana disimpan dengan "
            "kelompok dan wilayah saat tautan dibuat; kepindahan berlaku mulai putaran "
            "berikutnya. Jika orangnya berganti (ketua RT baru), gantikan respondennya: pengganti "
            "mendapat tautan sendiri.")


def made_for(ref: str) -> tuple[str, str]:
    """The group and area code the invitation of ``ref`` was made for."""
    return tuple(db.session.execute(
        select(Invitation.group, Area.code).join(Area, Area.id == Invitation.area_id)
        .join(Respondent, Respondent.id == Invitation.respondent_id)
        .where(Respondent.ref == ref)).one())


def stored() -> list[tuple[str, str, str]]:
    """Every response (held ones released first) as (group, area code, position id), sorted."""
    holding.release_held()
    db.session.commit()
    return sorted(db.session.execute(
        select(Response.group, Area.code, Response.position_id)
        .join(Area, Area.id == Response.area_id)).tuples().all())


def test_a_respondent_moved_during_the_round_answers_as_one_of_their_old_area(app, client):
    """R1 (rt, 3171010001) is moved to 3171020001 mid-round: the import updates them (the
    roster says 3171020001), the link stays theirs and rates 3171010001's posts, and the three
    forms are stored with rt and 3171010001, like any other RT head's of that kelurahan."""
    with app.app_context():
        round_ = world_with_roster()
        token = token_of("R1")
        moved = ROSTER.replace(R1_ROW, R1_ROW.replace("3171010001", "3171020001"))
        # the preview says so before anything is saved, naming R1 and the open round
        preview = roster.plan(round_, read_roster(moved.encode(), "roster.csv"))
        db.session.rollback()
        assert preview.moved_refs() == ["R1"]
        assert preview.moved_notice() == MOVED_R1
        summary = load_roster(round_, moved)
        db.session.commit()
        assert (summary.created, summary.updated, summary.unchanged) == (0, 1, 3)
        assert str(summary).endswith("; " + MOVED_R1)
        assert db.session.scalar(select(Area.code).join(Respondent).where(
            Respondent.ref == "R1")) == "3171020001"
        assert token_of("R1") == token
        assert made_for("R1") == ("rt", "3171010001")
        assert rated("R1") == R1_RATES
    assert answer(client, "/s/" + token, positions=3)[0].status_code == 303
    with app.app_context():
        assert [(g, code) for g, code, _pid in stored()] == [("rt", "3171010001")] * 3


def test_a_name_change_during_the_round_is_taken_and_changes_nothing_else(app, client):
    with app.app_context():
        round_ = world_with_roster()
        token = token_of("R1")
        summary = load_roster(round_, ROSTER.replace("Budi Santoso", "Budi Santosa"))
        db.session.commit()
        assert (summary.updated, summary.unchanged) == (1, 3)
        assert summary.moved == [] and summary.moved_notice() == ""  # a name is no move
        assert db.session.scalar(select(Respondent.name).where(
            Respondent.ref == "R1")) == "Budi Santosa"
        assert (token_of("R1"), made_for("R1"), rated("R1")) == (token, ("rt", "3171010001"),
                                                                 R1_RATES)
    assert answer(client, "/s/" + token, positions=1)[0].status_code == 303
    with app.app_context():
        assert [(g, code) for g, code, _pid in stored()] == [("rt", "3171010001")]


def test_a_group_change_during_the_round_keeps_the_links_group_for_paper_forms_and_rates(ctx):
    """R2 (rw, 3171010001) becomes a tokoh mid-round: a paper form of theirs is stored as rw's,
    and the response rates still count them with the RW heads (where their forms are)."""
    _areas, round_ = world()
    load_roster(round_)
    db.session.commit()
    r2 = "R2,Siti Aminah,rw,3171010001"
    load_roster(round_, ROSTER.replace(r2, r2.replace(",rw,", ",tokoh,")))
    db.session.commit()
    assert db.session.scalar(select(Respondent.group).where(Respondent.ref == "R2")) == "tokoh"
    assert made_for("R2") == ("rw", "3171010001")
    load_paper(round_, PAPER_HEADER + paper_row("R2", "lurah", "3171010001"))
    db.session.commit()
    assert [(g, code) for g, code, _pid in stored()] == [("rw", "3171010001")]
    rates = responses.response_rates(round_)
    assert [(r.key, r.invited, r.responded) for r in rates.by_group] == [
        ("rt", 1, 0), ("rw", 1, 1), ("lmk", 1, 0), ("fkdm", 1, 0)]


def test_before_the_round_opens_a_move_remakes_the_link_for_the_new_group_and_area(ctx):
    """In a draft round the same link is made again: R1 moved to 3171020001 rates that
    kelurahan's lurah and camat; R2 turned tokoh (same posts) is a tokoh's link."""
    _areas, round_ = world(state="draft")
    load_roster(round_)
    db.session.commit()
    token = token_of("R1")
    moved = ROSTER.replace(R1_ROW, R1_ROW.replace("3171010001", "3171020001"))
    r2 = "R2,Siti Aminah,rw,3171010001"
    load_roster(round_, moved.replace(r2, r2.replace(",rw,", ",tokoh,")))
    db.session.commit()
    assert token_of("R1") == token
    assert made_for("R1") == ("rt", "3171020001")
    assert rated("R1") == [("lurah", "3171020001"), ("camat", "3171020"), ("walikota", "3171")]
    assert made_for("R2") == ("tokoh", "3171010001")
    assert rated("R2") == R1_RATES
