"""A new coordinator creates and schedules a round in a real browser at phone size."""
from __future__ import annotations

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Round
from tests.live import (
    BROWSER_TESTS,
    browser_page,
    csp_violations,
    log_in,
    page_width,
    serving,
    shows,
)

pytestmark = BROWSER_TESTS


def test_create_fix_and_schedule_a_round_on_a_phone(app, users, tmp_path):
    with serving(app) as base, browser_page() as page:
        violations = csp_violations(page)  # the CSP blocks nothing the pages use
        log_in(page, base, users["coordinator"])
        page.click("text=Semua putaran")
        page.click("text=Putaran baru")
        page.fill("#code", "2027-Q1")
        page.fill("#opens_at", "2027-03-10T08:00")
        page.fill("#closes_at", "2027-03-01T08:00")  # before the opening: refused
        page.click("button[type=submit].primary")
        assert page.locator("#closes_at + .error").inner_text() == \
            "Putaran harus ditutup setelah dibuka."
        assert page.input_value("#code") == "2027-Q1"  # what was typed is kept
        assert page_width(page) <= 360
        page.screenshot(path=str(tmp_path / "round-form-error.png"), full_page=True)
        page.fill("#closes_at", "2027-04-01T00:00")
        page.click("button[type=submit].primary")
        shows(page, "Putaran 2027-Q1 dibuat sebagai draf.")
        page.click("text=Jadwalkan")
        page.click("text=Ya, lanjutkan")
        shows(page, "Putaran 2027-Q1 telah dijadwalkan.")
        page.screenshot(path=str(tmp_path / "round-scheduled.png"), full_page=True)
        assert violations == []
    with app.app_context():
        assert db.session.scalar(select(Round.state)) == "scheduled"
