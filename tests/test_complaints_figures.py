"""Complaint figures pinned to hand-computed values (DOMAIN.md section 5, every rule once).

Round 2026-Q2: the quarter is 1 April 00:00 to 1 July 00:00 Jakarta time; the round closes on
5 July 12:00 WIB; deadline 7 days, so the complaints are judged at J = 1 July 00:00 + 7 days =
8 July 00:00 WIB (the round's close does not matter). Figures asked for on 1 August are as of J,
final. The complaints (times WIB unless an offset is written):

kelurahan 3171010001, lurah Budi until 15 May, Siti from 16 May:
  C1  reported 1 Apr 00:00 (= 31 Mar 17:00 UTC: Q2 in Jakarta), resolved 8 Apr 00:00: exactly
      7 days, in time; first response after 3 h
  C2  reported 10 Apr 08:00+07:00, resolved 17 Apr 08:01+07:00: one minute late; response 1.5 h
      (given as 02:30Z)
  C3  rejected (Ditolak); its response time is left out
  C4  reported 20 Jun 09:00, in progress: due 27 Jun, open and overdue at J
  C5  reported 30 Jun 23:00, waiting: due 7 Jul 23:00, before J: open and overdue at J; its first
      response (6 Jul 09:00, before J) after 5 days 10 h = 130 h
  C7  reported 25 Jun 10:00, resolved 8 Jul 10:00 (after J): open and overdue at J; response
      after 6 h
  C9  reported 2026-05-15T18:00:00Z = 16 May 01:00 WIB (Siti's first day in Jakarta, Budi's
      last in UTC), resolved 17 May 06:00: 29 h = 1.208333 days, in time; no response time
  C6  reported 31 Mar 23:59: previous quarter;  C8  reported 1 Jul 03:00+07:00: next quarter
kelurahan 3171010002, lurah Agus:
  C10 1 May 10:00 -> 3 May 10:00 (2 days), response 2 h;  C11 2 May 10:00 -> 6 May 22:00
      (4.5 days), response 1 h
kelurahan 3171020001, no lurah appointed: C12 1 Jun 08:00, waiting: overdue
units (reported at kelurahan 3171010001, so they are NOT the area heads' complaints):
  DBM C13 1 day, response 0.5 h;  DKI C15 the same;  DPK C14 2 days, response 0.5 h;  DXX none

lurah 3171010001: received 7, rejected 1, resolved 3 (C1, C2, C9), in time 2 (C1, C9),
  open overdue 3 (C4, C5, C7), rate 2/6 (6 complaints: enough to judge at the default minimum 5),
  median days of 1.208333, 7, 7.000694 = 7, hours of 1.5, 3, 6, 130 = (3 + 6) / 2 = 4.5
lurah 3171010002: 2 complaints: too few to judge (2 < 5)
camat 3171010 (C1-C5, C7, C9, C10, C11): received 9, rejected 1, resolved 5, in time 4,
  overdue 3, rate 4/8, median days of 1.2083, 2, 4.5, 7, 7.0007 = 4.5,
  hours of 1, 1.5, 2, 3, 6, 130 = (2 + 3) / 2 = 2.5
wali kota 3171 (those and C12): received 10, rejected 1, resolved 5, in time 4, overdue 4,
  rate 4/9, median days 4.5, hours 2.5
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from survey_app.domain import quarters, results
from survey_app.domain.complaint_figures import (
    ComplaintFigures,
    figures_by_official,
    figures_for_round,
    figures_table,
    rank_units,
)
from survey_app.domain.complaints import import_complaints, read_complaints
from survey_app.extensions import db
from survey_app.models import Complaint, Position, ResultSnapshot, Unit
from tests import factories
from tests.results_shape import document_of

NOW = datetime(2026, 8, 1, tzinfo=UTC)
J = "2026-07-08T00:00:00+07:00"  # the moment of judgment of 2026-Q2, as the figures say it
CLOSES = datetime(2026, 7, 5, 5, 0, tzinfo=UTC)  # 12:00 WIB

HEADER = factories.COMPLAINTS_HEADER
COMPLAINTS = HEADER + """\
C1,JAKI,Jalan,3171010001,,Selesai,2026-04-01 00:00,2026-04-01 03:00,2026-04-08 00:00
C2,JAKI,Jalan,3171010001,,resolved,2026-04-10T08:00:00+07:00,2026-04-10T02:30:00Z,2026-04-17T08:01:00+07:00
C3,SMS,Parkir,3171010001,,Ditolak,2026-04-12 10:00,2026-04-12 11:00,
C4,JAKI,Pohon,3171010001,,Proses,2026-06-20 09:00,,
C5,JAKI,Pohon,3171010001,,Menunggu,2026-06-30 23:00,2026-07-06 09:00,
C6,JAKI,Jalan,3171010001,,Selesai,2026-03-31 23:59,,2026-04-02 10:00
C7,JAKI,Jalan,3171010001,,Selesai,2026-06-25 10:00,2026-06-25 16:00,2026-07-08 10:00
C8,JAKI,Jalan,3171010001,,Proses,2026-07-01T03:00:00+07:00,,
C9,JAKI,Jalan,3171010001,,Selesai,2026-05-15T18:00:00Z,,2026-05-17 06:00
C10,JAKI,Jalan,3171010002,,Selesai,2026-05-01 10:00,2026-05-01 12:00,2026-05-03 10:00
C11,JAKI,Jalan,3171010002,,Selesai,2026-05-02 10:00,2026-05-02 11:00,2026-05-06 22:00
C12,JAKI,Jalan,3171020001,,Menunggu,2026-06-01 08:00,,
C13,JAKI,Jalan,3171010001,DBM,Selesai,2026-04-05 10:00,2026-04-05 10:30,2026-04-06 10:00
C14,JAKI,Taman,3171010001,DPK,Selesai,2026-04-05 10:00,2026-04-05 10:30,2026-04-07 10:00
C15,JAKI,Jalan,3171010001,DKI,Selesai,2026-04-05 10:00,2026-04-05 10:30,2026-04-06 10:00
"""


@pytest.fixture
def world(ctx):
    """The areas, units, officials and the round above, and the complaints imported."""
    areas = factories.small_tree()
    units = {code: Unit(code=code, name=f"Dinas {code}") for code in ("DBM", "DKI", "DPK", "DXX")}
    db.session.add_all(units.values())
    db.session.flush()
    people = {name: factories.official(f"1980{i:014d}", name) for i, name in enumerate(
        ["Budi", "Siti", "Agus", "Camat A", "Wali 1", "Wali 2", "Joko"])}
    pos = {
        "lurah1": factories.position("lurah", areas["3171010001"]),
        "lurah2": factories.position("lurah", areas["3171010002"]),
        "camat": factories.position("camat", areas["3171010"]),
        "walikota": factories.position("walikota", areas["3171"]),
        "DBM": factories.position("kepala_dinas", unit=units["DBM"]),
    }
    factories.appoint(people["Budi"], pos["lurah1"], date(2025, 1, 1), date(2026, 5, 15))
    factories.appoint(people["Siti"], pos["lurah1"], date(2026, 5, 16))
    factories.appoint(people["Agus"], pos["lurah2"], date(2025, 1, 1))
    factories.appoint(people["Camat A"], pos["camat"], date(2026, 1, 1))
    factories.appoint(people["Wali 1"], pos["walikota"], date(2024, 1, 1), date(2026, 4, 30))
    factories.appoint(people["Wali 2"], pos["walikota"], date(2026, 5, 1))
    factories.appoint(people["Joko"], pos["DBM"], date(2025, 1, 1))
    round_ = factories.round_("2026-Q2", state="closed", opens=datetime(2026, 6, 15, tzinfo=UTC),
                              closes=CLOSES, deadline_days=7)
    summary, _checked = import_complaints(read_complaints(COMPLAINTS.encode(), "c.csv"), now=NOW)
    assert summary.created == 15
    db.session.commit()
    # Positions created by the import: lurah of 3171020001, kepala dinas of DPK and DKI.
    for kind, area_code, unit_code in (("lurah", "3171020001", None), ("kepala_dinas", None, "DPK"),
                                       ("kepala_dinas", None, "DKI")):
        pos[unit_code or "lurah3"] = db.session.scalar(select(Position).where(
            Position.kind == kind,
            Position.area_id == areas[area_code].id if area_code else
            Position.unit_id == units[unit_code].id))
    return {"round": round_, "pos": pos, "people": people, "areas": areas}


def ids(world, *names):
    return tuple(world["pos"][n].id for n in names)


def test_quarter_is_jakarta_time():
    start, end = quarters.window("2026-Q2")
    assert start == datetime(2026, 3, 31, 17, tzinfo=UTC)
    assert end == datetime(2026, 6, 30, 17, tzinfo=UTC)
    assert quarters.window("2026-Q4")[1] == datetime(2026, 12, 31, 17, tzinfo=UTC)


def test_lurah_figures_cover_every_rule(world):
    figures = figures_for_round(world["round"], now=NOW)
    lurah = figures[world["pos"]["lurah1"].id]
    assert (lurah.received, lurah.rejected, lurah.resolved, lurah.resolved_in_time,
            lurah.open_overdue, lurah.deadline_days) == (7, 1, 3, 2, 3, 7)
    assert lurah.in_time_rate == pytest.approx(2 / 6)
    assert lurah.median_days_to_resolve == pytest.approx(7.0)
    assert lurah.median_hours_to_first_response == pytest.approx(4.5)
    assert (lurah.as_of, lurah.final, lurah.min_complaints, lurah.enough_to_judge) == (
        J, True, 5, True)


def test_second_lurah_even_count_medians(world):
    lurah = figures_for_round(world["round"], now=NOW)[world["pos"]["lurah2"].id]
    assert lurah == ComplaintFigures(received=2, rejected=0, resolved=2, resolved_in_time=2,
                                     in_time_rate=1.0, median_days_to_resolve=3.25,
                                     median_hours_to_first_response=1.5, open_overdue=0,
                                     deadline_days=7, min_complaints=5, enough_to_judge=False,
                                     as_of=J, final=True)


def test_position_without_official_and_only_an_overdue_complaint(world):
    lurah = figures_for_round(world["round"], now=NOW)[world["pos"]["lurah3"].id]
    assert (lurah.received, lurah.resolved, lurah.open_overdue,
            lurah.in_time_rate) == (1, 0, 1, 0.0)
    assert lurah.median_days_to_resolve is None and lurah.median_hours_to_first_response is None


def test_camat_and_walikota_cover_their_whole_area_but_not_unit_complaints(world):
    figures = figures_for_round(world["round"], now=NOW)
    camat, wali = figures[world["pos"]["camat"].id], figures[world["pos"]["walikota"].id]
    assert (camat.received, camat.rejected, camat.resolved, camat.resolved_in_time,
            camat.open_overdue) == (9, 1, 5, 4, 3)
    assert camat.in_time_rate == pytest.approx(4 / 8)
    assert camat.median_days_to_resolve == pytest.approx(4.5)
    assert camat.median_hours_to_first_response == pytest.approx(2.5)
    assert (wali.received, wali.rejected, wali.resolved, wali.resolved_in_time,
            wali.open_overdue) == (10, 1, 5, 4, 4)
    assert wali.in_time_rate == pytest.approx(4 / 9)
    assert wali.median_days_to_resolve == pytest.approx(4.5)
    assert wali.median_hours_to_first_response == pytest.approx(2.5)


def test_every_position_has_figures_even_without_complaints(world):
    figures = figures_for_round(world["round"], now=NOW)
    assert set(figures) == set(db.session.scalars(select(Position.id)))
    nothing = ComplaintFigures(deadline_days=7, min_complaints=5, as_of=J, final=True)
    assert figures[world["pos"]["DBM"].id] != nothing
    assert figures[world["pos"]["DBM"].id].as_dict() == {
        "received": 1, "rejected": 0, "resolved": 1, "resolved_in_time": 1, "in_time_rate": 1.0,
        "median_days_to_resolve": 1.0, "median_hours_to_first_response": 0.5, "open_overdue": 0,
        "deadline_days": 7, "min_complaints": 5, "enough_to_judge": False, "as_of": J,
        "final": True}


def test_the_round_deadline_applies(world):
    """With 14 days J is 1 July + 14 days = 15 July 00:00 WIB: C2 (7 days 1 minute) is in time,
    C7 is resolved by J (8 July, after 13 days: in time), C4 (due 4 Jul) and C5 (due 14 Jul
    23:00) are open and overdue at J: in time 4 (C1, C2, C7, C9) of 4 resolved + 2 overdue."""
    world["round"].deadline_days = 14
    lurah = figures_for_round(world["round"], now=NOW)[world["pos"]["lurah1"].id]
    assert (lurah.resolved, lurah.resolved_in_time, lurah.open_overdue, lurah.deadline_days) == (
        4, 4, 2, 14)
    assert lurah.in_time_rate == pytest.approx(4 / 6)
    assert lurah.as_of == "2026-07-15T00:00:00+07:00" and lurah.final


def test_figures_before_the_moment_of_judgment_are_measured_now_and_provisional(world):
    """On 22 June 12:00 WIB the cutoff is now: C4 is not yet due; rate 2/3 over 3 complaints,
    too few to judge; provisional. On 7 July 23:59 (round closed on 5 July, J not yet come) C5
    (due 7 July 23:00) and C4, C7 are overdue, but the figures are still provisional."""
    now = datetime(2026, 6, 22, 5, tzinfo=UTC)
    lurah = figures_for_round(world["round"], now=now)[world["pos"]["lurah1"].id]
    assert (lurah.resolved, lurah.resolved_in_time, lurah.open_overdue) == (3, 2, 0)
    assert lurah.in_time_rate == pytest.approx(2 / 3)
    assert (lurah.as_of, lurah.final, lurah.enough_to_judge) == (
        "2026-06-22T12:00:00+07:00", False, False)
    late = datetime(2026, 7, 7, 16, 59, tzinfo=UTC)
    lurah = figures_for_round(world["round"], now=late)[world["pos"]["lurah1"].id]
    assert (lurah.resolved, lurah.resolved_in_time, lurah.open_overdue) == (3, 2, 3)
    assert (lurah.as_of, lurah.final) == ("2026-07-07T23:59:00+07:00", False)
    at_j = figures_for_round(world["round"], now=datetime(2026, 7, 7, 17, tzinfo=UTC))
    assert at_j[world["pos"]["lurah1"].id] == figures_for_round(world["round"], now=NOW)[
        world["pos"]["lurah1"].id]


def test_rotation_mid_quarter_splits_figures_between_officials(world):
    by_official = figures_by_official(world["round"], now=NOW)
    people, pos = world["people"], world["pos"]
    budi = by_official[(pos["lurah1"].id, people["Budi"].id)]
    siti = by_official[(pos["lurah1"].id, people["Siti"].id)]
    assert (budi.received, budi.rejected, budi.resolved, budi.resolved_in_time, budi.open_overdue) \
        == (3, 1, 2, 1, 0)
    assert budi.in_time_rate == pytest.approx(0.5)
    assert budi.median_days_to_resolve == pytest.approx(7 + 1 / 2880)
    assert budi.median_hours_to_first_response == pytest.approx(2.25)
    # C9 was reported on 15 May in UTC but 16 May in Jakarta: Siti's.
    # Siti: C4, C5, C7, C9: resolved 1 (C9, in time), overdue at J 3 (C4, C5, C7): 1/4;
    # response hours of C7 6 and C5 130: (6 + 130) / 2 = 68.
    assert (siti.received, siti.resolved, siti.resolved_in_time, siti.open_overdue) == (4, 1, 1, 3)
    assert siti.in_time_rate == pytest.approx(1 / 4)
    assert siti.median_days_to_resolve == pytest.approx(29 / 24)
    assert siti.median_hours_to_first_response == pytest.approx(68.0)
    # The stored attribution says the same.
    c9 = db.session.scalar(select(Complaint).where(Complaint.external_id == "C9"))
    assert c9.official_id == people["Siti"].id
    # Roll-ups follow their own holders: the wali kota changed on 1 May.
    wali1 = by_official[(pos["walikota"].id, people["Wali 1"].id)]
    wali2 = by_official[(pos["walikota"].id, people["Wali 2"].id)]
    assert (wali1.received, wali1.resolved, wali1.resolved_in_time) == (3, 2, 1)
    # Wali 2 from 1 May: C4, C5, C7, C9, C10, C11, C12; overdue at J: C4, C5, C7, C12;
    # response hours 1 (C11), 2 (C10), 6 (C7), 130 (C5): (2 + 6) / 2 = 4.
    assert (wali2.received, wali2.rejected, wali2.resolved, wali2.resolved_in_time,
            wali2.open_overdue) == (7, 0, 3, 3, 4)
    assert wali2.median_days_to_resolve == pytest.approx(2.0)
    assert wali2.median_hours_to_first_response == pytest.approx(4.0)
    camat = by_official[(pos["camat"].id, people["Camat A"].id)]
    assert camat.received == 9
    # Nobody held lurah 3171020001: its complaint has no official.
    assert by_official[(pos["lurah3"].id, None)].received == 1


def test_units_with_too_few_complaints_to_judge_are_not_ranked(world):
    """DBM, DKI and DPK have one complaint each: fewer than the default minimum of 5."""
    ranking = rank_units(world["round"], now=NOW)
    assert [(u.rank, u.unit_code) for u in ranking] == [
        (None, "DBM"), (None, "DKI"), (None, "DPK"), (None, "DXX")]
    assert [u.figures.in_time_rate for u in ranking] == [1.0, 1.0, 1.0, None]


def test_units_ranked_by_in_time_rate_then_speed_ties_share_a_rank(world):
    """With a minimum of 1: DBM and DKI are equal (rate 1, first response 0.5 h, 1 day to
    resolve) and share rank 1; DPK (rate 1, 0.5 h, but 2 days) is third (competition ranks);
    DXX, without complaints, is not ranked."""
    world["round"].min_complaints = 1
    ranking = rank_units(world["round"], now=NOW)
    assert [(u.rank, u.unit_code) for u in ranking] == [
        (1, "DBM"), (1, "DKI"), (3, "DPK"), (None, "DXX")]
    assert ranking[2].figures.median_days_to_resolve == pytest.approx(2.0)


def test_figures_table_labels_positions(world):
    table = figures_table(world["round"], now=NOW)
    assert [(p.kind, p.code) for p in table][:3] == [
        ("walikota", "3171"), ("camat", "3171010"), ("lurah", "3171010001")]
    assert table[-1].kind == "kepala_dinas"


def test_another_round_sees_only_its_quarter(world):
    q1 = factories.round_("2026-Q1", state="closed", opens=datetime(2026, 3, 1, tzinfo=UTC),
                          closes=datetime(2026, 4, 10, tzinfo=UTC),
                          questionnaire=world["round"].questionnaire)
    figures = figures_for_round(q1, now=NOW)
    lurah = figures[world["pos"]["lurah1"].id]
    # Only C6 (31 Mar 23:59 WIB), resolved 2 Apr 10:00: 1 day 10 h 1 min.
    assert (lurah.received, lurah.resolved, lurah.resolved_in_time) == (1, 1, 1)
    assert lurah.median_days_to_resolve == pytest.approx(
        (timedelta(days=1, hours=10, minutes=1)) / timedelta(days=1))


def test_the_results_document_joins_the_figures_and_judges_each_official_on_their_own(world):
    """Lurah 3171010001 scores 100.00 from three RT heads who answered while Siti held the post
    (grade A). The post changed hands on 16 May, so each holder gets their own part (DOMAIN.md
    4a). Judged at J (8 Jul): Siti's complaints C4, C5, C7, C9 -> received 4, in time 1 (C9) of
    resolved 1 + overdue 3 = 1/4, over 4 complaints: too few to judge at the default minimum 5,
    so her composite is the IKM alone (100.00) and she is not failed; with a round minimum of 4
    the same 1/4 < 0.8 fails her (perhatian) and her composite is 0.7 x 100 + 0.3 x 25 = 77.50.
    Budi's part (C1 in time, C2 a minute late, C3 rejected: 1 of 2) is among the earlier holders,
    too few to judge either way. The post's whole figures (7 received, in time 2 of 6) stay
    beside them."""

    for _ in range(3):
        factories.response(world["round"], world["pos"]["lurah1"], "rt",
                           {f"U{i}": 4 for i in range(1, 10)}, area_=world["areas"]["3171010001"],
                           official=world["people"]["Siti"])
    db.session.flush()
    document = document_of(world["round"], now=NOW)
    assert document["settings"]["min_complaints"] == 5
    entries = {e["position_id"]: e for e in document["positions"]}
    lurah = entries[world["pos"]["lurah1"].id]
    assert lurah["ikm"] == 100.0 and lurah["official"]["name"] == "Siti"
    assert lurah["complaints"]["received"] == 4
    assert lurah["complaints"]["in_time_rate"] == pytest.approx(1 / 4)
    assert (lurah["complaints"]["as_of"], lurah["complaints"]["final"]) == (J, True)
    assert lurah["complaints"]["enough_to_judge"] is False
    assert lurah["post_complaints"]["received"] == 7
    assert lurah["post_complaints"]["in_time_rate"] == pytest.approx(1 / 3)
    assert (lurah["composite"], lurah["composite_basis"]) == (100.0, "survey")
    assert lurah["failed"] is False and lurah["sanction_level"] == "none"
    budi, = [e for e in document["earlier_holders"] if e["position_id"] == lurah["position_id"]]
    assert budi["official"]["name"] == "Budi" and budi["ikm"] is None
    assert (budi["complaints"]["received"], budi["complaints"]["in_time_rate"]) == (3, 0.5)
    assert budi["failed"] is None  # 2 complaints: too few to judge, and no survey
    # Agus's post did not change hands; 2 complaints, all in time: too few to judge, no survey
    agus = entries[world["pos"]["lurah2"].id]
    assert "official_complaints" not in agus and agus["failed"] is None
    assert agus["ikm"] is None and agus["composite"] is None and agus["composite_basis"] is None
    # a kepala dinas with one complaint: too few to judge, so no composite and no rank
    dinas = entries[world["pos"]["DBM"].id]
    assert dinas["position"] == "kepala_dinas" and dinas["unit_code"] == "DBM"
    assert dinas["ikm"] is None and dinas["composite"] is None
    assert (dinas["rank"], dinas["peers"]) == (None, 0)

    world["round"].min_complaints = 4
    document = document_of(world["round"], now=NOW)
    entries = {e["position_id"]: e for e in document["positions"]}
    lurah = entries[world["pos"]["lurah1"].id]
    assert lurah["complaints"]["enough_to_judge"] is True
    assert lurah["failed"] is True and lurah["sanction_level"] == "perhatian"
    assert lurah["composite"] == pytest.approx(0.7 * 100 + 0.3 * 25)


def test_a_post_with_too_few_complaints_gets_the_survey_part_alone(world):
    """Lurah 3171010002 (Agus): three RT heads answer 3 everywhere: IKM 75.00 (grade C, a failing
    grade). Its 2 complaints, both in time (rate 1.0), are too few to judge at the minimum 5: the
    composite is the IKM alone, 75.00, not 0.7 x 75 + 0.3 x 100 = 82.50. With a minimum of 2
    they count: 82.50 from both parts."""

    for _ in range(3):
        factories.response(world["round"], world["pos"]["lurah2"], "rt",
                           {f"U{i}": 3 for i in range(1, 10)}, area_=world["areas"]["3171010002"])
    db.session.flush()
    pid = world["pos"]["lurah2"].id
    agus = next(e for e in document_of(world["round"], now=NOW)["positions"]
                if e["position_id"] == pid)
    assert (agus["ikm"], agus["grade"]) == (75.0, "C")
    assert agus["complaints"]["in_time_rate"] == 1.0
    assert (agus["composite"], agus["composite_basis"]) == (75.0, "survey")
    world["round"].min_complaints = 2
    agus = next(e for e in document_of(world["round"], now=NOW)["positions"]
                if e["position_id"] == pid)
    assert agus["composite"] == pytest.approx(82.5)
    assert agus["composite_basis"] == "survey+complaints"


def test_the_kepala_dinas_rank_is_the_one_unit_ranking(world, runner):
    """With a minimum of 1 the results document ranks DBM 1, DKI 1, DPK 3 of 3, as rank_units
    and `skm complaints` do (DBM and DKI: rate 1, 0.5 h, 1 day; DPK: rate 1, 0.5 h, 2 days); a
    kepala dinas is judged on complaints alone: composite = the rate x 100 = 100.00."""

    world["round"].min_complaints = 1
    db.session.commit()
    document = document_of(world["round"], now=NOW)
    dinas = {e["unit_code"]: e for e in document["positions"] if e["tier"] == "kepala_dinas"}
    assert {code: (e["rank"], e["peers"]) for code, e in dinas.items()} == {
        "DBM": (1, 3), "DKI": (1, 3), "DPK": (3, 3)}
    assert {code: (e["composite"], e["composite_basis"]) for code, e in dinas.items()} == {
        code: (100.0, "complaints") for code in ("DBM", "DKI", "DPK")}
    units = {u.unit_code: u.rank for u in rank_units(world["round"], now=NOW)}
    assert units == {"DBM": 1, "DKI": 1, "DPK": 3, "DXX": None}
    printed = runner.invoke(args=["skm", "complaints", "2026-Q2"])
    assert printed.exit_code == 0, printed.output
    rows = printed.output.split("\n")
    ranking = rows[next(i for i, line in enumerate(rows) if line.startswith("Unit menurut")):]
    ranks = {line.split()[1]: line.split()[0] for line in ranking[2:] if line.strip()}
    assert ranks == {"DBM": "1", "DKI": "1", "DPK": "3", "DXX": "-"}


LATE_QUARTER = HEADER + """\
K1,JAKI,Jalan,3171010002,,Selesai,2026-09-28 10:00,,2026-10-03 10:00
K2,JAKI,Jalan,3171010002,,Proses,2026-09-29 09:00,,
K3,JAKI,Jalan,3171010002,,Menunggu,2026-09-30 20:00,,
K4,JAKI,Jalan,3171010002,,Ditolak,2026-09-30 21:00,,
K5,JAKI,Jalan,3171010002,,Selesai,2026-07-10 10:00,,2026-07-20 10:00
K6,JAKI,Jalan,3171010002,,Selesai,2026-08-01 10:00,,2026-08-02 10:00
"""


def test_complaints_of_the_last_week_are_judged_after_an_early_close(world):
    """Round 2026-Q3 closed early, on 15 September. J = 1 October 00:00 + 7 days = 8 October
    00:00 WIB. K1, reported 28 Sep 10:00 and resolved 3 Oct 10:00 (5 days), is in time; at the
    close it had not even been resolved: measured at the close it would be received but never
    judged. At J every complaint not rejected is in the denominator: K1, K5 (10 days: late), K6
    (1 day) resolved, K2 (due 6 Oct 09:00) and K3 (due 7 Oct 20:00) open and overdue: in time
    2 (K1, K6) of 5, over 5 complaints: enough to judge. K4 is rejected.
    On 2 October 12:00 (before J) the figures are provisional: K1 is not yet resolved, K2 and K3
    not yet due: in time 1 (K6) of 2 (K5, K6)."""
    q3 = factories.round_("2026-Q3", state="closed", opens=datetime(2026, 9, 1, tzinfo=UTC),
                          closes=datetime(2026, 9, 15, tzinfo=UTC),
                          questionnaire=world["round"].questionnaire)
    import_complaints(read_complaints(LATE_QUARTER.encode(), "k.csv"),
                      now=datetime(2026, 10, 9, tzinfo=UTC))
    pid = world["pos"]["lurah2"].id
    final = figures_for_round(q3, now=datetime(2026, 10, 20, tzinfo=UTC))[pid]
    assert (final.received, final.rejected, final.resolved, final.resolved_in_time,
            final.open_overdue) == (6, 1, 3, 2, 2)
    assert final.resolved + final.open_overdue == final.received - final.rejected
    assert final.in_time_rate == pytest.approx(2 / 5) and final.enough_to_judge
    assert (final.as_of, final.final) == ("2026-10-08T00:00:00+07:00", True)
    early = figures_for_round(q3, now=datetime(2026, 10, 2, 5, tzinfo=UTC))[pid]
    assert (early.resolved, early.resolved_in_time, early.open_overdue) == (2, 1, 0)
    assert early.in_time_rate == pytest.approx(1 / 2) and not early.enough_to_judge
    assert (early.as_of, early.final) == ("2026-10-02T12:00:00+07:00", False)


def test_figures_by_official_of_some_positions_are_those_of_all(world):
    """Asked for two posts only (the lurah that changed hands and the wali kota, a head whose
    complaints come through the kelurahan), the figures are exactly those of the full table."""
    everything = figures_by_official(world["round"], now=NOW)
    wanted = {world["pos"]["lurah1"].id, world["pos"]["walikota"].id}
    some = figures_by_official(world["round"], now=NOW, positions=wanted)
    assert some == {key: f for key, f in everything.items() if key[0] in wanted}
    assert {key[0] for key in some} == wanted
    assert figures_by_official(world["round"], now=NOW, positions=set()) == {}


# --- what invalidates stored results, and the complaint pages reading them ----------------------

def test_a_complaint_import_changes_only_its_own_quarters_results(world):
    """2026-Q2's fingerprint moves with a complaint of its quarter (reported 30 June WIB), not
    with one of the quarter before or after (31 March, 1 July WIB), nor with a later round."""
    round_ = world["round"]
    before = results.fingerprint(round_)

    def complaint(cid: str, reported: str) -> None:
        csv = HEADER + f"{cid},JAKI,Jalan,3171010001,,Menunggu,{reported},,\n"
        import_complaints(read_complaints(csv.encode(), "c.csv"))
        db.session.flush()

    complaint("N1", "2026-03-31 23:59")
    complaint("N2", "2026-07-01 00:00")
    factories.round_("2026-Q3", state="open", questionnaire=round_.questionnaire)
    assert results.fingerprint(round_) == before
    complaint("N3", "2026-06-30 23:59")
    assert results.fingerprint(round_) != before


def test_the_complaint_figures_page_reads_the_round_results(world):
    """The same figures as aggregating the quarter's complaints now (the round is final), for
    every position, those without complaints included."""
    round_ = world["round"]
    assert results.complaint_figures_of(round_) == figures_for_round(round_)
    db.session.commit()
    assert db.session.get(ResultSnapshot, round_.id) is not None  # stored, read back next time
    assert results.complaint_figures_of(round_) == figures_for_round(round_)
