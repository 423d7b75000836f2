"""Scores and the results document through the database, pinned to DOMAIN.md and hand-computed
values."""
from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from survey_app.domain import results, scoring
from survey_app.extensions import db
from survey_app.models import ResultSnapshot
from tests import factories
from tests.results_shape import document_of

AFTER = datetime(2028, 6, 1, tzinfo=UTC)  # every test round has closed by then
U = [f"U{i}" for i in range(1, 10)]
WORKED = {"U1": (18, 11, 0), "U2": (14, 15, 0), "U3": (15, 12, 2), "U4": (29, 0, 0),
          "U5": (15, 14, 0), "U6": (18, 11, 0), "U7": (19, 10, 0), "U8": (18, 11, 0),
          "U9": (28, 1, 0)}


def worked_example_answers() -> list[dict[str, int]]:
    """29 respondents whose answers give DOMAIN.md's counts of 4 / 3 / 2 per element."""
    columns = {code: [4] * c[0] + [3] * c[1] + [2] * c[2] for code, c in WORKED.items()}
    return [{code: columns[code][i] for code in U} for i in range(29)]


@pytest.fixture
def setting(ctx):
    areas = factories.small_tree()
    kel = areas["3171010001"]
    round_ = factories.round_("2027-Q1", state="closed",
                              opens=datetime(2027, 3, 1, tzinfo=UTC),
                              closes=datetime(2027, 3, 31, tzinfo=UTC),
                              questionnaire=factories.regulation_questionnaire())
    lurah = factories.position("lurah", kel)
    return {"areas": areas, "round": round_, "lurah": lurah, "kel": kel}


def by_position(document: dict, position) -> dict:
    return next(p for p in document["positions"] if p["position_id"] == position.id)


def test_the_worked_example_through_the_database(setting):
    for answers in worked_example_answers():
        factories.response(setting["round"], setting["lurah"], "rt", answers)
    db.session.flush()
    entry = by_position(document_of(setting["round"]), setting["lurah"])
    assert entry["respondents"] == 29
    assert entry["ikm"] == pytest.approx(25 * 955 / (29 * 9), abs=1e-9)
    assert round(entry["ikm"], 2) == 91.48
    assert (entry["grade"], entry["category"]) == ("A", "Sangat baik")
    assert entry["elements"]["U3"] == pytest.approx(100 / 29)  # unrounded NRR
    assert entry["groups"]["rt"] == {"n": 29, "mean": pytest.approx(955 / (29 * 9))}
    assert entry["groups"]["lmk"] is None and entry["groups_left_out"] == []


def test_all_threes_is_75_grade_c(setting):
    for _ in range(5):
        factories.response(setting["round"], setting["lurah"], "rw", {c: 3 for c in U})
    entry = by_position(document_of(setting["round"]), setting["lurah"])
    assert entry["ikm"] == 75.0 and (entry["grade"], entry["category"]) == ("C", "Kurang baik")
    assert entry["ci95"] == [75.0, 75.0]  # everyone agrees: no spread at all


def test_blank_answers_are_left_out(setting):
    # U1 answered 4, 4, blank; everything else 2. NRR U1 = 4 (not 8/3); IKM = 25 x (4 + 8 x 2) / 9
    for u1 in (4, 4, None):
        factories.response(setting["round"], setting["lurah"], "rt",
                           {"U1": u1, **{c: 2 for c in U[1:]}})
    entry = by_position(document_of(setting["round"]), setting["lurah"])
    assert entry["elements"]["U1"] == 4.0
    assert entry["ikm"] == pytest.approx(25 * (4 + 8 * 2) / 9)


def test_unequal_groups_are_averaged_first_then_weighted(setting):
    # 12 RT heads answer all 2; 3 LMK members answer all 4; default weights rt .25, lmk .20
    for _ in range(12):
        factories.response(setting["round"], setting["lurah"], "rt", {c: 2 for c in U})
    for _ in range(3):
        factories.response(setting["round"], setting["lurah"], "lmk", {c: 4 for c in U})
    entry = by_position(document_of(setting["round"]), setting["lurah"])
    assert entry["weights_used"] == {"rt": pytest.approx(0.25 / 0.45),
                                     "lmk": pytest.approx(0.20 / 0.45)}
    assert entry["ikm"] == pytest.approx(25 * (0.25 * 2 + 0.20 * 4) / 0.45)  # 72.22, not 60.00
    assert round(entry["ikm"], 2) == 72.22


def test_a_group_under_the_minimum_is_left_out_of_score_and_breakdown(setting):
    for _ in range(4):
        factories.response(setting["round"], setting["lurah"], "rt", {c: 3 for c in U})
    for _ in range(2):  # two FKDM members, under the minimum of 3: out of everything
        factories.response(setting["round"], setting["lurah"], "fkdm", {c: 1 for c in U},
                           comment="rahasia")
    entry = by_position(document_of(setting["round"]), setting["lurah"])
    assert entry["ikm"] == 75.0  # the 1s did not count
    assert entry["groups"]["fkdm"] is None and entry["groups_left_out"] == ["fkdm"]
    assert "fkdm" not in entry["weights_used"]
    assert entry["respondents"] == 4  # only the groups that enter the score count


def test_a_position_with_no_counting_group_has_no_score(setting):
    factories.response(setting["round"], setting["lurah"], "rt", {c: 4 for c in U})
    entry = by_position(document_of(setting["round"]), setting["lurah"])
    assert entry["ikm"] is None and entry["grade"] is None and entry["ci95"] is None
    assert entry["rank"] is None and entry["groups_left_out"] == ["rt"]
    assert entry["failed"] is None and entry["sanction_level"] == "none"


def test_element_weights_from_the_questionnaire(ctx):
    areas = factories.small_tree()
    content = factories.questionnaire_content({"A": 3.0, "B": 1.0})
    round_ = factories.round_(questionnaire=factories.pinned(content))
    lurah = factories.position("lurah", areas["3171010001"])
    for _ in range(3):
        factories.response(round_, lurah, "rt", {"A": 4, "B": 2})
    entry = by_position(document_of(round_), lurah)
    assert entry["index"] == (3 * 4 + 1 * 2) / 4 and entry["ikm"] == 87.5


def test_counts_sample_size_and_response_rate(setting):
    from survey_app.models import Invitation, InvitationPosition, Respondent

    kel = setting["kel"]
    for n in range(50):
        respondent = Respondent(ref=f"R{n}", name="x", group="rt", area=kel)
        db.session.add(respondent)
        db.session.flush()
        invitation = Invitation(round_id=setting["round"].id, respondent_id=respondent.id,
                                token_hash=f"h{n}", token_nonce="n", group="rt",
                                area_id=kel.id)
        db.session.add(invitation)
        db.session.flush()
        db.session.add(InvitationPosition(invitation_id=invitation.id,
                                          position_id=setting["lurah"].id,
                                          answered=n < 30))
    for _ in range(30):
        factories.response(setting["round"], setting["lurah"], "rt", {c: 3 for c in U})
    entry = by_position(document_of(setting["round"]), setting["lurah"])
    assert (entry["invited"], entry["respondents"], entry["response_rate"]) == (50, 30, 0.6)
    assert entry["required_sample"] == 44 and entry["meets_required_sample"] is False


def test_ties_share_a_rank(ctx):
    areas = factories.small_tree()
    round_ = factories.round_(questionnaire=factories.regulation_questionnaire())
    values = {"3171010001": 4, "3171010002": 3, "3171020001": 3, "3171020002": 2}
    positions = {code: factories.position("lurah", areas[code]) for code in values}
    for code, value in values.items():
        for _ in range(3):
            factories.response(round_, positions[code], "rt", {c: value for c in U})
    document = document_of(round_)
    ranks = {code: by_position(document, positions[code])["rank"] for code in values}
    assert ranks == {"3171010001": 1, "3171010002": 2, "3171020001": 2, "3171020002": 4}
    assert {by_position(document, p)["peers"] for p in positions.values()} == {4}


def test_the_post_names_its_holder_on_the_closing_day_and_the_forms_stay_with_theirs(setting):
    """Lama held the post until 20 March, Baru from 21 March; the three forms (all 3: IKM 75)
    were given in Lama's time. The post's entry names Baru, with no score of his own; the 75 is
    Lama's, among the earlier holders."""
    old = factories.official("111", "Lama")
    new = factories.official("222", "Baru")
    factories.appoint(old, setting["lurah"], date(2026, 1, 1), date(2027, 3, 20))
    factories.appoint(new, setting["lurah"], date(2027, 3, 21))
    for _ in range(3):
        factories.response(setting["round"], setting["lurah"], "rt", {c: 3 for c in U},
                           official=old)
    document = document_of(setting["round"], now=AFTER)
    entry = by_position(document, setting["lurah"])
    assert entry["official"] == {"nip": "222", "name": "Baru"} and entry["ikm"] is None
    lama, = document["earlier_holders"]
    assert lama["official"]["name"] == "Lama" and lama["ikm"] == 75.0
    while_open = document_of(setting["round"], now=datetime(2027, 3, 15, tzinfo=UTC))
    assert by_position(while_open, setting["lurah"])["official"] == {"nip": "111", "name": "Lama"}


def _quarter(code: str, start: datetime, questionnaire, state: str = "closed"):
    return factories.round_(code, state=state, opens=start, closes=start + timedelta(days=20),
                            questionnaire=questionnaire)


def test_the_sanctions_ladder_over_four_quarters_and_across_a_rotation(ctx):
    areas = factories.small_tree()
    q = factories.regulation_questionnaire()
    one = factories.position("lurah", areas["3171010001"])
    two = factories.position("lurah", areas["3171010002"])
    weak = factories.official("900", "Lemah")
    other = factories.official("901", "Lain")
    # weak holds `one` for Q1 and Q2, then rotates to `two` for Q3 and Q4
    factories.appoint(weak, one, date(2026, 12, 1), date(2027, 6, 30))
    factories.appoint(weak, two, date(2027, 7, 1))
    factories.appoint(other, two, date(2026, 12, 1), date(2027, 6, 30))
    factories.appoint(other, one, date(2027, 7, 1))
    starts = [datetime(2027, m, 5, tzinfo=UTC) for m in (3, 6, 9, 12)]
    rounds_ = [_quarter(f"2027-Q{i + 1}", s, q) for i, s in enumerate(starts)]
    levels = []
    for i, round_ in enumerate(rounds_):
        weak_post, other_post = (one, two) if i < 2 else (two, one)
        for _ in range(3):
            factories.response(round_, weak_post, "rt", {c: 2 for c in U})   # 50.00: D, failed
            factories.response(round_, other_post, "rt", {c: 4 for c in U})  # 100: A
        db.session.flush()
        document = document_of(round_, now=AFTER)
        levels.append(by_position(document, weak_post)["sanction_level"])
        assert by_position(document, other_post)["sanction_level"] == "none"
    assert levels == ["perhatian", "sp1", "sp2", "rotasi"]
    entry = by_position(document_of(rounds_[3], now=AFTER), two)
    assert entry["failed_rounds_in_a_row"] == 4
    assert entry["official"]["nip"] == "900"


def test_a_passed_round_resets_the_ladder(ctx):
    areas = factories.small_tree()
    q = factories.regulation_questionnaire()
    post = factories.position("lurah", areas["3171010001"])
    factories.appoint(factories.official("900"), post, date(2026, 1, 1))
    values = [2, 4, 2]  # fail, pass, fail
    for i, value in enumerate(values):
        round_ = _quarter(f"2027-Q{i + 1}", datetime(2027, 3 * i + 1, 5, tzinfo=UTC), q)
        for _ in range(3):
            factories.response(round_, post, "rt", {c: value for c in U})
        db.session.flush()
    document = document_of(round_, now=AFTER)
    assert by_position(document, post)["failed_rounds_in_a_row"] == 1


def test_trend_change_and_significance(ctx):
    areas = factories.small_tree()
    q = factories.regulation_questionnaire()
    post = factories.position("lurah", areas["3171010001"])
    first = _quarter("2027-Q1", datetime(2027, 1, 5, tzinfo=UTC), q)
    second = _quarter("2027-Q2", datetime(2027, 4, 5, tzinfo=UTC), q)
    for value in (2, 2, 3, 2, 2, 3):
        factories.response(first, post, "rt", {c: value for c in U})
    for value in (4, 4, 3, 4, 4, 3):
        factories.response(second, post, "rt", {c: value for c in U})
    db.session.flush()
    entry = by_position(document_of(second), post)
    assert entry["previous_round"] == "2027-Q1"
    assert entry["previous_ikm"] == pytest.approx(25 * 14 / 6)
    assert entry["change"] == pytest.approx(25 * (22 - 14) / 6)
    from scipy import stats

    # one group, nobody invited (no finite-population correction): each round's index variance
    # is s^2 / n; scores 4,4,3,4,4,3 and 2,2,3,2,2,3 both have s^2 = 4 x (1/3)^2 + 2 x (2/3)^2
    # / 5 = (4/9 + 8/9) / 5 = 4/15; z = (22/6 - 14/6) / sqrt(2 x 4/15 / 6) = 1.3333 / 0.2981 = 4.47
    z = (4 / 3) / (2 * (4 / 15) / 6) ** 0.5
    expected = 2 * stats.norm.sf(z)  # 7.74e-06
    assert entry["change_p_value"] == pytest.approx(expected, rel=1e-9)
    assert entry["change_significant"] is True
    assert [t["round"] for t in entry["trend"]] == ["2027-Q1", "2027-Q2"]


def test_base_results_are_stored_and_recomputed_when_the_data_changes(setting):
    # Stored only once the complaints are final: from 1 April 2027 + 7 days (2027-Q1's J) on.
    judged = datetime(2027, 4, 7, 17, tzinfo=UTC)
    for _ in range(3):
        factories.response(setting["round"], setting["lurah"], "rt", {c: 3 for c in U})
    db.session.flush()
    results.base_results(setting["round"], now=judged - timedelta(minutes=1))
    db.session.commit()
    assert db.session.get(ResultSnapshot, setting["round"].id) is None  # provisional
    first = results.base_results(setting["round"], now=judged).to_dict()
    db.session.commit()
    stored = db.session.get(ResultSnapshot, setting["round"].id)
    assert stored.document == first
    assert results.base_results(setting["round"], now=judged).to_dict() is not None
    factories.response(setting["round"], setting["lurah"], "rt", {c: 4 for c in U})
    db.session.flush()
    again = by_position(results.base_results(setting["round"], now=judged).to_dict(),
                        setting["lurah"])
    assert again["respondents"] == 4
    assert again["ikm"] == pytest.approx(25 * (3 * 3 + 4) / 4)


def test_scoring_reads_aggregates_not_answers(setting, monkeypatch):
    """Scoring never loads answer rows into Python: every query returns grouped rows only."""
    for _ in range(3):
        factories.response(setting["round"], setting["lurah"], "rt", {c: 3 for c in U})
    db.session.flush()
    from sqlalchemy import event

    statements = []
    engine = db.engine

    def record(conn, cursor, statement, params, context, executemany):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        scoring.score_round(setting["round"])
    finally:
        event.remove(engine, "before_cursor_execute", record)
    reading_answers = [s for s in statements if "answers" in s]
    assert reading_answers and all("GROUP BY" in s for s in reading_answers)


def test_the_items_come_in_the_questionnaires_order_whatever_the_run(ctx):
    """The document's per-item NRR are listed in the questionnaire's order, not in the order of a
    set (which changes from one process to the next with the hash seed): the JSON of a round is
    the same bytes every time it is computed."""
    import os
    import subprocess
    import sys

    script = (
        "from survey_app.domain import scoring\n"
        "from survey_app.extensions import db\n"
        "from tests import factories\n"
        "from survey_app import create_app\n"
        "app = create_app({'SECRET_KEY': 'x', 'SQLALCHEMY_DATABASE_URI': 'sqlite://', "
        "'SQLALCHEMY_ENGINE_OPTIONS': {}})\n"
        "with app.app_context():\n"
        "    db.create_all()\n"
        "    areas = factories.small_tree()\n"
        "    content = factories.questionnaire_content(items_per_element=3)\n"
        "    round_ = factories.round_('2027-Q1', questionnaire=factories.pinned(content))\n"
        "    post = factories.position('lurah', areas['3171010001'])\n"
        "    codes = [i['code'] for e in content['elements'] for i in e['items']]\n"
        "    for _ in range(3):\n"
        "        factories.response(round_, post, 'rt', {c: 3 for c in codes})\n"
        "    db.session.flush()\n"
        "    score = scoring.score_round(round_)[post.id]\n"
        "    print(list(score.items) == codes, flush=True)\n")
    for seed in ("1", "2", "3"):
        done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                              env={**os.environ, "PYTHONHASHSEED": seed},
                              cwd=os.path.dirname(os.path.dirname(__file__)))
        assert done.stdout.strip() == "True", done.stderr[-2000:]
