"""The regulation's arithmetic, pinned to DOMAIN.md's numbers and to hand-computed values."""
from __future__ import annotations

import math
from fractions import Fraction

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
    assert combined["U1"] == Fraction(105, 29)  # never rounded: exact
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
    # graded as printed, half up to 2 decimals: 88.3075 -> 88.31 (A); 76.605 -> 76.61 (B)
    (88.3075, "A", "Sangat baik"), (76.605, "B", "Baik"), (76.6049, "C", "Kurang baik"),
    # exact figures, as scoring gives them: 65 is C; 7065/80 = 88.3125 -> 88.31 is A
    (Fraction(65), "C", "Kurang baik"), (Fraction(7065, 80), "A", "Sangat baik"),
    (Fraction(15321, 200), "B", "Baik"),  # 76.605 exactly
    (Fraction(649949, 10000), "D", "Tidak baik"),  # 64.9949 -> 64.99
    (Fraction(64995, 1000), "C", "Kurang baik"),  # 64.995 -> 65.00
    (Fraction(-1, 3) + 65, "D", "Tidak baik"),  # 64.666... -> 64.67
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
    assert index * 25 == Fraction(25 * total, 29 * 9)  # exactly


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


def test_a_float_that_prints_as_a_short_decimal_is_that_decimal():
    # 0.7 and 0.3 are the weights as written; 0.7 x 2.3 + 0.3 x 3.3 = 1.61 + 0.99 = 2.6 exactly,
    # where float arithmetic gives 2.5999999999999996 (and an IKM of 64.99999999999999)
    assert 0.7 * 2.3 + 0.3 * 3.3 != 2.6
    index = ikm.weighted_mean({"rt": 2.3, "lmk": 3.3}, {"rt": 0.7, "lmk": 0.3})
    assert index == Fraction(13, 5) and ikm.to_float(index * 25) == 65.0
    assert ikm.shown(Fraction(7065, 80)) == 88.31 and ikm.shown(Fraction(-7065, 80)) == -88.31


def test_the_ci_and_the_change_share_one_variance():
    from scipy import stats

    # two groups: weights 3 and 1 (normalised 0.75, 0.25); n 10 and 4; variances 0.5 and 0.2;
    # 20 and 8 invited. Var = 0.75^2 x 0.5 / 10 x (1 - 10/20) + 0.25^2 x 0.2 / 4 x (1 - 4/8)
    #                      = 0.5625 x 0.05 x 0.5 + 0.0625 x 0.05 x 0.5 = 0.0140625 + 0.0015625
    strata = [(3.0, 10, 3.0, 0.5, 20), (1.0, 4, 2.0, 0.2, 8)]
    assert ikm.stratified_variance(strata) == pytest.approx(0.015625, abs=1e-15)
    low, high = ikm.stratified_ci(strata)
    mean = 0.75 * 3.0 + 0.25 * 2.0  # 2.75
    assert (high - low) / 2 == pytest.approx(25 * (high / 25 - mean))
    # its half width is t x sqrt(Var) (x 25): the same variance
    part1, part2 = 0.0140625, 0.0015625
    df = 0.015625 ** 2 / (part1 ** 2 / 9 + part2 ** 2 / 3)
    assert high == pytest.approx(25 * (mean + stats.t.ppf(0.975, df) * 0.125))
    # the change: z = change / (25 x sqrt(Var_now + Var_before)); a 5-point change with both
    # variances 0.015625: z = 5 / (25 x sqrt(0.03125)) = 1.1314, p = 2 x (1 - Phi(1.1314)) = 0.2579
    p = ikm.change_p_value(5.0, 0.015625, 0.015625)
    assert p == pytest.approx(2 * stats.norm.sf(5 / (25 * math.sqrt(0.03125))), abs=1e-12)
    assert round(p, 4) == 0.2579
    assert ikm.change_p_value(-5.0, 0.015625, 0.015625) == p  # two-sided
    assert ikm.change_p_value(5.0, None, 0.015625) is None
    assert ikm.change_p_value(5.0, 0.0, 0.0) == 0.0 and ikm.change_p_value(0.0, 0.0, 0.0) == 1.0
    assert ikm.stratified_variance([(1.0, 1, 3.0, 0.0, 5)]) is None


@pytest.mark.parametrize("nrr, letter", [
    # the regulation's NRR intervals (Permenpan RB 14/2017): A 3.5324-4.00, B 3.0644-3.5320,
    # C 2.60-3.064, D 1.00-2.5996; x 25: 88.31, 88.30, 76.61, 76.60, 65.00, 64.99
    (4.0, "A"), (3.5324, "A"), (3.532, "B"), (3.0644, "B"), (3.064, "C"), (2.60, "C"),
    (2.5996, "D"), (1.0, "D")])
def test_an_elements_grade_is_that_of_its_nrr_on_the_ikm_scale(nrr, letter):
    assert ikm.element_grade(nrr) == letter
