"""The follow-up loop in a real browser (issue 20): a lurah writes a plan for the priority element
of the published card, the camat returns it with a note, the lurah changes and resubmits it, the
camat approves it, the lurah adds a photo and marks it done, the camat verifies it; then the next
quarter's card shows the plan and its state. At 360 px and 1280 px, without JavaScript of the
site's own, with no CSP violation, and with no critical or serious axe-core finding.

Screenshots and the card's image go to SKM_SCREENSHOTS (default: pytest's tmp_path) for a person
to look at."""
from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import FollowupPlan
from tests import portal_setup
from tests.live import (
    BROWSER_TESTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    csp_violations,
    log_in,
    page_width,
    serving,
    shows,
)

AXE = Path(os.environ.get("AXE_JS", "/tmp/axe/node_modules/axe-core/axe.min.js"))
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")

pytestmark = [*BROWSER_TESTS,
              pytest.mark.skipif(shutil.which("pdftotext") is None,
                                 reason="pdftotext (poppler-utils) is not installed")]


def _axe(page) -> list[str]:
    """The critical and serious axe-core violations on the page (none when axe is missing)."""
    if not AXE.exists():
        return []
    page.add_script_tag(path=str(AXE))
    found = page.evaluate("async () => (await axe.run()).violations"
                          ".filter(v => ['critical', 'serious'].includes(v.impact))"
                          ".map(v => v.id + ': ' + v.nodes.map(n => n.target).join(' '))")
    return list(found)


class Session:
    """One browser context per person (own cookies), at one width."""

    def __init__(self, browser, base: str, width: int, shots: Path):
        self.context = browser.new_context(viewport={"width": width, "height": 800},
                                           bypass_csp=False)
        self.page = self.context.new_page()
        self.violations = csp_violations(self.page)
        self.base, self.width, self.shots = base, width, shots
        self.axe_found: list[str] = []

    def login(self, email: str) -> None:
        log_in(self.page, self.base, email)

    def logout(self) -> None:
        self.page.click("form.logout button")

    def shot(self, name: str) -> None:
        assert page_width(self.page) <= self.width, name
        self.page.screenshot(path=str(self.shots / f"{name}-{self.width}.png"), full_page=True)

    def check_axe(self, browser) -> None:
        """axe-core on the current address in a context that lets the script in (the site's CSP
        rightly refuses it), with this session's cookies."""
        context = browser.new_context(viewport={"width": self.width, "height": 800},
                                      bypass_csp=True, storage_state=self.context.storage_state())
        page = context.new_page()
        page.goto(self.page.url)
        self.axe_found += [f"{self.page.url}: {v}" for v in _axe(page)]
        context.close()


def _state(app) -> str:
    with app.app_context():
        return db.session.scalar(select(FollowupPlan.state))


@pytest.mark.parametrize("width", [360, 1280])
def test_the_follow_up_loop_in_a_browser(app, users, tmp_path, width):
    from playwright.sync_api import sync_playwright

    shots = Path(os.environ.get("SKM_SCREENSHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    with app.app_context():
        posts = portal_setup.build()
    photo = tmp_path / "foto-loket.png"
    photo.write_bytes(PNG)
    with serving(app) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        lurah = Session(browser, base, width, shots)
        camat = Session(browser, base, width, shots)
        lurah.login("official@example.id")
        camat.login("camat@example.id")

        # the lurah writes the plan for the one priority element of the 2026-Q2 card
        page = lurah.page
        page.goto(base + "/portal/2026-Q2")
        page.click("text=Rencana tindak lanjut")
        shows(page, "U3 Waktu Penyelesaian")
        lurah.shot("followups-list")
        lurah.check_axe(browser)
        page.click("text=Tulis rencana")
        page.fill("#action", "Membuka loket kedua pada jam sibuk")
        page.select_option("#due_quarter", "2026-Q3")
        page.fill("#responsible", "Sekretaris Kelurahan")
        lurah.shot("followup-write")
        lurah.check_axe(browser)
        page.click("#submit_plan")
        shows(page, "Rencana telah diajukan untuk ditinjau.")
        assert _state(app) == "submitted"

        # the camat finds it waiting and returns it with a note (an empty note is refused)
        page = camat.page
        page.goto(base + "/portal/2026-Q2/rencana")
        shows(page, "1 menunggu Anda.")
        camat.shot("followups-review-list")
        page.click("a:has-text('Lurah KELURAHAN 3171010001')")
        camat.shot("followup-review")
        camat.check_axe(browser)
        page.click("text=Kembalikan dengan catatan ini")
        shows(page, "Sebutkan apa yang perlu diubah.")
        page.fill("#note", "Sebutkan jam buka loket kedua.")
        page.click("text=Kembalikan dengan catatan ini")
        assert _state(app) == "returned"

        # the lurah reads the note, changes the plan and submits it again
        page = lurah.page
        page.goto(base + "/portal/2026-Q2/rencana")
        page.click("text=Buka rencana")
        shows(page, "Sebutkan jam buka loket kedua.")
        lurah.shot("followup-returned")
        page.click("text=Ubah rencana")
        page.fill("#action", "Membuka loket kedua pukul 08.00-12.00 pada Senin dan Jumat")
        page.click("#submit_plan")
        assert _state(app) == "submitted"

        # the camat approves it
        camat.page.goto(page.url)
        camat.page.click("text=Setujui")
        shows(camat.page, "Rencana telah disetujui.")
        assert _state(app) == "approved"

        # the lurah adds a photo and the evidence, and marks it done
        page.reload()
        page.set_input_files("#file", str(photo))
        page.click("text=Tambahkan berkas")
        shows(page, "Berkas telah ditambahkan.")
        shows(page, "foto-loket.png")
        page.fill("#evidence", "Loket kedua buka sejak 1 Agustus; foto terlampir.")
        lurah.shot("followup-evidence")
        lurah.check_axe(browser)
        page.click("text=Tandai selesai")
        assert _state(app) == "done"

        # the camat verifies it
        camat.page.goto(page.url)
        camat.shot("followup-verify")
        camat.check_axe(browser)
        camat.page.click("text=Verifikasi: tindakan telah dilakukan")
        shows(camat.page, "Rencana telah diverifikasi.")
        assert _state(app) == "verified"
        lurah.page.reload()
        lurah.shot("followup-verified")
        assert lurah.violations == [] and camat.violations == []
        assert lurah.axe_found + camat.axe_found == []
        browser.close()

    # the next quarter's card (2026-Q3, seen by the coordinator before publication)
    client = app.test_client()
    from tests.conftest import AuthActions
    AuthActions(client).login("coordinator@example.id")
    pdf = client.get(f"/portal/2026-Q3/cards/{posts['3171010001']}.pdf").data
    card = shots / f"card-2026-Q3-{width}.pdf"
    card.write_bytes(pdf)
    text = subprocess.run(["pdftotext", "-layout", str(card), "-"], capture_output=True,
                          check=True, text=True).stdout
    flat = " ".join(text.split())
    assert "Rencana tindak lanjut setelah 2026-Q2" in flat
    assert "U3 Waktu Penyelesaian: 2,00 pada 2026-Q2, kini 2,00 (+0,00)" in flat
    assert ("Tindakan: Membuka loket kedua pukul 08.00-12.00 pada Senin dan Jumat · target "
            "2026-Q3 · status: terverifikasi") in flat
    if shutil.which("pdftoppm"):
        subprocess.run(["pdftoppm", "-png", "-r", "70", str(card), str(shots / card.stem)],
                       check=True)
