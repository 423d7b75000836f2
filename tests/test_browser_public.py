"""/publik in Chromium: at 360 px and 1280 px, without JavaScript, under the
Content-Security-Policy, and through axe-core (no critical or serious violation).

Screenshots go to SKM_SCREENSHOTS (a directory) when it is set, else to the test's tmp_path.
axe-core is read from AXE_CORE_JS, else /tmp/axe/node_modules/axe-core/axe.min.js
(``npm install --prefix /tmp/axe axe-core``); the axe test is skipped without it.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.live import BROWSER_TESTS, CHROMIUM, CHROMIUM_ARGS, csp_violations, page_width, serving
from tests.test_public import published  # noqa: F401  (the fixture)

pytestmark = BROWSER_TESTS
AXE = Path(os.environ.get("AXE_CORE_JS", "/tmp/axe/node_modules/axe-core/axe.min.js"))
PAGES = ("/publik/", "/publik/2026-Q2", "/publik/2026-Q2?lang=en", "/publik/kamus-data")


@contextmanager
def context(**options):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser.new_context(**options)
        finally:
            browser.close()


def _shots(tmp_path) -> Path:
    where = Path(os.environ.get("SKM_SCREENSHOTS") or tmp_path)
    where.mkdir(parents=True, exist_ok=True)
    return where


@pytest.mark.parametrize("width", [360, 1280])
def test_publik_fits_the_screen_without_javascript(app, published, tmp_path,  # noqa: F811
                                                   width):
    with serving(app) as base, context(viewport={"width": width, "height": 800},
                                       java_script_enabled=False) as browser:
        page = browser.new_page()
        violations = csp_violations(page)
        for address in PAGES:
            response = page.goto(base + address)
            assert response is not None and response.status == 200, address
            # nothing wider than the screen: no sideways scrolling on a phone
            assert page_width(page) <= width, address
        page.goto(base + "/publik/2026-Q2")
        small = page.locator("tr", has_text="KELURAHAN 3171020001")
        assert "terlalu sedikit untuk diperingkat" in small.inner_text()
        assert "100,00" in page.locator("tr", has_text="KELURAHAN 3171010001").inner_text()
        page.screenshot(path=str(_shots(tmp_path) / f"publik_{width}.png"), full_page=True)
        page.click("text=Kamus data")  # a plain link: works without JavaScript
        assert page.url.endswith("/publik/kamus-data")
        page.click("text=EN")
        assert page.locator("h1").inner_text() == "Data dictionary"
        assert violations == []


@pytest.mark.skipif(not AXE.exists(), reason="axe-core is not installed")
def test_axe_finds_no_serious_violation_on_publik(app, published):  # noqa: F811
    with serving(app) as base, context(viewport={"width": 360, "height": 800},
                                       bypass_csp=True) as browser:
        page = browser.new_page()
        for address in PAGES:
            page.goto(base + address)
            page.add_script_tag(path=str(AXE))
            found = page.evaluate(
                "async () => (await axe.run()).violations"
                ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length}))")
            serious = [v for v in found if v["impact"] in ("critical", "serious")]
            assert serious == [], (address, serious)
