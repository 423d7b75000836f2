"""The respondent's whole journey in a real browser on a 360x740 phone screen (Debian's
Chromium through Playwright): open the link, answer, be told what is missing, send, thanks.

Set SKM_SCREENSHOT_DIR to keep the screenshots (they go to the test's temporary folder otherwise).
"""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import HeldResponse
from tests import factories
from tests.live import BROWSER_TESTS, browser_page, csp_violations, page_width, serving, shows
from tests.respondent_setup import load_roster, token_of, world

pytestmark = BROWSER_TESTS


def test_a_respondent_answers_on_a_phone(app, tmp_path):
    shots = Path(os.environ.get("SKM_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        world()
        load_roster(db.session.scalar(select(factories.Round)))
        db.session.commit()
        token = token_of("R1")
    with serving(app) as base, browser_page() as page:
        violations = csp_violations(page)  # the CSP blocks nothing the pages use
        page.goto(f"{base}/s/{token}")
        assert page.locator("h1").inner_text() == "Kuesioner uji"
        assert page_width(page) <= 360
        page.screenshot(path=str(shots / "1-form-top.png"))
        # a choice is a large target: the whole labelled row, at least 44 px high
        first = page.locator("#q-1-U1 label.choice").first
        assert first.bounding_box()["height"] >= 44
        # answer the lurah's questions except two, by tapping the labels' text
        lurah = page.locator("section.position").first
        for n in range(1, 10):
            if n in (3, 7):
                continue
            lurah.locator(f"#q-1-U{n} label.choice").nth(2).click()
        page.fill("#c-1", "Pelayanan kelurahan cepat.")
        page.click("button.send")
        page.wait_for_load_state()
        shows(page, "Beberapa pertanyaan belum dijawab.")
        assert page.locator("fieldset.missing").count() == 2
        # what was chosen is still chosen, and the comment is still there
        assert page.locator("#q-1-U1 input[value='3']").is_checked()
        assert page.input_value("#c-1") == "Pelayanan kelurahan cepat."
        page.screenshot(path=str(shots / "2-problems.png"))
        page.locator("#q-1-U3").scroll_into_view_if_needed()
        page.screenshot(path=str(shots / "3-missing-question.png"))
        page.locator("#q-1-U3 label.choice").nth(3).click()
        page.locator("#q-1-U7 label.choice").nth(1).click()
        page.click("button.send")
        page.wait_for_url(f"{base}/s/{token}/terima-kasih*")
        assert page.locator("h1").inner_text() == "Terima kasih!"
        assert page_width(page) <= 360
        page.screenshot(path=str(shots / "4-thanks.png"), full_page=True)
        # the others later, with the same link
        page.click("text=Nilai yang lain sekarang")
        assert page.locator("section.position").count() == 2
        page.screenshot(path=str(shots / "5-the-others.png"))
        # the language link stays on this page (it is relative: the page holds no personal link)
        page.click("a[hreflang=en]")
        page.wait_for_url(f"{base}/s/{token}?lang=en")
        shows(page, "Your answers are anonymous.")
        page.screenshot(path=str(shots / "6-english.png"))
        # and the form posts back to the same address, so the answer page is in English too
        page.click("button.send")
        page.wait_for_url(f"{base}/s/{token}?lang=en#problems")
        shows(page, "Choose an answer for at least one official before sending.")
        assert violations == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HeldResponse)) == 1
