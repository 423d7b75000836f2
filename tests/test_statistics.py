"""The statistics of the results document (issue 22): the change's p-value tests the same weighted
quantity as the change and the CI; p below 0.01 prints as "p < 0,01"; only the groups that enter
the score count towards the sample, and a score below the required sample never fails anyone on
its own; the IKM carries no float noise. Every expected figure is computed by hand here."""
from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime

import numpy as np
import pytest
from scipy import stats

from reports import fmt
from reports.card import render_card
from survey_app.domain import cards, ikm, results
from survey_app.domain.results_model import parse_document, parse_entry
from survey_app.extensions import db
from tests import factories
from tests.results_shape import document_of

U = [f"U{i}" for i in range(1, 10)]


def by_position(document: dict, position) -> dict:
    return next(p for p in document["positions"] if p["position_id"] == position.id)


def quarter(code: str, month: int, **settings):
    return factories.round_(code, state="closed", opens=datetime(2027, month, 5, tzinfo=UTC),
                            closes=datetime(2027, month, 25, tzinfo=UTC),
                            questionnaire=factories.regulation_questionnaire(), **settings)


def two_quarters(weights: dict[str, float]):
    """A lurah of the small tree, and the rounds 2027-Q1 and 2027-Q2 with these group weights:
    (post, first, second)."""
    post = factories.position("lurah", factories.small_tree()["3171010001"])
    return (post, quarter("2027-Q1", 2, group_weights=weights),
            quarter("2027-Q2", 5, group_weights=weights))


def answer(round_, post, group: str, rows: list[list[int]]) -> None:
    """One response per row of nine answers (U1..U9)."""
    for row in rows:
        factories.response(round_, post, group, dict(zip(U, row, strict=True)))


def scores(rows: list[list[int]]) -> np.ndarray:
    """Each respondent's score: the mean of their nine answers (nine elements of weight 1/9)."""
    return np.array([sum(row) / 9 for row in rows])


# --- the change's p-value ---------------------------------------------------------------------

BEFORE = {  # per-respondent answers of the first round
    "rt": [[3] * 9, [3] * 9, [4] * 5 + [3] * 4, [2] * 3 + [3] * 6, [3] * 9, [4] * 9,
           [2] * 9, [3] * 4 + [4] * 5],
    "lmk": [[2] * 9, [3] * 2 + [2] * 7, [3] * 9, [2] * 5 + [1] * 4],
}
NOW = {
    "rt": [[4] * 9, [3] * 9, [4] * 7 + [3] * 2, [3] * 9, [4] * 9, [2] * 2 + [3] * 7,
           [4] * 9, [3] * 5 + [4] * 4, [4] * 9, [3] * 9],
    "lmk": [[3] * 9, [2] * 9, [3] * 6 + [2] * 3, [4] * 9, [3] * 9],
}


def test_the_change_p_value_tests_the_group_weighted_index_against_scipy(ctx):
    weights = {"rt": 0.7, "lmk": 0.3}
    post, first, second = two_quarters(weights)
    for group in BEFORE:
        answer(first, post, group, BEFORE[group])
        answer(second, post, group, NOW[group])
    # the second round knows its population: 20 RT, 6 LMK
    factories.invite(second, post, "rt", 20)
    factories.invite(second, post, "lmk", 6)
    db.session.flush()
    entry = by_position(document_of(second), post)

    # By hand, from the raw per-respondent scores: the index is the weighted mean of the group
    # means (no blanks); its variance sum W^2 s^2 / n x (1 - n / N) (N invited; no correction
    # where nobody was invited); z = change / sqrt(Var_now + Var_before) on one scale.
    def index_and_variance(rows: dict, invited: dict) -> tuple[float, float]:
        index = variance = 0.0
        for group, w in weights.items():
            s = scores(rows[group])
            fpc = 1 - len(s) / invited[group] if invited.get(group) else 1.0
            index += w * s.mean()
            variance += w * w * s.var(ddof=1) / len(s) * fpc
        return index, variance

    index_before, var_before = index_and_variance(BEFORE, {})
    index_now, var_now = index_and_variance(NOW, {"rt": 20, "lmk": 6})
    change = 25 * (index_now - index_before)
    z = (index_now - index_before) / np.sqrt(var_now + var_before)
    expected = 2 * stats.norm.sf(abs(z))
    assert entry["ikm"] == pytest.approx(25 * index_now, abs=1e-9)
    assert entry["change"] == pytest.approx(change, abs=1e-9)
    assert entry["change_p_value"] == pytest.approx(expected, abs=1e-9, rel=1e-9)
    assert entry["index_variance"] == pytest.approx(var_now, rel=1e-9)
    # The same by pencil. Scores x 9 (answer sums):
    # before rt 27,27,32,24,27,36,18,32: mean 223/72 = 3.0972, s^2 = 214.875/7/81 = 0.378968
    #        lmk 18,20,27,14:            mean 79/36 = 2.1944,  s^2 = 88.75/3/81 = 0.365226
    #   index 0.7 x 3.0972 + 0.3 x 2.1944 = 2.82639 (IKM 70.66)
    #   Var = 0.49 x 0.378968 / 8 + 0.09 x 0.365226 / 4 = 0.023212 + 0.008218 = 0.031429
    # now rt 36,27,34,27,36,25,36,31,36,27: mean 3.5, s^2 = 190.5/9/81 = 0.261317, fpc 1 - 10/20
    #     lmk 27,18,24,36,27:               mean 132/45 = 2.9333, s^2 = 169.2/4/81 = 0.522222,
    #                                       fpc 1 - 5/6
    #   index 0.7 x 3.5 + 0.3 x 2.9333 = 3.33 (IKM 83.25)
    #   Var = 0.49 x 0.261317 / 10 x 0.5 + 0.09 x 0.522222 / 5 / 6 = 0.006402 + 0.001567 = 0.007969
    # change 25 x 0.503611 = 12.59; z = 0.503611 / sqrt(0.039398) = 2.5372; p = 2 x 0.005587
    assert round(entry["change"], 2) == 12.59 and round(entry["change_p_value"], 4) == 0.0112
    assert entry["change_significant"] is True
    # the unweighted test on the pooled scores reads another figure (this test can tell them apart)
    pooled = stats.ttest_ind(np.concatenate([scores(NOW[g]) for g in NOW]),
                             np.concatenate([scores(BEFORE[g]) for g in BEFORE]), equal_var=False)
    assert abs(pooled.pvalue - entry["change_p_value"]) > 0.001


def test_a_15_point_fall_from_b_to_c_is_significant(ctx):
    post, first, second = two_quarters({"rt": 0.5, "lmk": 0.5})
    # before: 24 RT heads, 12 answer all 3, 6 all 4, 6 all 2 (mean 3.0, s^2 = 12 / 23);
    #         5 LMK members, 4 all 4 and 1 all 3 (mean 3.8, s^2 = 0.8 / 4 = 0.2)
    #         index 0.5 x 3.0 + 0.5 x 3.8 = 3.4: IKM 85.00, B
    rt_before = [[3] * 9] * 12 + [[4] * 9] * 6 + [[2] * 9] * 6
    lmk_before = [[4] * 9] * 4 + [[3] * 9]
    # now: 5 RT heads, 4 all 2 and 1 all 3 (mean 2.2, s^2 = 0.2);
    #      25 LMK members, 10 all 4 and 15 all 3 (mean 3.4, s^2 = 6 / 24 = 0.25)
    #      index 0.5 x 2.2 + 0.5 x 3.4 = 2.8: IKM 70.00, C
    rt_now = [[2] * 9] * 4 + [[3] * 9]
    lmk_now = [[4] * 9] * 10 + [[3] * 9] * 15
    answer(first, post, "rt", rt_before)
    answer(first, post, "lmk", lmk_before)
    answer(second, post, "rt", rt_now)
    answer(second, post, "lmk", lmk_now)
    db.session.flush()
    document = document_of(second)
    entry = by_position(document, post)
    assert (entry["previous_ikm"], entry["ikm"], entry["grade"]) == (85.0, 70.0, "C")
    assert entry["change"] == -15.0
    # Var before = 0.25 x (12/23) / 24 + 0.25 x 0.2 / 5 = 0.0054348 + 0.01 = 0.0154348
    # Var now    = 0.25 x 0.2 / 5 + 0.25 x 0.25 / 25   = 0.01 + 0.0025       = 0.0125
    # z = 0.6 / sqrt(0.0279348) = 0.6 / 0.167137 = 3.590; p = 2 x (1 - Phi(3.590)) = 0.00033
    var_before = 0.25 * (12 / 23) / 24 + 0.25 * 0.2 / 5
    var_now = 0.25 * 0.2 / 5 + 0.25 * 0.25 / 25
    expected = 2 * stats.norm.sf(0.6 / np.sqrt(var_before + var_now))
    assert entry["change_p_value"] == pytest.approx(expected, abs=1e-9, rel=1e-9)
    assert round(entry["change_p_value"], 5) == 0.00033 and entry["change_significant"] is True
    # what the unweighted test read: the pooled scores hardly moved (91/29 = 3.14 -> 96/30 = 3.2)
    pooled_before = [sum(r) / 9 for r in rt_before + lmk_before]
    pooled_now = [sum(r) / 9 for r in rt_now + lmk_now]
    assert stats.ttest_ind(pooled_now, pooled_before, equal_var=False).pvalue > 0.5
    if shutil.which("pdftotext"):
        text = card_text(entry, document, second, "id")
        assert "turun 15,00 poin; perubahan ini nyata secara statistik (p < 0,01)." in text
        assert "p = 0,00" not in text
        english = card_text(entry, document, second, "en")
        assert "down 15.00 points; the change is statistically significant (p < 0.01)." in english


def card_text(entry: dict, document: dict, round_, lang: str) -> str:
    data = cards.card_data(parse_entry(entry), parse_document(document),
                           names=cards.element_names(round_), rated=True,
                           comments=[], published=False, lang=lang)
    done = subprocess.run(["pdftotext", "-", "-"], input=render_card(data), capture_output=True,
                          check=True)
    return " ".join(done.stdout.decode().split())


@pytest.mark.parametrize("p, lang, text, figure", [
    (0.0049, "id", "p < 0,01", 0.0), (0.0049, "en", "p < 0.01", 0.0),
    (0.0096, "id", "p < 0,01", 0.0),  # rounds to 0.01, but it is below 0.01
    (0.0, "id", "p < 0,01", 0.0), (0.01, "id", "p = 0,01", 0.01),
    (0.215, "id", "p = 0,22", 0.22),  # half up
    (0.2149, "en", "p = 0.21", 0.21), (1.0, "en", "p = 1.00", 1.0)])
def test_a_p_value_prints_one_way(p, lang, text, figure):
    assert fmt.p_value(p, lang) == text
    assert fmt.p_figure(p) == figure
    assert fmt.p_value(fmt.p_figure(p), lang) == text  # the card's stored figure prints the same


# --- float noise ---------------------------------------------------------------------------------

def test_an_exact_65_reads_65_and_is_grade_c(ctx):
    areas = factories.small_tree()
    one = factories.position("lurah", areas["3171010001"])
    two = factories.position("lurah", areas["3171010002"])
    round_ = quarter("2027-Q1", 2, group_weights={"rt": 0.7, "lmk": 0.3})
    # one: 5 respondents whose element sums are 11, 8, 20, 5, 17, 18, 5, 19, 14 (total 117):
    # IKM = 25 x 117 / (5 x 9) = 65 exactly (the float path read 64.99999999999999)
    sums = [11, 8, 20, 5, 17, 18, 5, 19, 14]
    columns = [[s // 5 + (1 if i < s % 5 else 0) for i in range(5)] for s in sums]
    assert [sum(c) for c in columns] == sums
    answer(round_, one, "rt", [[columns[e][r] for e in range(9)] for r in range(5)])
    # two: 10 RT heads with NRR 2.3 on every element (3 answer 3, 7 answer 2: 23/10) and 10 LMK
    # members with NRR 3.3 (3 answer 4, 7 answer 3): 0.7 x 2.3 + 0.3 x 3.3 = 2.6, IKM 65
    answer(round_, two, "rt", [[3] * 9] * 3 + [[2] * 9] * 7)
    answer(round_, two, "lmk", [[4] * 9] * 3 + [[3] * 9] * 7)
    db.session.flush()
    document = document_of(round_)
    for post in (one, two):
        entry = by_position(document, post)
        assert entry["ikm"] == 65.0 and entry["index"] == 2.6
        assert (entry["grade"], entry["category"]) == ("C", "Kurang baik")
    entry = by_position(document, two)
    assert set(entry["elements"].values()) == {2.6}
    assert entry["groups"]["rt"]["mean"] == 2.3 and entry["groups"]["lmk"]["mean"] == 3.3
    assert '"ikm": 65.0,' in results.to_json(parse_document(document))


# --- the required sample ---------------------------------------------------------------------

def test_only_counting_groups_meet_the_sample_and_a_small_sample_fails_nobody(ctx):
    areas = factories.small_tree()
    small = factories.position("lurah", areas["3171010001"])
    full = factories.position("lurah", areas["3171010002"])
    factories.appoint(factories.official("801", "Sedikit"), small, datetime(2026, 1, 1).date())
    factories.appoint(factories.official("802", "Cukup"), full, datetime(2026, 1, 1).date())
    round_ = quarter("2027-Q1", 2)
    # 10 invited each: Krejcie-Morgan 3.841 x 10 x 0.25 / (0.0025 x 9 + 0.96025) = 9.77 -> 10
    assert ikm.required_sample(10) == 10
    factories.invite(round_, small, "rt", 10)
    factories.invite(round_, full, "rt", 10)
    # small: 9 RT heads answer all 2 (IKM 50, D) and 2 FKDM members, under the minimum of 3:
    # 11 forms, but only 9 enter the score, and 9 < 10
    answer(round_, small, "rt", [[2] * 9] * 9)
    answer(round_, small, "fkdm", [[4] * 9] * 2)
    answer(round_, full, "rt", [[2] * 9] * 10)  # 10 of 10: the sample is met, IKM 50, D
    db.session.flush()
    document = document_of(round_, now=datetime(2028, 1, 1, tzinfo=UTC))
    below = by_position(document, small)
    assert (below["respondents"], below["required_sample"]) == (9, 10)
    assert below["meets_required_sample"] is False and below["response_rate"] == 0.9
    assert below["groups_left_out"] == ["fkdm"]
    assert (below["ikm"], below["grade"]) == (50.0, "D")  # shown
    assert below["failed"] is None and below["sanction_level"] == "none"  # not used against her
    assert below["rank"] is None  # not ranked
    met = by_position(document, full)
    assert (met["respondents"], met["meets_required_sample"], met["grade"]) == (10, True, "D")
    assert met["failed"] is True and met["sanction_level"] == "perhatian"
    assert (met["rank"], met["peers"]) == (1, 1)
    if shutil.which("pdftotext"):
        text = card_text(below, document, round_, "id")
        assert "Di bawah jumlah sampel minimum: nilai ditampilkan, tetapi tidak dipakai untuk " \
               "sanksi maupun peringkat." in text
        assert "Peringkat: tidak diperingkat (di bawah sampel minimum)" in text
        assert "Status sanksi: tidak ada langkah" in text
        english = card_text(below, document, round_, "en")
        assert "Below the minimum sample: the score is shown, but it is not used for sanctions " \
               "or the ranking." in english
