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

Steps 1 to 4 are exact: answers are integers and weights are the decimals written in the round's
settings, so NRR, index and IKM are fractions (``Fraction``), turned into floats only where the
results document is written (``to_float``, correctly rounded). An exact 65 then reads 65.0, never
64.99999999999999, and the grade of the printed IKM is the grade of the true one.

The confidence interval and the change's p-value share one variance (``stratified_variance``):
the variance of the group-weighted index, from each group's respondent scores.
"""
from __future__ import annotations

import functools
import math
from collections.abc import Mapping
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

IKM_SCALE = 25  # IKM = index x 25: an index or an element's NRR (1..4) on the 25..100 scale
# (lowest IKM of the band, grade, kinerja); IKM at or above the bound gets the band.
GRADE_BANDS = ((88.31, "A", "Sangat baik"), (76.61, "B", "Baik"), (65.00, "C", "Kurang baik"),
               (25.00, "D", "Tidak baik"))
CATEGORY_EN = {"Sangat baik": "Very good", "Baik": "Good", "Kurang baik": "Poor",
               "Tidak baik": "Very poor"}


Number = int | float | Fraction


def exact(value: Number) -> Fraction:
    """A number as an exact fraction: a float as the decimal it prints as (a weight of 0.7 is
    7/10, not the binary number nearest to it)."""
    if type(value) is Fraction:
        return value
    if isinstance(value, float):
        return _decimal_fraction(value)
    return Fraction(value)


@functools.lru_cache(maxsize=4096)
def _decimal_fraction(value: float) -> Fraction:
    return Fraction(repr(value))  # weights recur: parsed once


def to_float(value: Fraction | float | None) -> float | None:
    """An exact figure as the float nearest to it (where the document is written)."""
    return None if value is None else float(value)


def shown(value: Number, places: int = 2) -> float:
    """A figure as printed: rounded half up (88.305 -> 88.31), from its shortest decimal form
    (a float) or exactly (a fraction)."""
    step = Decimal(1).scaleb(-places)
    if isinstance(value, Fraction):
        scaled = value * 10 ** places
        half_up = math.floor(abs(scaled) + Fraction(1, 2)) * (1 if scaled >= 0 else -1)
        return float(Decimal(half_up).scaleb(-places))
    return float(Decimal(repr(value)).quantize(step, rounding=ROUND_HALF_UP))


def grade(ikm: Number) -> tuple[str, str]:
    """(mutu, kinerja) of an IKM, lower bounds inclusive: 88.31 is A, 88.30 is B, 65.00 is C.

    The regulation's table has gaps (64.99 < x < 65.00); the inclusive lower bounds close them.
    The IKM is compared as displayed (``shown``), so a card never shows 88.31 with a B.
    """
    value = shown(ikm)
    for bound, letter, category in GRADE_BANDS:
        if value >= bound:
            return letter, category
    return "D", "Tidak baik"


def element_grade(nrr: Number) -> str:
    """An element's grade (the published report's "NRR and grade per element", DOMAIN.md 3): its
    NRR on the IKM scale, graded as an IKM is (the regulation's NRR intervals: 3.5324 is A)."""
    return grade(nrr * IKM_SCALE)[0]


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
              ) -> tuple[dict[str, Fraction], dict[str, Fraction]]:
    """Item and element NRR within one group from {item: (answers, sum)}, exactly."""
    items = {code: Fraction(int(total), int(count))
             for code, (count, total) in item_sums.items() if count}
    elements = {}
    for element, codes in element_items.items():
        values = [items[c] for c in codes if c in items]
        if len(values) == 1:
            elements[element] = values[0]
        elif values:
            elements[element] = _exact_sum([(v.numerator, v.denominator * len(values))
                                            for v in values])
    return items, elements


def weighted_mean(values: Mapping[str, Number], weights: Mapping[str, Number]) -> Fraction | None:
    """Mean of ``values`` weighted by ``weights``, renormalised over the keys that have a value
    and a positive weight, exactly (see ``exact``); None when there is none."""
    used = [k for k in values if weights.get(k, 0.0) > 0]
    if not used:
        return None
    pairs = [(exact(values[k]), exact(weights[k])) for k in used]
    total = _exact_sum([(w.numerator, w.denominator) for _v, w in pairs])
    return _exact_sum([(v.numerator * w.numerator, v.denominator * w.denominator)
                       for v, w in pairs]) / total


def _exact_sum(terms: list[tuple[int, int]]) -> Fraction:
    """The exact sum of fractions given as (numerator, denominator): over one common
    denominator, in integers (many times faster than adding Fractions one by one)."""
    common = math.lcm(*(d for _n, d in terms))
    return Fraction(sum(n * (common // d) for n, d in terms), common)


def combine(groups: Mapping[str, Mapping[str, Number]], group_weights: Mapping[str, Number],
            element_weights: Mapping[str, Number]) -> tuple[dict[str, Fraction], Fraction | None]:
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


Stratum = tuple[float, int, float, float, int]  # (weight, n, mean, variance, population)


def stratified_variance(strata: list[Stratum]) -> float | None:
    """The variance of a stratified mean (on the index scale, 1..4).

    Each stratum (group) is (weight, n, mean, variance, population). The weights are normalised
    over the strata given. Var = sum W^2 s^2 / n x (1 - n/N) (finite population correction, N the
    number invited; none when nobody was invited). None when there is no stratum or any stratum
    has fewer than 2 respondents (no variance to estimate).
    """
    total_weight = sum(w for w, *_ in strata)
    if not strata or total_weight <= 0 or any(n < 2 for _, n, *_ in strata):
        return None
    return math.fsum(_stratum_parts(strata))


def _stratum_parts(strata: list[Stratum]) -> list[float]:
    total_weight = sum(w for w, *_ in strata)
    parts = []
    for weight, n, _mean, var, population in strata:
        w = weight / total_weight
        fpc = max(0.0, 1 - n / population) if population and population >= n else 1.0
        parts.append(w * w * var / n * fpc)
    return parts


def stratified_ci(strata: list[Stratum], scale: float = 25.0,
                  confidence: float = 0.95, center: Number | None = None
                  ) -> tuple[float, float] | None:
    """A confidence interval for a stratified mean, on the IKM scale (x ``scale``).

    The variance is ``stratified_variance``; Student's t with Welch-Satterthwaite degrees of
    freedom. None when any stratum has fewer than 2 respondents. ``center`` puts the interval
    around another estimate of the same mean (the index computed from NRR, which differs from the
    mean of respondents' scores only through blanks).
    """
    from scipy import special  # scipy.stats' t.ppf is special.stdtrit: far less to import

    variance = stratified_variance(strata)
    if variance is None:
        return None
    total_weight = sum(w for w, *_ in strata)
    estimate = math.fsum(w / total_weight * mean for w, _n, mean, *_ in strata)
    parts = zip(_stratum_parts(strata), strata, strict=True)
    df_denominator = math.fsum(part * part / (n - 1) for part, (_w, n, *_) in parts)
    if center is not None:
        estimate = float(center)
    if variance <= 0:
        low = high = estimate * scale
    else:
        df = variance * variance / df_denominator if df_denominator > 0 else sum(
            n for _, n, *_ in strata) - len(strata)
        half = float(special.stdtrit(df, 0.5 + confidence / 2)) * math.sqrt(variance)
        low, high = (estimate - half) * scale, (estimate + half) * scale
    return max(low, 1.0 * scale), min(high, 4.0 * scale)


def change_p_value(change: float, variance_now: float | None, variance_before: float | None,
                   scale: float = 25.0) -> float | None:
    """Two-sided p-value of a change between two group-weighted indexes (a z-test).

    ``change`` is on the IKM scale (x ``scale``), the variances are ``stratified_variance`` of
    each round's index: z = change / (scale x sqrt(var_now + var_before)). The same weighted
    quantity as the change and the confidence interval, so a fall of 15 points between two
    well-sampled rounds is not read as chance because the groups are weighted. None when either
    variance is unknown. With no spread at all, any change is certain (p = 0) and none is p = 1.
    """
    from scipy import special  # scipy.stats' norm.sf(z) is special.ndtr(-z): far less to import

    if variance_now is None or variance_before is None:
        return None
    spread = math.sqrt(max(variance_now, 0.0) + max(variance_before, 0.0)) * scale
    if spread <= 0:
        return 0.0 if change != 0 else 1.0
    return float(2 * special.ndtr(-abs(change) / spread))


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
