"""A coordinator's master data and paper forms in a real browser (issue 18), on a 360 px phone:
load officials from a file (preview, then save), record a rotation, download a round's paper
template, fill it in and import it with the one already-answered row skipped and handed back.
Each page is also shot at 1280 px and checked with axe-core when it is installed.

Set SKM_SCREENSHOT_DIR to keep the screenshots (they go to the test's temporary folder
otherwise); SKM_AXE to the path of axe.min.js (default /tmp/axe/node_modules/axe-core/axe.min.js,
from `npm install --prefix /tmp/axe axe-core`).
"""
from __future__ import annotations

import csv
import io
import os
from pathlib import Path

from sqlalchemy import func, select

from survey_app.domain import audit, officials, responses
from survey_app.extensions import db
from survey_app.models import AuditEntry, HeldResponse, Round
from tests.live import (
    BROWSER_TESTS,
    browser_page,
    csp_violations,
    log_in,
    page_width,
    serving,
    shows,
)
from tests.respondent_setup import load_roster, world

pytestmark = BROWSER_TESTS

AXE = Path(os.environ.get("SKM_AXE", "/tmp/axe/node_modules/axe-core/axe.min.js"))
# The lurah of 3171010002 (tests.respondent_setup.world) leaves at the end of 2026; Dewi follows.
OFFICIALS_FILE = (
    "nip,name,position,area_code,unit_code,start_date,end_date\n"
    "198001012005010001,Pejabat lurah 3171010002,lurah,3171010002,,2020-01-01,2026-12-31\n"
    "199001012015011001,Dewi Lestari,lurah,3171010002,,2027-01-01,\n"
)
PAPER_ROWS = ["R1,lurah,3171010001,4,4,4,4,4,4,4,4,4,,",  # answered already: skipped
              "R2,lurah,3171010001,3,3,3,3,2,3,3,3,3,,Jalan sudah diperbaiki"]


def setup(app) -> None:
    with app.app_context():
        _areas, round_ = world()
        load_roster(round_)
        header = ",".join(c for c in responses.paper_columns(round_)[0]) + ",comment"
        responses.import_paper(round_, responses.read_paper(
            round_, f"{header}\nR1,lurah,3171010001,3,3,3,3,3,3,3,3,3,\n".encode(), "p.csv"))
        audit.record("import-responses", round_.code)
        db.session.commit()


class Pages:
    """Screenshots at both widths, the page's width at 360 px, and axe-core's verdict."""

    def __init__(self, page, shots: Path):
        self.page, self.shots, self.problems = page, shots, []

    def check(self, name: str, within: str = "html") -> None:
        """``within``: the part of the page that is ours (the rest is another issue's)."""
        page = self.page
        page.wait_for_load_state()
        page.screenshot(path=str(self.shots / f"{name}-360.png"), full_page=True)
        assert page_width(page) <= 360, name
        page.set_viewport_size({"width": 1280, "height": 900})
        page.screenshot(path=str(self.shots / f"{name}-1280.png"), full_page=True)
        page.set_viewport_size({"width": 360, "height": 740})
        if AXE.exists():
            page.evaluate(AXE.read_text(encoding="utf-8"))
            found = page.evaluate("""async (within) => (await axe.run(within)).violations
                .filter(v => v.impact === 'critical' || v.impact === 'serious')
                .map(v => v.id + ': ' + v.nodes.map(n => n.target.join(' ')).join(', '))""",
                                  within)
            self.problems.extend(f"{name}: {problem}" for problem in found)


def test_a_coordinator_keeps_master_data_and_imports_paper_forms(app, users, tmp_path):
    shots = Path(os.environ.get("SKM_SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    setup(app)
    officials_file = tmp_path / "pejabat.csv"
    officials_file.write_text(OFFICIALS_FILE, encoding="utf-8")
    with serving(app) as base, browser_page() as page:
        violations = csp_violations(page)  # the CSP blocks nothing the pages use
        pages = Pages(page, shots)
        log_in(page, base, users["coordinator"])

        # 1. officials from a file: a preview first, nothing saved before the confirmation
        page.click("header nav >> text=Data induk")
        pages.check("1-master-data")
        page.click("nav.tabs >> text=Pejabat")
        page.set_input_files("#file", str(officials_file))
        page.click("text=Periksa berkas")
        shows(page, "1 baru, 1 berubah, 0 tidak berubah. Belum ada yang disimpan.")
        pages.check("2-officials-preview")
        page.click("text=Simpan 2 baris ini")
        shows(page, "Pejabat dan masa jabatan diimpor: 1 baru, 1 diperbarui, 0 tidak berubah.")
        page.fill("#q", "dewi")
        page.click("form.filters button")
        assert page.locator("tbody tr").count() == 1
        pages.check("3-officials-list")

        # 2. a rotation: the camat of 3171010 hands over on 1 February 2027
        page.click("nav.tabs >> text=Jabatan dan rotasi")
        page.fill("#q", "3171010")
        page.select_option("#kind", "camat")
        page.click("form.filters button")
        pages.check("4-posts")
        page.click("tbody >> text=Camat")
        page.fill("#nip", "199101012016011001")
        page.fill("#name", "Rudi Hartono")
        page.fill("#start_date", "2020-01-01")  # the day the current camat began: refused
        page.click("text=Catat rotasi ini")
        assert "akan tumpang tindih dengannya" in page.locator("#start_date ~ .error").inner_text()
        pages.check("5-rotation-refused")
        page.fill("#start_date", "2027-02-01")
        page.click("text=Catat rotasi ini")
        shows(page, "Rotasi dicatat: Rudi Hartono memegang jabatan sejak 2027-02-01.")
        rows = page.locator("tbody tr")
        assert rows.nth(0).inner_text().startswith("Rudi Hartono")
        assert "2027-01-31" in rows.nth(1).inner_text()  # the outgoing camat's last day
        pages.check("6-post-history")

        # 3. the paper template of the round, filled in, with one row already answered
        page.click("header nav >> text=Responden")
        page.click("text=2027-Q1")
        paper = page.locator("form[action$='/paper']")
        page.locator("details:has(dl.items) summary").click()
        assert "Pertanyaan U1.1" in page.locator("dl.items").inner_text()
        # the rest of the round's page (the response-rate tables) is the accessibility fixes'
        pages.check("7-paper-section", within="#paper")
        with page.expect_download() as got:
            page.click("a[href$='/templates/paper/2027-Q1.csv']")
        template = Path(got.value.path()).read_text(encoding="utf-8")
        assert template.startswith("respondent_ref,position,area_code,U1,")
        filled = tmp_path / "kertas.csv"
        filled.write_text(template + "\r\n".join(PAPER_ROWS) + "\r\n", encoding="utf-8")
        paper.locator("input[type=file]").set_input_files(str(filled))
        paper.locator("input[type=checkbox]").check()
        paper.locator("button").click()
        shows(page, "1 formulir kertas disimpan; 1 baris salah dilewati.")
        pages.check("8-paper-skipped")
        with page.expect_download() as got:
            page.click("text=Unduh 1 baris yang salah (CSV)")
        bad = list(csv.reader(io.StringIO(Path(got.value.path()).read_text(encoding="utf-8"))))
        assert [row[0] for row in bad] == ["respondent_ref", "R1"]
        assert bad[1][-1].startswith("baris 2: responden R1 sudah menjawab")

        # the other master data pages, looked at and checked too
        page.click("header nav >> text=Data induk")
        page.click("nav.tabs >> text=Wilayah")
        page.select_option("#level", "kelurahan")
        page.click("form.filters button")
        assert page.locator("tbody tr").count() == 4
        pages.check("9-areas")
        page.click("nav.tabs >> text=Unit")
        pages.check("10-units")
        page.goto(base + "/coordinator/master/rotation")
        pages.check("11-rotation-by-code")
        assert violations == []
    assert pages.problems == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HeldResponse)) == 2
        round_ = db.session.scalar(select(Round))
        assert round_.code == "2027-Q1"
        post = officials.find_post("camat", "3171010")
        assert [t.name for t in officials.post_history(post.id)] == [
            "Rudi Hartono", "Pejabat camat 3171010"]
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"import-officials", "rotation", "import-responses"} <= actions

