"""An outside examiner's audit of the figures against DOMAIN.md: small scenarios built through the
real database, every expected value computed by hand from DOMAIN.md's wording (the arithmetic is
in the comments), not read back from the code. Boundaries on purpose: a score exactly on a grade
bound, a complaint resolved exactly 7 days later and one second later, a report at 23:59 and at
00:00 WIB on a rotation day, a group with exactly the minimum, a quarter's edge in WIB against
UTC.

Tests marked xfail(strict=True) pin a rule the code is believed to break (the reason says how);
they start passing, and so fail as XPASS, once it is mended.
"""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from scipy import stats

from reports import fmt
from survey_app.domain import cards, ikm, results
from survey_app.domain.complaint_figures import (
    figures_by_official,
    figures_for_round,
    judgment_moment,
)
from survey_app.domain.complaints import import_complaints, read_complaints
from survey_app.domain.priorities import element_names
from survey_app.extensions import db
from tests import factories
from tests.results_shape import document_of

U = [f"U{i}" for i in range(1, 10)]
AFTER = datetime(2029, 1, 1, tzinfo=UTC)  # every round here is over and judged by then


def quarter_round(code: str, **settings):
    """A closed round of quarter ``code`` on the regulation's questionnaire, open from the 5th
    to the 25th of the quarter's second month."""
    year, q = int(code[:4]), int(code[-1])
    month = 3 * q - 1
    return factories.round_(code, state="closed", opens=datetime(year, month, 5, tzinfo=UTC),
                            closes=datetime(year, month, 25, tzinfo=UTC),
                            questionnaire=factories.regulation_questionnaire(), **settings)


def forms(round_, post, group: str, value: int | None, n: int, official=None,
          comment: str | None = None) -> None:
    """``n`` forms of ``group`` answering ``value`` to all nine elements (None: all blank)."""
    for _ in range(n):
        factories.response(round_, post, group, {c: value for c in U}, official=official,
                           comment=comment)


def entry_of(document: dict, post) -> dict:
    return next(p for p in document["positions"] if p["position_id"] == post.id)


# --- 1. The grade of the IKM, on and around every bound (DOMAIN.md section 3) -------------------
#
# "Grade the IKM as it is printed, rounded half up to 2 decimals, with >= lower bounds (A from
# 88.31, B from 76.61, C from 65.00, else D): 88.3075 prints 88.31 and is an A."
#
# Scenario: one lurah, 3 RT heads answering 4 to everything and 3 LMK members answering 3 (or 3
# and 2), group weights rt = w, lmk = 1 - w (the round's setting, written as decimals). Each
# element's NRR = w x 4 + (1 - w) x 3 = 3 + w, so the index is 3 + w and IKM = 25 x (3 + w) =
# 75 + 25 w exactly; with 3 and 2: IKM = 50 + 25 w.

GRADE_CASES = [
    # (rt answers, lmk answers, w, exact IKM, printed, grade, kinerja)
    (4, 3, "0.532", 88.30, "88.30", "B", "Baik"),          # 75 + 13.3
    (4, 3, "0.5321", 88.3025, "88.30", "B", "Baik"),       # 75 + 13.3025
    (4, 3, "0.5322", 88.305, "88.31", "A", "Sangat baik"),  # half up: 88.305 -> 88.31
    (4, 3, "0.5323", 88.3075, "88.31", "A", "Sangat baik"),  # DOMAIN.md's own example
    (4, 3, "0.5324", 88.31, "88.31", "A", "Sangat baik"),   # exactly on A's bound
    (4, 3, "0.064", 76.60, "76.60", "C", "Kurang baik"),    # 75 + 1.6
    (4, 3, "0.0642", 76.605, "76.61", "B", "Baik"),         # 75 + 1.605, half up
    (4, 3, "0.0644", 76.61, "76.61", "B", "Baik"),          # exactly on B's bound
    (3, 2, "0.6", 65.00, "65.00", "C", "Kurang baik"),      # 50 + 15: exactly C's bound
    (3, 2, "0.5998", 64.995, "65.00", "C", "Kurang baik"),  # 50 + 14.995, half up
    (3, 2, "0.5997", 64.9925, "64.99", "D", "Tidak baik"),  # 50 + 14.9925
    (3, 2, "0.5996", 64.99, "64.99", "D", "Tidak baik"),    # 50 + 14.99
]


@pytest.mark.parametrize("high, low, w, exact, printed, letter, kinerja", GRADE_CASES)
def test_the_grade_is_that_of_the_printed_ikm_on_every_bound(ctx, high, low, w, exact, printed,
                                                              letter, kinerja):
    from decimal import Decimal

    areas = factories.small_tree()
    post = factories.position("lurah", areas["3171010001"])
    other = str(1 - Decimal(w))
    round_ = quarter_round("2027-Q1", group_weights={"rt": float(w), "lmk": float(other)})
    forms(round_, post, "rt", high, 3)
    forms(round_, post, "lmk", low, 3)
    db.session.flush()
    document = results.results_document(round_, AFTER)
    entry = next(p for p in document.positions if p.position_id == post.id)
    assert entry.ikm == pytest.approx(exact, abs=1e-9)
    assert (entry.grade, entry.category) == (letter, kinerja)
    # the report card prints the same number beside the same letter
    card = cards.card_data(entry, document, names=element_names(round_), rated=True,
                           comments=[], published=False, lang="en")
    assert fmt.number(card.ikm, "en") == printed and card.grade == letter


def test_every_answer_3_is_75_grade_c_and_the_worked_weight_is_exactly_one_ninth(ctx):
    """DOMAIN.md: all 3s give IKM 75.00, grade C "Kurang baik". And with 9 elements of 1/9 each,
    one respondent answering 4 to U1..U8 and 1 to U9 scores 25 x (32 + 1) / 9 = 91.666...:
    with a weight of 0.11 it would read 25 x 0.11 x 33 = 90.75."""
    areas = factories.small_tree()
    one = factories.position("lurah", areas["3171010001"])
    two = factories.position("lurah", areas["3171010002"])
    round_ = quarter_round("2027-Q1")
    forms(round_, one, "rw", 3, 3)
    for _ in range(3):
        factories.response(round_, two, "rw", {**{c: 4 for c in U[:8]}, "U9": 1})
    db.session.flush()
    document = document_of(round_, AFTER)
    assert (entry_of(document, one)["ikm"], entry_of(document, one)["grade"],
            entry_of(document, one)["category"]) == (75.0, "C", "Kurang baik")
    assert entry_of(document, two)["ikm"] == pytest.approx(25 * 33 / 9, abs=1e-12)  # 91.67
    assert ikm.shown(entry_of(document, two)["ikm"]) == 91.67


# --- 2. Group weighting, renormalised over the groups with answers (DOMAIN.md section 4) --------

def test_weights_are_renormalised_over_the_groups_that_have_answers(ctx):
    """Default weights rt .25, rw .25, lmk .20, fkdm .15, tokoh .15. RT heads were invited and
    none answered; 3 RW heads answer 2 everywhere; 4 tokoh answer 4; 3 FKDM members sent forms
    with every answer blank (a group without answers). Renormalised over rw and tokoh:
    rw .25 / .40 = 0.625, tokoh .15 / .40 = 0.375; index = 0.625 x 2 + 0.375 x 4 = 2.75;
    IKM = 68.75, grade C. Only the 7 respondents of the groups that enter the score count."""
    areas = factories.small_tree()
    post = factories.position("lurah", areas["3171010001"])
    round_ = quarter_round("2027-Q1")
    factories.invite(round_, post, "rt", 5)
    forms(round_, post, "rw", 2, 3)
    forms(round_, post, "tokoh", 4, 4)
    forms(round_, post, "fkdm", None, 3)
    db.session.flush()
    entry = entry_of(document_of(round_, AFTER), post)
    assert entry["weights_used"] == {"rw": pytest.approx(0.625), "tokoh": pytest.approx(0.375)}
    assert entry["index"] == 2.75 and entry["ikm"] == 68.75 and entry["grade"] == "C"
    assert entry["respondents"] == 7
    assert entry["groups"]["rw"] == {"n": 3, "mean": 2.0}
    assert entry["groups"]["tokoh"] == {"n": 4, "mean": 4.0}


def test_an_element_nobody_in_a_group_answered_is_that_of_the_groups_that_did(ctx):
    """3 RT heads answer 4 everywhere; 3 LMK members answer 2 to U1..U8 and leave U9 blank.
    Read as NRR per element across the groups that answered it (blanks left out, DOMAIN.md 3
    and 4): U1..U8 = (.25 x 4 + .20 x 2) / .45 = 1.4 / .45 = 28/9; U9 = RT's alone = 4.
    Index = (8 x 28/9 + 4) / 9 = 260/81; IKM = 6500/81 = 80.2469..., grade B. (Combining the
    two groups' own indexes instead would give (.25 x 4 + .20 x 2) / .45 x 25 = 77.78.)"""
    areas = factories.small_tree()
    post = factories.position("lurah", areas["3171010001"])
    round_ = quarter_round("2027-Q1")
    forms(round_, post, "rt", 4, 3)
    for _ in range(3):
        factories.response(round_, post, "lmk", {**{c: 2 for c in U[:8]}, "U9": None})
    db.session.flush()
    entry = entry_of(document_of(round_, AFTER), post)
    assert entry["elements"]["U1"] == pytest.approx(28 / 9) and entry["elements"]["U9"] == 4.0
    assert entry["ikm"] == pytest.approx(6500 / 81, abs=1e-12)
    assert ikm.shown(entry["ikm"]) == 80.25 and entry["grade"] == "B"
    assert entry["groups"]["lmk"]["mean"] == 2.0  # the group's own mean, over what it answered


def test_weights_proportional_to_group_sizes_give_the_regulations_pooled_ikm(ctx):
    """DOMAIN.md 4: "with weights proportional to group sizes the result is exactly the
    regulation's IKM". 5 RT heads answer 3, 3 LMK members answer 4; weights rt 5, lmk 3.
    Pooled: 25 x (5 x 27 + 3 x 36) / (8 x 9) = 25 x 243 / 72 = 84.375 (prints 84.38, B)."""
    areas = factories.small_tree()
    post = factories.position("lurah", areas["3171010001"])
    round_ = quarter_round("2027-Q1", group_weights={"rt": 5, "lmk": 3})
    forms(round_, post, "rt", 3, 5)
    forms(round_, post, "lmk", 4, 3)
    db.session.flush()
    entry = entry_of(document_of(round_, AFTER), post)
    assert entry["ikm"] == 84.375 and ikm.shown(entry["ikm"]) == 84.38 and entry["grade"] == "B"


@pytest.mark.parametrize("min_group, rt, lmk, expected", [
    # default minimum 3, both groups exactly at it: (.25 x 4 + .20 x 2) / .45 = 28/9 -> 77.78
    (3, 3, 3, 25 * 28 / 9),
    # minimum 4: RT with exactly 4 counts alone (IKM 100); LMK's 3 forms of 2 are out
    (4, 4, 3, 100.0),
    # minimum 4, neither group reaches it: no score at all ("not enough responses"), not zero
    (4, 3, 3, None),
])
def test_a_group_with_exactly_the_minimum_counts_and_one_below_does_not(ctx, min_group, rt, lmk,
                                                                        expected):
    areas = factories.small_tree()
    post = factories.position("lurah", areas["3171010001"])
    round_ = quarter_round("2027-Q1", min_group=min_group)
    forms(round_, post, "rt", 4, rt, comment="rt says")
    forms(round_, post, "lmk", 2, lmk, comment="lmk says")
    db.session.flush()
    document = results.results_document(round_, AFTER)
    entry = next(p for p in document.positions if p.position_id == post.id)
    if expected is None:
        assert entry.ikm is None and entry.grade is None and entry.respondents == 0
        assert set(entry.groups_left_out) == {"rt", "lmk"}
    else:
        assert entry.ikm == pytest.approx(expected, abs=1e-12)
    counting = {g for g, n in (("rt", rt), ("lmk", lmk)) if n >= min_group}
    assert {g for g, f in entry.groups.items() if f is not None} == counting
    # its comments go with its score (DOMAIN.md 4: "its comments AND its score")
    shown = cards.comments_by_position(round_, [entry])[post.id]
    assert sorted(set(shown)) == sorted(f"{g} says" for g in counting)


# --- 3. The required sample, and what "below the minimum" does (DOMAIN.md section 3) -----------

def test_the_required_sample_is_rounded_to_the_nearest_and_below_it_nothing_ranks_or_fails(ctx):
    """S = 0.96025 N / (0.0025 (N - 1) + 0.96025):
    N = 30: 28.8075 / 1.03275 = 27.894 -> 28 (rounded down it would be 27);
    N = 50: 48.0125 / 1.08275 = 44.343 -> 44 (rounded up it would be 45).
    Post A: 30 invited, 27 answer 4 (IKM 100): below the minimum: shown, not ranked.
    Post B: 50 invited, 44 answer 2 (IKM 50, D): meets it: ranked, and failed (perhatian).
    Post C: 30 invited, 28 answer 3 (IKM 75, C): meets it: ranked, failed.
    Ranks among the posts that meet the sample: C 1, B 2, of 2 peers; A, the highest, none."""
    areas = factories.small_tree()
    a, b, c = (factories.position("lurah", areas[code])
               for code in ("3171010001", "3171010002", "3171020001"))
    for n, post in enumerate((a, b, c)):
        factories.appoint(factories.official(f"70{n}"), post, date(2026, 1, 1))
    round_ = quarter_round("2027-Q1")
    for post, invited, answered, value in ((a, 30, 27, 4), (b, 50, 44, 2), (c, 30, 28, 3)):
        factories.invite(round_, post, "rt", invited)
        forms(round_, post, "rt", value, answered)
    db.session.flush()
    document = document_of(round_, AFTER)
    got = {name: entry_of(document, post) for name, post in (("a", a), ("b", b), ("c", c))}
    assert {k: (e["required_sample"], e["meets_required_sample"]) for k, e in got.items()} == {
        "a": (28, False), "b": (44, True), "c": (28, True)}
    assert {k: (e["rank"], e["peers"]) for k, e in got.items()} == {
        "a": (None, 2), "b": (2, 2), "c": (1, 2)}
    assert (got["a"]["ikm"], got["a"]["grade"], got["a"]["failed"]) == (100.0, "A", None)
    assert (got["b"]["failed"], got["b"]["sanction_level"]) == (True, "perhatian")
    assert (got["c"]["failed"], got["c"]["sanction_level"]) == (True, "perhatian")


# --- 4. Complaints (DOMAIN.md section 5) --------------------------------------------------------
#
# Round 2027-Q1: the quarter is 1 January 00:00 to 1 April 00:00 WIB; J = 1 April + 7 days =
# 8 April 2027 00:00 WIB (= 7 April 17:00 UTC). Times are WIB unless an offset is written.
# Kelurahan 3171010002, lurah Agus for the whole quarter:
#   A1 1 Feb 10:00 -> 8 Feb 10:00:00       exactly 7 days: in time
#   A2 1 Feb 10:00 -> 8 Feb 10:00:01       7 days and one second: late
#   A3 2 Feb 10:00:00.000 -> 9 Feb 10:00:00.001  one millisecond late: late
#   A4 3 Feb 10:00, Ditolak, closed 25 Feb: counted apart, in no rate, median or overdue
#   A5 31 Mar 23:59:59 (the quarter's last second), Proses: due 7 Apr 23:59:59, one second
#      before J: open and overdue at J
#   A6 1 Apr 00:00: the next quarter;  A7 31 Dec 2026 23:59:59: the quarter before
#   A8 2026-12-31T17:00:00Z = 1 Jan 2027 00:00 WIB (Q1 in Jakarta, still 2026 in UTC) ->
#      2 Jan 05:00: 29 hours, in time
# Agus at J: received 6 (A1-A5, A8), rejected 1, resolved 4 (A1, A2, A3, A8), in time 2 (A1, A8),
# open overdue 1 (A5): rate 2 / (4 + 1) = 0.4 over 5 complaints: exactly the default minimum 5,
# enough to judge; 0.4 < 0.8 fails him. Median days over the 4 resolved: 29/24, 7 d, 7 d + 1 ms,
# 7 d + 1 s: the middle two are 7 d and 7 d + 1 ms: 7 d + 0.5 ms.
# One second before J (7 Apr 23:59:59): A5 is exactly at its deadline, not yet past it: open,
# not overdue, left out: rate 2/4 = 0.5 over 4 complaints: too few to judge (provisional).
# Kelurahan 3171010001, lurah Budi until 14 Feb 2027, Siti from 15 Feb (the rotation day):
#   B1 14 Feb 23:59 WIB (Budi);  B2 15 Feb 00:00 WIB = 14 Feb 17:00 UTC (Siti's: Jakarta day)
#   B3 2027-02-14T16:59:59Z = 14 Feb 23:59:59 WIB (Budi)
#   B4 2027-02-14T23:30:00Z = 15 Feb 06:30 WIB (Siti)
#   each resolved a day later: in time.

COMPLAINTS = factories.COMPLAINTS_HEADER + """\
A1,JAKI,Jalan,3171010002,,Selesai,2027-02-01 10:00:00,,2027-02-08 10:00:00
A2,JAKI,Jalan,3171010002,,Selesai,2027-02-01 10:00:00,,2027-02-08 10:00:01
A3,JAKI,Jalan,3171010002,,Selesai,2027-02-02T10:00:00.000+07:00,,2027-02-09T10:00:00.001+07:00
A4,JAKI,Jalan,3171010002,,Ditolak,2027-02-03 10:00,,2027-02-25 10:00
A5,JAKI,Jalan,3171010002,,Proses,2027-03-31 23:59:59,,
A6,JAKI,Jalan,3171010002,,Proses,2027-04-01 00:00,,
A7,JAKI,Jalan,3171010002,,Proses,2026-12-31 23:59:59,,
A8,JAKI,Jalan,3171010002,,Selesai,2026-12-31T17:00:00Z,,2027-01-02 05:00
B1,JAKI,Jalan,3171010001,,Selesai,2027-02-14 23:59,,2027-02-15 23:59
B2,JAKI,Jalan,3171010001,,Selesai,2027-02-15 00:00,,2027-02-16 00:00
B3,JAKI,Jalan,3171010001,,Selesai,2027-02-14T16:59:59Z,,2027-02-15T16:59:59Z
B4,JAKI,Jalan,3171010001,,Selesai,2027-02-14T23:30:00Z,,2027-02-15T23:30:00Z
"""
J_Q1 = datetime(2027, 4, 7, 17, tzinfo=UTC)
DAY_MS = 86_400_000


@pytest.fixture
def crm(ctx):
    areas = factories.small_tree()
    people = {name: factories.official(f"1985{n:014d}", name)
              for n, name in enumerate(["Agus", "Budi", "Siti", "Camat"])}
    posts = {"agus": factories.position("lurah", areas["3171010002"]),
             "rotating": factories.position("lurah", areas["3171010001"]),
             "camat": factories.position("camat", areas["3171010"])}
    factories.appoint(people["Agus"], posts["agus"], date(2026, 1, 1))
    factories.appoint(people["Budi"], posts["rotating"], date(2026, 1, 1), date(2027, 2, 14))
    factories.appoint(people["Siti"], posts["rotating"], date(2027, 2, 15))
    factories.appoint(people["Camat"], posts["camat"], date(2026, 1, 1))
    round_ = quarter_round("2027-Q1")
    import_complaints(read_complaints(COMPLAINTS.encode(), "crm.csv"), now=AFTER)
    db.session.commit()
    return {"round": round_, "posts": posts, "people": people}


def test_in_time_is_no_later_than_seven_days_to_the_second_and_the_quarter_is_wib(crm):
    agus = figures_for_round(crm["round"], now=AFTER)[crm["posts"]["agus"].id]
    assert (agus.received, agus.rejected, agus.resolved, agus.resolved_in_time,
            agus.open_overdue) == (6, 1, 4, 2, 1)
    assert agus.in_time_rate == 0.4 and agus.enough_to_judge is True
    assert agus.median_days_to_resolve == pytest.approx(7 + 0.5 / DAY_MS, abs=1e-12)
    assert (agus.as_of, agus.final) == ("2027-04-08T00:00:00+07:00", True)


def test_the_moment_of_judgment_and_an_open_complaint_exactly_at_its_deadline(crm):
    post = crm["posts"]["agus"].id
    assert judgment_moment(crm["round"]) == J_Q1
    before = figures_for_round(crm["round"], now=J_Q1 - timedelta(seconds=1))[post]
    assert (before.resolved, before.resolved_in_time, before.open_overdue) == (4, 2, 0)
    assert before.in_time_rate == 0.5 and before.enough_to_judge is False
    assert (before.as_of, before.final) == ("2027-04-07T23:59:59+07:00", False)
    at_j = figures_for_round(crm["round"], now=J_Q1)[post]
    assert (at_j.open_overdue, at_j.in_time_rate, at_j.final) == (1, 0.4, True)
    # long after J the figures are those of J: they do not depend on when anyone looks
    assert figures_for_round(crm["round"], now=AFTER)[post] == at_j


def test_the_moment_of_judgment_of_q4_2026_is_8_january_2027(ctx):
    """DOMAIN.md's own example: Q4 2026 with 7 days: 2027-01-08 00:00 WIB (= 7 Jan 17:00 UTC);
    with the 2019 rule's predecessor, 14 days: 15 January."""
    questionnaire = factories.regulation_questionnaire()
    seven = factories.round_("2026-Q4", deadline_days=7, questionnaire=questionnaire)
    assert judgment_moment(seven) == datetime(2027, 1, 7, 17, tzinfo=UTC)
    fourteen = factories.round_("2025-Q4", deadline_days=14, questionnaire=questionnaire)
    assert judgment_moment(fourteen) == datetime(2026, 1, 14, 17, tzinfo=UTC)


def test_too_few_to_judge_fails_nobody_and_enough_fails_on_the_rate(crm):
    """Agus has no survey part. One second before J his rate 0.5 is over 4 complaints (< 5):
    shown, fails nobody, no composite. At J, 0.4 over exactly 5: failed, perhatian, and the
    composite is the complaint part alone: 0.4 x 100 = 40."""
    post = crm["posts"]["agus"]
    early = entry_of(document_of(crm["round"], J_Q1 - timedelta(seconds=1)), post)
    assert early["complaints"]["in_time_rate"] == 0.5
    assert (early["failed"], early["sanction_level"], early["composite"]) == (None, "none", None)
    judged = entry_of(document_of(crm["round"], AFTER), post)
    assert (judged["failed"], judged["sanction_level"]) == (True, "perhatian")
    assert (judged["composite"], judged["composite_basis"]) == (40.0, "complaints")


def test_survey_and_complaints_combine_with_the_rounds_weights(crm):
    """3 RT heads answer 3 for Agus: IKM 75. Default weights 0.7 and 0.3: 0.7 x 75 + 0.3 x 40 =
    52.5 + 12 = 64.5; with the round's weights 0.6 and 0.4: 45 + 16 = 61.0."""
    post = crm["posts"]["agus"]
    forms(crm["round"], post, "rt", 3, 3)
    db.session.flush()
    entry = entry_of(document_of(crm["round"], AFTER), post)
    assert (entry["composite"], entry["composite_basis"]) == (pytest.approx(64.5),
                                                              "survey+complaints")
    crm["round"].survey_weight, crm["round"].complaint_weight = 0.6, 0.4
    assert entry_of(document_of(crm["round"], AFTER), post)["composite"] == pytest.approx(61.0)


def test_a_complaint_belongs_to_who_held_the_post_on_its_jakarta_day(crm):
    """B1 (14 Feb 23:59 WIB) and B3 (14 Feb 23:59:59 WIB) are Budi's; B2 (15 Feb 00:00 WIB,
    still 14 Feb in UTC) and B4 (15 Feb 06:30 WIB, 14 Feb 23:30 UTC) are Siti's. The camat, who
    did not change, has all four and Agus's six: 10."""
    pid = crm["posts"]["rotating"].id
    people = crm["people"]
    by_official = figures_by_official(crm["round"], now=AFTER)
    assert by_official[(pid, people["Budi"].id)].received == 2
    assert by_official[(pid, people["Siti"].id)].received == 2
    assert figures_for_round(crm["round"], now=AFTER)[crm["posts"]["camat"].id].received == 10
    document = document_of(crm["round"], AFTER)
    siti = entry_of(document, crm["posts"]["rotating"])
    assert siti["official"]["name"] == "Siti" and siti["complaints"]["received"] == 2
    budi, = [e for e in document["earlier_holders"] if e["position_id"] == pid]
    assert budi["official"]["name"] == "Budi" and budi["complaints"]["received"] == 2


def test_a_resolution_a_fraction_of_a_millisecond_late_is_late(ctx):
    """DOMAIN.md 5: in time is "resolved no later than reported + deadline days". Z1 is resolved
    7 days and 0.4 ms after it was reported: later than the deadline, so not in time."""
    area = factories.small_tree()["3171010002"]
    post = factories.position("lurah", area)
    round_ = quarter_round("2027-Q1")
    import_complaints(read_complaints((factories.COMPLAINTS_HEADER + (
        "Z1,JAKI,Jalan,3171010002,,Selesai,2027-02-01T10:00:00.000000+07:00,,"
        "2027-02-08T10:00:00.000400+07:00\n")).encode(), "z.csv"), now=AFTER)
    figures = figures_for_round(round_, now=AFTER)[post.id]
    assert (figures.resolved, figures.resolved_in_time) == (1, 0)


# --- 5. The confidence interval (the honest statistics) -------------------------------------------

def test_the_ci_of_one_group_with_the_finite_population_correction(ctx):
    """8 RT heads invited, 4 answer, each the same value everywhere: 4, 4, 3, 3. Respondent
    scores mean 3.5, s^2 = 4 x 0.5^2 / 3 = 1/3; Var = s^2 / n x (1 - n/N) = 1/3 / 4 x 1/2 = 1/24;
    t(0.975, df 3) = 3.182446; half = 3.182446 x 0.2041241 = 0.64961; IKM 87.5, interval
    25 x (3.5 -+ 0.64961) = 71.26 .. 103.74, clipped to the scale: [71.3, 100.0]."""
    areas = factories.small_tree()
    post = factories.position("lurah", areas["3171010001"])
    round_ = quarter_round("2027-Q1")
    factories.invite(round_, post, "rt", 8)
    for value in (4, 4, 3, 3):
        forms(round_, post, "rt", value, 1)
    db.session.flush()
    entry = entry_of(document_of(round_, AFTER), post)
    assert entry["ikm"] == 87.5
    half = stats.t.ppf(0.975, 3) * (1 / 24) ** 0.5
    assert round(half, 5) == 0.64961
    assert entry["ci95"] == [71.3, 100.0]


def test_the_ci_of_two_weighted_groups_one_of_them_a_census(ctx):
    """RT: 8 invited, 4 answer 4, 4, 3, 3 (mean 3.5, s^2 1/3); LMK: 3 invited, all 3 answer
    2, 3, 4 (mean 3, s^2 1, a census: no sampling error). Default weights .25 and .20,
    normalised 5/9 and 4/9. Index = 5/9 x 3.5 + 4/9 x 3 = 29.5/9 = 3.27778 (IKM 81.94).
    Var = (5/9)^2 x (1/3) / 4 x (1 - 4/8) + (4/9)^2 x 1 / 3 x (1 - 3/3) = 25/81 x 1/24 = 25/1944;
    Welch-Satterthwaite df = Var^2 / (Var^2 / 3) = 3; half = 3.182446 x 0.113402 = 0.36089;
    interval 25 x (3.27778 -+ 0.36089) = [72.92, 90.97] -> [72.9, 91.0]."""
    areas = factories.small_tree()
    post = factories.position("lurah", areas["3171010001"])
    round_ = quarter_round("2027-Q1")
    factories.invite(round_, post, "rt", 8)
    factories.invite(round_, post, "lmk", 3)
    for value in (4, 4, 3, 3):
        forms(round_, post, "rt", value, 1)
    for value in (2, 3, 4):
        forms(round_, post, "lmk", value, 1)
    db.session.flush()
    entry = entry_of(document_of(round_, AFTER), post)
    assert entry["ikm"] == pytest.approx(25 * 29.5 / 9, abs=1e-12)
    assert entry["index_variance"] == pytest.approx(25 / 1944, rel=1e-12)
    assert entry["ci95"] == [72.9, 91.0]


# --- 6. The sanctions ladder across quarters (DOMAIN.md section 6; DESIGN.md) ----------------
#
# A round is failed at a failing grade (C or D by default) from at least the required sample, or an
# in-time rate under the minimum over enough complaints; 1 failed round in a row: perhatian, 2:
# SP1, 3: SP2, 4 or more: rotation recommended. A round with neither figure neither breaks nor
# extends the run; a result below the required sample on its own never puts anyone on the ladder.

QUARTERS = ["2027-Q1", "2027-Q2", "2027-Q3", "2027-Q4", "2028-Q1"]


def ladder(plan: list[str]) -> list[tuple[int, str] | None]:
    """One lurah held by one official through the quarters of ``plan``: "fail" (3 RT forms of
    2: IKM 50, D), "pass" (3 forms of 4: 100, A), "none" (no forms, no complaints), "small"
    (3 forms of 2 from 10 invited: below the required sample of 10). (streak, level) each, None
    for a quarter where the post is not in the results at all."""
    areas = factories.small_tree()
    post = factories.position("lurah", areas["3171010001"])
    factories.appoint(factories.official("555", "Tetap"), post, date(2026, 1, 1))
    found = []
    for code, what in zip(QUARTERS, plan, strict=False):
        round_ = quarter_round(code)
        if what == "small":
            factories.invite(round_, post, "rt", 10)
        if what != "none":
            forms(round_, post, "rt", 4 if what == "pass" else 2, 3)
        db.session.flush()
        entry = next((p for p in document_of(round_, AFTER)["positions"]
                      if p["position_id"] == post.id), None)
        found.append(None if entry is None else (entry["failed_rounds_in_a_row"],
                                                 entry["sanction_level"]))
    return found


def test_the_ladder_climbs_one_rung_a_failed_quarter_and_stays_at_the_top(ctx):
    assert ladder(["fail"] * 5) == [(1, "perhatian"), (2, "sp1"), (3, "sp2"), (4, "rotasi"),
                                    (5, "rotasi")]


def test_a_quarter_without_figures_neither_breaks_nor_extends_the_run(ctx):
    """fail, nothing, fail: the third is the second failed round in a row (SP1); then a pass
    resets, and the next failure starts again at perhatian."""
    found = ladder(["fail", "none", "fail", "pass", "fail"])
    assert [found[0], found[2], found[3], found[4]] == [
        (1, "perhatian"), (2, "sp1"), (0, "none"), (1, "perhatian")]


def test_a_result_below_the_required_sample_never_moves_anyone_up_the_ladder(ctx):
    """fail, a D from 3 of 10 invited (required 10: below), fail: the small sample neither fails
    nor clears the official; the third quarter is the second failed round in a row (SP1)."""
    found = ladder(["fail", "small", "fail"])
    assert found[0] == (1, "perhatian")
    assert found[1][1] in ("none", "perhatian")  # not SP1: the small D did not count
    assert found[2] == (2, "sp1")


# --- 7. Rotation: a form belongs to whoever held the post when it was filled in (DOMAIN.md 4a) ----

def test_a_card_prints_only_the_comments_of_its_officials_own_forms(ctx):
    """Lama held the lurah post until 14 Feb 2027, Baru from 15 Feb. Three RT forms given in
    Lama's time (all 2, comment "masa Lama") and three in Baru's (all 4, "masa Baru"). DOMAIN.md
    4a: each keeps the forms given while they were in post. Baru's entry scores his own forms
    (IKM 100) and his card's comments are his forms' comments: "masa Baru" three times."""
    areas = factories.small_tree()
    post = factories.position("lurah", areas["3171010001"])
    lama, baru = factories.official("611", "Lama"), factories.official("612", "Baru")
    factories.appoint(lama, post, date(2026, 1, 1), date(2027, 2, 14))
    factories.appoint(baru, post, date(2027, 2, 15))
    round_ = quarter_round("2027-Q1")
    forms(round_, post, "rt", 2, 3, official=lama, comment="masa Lama")
    forms(round_, post, "rt", 4, 3, official=baru, comment="masa Baru")
    db.session.flush()
    document = results.results_document(round_, AFTER)
    entry = next(p for p in document.positions if p.position_id == post.id)
    assert entry.official is not None and entry.official.name == "Baru" and entry.ikm == 100.0
    assert cards.comments_by_position(round_, [entry])[post.id] == ["masa Baru"] * 3


def test_the_public_row_of_a_post_counts_every_complaint_filed_in_its_area(crm):
    """DOMAIN.md 5: a complaint belongs to the kelurahan where it was filed; the open data's own
    dictionary says complaints_received is "filed in the area or unit that quarter". Kelurahan
    3171010001 had B1..B4 filed in 2027-Q1 (Budi's two, Siti's two): its public row says 4, all
    resolved and in time; Agus's kelurahan says 6 received, 1 rejected, rate 0.4."""
    from survey_app.domain import public_results, rounds

    rounds.publish(crm["round"], now=AFTER)
    crm["round"].public = True
    db.session.flush()
    rows = {row["area_code"]: row for row in public_results.table(crm["round"]).rows
            if row["position"] == "lurah"}
    assert (rows["3171010002"]["complaints_received"],
            rows["3171010002"]["complaints_in_time_rate"]) == (6, 0.4)
    assert (rows["3171010001"]["complaints_received"], rows["3171010001"]["complaints_resolved"],
            rows["3171010001"]["complaints_resolved_in_time"]) == (4, 4, 4)
