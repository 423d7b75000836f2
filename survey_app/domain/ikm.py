"""The regulation's arithmetic (PermenPANRB 14/2017) and the group weighting, as pure functions.

Nothing here touches the database: the scoring module feeds it aggregates (sums and counts per
position, group and item) computed by the database. Nothing is rounded here; rounding is for
display only.

The method, in order (DOMAIN.md sections 3 and 4):
1. Within a group, an item's NRR is the sum of its answers over their number (blanks left out);
   an element's NRR is the mean of its items' NRR (one item per element in the regulation).
2. Groups with fewer respondents than the round's minimum are left out entirely.
3. An element's NRR is the mean of the counting groups' NRR, weighted by the round's group
   weights renormalised over the groups that answered it.
4. The index is the element-weighted mean of the element NRR (weights renormalised over the
   elements that have answers); IKM = index x 25; grade from the regulation's table with >= bounds.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal

# (lowest IKM of the band, grade, kinerja); IKM at or above the bound gets the band.
GRADE_BANDS = ((88.31, "A", "Sangat baik"), (76.61, "B", "Baik"), (65.00, "C", "Kurang baik"),
               (25.00, "D", "Tidak baik"))
CATEGORY_EN = {"Sangat baik": "Very good", "Baik": "Good", "Kurang baik": "Poor",
               "Tidak baik": "Very poor"}


def shown(value: float, places: int = 2) -> float:
    """A figure as printed: rounded half up (88.305 -> 88.31), from its shortest decimal form."""
    step = Decimal(1).scaleb(-places)
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def grade(ikm: float) -> tuple[str, str]:
    """(mutu, kinerja) of an IKM, lower bounds inclusive: 88.31 is A, 88.30 is B, 65.00 is C.

    The regulation's table has gaps (64.99 < x < 65.00); the inclusive lower bounds close them.
    The IKM is compared as displayed (``shown``), so a card never shows 88.31 with a B.
    """
    value = shown(ikm)
    for bound, letter, category in GRADE_BANDS:
        if value >= bound:
            return letter, category
    return "D", "Tidak baik"


def required_sample(population: int) -> int:
    """Krejcie and Morgan's minimum sample for a population, rounded to the nearest integer.

    S = X2 N P (1 - P) / (d2 (N - 1) + X2 P (1 - P)) with X2 = 3.841, P = 0.5, d = 0.05.
    """
    if population <= 0:
        return 0
    chi = 3.841 * 0.25
    exact = chi * population / (0.0025 * (population - 1) + chi)
    return int(math.floor(exact + 0.5))


def group_nrr(item_sums: dict[str, tuple[int, int]], element_items: dict[str, list[str]]
              ) -> tuple[dict[str, float], dict[str, float]]:
    """Item and element NRR within one group from {item: (answers, sum)}."""
    items = {code: total / count for code, (count, total) in item_sums.items() if count}
    elements = {}
    for element, codes in element_items.items():
        values = [items[c] for c in codes if c in items]
        if values:
            elements[element] = math.fsum(values) / len(values)
    return items, elements


def weighted_mean(values: dict[str, float], weights: dict[str, float]) -> float | None:
    """Mean of ``values`` weighted by ``weights``, renormalised over the keys that have a value
    and a positive weight; None when there is none."""
    used = [k for k in values if weights.get(k, 0.0) > 0]
    total = math.fsum(weights[k] for k in used)
    if total <= 0:
        return None
    return math.fsum(values[k] * weights[k] for k in used) / total


def combine(groups: dict[str, dict[str, float]], group_weights: dict[str, float],
            element_weights: dict[str, float]) -> tuple[dict[str, float], float | None]:
    """Element NRR across the counting groups, and the index.

    ``groups`` maps each counting group to its element NRR.
    """
    element_codes = [e for e in element_weights if any(e in g for g in groups.values())]
    elements = {}
    for element in element_codes:
        per_group = {g: nrr[element] for g, nrr in groups.items() if element in nrr}
        value = weighted_mean(per_group, group_weights)
        if value is not None:
            elements[element] = value
    index = weighted_mean(elements, element_weights)
    return elements, index


def stratified_ci(strata: list[tuple[float, int, float, float, int]], scale: float = 25.0,
                  confidence: float = 0.95, center: float | None = None
                  ) -> tuple[float, float] | None:
    """A confidence interval for a stratified mean, on the IKM scale (x ``scale``).

    Each stratum (group) is (weight, n, mean, variance, population). The weights are normalised
    over the strata given. Var = sum W^2 s^2 / n x (1 - n/N) (finite population correction, N the
    number invited); Student's t with Welch-Satterthwaite degrees of freedom. None when any
    stratum has fewer than 2 respondents (no variance to estimate). ``center`` puts the interval
    around another estimate of the same mean (the index computed from NRR, which differs from the
    mean of respondents' scores only through blanks).
    """
    from scipy import stats

    total_weight = sum(w for w, *_ in strata)
    if not strata or total_weight <= 0 or any(n < 2 for _, n, *_ in strata):
        return None
    estimate, variance, df_denominator = 0.0, 0.0, 0.0
    for weight, n, mean, var, population in strata:
        w = weight / total_weight
        fpc = max(0.0, 1 - n / population) if population and population >= n else 1.0
        part = w * w * var / n * fpc
        estimate += w * mean
        variance += part
        df_denominator += part * part / (n - 1)
    if center is not None:
        estimate = center
    if variance <= 0:
        low = high = estimate * scale
    else:
        df = variance * variance / df_denominator if df_denominator > 0 else sum(
            n for _, n, *_ in strata) - len(strata)
        half = float(stats.t.ppf(0.5 + confidence / 2, df)) * math.sqrt(variance)
        low, high = (estimate - half) * scale, (estimate + half) * scale
    return max(low, 1.0 * scale), min(high, 4.0 * scale)


def welch_p_value(now: tuple[int, float, float], before: tuple[int, float, float]) -> float | None:
    """Two-sided p-value of Welch's t-test from (n, mean, variance) of two samples."""
    from scipy import stats

    (n1, m1, v1), (n2, m2, v2) = now, before
    if n1 < 2 or n2 < 2:
        return None
    if v1 <= 0 and v2 <= 0:
        return 0.0 if m1 != m2 else 1.0
    result = stats.ttest_ind_from_stats(m1, math.sqrt(max(v1, 0.0)), n1, m2,
                                        math.sqrt(max(v2, 0.0)), n2, equal_var=False)
    return float(result.pvalue)


def competition_ranks(values: dict, places: int = 2) -> dict:
    """Rank keys by value, highest first; equal shown values share a rank (1, 2, 2, 4)."""
    ordered = sorted(values, key=lambda k: -shown(values[k], places))
    ranks, previous, rank = {}, None, 0
    for position, key in enumerate(ordered, start=1):
        value = shown(values[key], places)
        if value != previous:
            rank, previous = position, value
        ranks[key] = rank
    return ranks
