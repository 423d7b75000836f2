"""Pages the other browser tests do not open, in Chromium under the Content-Security-Policy:
the league's grade bars (SVG: a style="width" would be blocked) and the verify page."""
from __future__ import annotations

import pytest

from tests.live import BROWSER_TESTS, browser_page, csp_violations, log_in, serving
from tests.test_results_pages import league  # noqa: F401  (the fixture)

pytestmark = BROWSER_TESTS


def test_the_grade_bars_are_drawn_without_inline_style(app, users, league):  # noqa: F811
    with serving(app) as base, browser_page(width=800) as page:
        violations = csp_violations(page)
        log_in(page, base, users["coordinator"])
        page.wait_for_url(base + "/")
        page.goto(base + "/results/2026-Q3")
        rows = page.locator(".dist-row")
        widths = {rows.nth(i).locator(".dist-label").inner_text():
                  rows.nth(i).locator("rect").bounding_box()["width"] /
                  rows.nth(i).locator("svg").bounding_box()["width"]
                  for i in range(rows.count())}
        # the fixture's four lurah: IKM 100 (A), 75 and 75 (C), 50 (D): bars of 1/4, 2/4, 1/4
        assert widths == {"A": pytest.approx(0.25, abs=0.01), "C": pytest.approx(0.5, abs=0.01),
                          "D": pytest.approx(0.25, abs=0.01)}
        page.goto(base + "/verify")
        assert violations == []
