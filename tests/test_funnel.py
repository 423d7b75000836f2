"""Funnel-plot limits (survey_app/domain/funnel.py), hand-computed for a small case."""
from __future__ import annotations

import math

import pytest

from survey_app.domain import funnel
from survey_app.domain.funnel import Point


def test_z_values_are_the_two_sided_normal_quantiles():
    assert round(funnel.z_value(0.95), 6) == 1.959964
    assert round(funnel.z_value(0.998), 6) == 3.090232


def test_three_posts_by_hand():
    # A: IKM 80 from 4 respondents, B: 70 from 16, C: 90 from 4; each s^2 = 100 (s = 10).
    # mean = (4 x 80 + 16 x 70 + 4 x 90) / 24 = 1800 / 24 = 75
    # sigma^2 = (3 x 100 + 15 x 100 + 3 x 100) / 21 = 100: sigma = 10
    # n = 4:  95%   75 +/- 1.959964 x 10 / 2 = 75 +/- 9.79982  -> [65.20018, 84.79982]
    #         99.8% 75 +/- 3.090232 x 5      = 75 +/- 15.45116 -> [59.54884, 90.45116]
    # n = 16: 95%   75 +/- 1.959964 x 2.5    = 75 +/- 4.89991  -> [70.10009, 79.89991]
    #         99.8% 75 +/- 3.090232 x 2.5    = 75 +/- 7.72558  -> [67.27442, 82.72558]
    # A (80, n 4) is inside; B (70, n 16) is below the 95% limit (70 < 70.10) but inside the
    # 99.8%; C (90, n 4) is above the 95% limit (84.80) but inside the 99.8% (90.45).
    shape = funnel.funnel([Point("A", 80, 4, 100.0), Point("B", 70, 16, 100.0),
                           Point("C", 90, 4, 100.0)])
    assert shape.mean == 75 and shape.sd == pytest.approx(10)
    assert shape.limits(4, 0.95) == pytest.approx((65.20018, 84.79982), abs=1e-5)
    assert shape.limits(4, 0.998) == pytest.approx((59.54884, 90.45116), abs=1e-5)
    assert shape.limits(16, 0.95) == pytest.approx((70.10009, 79.89991), abs=1e-5)
    assert shape.limits(16, 0.998) == pytest.approx((67.27442, 82.72558), abs=1e-5)
    placed = {p.label: (p.outside, p.above) for p in shape.points}
    assert placed == {"A": (0, True), "B": (95, False), "C": (95, True)}
    assert [p.label for p in shape.outside(95)] == ["B", "C"] and shape.outside(998) == []


def test_a_point_outside_the_99_8_limits_and_clipping_to_the_scale():
    # D: 40 from 9, E: 80 from 9 (s^2 400 and 0: sigma^2 = (8 x 400 + 8 x 0) / 16 = 200)
    # mean 60; n = 9: 99.8% 60 +/- 3.090232 x sqrt(200) / 3 = 60 +/- 14.56749 -> [45.43, 74.57]
    shape = funnel.funnel([Point("D", 40, 9, 400.0), Point("E", 80, 9, 0.0)])
    assert shape.sd == pytest.approx(math.sqrt(200))
    assert shape.limits(9, 0.998) == pytest.approx((45.43251, 74.56749), abs=1e-5)
    assert {p.label: p.outside for p in shape.points} == {"D": 998, "E": 998}
    # at n = 1 the 99.8% limits 60 +/- 43.70 are clipped to the IKM scale's 25..100
    assert shape.limits(1, 0.998) == (25.0, 100.0)


def test_sigma_from_the_posts_results():
    # Var(index) 0.01 from 10 respondents of 20 invited: s^2 = 10 x 0.01 / (1 - 10/20) x 625
    assert funnel.respondent_variance(0.01, 10, 20) == pytest.approx(125.0)
    assert funnel.respondent_variance(0.01, 10, 0) == pytest.approx(62.5)  # nobody invited
    assert funnel.respondent_variance(0.01, 10, 10) is None  # everyone answered: unknown
    assert funnel.respondent_variance(None, 10, 20) is None
    assert funnel.respondent_variance(0.01, 1, 20) is None
    # unknown spreads are plotted but left out of sigma; none known: no limits
    shape = funnel.funnel([Point("A", 80, 4, None), Point("B", 70, 16, None)])
    assert shape.sd is None and shape.limits(4, 0.95) is None and shape.curve() == []
    assert {p.outside for p in shape.points} == {0}


def test_the_binomial_case_for_complaint_rates():
    # 18 of 20 and 12 of 20 in time: p0 = 30 / 40 = 0.75, sigma = sqrt(0.75 x 0.25) = 0.4330
    # n = 20: 95% 75 +/- 1.959964 x 43.30127 / sqrt(20) = 75 +/- 18.97727 -> [56.02, 93.98]
    points = [Point("Dinas 1", 90.0, 20), Point("Dinas 2", 60.0, 20)]
    sd = funnel.proportion_sd(points)
    assert sd == pytest.approx(43.30127, abs=1e-5)
    shape = funnel.funnel(points, sd=sd, lowest=0.0)
    assert shape.mean == 75
    assert shape.limits(20, 0.95) == pytest.approx((56.02273, 93.97727), abs=1e-5)
    assert {p.outside for p in shape.points} == {0}


def test_the_curve_runs_from_one_to_the_largest_post():
    shape = funnel.funnel([Point("A", 80, 4, 100.0), Point("B", 70, 16, 100.0)])
    curve = shape.curve(steps=4)
    assert curve[0][0] == pytest.approx(1) and curve[-1][0] == pytest.approx(16 * 1.08)
    n, low95, high95, low998, high998 = curve[-1]
    assert (low95, high95) == pytest.approx(shape.limits(16 * 1.08, 0.95))
    assert low998 < low95 < high95 < high998
