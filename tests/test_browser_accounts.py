"""Issue 18 in a real browser (Debian's Chromium through Playwright): a coordinator replaces a
respondent, exports the league table as XLSX and sees the publish checklist; an admin resets a
password and the official uses the link; an official changes their password. Screenshots at 360
and 1280 px; axe-core finds no critical or serious violation on these pages."""
from __future__ import annotations

import io
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Area, Position, Respondent
from tests import factories
from tests.live import (
    AXE_TESTS,
    browser,
    csp_violations,
    log_in,
    new_page,
    serious_axe_violations,
    serving,
    shoot,
    shows,
)
from tests.respondent_setup import load_roster, world

pytestmark = AXE_TESTS


@pytest.fixture
def setup(app, users):
    """An open round 2027-Q1 with a roster, and a closed 2026-Q3 with four scored lurah."""
    with app.app_context():
        _areas, _open = world()
        load_roster(_open)
        areas = {a.code: a for a in db.session.scalars(select(Area))}
        closed = factories.round_("2026-Q3", state="closed",
                                  opens=datetime(2026, 8, 1, tzinfo=UTC),
                                  closes=datetime(2026, 9, 30, 17, tzinfo=UTC),
                                  questionnaire=factories.regulation_questionnaire())
        for code, value in {"3171010001": 4, "3171010002": 3, "3171020001": 3,
                            "3171020002": 2}.items():
            post = db.session.scalar(select(Position).where(Position.area_id == areas[code].id,
                                                            Position.kind == "lurah"))
            for _ in range(3):
                factories.response(closed, post, "rt", {f"U{i}": value for i in range(1, 10)})
        db.session.commit()
    return users


def test_coordinator_replaces_exports_and_checks_before_publishing(app, setup, tmp_path):
    users = setup
    problems: list[str] = []
    with serving(app) as base, browser() as chromium:
        plain = chromium.new_context(viewport={"width": 360, "height": 800}).new_page()
        csp = csp_violations(plain)  # the pages themselves load under their CSP without a block
        log_in(plain, base, users["coordinator"])
        for path in ("/coordinator/roster/2027-Q1/respondents", "/results/2026-Q3",
                     "/coordinator/rounds/2026-Q3/publish"):
            plain.goto(base + path)
        assert csp == []
        for width in (360, 1280):
            page = new_page(chromium, width)
            log_in(page, base, users["coordinator"])
            # the roster: replace R1 (first at 360 px, then R2 at 1280 px)
            old = "R1" if width == 360 else "R2"
            page.goto(base + "/coordinator/roster/2027-Q1/respondents")
            problems += serious_axe_violations(page)
            shoot(page, tmp_path, "roster", width)
            page.click(f"a[aria-label='Ganti {old}']")
            problems += serious_axe_violations(page)
            page.fill("#ref", f"{old}-BARU")
            page.fill("#name", "Joko Widodo")
            page.fill("#phone", "0812 9999 0000")
            shoot(page, tmp_path, "replace", width)
            page.click("button[type=submit].primary")
            shows(page, f"{old}-BARU menggantikan {old}")
            shoot(page, tmp_path, "replaced", width)
            # the league table as XLSX, read back
            page.goto(base + "/results/2026-Q3?tier=lurah")
            problems += serious_axe_violations(page)
            shoot(page, tmp_path, "league", width)
            with page.expect_download() as download:
                page.click("p.downloads a:text('XLSX')")
            rows = list(load_workbook(io.BytesIO(Path(download.value.path()).read_bytes()))
                        .active.values)
            header = rows[0]
            ikm = {r[header.index("area_code")]: r[header.index("ikm")] for r in rows[1:]}
            assert ikm == {"3171010001": 100, "3171010002": 75, "3171020001": 75,
                           "3171020002": 50}
            # publishing: the checklist comes first
            page.goto(base + "/coordinator/rounds/2026-Q3")
            page.click("text=Terbitkan hasil")
            assert page.locator("#checklist-h").inner_text() == "Periksa sebelum menerbitkan"
            assert "Ekspor pengaduan terakhir yang diimpor: belum pernah" in \
                page.locator(".checklist").inner_text()
            problems += serious_axe_violations(page)
            shoot(page, tmp_path, "publish-checklist", width)
            # the round form (aria-invalid was once "None")
            page.goto(base + "/coordinator/rounds/new")
            page.click("button[type=submit].primary")  # empty: errors next to the fields
            problems += serious_axe_violations(page)
            page.context.close()
    with app.app_context():
        refs = {r.ref: r.active for r in db.session.scalars(select(Respondent))}
    assert refs["R1"] is False and refs["R1-BARU"] is True and refs["R2-BARU"] is True
    assert problems == []


def test_admin_resets_a_password_and_an_official_changes_theirs(app, setup, tmp_path):
    users = setup
    problems: list[str] = []
    with serving(app) as base, browser() as chromium:
        for width, password in ((360, "kata-sandi-baru-1"), (1280, "kata-sandi-baru-2")):
            admin = new_page(chromium, width)
            log_in(admin, base, users["admin"])
            admin.goto(base + "/admin/users")
            problems += serious_axe_violations(admin)
            shoot(admin, tmp_path, "accounts", width)
            admin.click(f"button[aria-label='Atur ulang kata sandi {users['official']}']")
            link = admin.locator("#reset-link").inner_text()
            problems += serious_axe_violations(admin)
            shoot(admin, tmp_path, "reset-link", width)
            admin.context.close()
            # the official, in another browser, uses the link
            official = new_page(chromium, width)
            official.goto(base + re.sub(r"^https?://[^/]+", "", link))
            problems += serious_axe_violations(official)
            official.fill("#new_password", password)
            official.fill("#confirm", password)
            shoot(official, tmp_path, "set-password", width)
            official.click("button[type=submit].primary")
            shows(official, "Kata sandi Anda sudah ditetapkan.")
            log_in(official, base, users["official"], password)
            assert official.url == base + "/portal/"
            # and changes it again, with the current one
            official.click("text=Kata sandi")
            problems += serious_axe_violations(official)
            official.fill("#current_password", password)
            official.fill("#new_password", password + "-x")
            official.fill("#confirm", password + "-x")
            shoot(official, tmp_path, "change-password", width)
            official.click("button[type=submit].primary")
            shows(official, "Kata sandi Anda telah diganti")
            official.context.close()
            # the next round starts from the newest password
            users_password = password + "-x"
        checker = new_page(chromium, 360)
        log_in(checker, base, users["official"], users_password)
        assert checker.url == base + "/portal/"
    assert problems == []


