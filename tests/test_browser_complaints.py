"""A coordinator imports complaint exports in a real browser (Debian's Chromium through Playwright),
at 360 and 1280 px: a small export previewed with its errors and imported with the bad row
skipped; a large one previewed from its first rows, imported by a job, and the job's page. Every
page fits the window and axe-core finds no critical or serious violation on them."""
from __future__ import annotations

from tests import factories
from tests.live import (
    AXE_TESTS,
    browser,
    log_in,
    new_page,
    serious_axe_violations,
    serving,
    shoot,
    shows,
)

pytestmark = AXE_TESTS

HEADER = factories.COMPLAINTS_HEADER


def export(folder, name: str, rows: list[str]):
    path = folder / name
    path.write_text(HEADER + "".join(rows), encoding="utf-8")
    return path


def upload(page, base: str, path) -> None:
    page.goto(base + "/coordinator/complaints/")
    page.set_input_files("input[type=file]", str(path))
    page.click("button[type=submit].primary")
    page.wait_for_load_state()


def test_a_coordinator_imports_a_small_and_a_large_export(app, users, tmp_path):
    app.config["JOB_IMPORT_BYTES"] = 400  # the small file is below, the large one above
    problems: list[str] = []
    with serving(app) as base, browser() as chromium:
        for width in (360, 1280):
            page = new_page(chromium, width)
            log_in(page, base, users["coordinator"])
            # A small export with a bad row: every row checked on the preview.
            small = export(tmp_path, f"kecil-{width}.csv", [
                f"S{width}-1,JAKI,Jalan,3171010001,,Proses,2026-05-01 10:00,,\n",
                f"S{width}-2,JAKI,Jalan,3171999999,,Proses,2026-05-01 11:00,,\n"])
            upload(page, base, small)
            shows(page, "1 baris baik, 1 baris salah")
            shows(page, "wilayah 3171999999 tidak ada")
            problems += serious_axe_violations(page)
            shoot(page, tmp_path, "small-preview", width)
            page.check("input[name=skip_bad]")
            page.click("button[name=submit]")
            shows(page, "Pengaduan diimpor: 1 baru")
            # A large one: its first ten rows shown, every row checked by the job.
            large = export(tmp_path, f"besar-{width}.csv", [
                f"L{width}-{n:02d},JAKI,Jalan,3171010001,,Proses,2026-05-02 10:{n:02d},,\n"
                for n in range(12)])
            upload(page, base, large)
            shows(page, "Berkas ini besar")
            assert page.locator("tbody tr", has_text=f"L{width}-").count() == 10
            problems += serious_axe_violations(page)
            shoot(page, tmp_path, "large-preview", width)
            page.click("button[name=submit]")
            shows(page, "Pengaduan diimpor: 12 baru")
            shows(page, f"Berkas: besar-{width}.csv.")
            problems += serious_axe_violations(page)
            shoot(page, tmp_path, "large-job", width)
    assert problems == []
