"""Funnel plots: comparing posts of very different sizes without a false league table.

The method (Spiegelhalter, "Funnel plots for comparing institutional performance", Statistics in
Medicine 24, 2005): each post's figure y_i is plotted against its size n_i, around the target
theta0, with control limits that narrow as n grows:

    theta0 +/- z_p * sigma / sqrt(n)

with z_p the standard normal quantile of the two-sided coverage p
(``statistics.NormalDist().inv_cdf``, the value ``scipy.stats.norm.ppf`` gives: 1.959964 for 95%,
3.090232 for 99.8%). A post outside the 95% limits is one to look at (1 in 20 falls there by
chance); outside 99.8%, one in 500: a real difference.

- IKM against respondents (lurah, camat, wali kota): theta0 is the province mean of the tier, the
  respondent-weighted mean of the posts' IKM (sum n_i y_i / sum n_i). sigma is the
  between-respondent standard deviation of a post's IKM, pooled over the tier:
  sigma^2 = sum (n_i - 1) s_i^2 / sum (n_i - 1). A post's s_i^2 comes from its results-document
  figures (:func:`respondent_variance`): the variance of its group-weighted index times its
  respondents (the variance one respondent adds, groups' weights included) on the IKM scale,
  with the finite population correction (1 - n/N, N invited) that the index's variance carries
  taken back out. A post where every invited person answered (correction 0) or with fewer than 2
  respondents tells nothing of the spread: it is plotted, and left out of sigma.
- In-time rate against complaints judged (kepala dinas, who are not surveyed): the binomial case,
  theta0 the pooled rate (sum in time / sum judged) and sigma = sqrt(theta0 (1 - theta0)), in
  percent.

Limits are clipped to the scale (25..100 for the IKM, 0..100 for a rate). Pure: no database.
"""
from __future__ import annotations

import functools
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from survey_app.domain.ikm import IKM_SCALE

COVERAGES = (0.95, 0.998)
MIN_POINTS = 2  # a tier with fewer posts has nothing to compare: no funnel
REACH = 1.08  # the n axis runs to 8% past the largest post


@functools.cache
def z_value(coverage: float) -> float:
    """The two-sided standard normal quantile: 1.959964 for 0.95, 3.090232 for 0.998. Once per
    coverage (a plot asks for each limit at each of its points), from the standard library:
    importing scipy.stats for it took seconds, which the first summary PDF of each web worker
    paid."""
    return statistics.NormalDist().inv_cdf(0.5 + coverage / 2)


def respondent_variance(index_variance: float | None, respondents: int, invited: int,
                        scale: float = IKM_SCALE) -> float | None:
    """One respondent's variance s^2 on the IKM scale from a post's variance of its weighted
    index: n x Var / (1 - n/N) x scale^2. None where it cannot be told (no variance, fewer than
    2 respondents, or everyone invited answered: the correction is 0)."""
    if index_variance is None or respondents < 2:
        return None
    correction = 1 - respondents / invited if invited and invited >= respondents else 1.0
    if correction <= 0:
        return None
    return respondents * index_variance / correction * scale * scale


def pooled_sd(units: Sequence[tuple[int, float | None]]) -> float | None:
    """sqrt(sum (n - 1) s^2 / sum (n - 1)) over the (n, s^2) whose s^2 is known; None if none."""
    known = [(n, s2) for n, s2 in units if s2 is not None and n >= 2]
    weight = sum(n - 1 for n, _s2 in known)
    if not weight:
        return None
    return math.sqrt(math.fsum((n - 1) * s2 for n, s2 in known) / weight)


@dataclass(frozen=True)
class Point:
    label: str
    value: float
    n: int
    variance: float | None = None  # one respondent's s^2 (respondent_variance), for sigma


@dataclass(frozen=True)
class Placed:
    label: str
    value: float
    n: int
    outside: int  # 0 inside the 95% limits; 95 outside them only; 998 outside the 99.8% too
    above: bool  # above the mean


@dataclass(frozen=True)
class Funnel:
    mean: float
    sd: float | None  # None: no spread known, no limits
    points: tuple[Placed, ...]
    lowest: float  # the scale's bounds (limits are clipped to them)
    highest: float

    def limits(self, n: float, coverage: float) -> tuple[float, float] | None:
        """(low, high) at size n, clipped to the scale; None without a spread."""
        if self.sd is None or n <= 0:
            return None
        half = z_value(coverage) * self.sd / math.sqrt(n)
        return max(self.lowest, self.mean - half), min(self.highest, self.mean + half)

    @property
    def reach(self) -> float:
        """How far the plot's n axis goes: a little past the largest post."""
        return max((p.n for p in self.points), default=1) * REACH

    def curve(self, steps: int = 40) -> list[tuple[float, float, float, float, float]]:
        """(n, low 95%, high 95%, low 99.8%, high 99.8%) from n = 1 to ``reach``, spaced
        evenly in 1/sqrt(n) so the narrow end is drawn as finely as the wide one."""
        if self.sd is None or not self.points:
            return []
        top = self.reach
        found = []
        for i in range(steps + 1):
            inverse = 1 - (1 - 1 / math.sqrt(top)) * i / steps if top > 1 else 1.0
            n = 1 / (inverse * inverse)
            low95, high95 = self.limits(n, COVERAGES[0]) or (0.0, 0.0)
            low998, high998 = self.limits(n, COVERAGES[1]) or (0.0, 0.0)
            found.append((n, low95, high95, low998, high998))
        return found

    def outside(self, level: int) -> list[Placed]:
        """The points outside the 95% (level 95: those outside 99.8% too) or 99.8% limits."""
        return [p for p in self.points if p.outside >= level]


def funnel(points: Sequence[Point], sd: float | None = None, lowest: float = 25.0,
           highest: float = 100.0) -> Funnel:
    """Place each point against the respondent-weighted mean and the limits. ``sd`` given: the
    binomial case (sigma known); otherwise sigma is pooled from the points (:func:`pooled_sd`)."""
    points = [p for p in points if p.n > 0]
    total = sum(p.n for p in points)
    mean = math.fsum(p.n * p.value for p in points) / total if total else 0.0
    if sd is None:
        sd = pooled_sd([(p.n, p.variance) for p in points])
    shape = Funnel(mean=mean, sd=sd, points=(), lowest=lowest, highest=highest)
    placed = []
    for p in points:
        outside = 0
        for coverage, level in zip(COVERAGES, (95, 998), strict=True):
            bounds = shape.limits(p.n, coverage)
            if bounds is not None and not bounds[0] <= p.value <= bounds[1]:
                outside = level
        placed.append(Placed(p.label, p.value, p.n, outside, p.value > mean))
    return Funnel(mean=mean, sd=sd, points=tuple(placed), lowest=lowest, highest=highest)


def proportion_sd(points: Sequence[Point]) -> float | None:
    """sigma of the binomial case, in percent: sqrt(p0 (1 - p0)) x 100, p0 the pooled rate
    (the points' values in percent, weighted by their n)."""
    total = sum(p.n for p in points if p.n > 0)
    if not total:
        return None
    rate = math.fsum(p.n * p.value for p in points if p.n > 0) / total / 100
    return math.sqrt(rate * (1 - rate)) * 100


def of_tier(entries: Sequence, tier: str) -> tuple[str, Funnel] | None:
    """The funnel of one tier of a results document's entries: ("ikm", ...) of the posts with an
    IKM, against their respondents; else (a tier nobody rates: kepala dinas) ("in_time_rate",
    ...) of the posts with an in-time rate, against the complaints it is over; None if neither,
    or fewer than MIN_POINTS posts."""
    rows = [e for e in entries if e.tier == tier]
    found = _of_rows(rows)
    if found is None or len(found[1].points) < MIN_POINTS:
        return None
    return found


def _of_rows(rows: Sequence) -> tuple[str, Funnel] | None:
    scored = [Point(_name(e), e.ikm, e.respondents,
                    respondent_variance(e.index_variance, e.respondents, e.invited))
              for e in rows if e.ikm is not None and e.respondents > 0]
    if scored:
        return "ikm", funnel(scored)
    rated = [Point(_name(e), e.complaints.in_time_rate * 100,
                   e.complaints.resolved + e.complaints.open_overdue)
             for e in rows if e.complaints is not None and e.complaints.in_time_rate is not None]
    rated = [p for p in rated if p.n > 0]
    if rated:
        return "in_time_rate", funnel(rated, sd=proportion_sd(rated), lowest=0.0)
    return None


def _name(entry) -> str:
    return entry.area_name or entry.unit_name or entry.area_code or entry.unit_code or "?"
