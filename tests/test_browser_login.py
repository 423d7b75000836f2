"""A new user logs in through a real browser at phone size (Debian's Chromium, Playwright)."""
from __future__ import annotations

from tests.live import BROWSER_TESTS, browser_page, csp_violations, page_width, serving, shows

pytestmark = BROWSER_TESTS


def test_login_in_a_real_browser(app, users, tmp_path):
    with serving(app) as base, browser_page() as page:
        violations = csp_violations(page)  # the CSP blocks nothing the pages use
        page.goto(base + "/")
        assert page.url.startswith(base + "/auth/login")
        assert page.locator("h1").inner_text() == "Masuk"
        page.fill("#email", users["coordinator"])
        page.fill("#password", "wrong password")
        page.click("button[type=submit].primary")
        shows(page, "Email atau kata sandi salah.")
        page.fill("#email", users["coordinator"])
        page.fill("#password", "password123")
        page.click("button[type=submit].primary")
        page.wait_for_url(base + "/")
        shows(page, "coordinator@example.id")
        # nothing is wider than the phone's screen
        assert page_width(page) <= 360
        page.screenshot(path=str(tmp_path / "after-login.png"), full_page=True)
        page.click("text=Keluar")
        page.wait_for_url(base + "/auth/login*")
        assert violations == []
