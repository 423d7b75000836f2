"""The regulation's arithmetic, pinned to DOMAIN.md's numbers and to hand-computed values."""
from __future__ import annotations

import pytest

from survey_app.domain import ikm

EQUAL = {f"U{i}": 1.0 for i in range(1, 10)}
ONE_ITEM = {f"U{i}": [f"U{i}"] for i in range(1, 10)}

# DOMAIN.md's worked example: n = 29, counts of 4 / 3 / 2 per element, no blanks.
WORKED = {"U1": (18, 11, 0), "U2": (14, 15, 0), "U3": (15, 12, 2), "U4": (29, 0, 0),
          "U5": (15, 14, 0), "U6": (18, 11, 0), "U7": (19, 10, 0), "U8": (18, 11, 0),
          "U9": (28, 1, 0)}


def worked_sums() -> dict[str, tuple[int, int]]:
    return {code: (sum(c), 4 * c[0] + 3 * c[1] + 2 * c[2]) for code, c in WORKED.items()}


def test_the_worked_example_gives_91_48_grade_a():
    sums = worked_sums()
    assert [s for _, s in sums.values()] == [105, 101, 100, 116, 102, 105, 106, 105, 115]
    _items, elements = ikm.group_nrr(sums, ONE_ITEM)
    combined, index = ikm.combine({"rt": elements}, {"rt": 1.0}, EQUAL)
    assert combined["U1"] == 105 / 29  # never rounded
    assert index * 25 == pytest.approx(25 * 955 / (29 * 9), abs=1e-12)
    assert ikm.shown(index * 25) == 91.48
    assert ikm.grade(index * 25) == ("A", "Sangat baik")


def test_the_wrong_weight_0_11_would_read_90_56():
    _items, elements = ikm.group_nrr(worked_sums(), ONE_ITEM)
    wrong = sum(0.11 * v for v in elements.values()) * 25
    assert ikm.shown(wrong) == 90.56  # what peers that use 0.11 print; we do not


def test_all_threes_give_75_grade_c():
    _items, elements = ikm.group_nrr({f"U{i}": (10, 30) for i in range(1, 10)}, ONE_ITEM)
    _combined, index = ikm.combine({"rw": elements}, {"rw": 0.25}, EQUAL)
    assert index * 25 == 75.0 and ikm.grade(75.0) == ("C", "Kurang baik")


@pytest.mark.parametrize("value, letter, category", [
    (100.0, "A", "Sangat baik"), (88.31, "A", "Sangat baik"), (88.30, "B", "Baik"),
    (88.305, "A", "Sangat baik"),  # shown as 88.31: graded as shown
    (88.3049, "B", "Baik"), (76.61, "B", "Baik"), (76.60, "C", "Kurang baik"),
    (65.00, "C", "Kurang baik"), (64.99, "D", "Tidak baik"), (64.995, "C", "Kurang baik"),
    (25.0, "D", "Tidak baik"),
])
def test_grade_boundaries(value, letter, category):
    assert ikm.grade(value) == (letter, category)


@pytest.mark.parametrize("population, sample", [
    (50, 44), (100, 80), (500, 217), (1000, 278), (10000, 370), (10_000_000, 384), (0, 0)])
def test_krejcie_and_morgan(population, sample):
    assert ikm.required_sample(population) == sample


def test_blanks_are_left_out_of_an_elements_nrr():
    # U1: 3 answers (4, 4, 1) and two blanks -> 9/3 = 3.0, not 9/5
    items, elements = ikm.group_nrr({"U1": (3, 9), "U2": (5, 20)}, {"U1": ["U1"], "U2": ["U2"]})
    assert items == {"U1": 3.0, "U2": 4.0} and elements == {"U1": 3.0, "U2": 4.0}


def test_an_element_with_several_items_is_the_mean_of_its_items():
    items, elements = ikm.group_nrr({"K1.1": (4, 10), "K1.2": (2, 8)}, {"K1": ["K1.1", "K1.2"]})
    assert elements["K1"] == (2.5 + 4.0) / 2


def test_group_weights_with_unequal_group_sizes():
    # 30 RT heads all answer 2, 3 LMK members all answer 4: averaged per group first.
    rt = ikm.group_nrr({f"U{i}": (30, 60) for i in range(1, 10)}, ONE_ITEM)[1]
    lmk = ikm.group_nrr({f"U{i}": (3, 12) for i in range(1, 10)}, ONE_ITEM)[1]
    weights = {"rt": 0.25, "rw": 0.25, "lmk": 0.20, "fkdm": 0.15, "tokoh": 0.15}
    _elements, index = ikm.combine({"rt": rt, "lmk": lmk}, weights, EQUAL)
    # renormalised over the two groups that answered: rt 0.25/0.45, lmk 0.20/0.45
    assert index == pytest.approx((0.25 * 2 + 0.20 * 4) / 0.45)
    assert index * 25 == pytest.approx(72.2222222, abs=1e-6)
    # pooled by head count it would have been 25 x (60+12)/33 per element = 54.55: not what we do
    assert ikm.shown(25 * (60 + 12) / 33) == 54.55


def test_weights_proportional_to_group_sizes_give_exactly_the_regulations_ikm():
    rt = {f"U{i}": (20, 20 * 3 + (i % 2)) for i in range(1, 10)}
    rw = {f"U{i}": (9, 9 * 4 - i % 3) for i in range(1, 10)}
    groups = {"rt": ikm.group_nrr(rt, ONE_ITEM)[1], "rw": ikm.group_nrr(rw, ONE_ITEM)[1]}
    _e, index = ikm.combine(groups, {"rt": 20, "rw": 9}, EQUAL)
    total = sum(s for _, s in rt.values()) + sum(s for _, s in rw.values())
    assert index * 25 == pytest.approx(25 * total / (29 * 9), abs=1e-12)


def test_element_weights():
    elements = {"K1": 4.0, "K2": 2.0}
    assert ikm.weighted_mean(elements, {"K1": 1.5, "K2": 0.5}) == (1.5 * 4 + 0.5 * 2) / 2.0
    assert ikm.weighted_mean({}, {"K1": 1.0}) is None


def test_competition_ranks_share_equal_shown_values():
    ranks = ikm.competition_ranks({"a": 90.0, "b": 85.001, "c": 84.999, "d": 70.0})
    assert ranks == {"a": 1, "b": 2, "c": 2, "d": 4}  # 85.00 and 85.00 as shown


def test_stratified_ci_single_group_matches_a_t_interval():
    from scipy import stats

    # one group, n = 10, mean 3.2, variance 0.16, population far larger (no correction)
    low, high = ikm.stratified_ci([(1.0, 10, 3.2, 0.16, 10**9)])
    half = stats.t.ppf(0.975, 9) * (0.16 / 10) ** 0.5
    assert low == pytest.approx((3.2 - half) * 25) and high == pytest.approx((3.2 + half) * 25)
    assert ikm.stratified_ci([(1.0, 1, 3.2, 0.0, 5)]) is None


def test_stratified_ci_is_clipped_to_the_scale_and_shrinks_with_a_census():
    low, high = ikm.stratified_ci([(1.0, 3, 3.9, 0.3, 10**6)])
    assert high == 100.0 and low < 97.5
    census = ikm.stratified_ci([(1.0, 10, 3.0, 0.5, 10)])  # everyone answered
    assert census == (75.0, 75.0)


def test_welch_p_value():
    from scipy import stats

    expected = stats.ttest_ind_from_stats(3.4, 0.5, 40, 3.1, 0.6, 35, equal_var=False).pvalue
    assert ikm.welch_p_value((40, 3.4, 0.25), (35, 3.1, 0.36)) == pytest.approx(expected)
    assert ikm.welch_p_value((1, 3.0, 0.0), (10, 3.0, 0.1)) is None
