"""Coordinator pages for rosters: upload with a preview, downloads, paper forms, rates."""
from __future__ import annotations

import io
import re
from datetime import UTC

from sqlalchemy import func, select

from survey_app.domain import lifecycle
from survey_app.extensions import db
from survey_app.models import HeldResponse, Respondent
from tests.respondent_setup import HEADER, ROSTER, world, world_with_roster


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def setup_round(app):
    with app.app_context():
        world()
        db.session.commit()


def test_only_coordinators_and_admins_see_the_roster_pages(app, client, auth, users):
    setup_round(app)
    assert client.get("/coordinator/roster/").status_code == 302  # to the login
    auth.login(users["viewer"])
    assert client.get("/coordinator/roster/2027-Q1").status_code == 403
    auth.logout()
    auth.login(users["coordinator"])
    html = client.get("/coordinator/roster/").get_data(as_text=True)
    assert "2027-Q1" in html and 'href="/coordinator/roster/"' in html  # the nav link
    assert client.get("/coordinator/roster/1999-Q1").status_code == 404


def test_upload_preview_then_import(app, client, auth, users):
    setup_round(app)
    auth.login(users["coordinator"])
    page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    response = client.post("/coordinator/roster/2027-Q1/preview", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(ROSTER.encode()), "roster.csv")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "4 responden baru" in html and "Budi Santoso" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Respondent)) == 0
    upload = re.search(r'name="upload" type="hidden" value="([^"]+)"', html).group(1)
    response = client.post("/coordinator/roster/2027-Q1/import",
                           data={"csrf_token": csrf(html), "upload": upload}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Daftar responden diimpor: 4 baru" in html
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Respondent)) == 4
    # the rates table and the downloads
    assert "0 dari 4 responden yang diundang" in html
    # the links and letters of the whole round: a job (it can be the province), never made
    # inside the request; there is no direct download address
    assert client.get("/coordinator/roster/2027-Q1/invitations.csv").status_code == 404
    files = {}
    for fmt, pending in (("csv", "y"), ("pdf", "")):
        response = client.post("/coordinator/jobs/letters/2027-Q1", data={
            "csrf_token": csrf(html), "format": fmt, "area": "", "pending": pending})
        assert response.status_code == 303 and "/coordinator/jobs/" in response.headers["Location"]
        download = client.get(response.headers["Location"] + "/download")
        files[fmt] = download.get_data()
        download.close()
        assert download.status_code == 200
        assert "attachment" in download.headers["Content-Disposition"]
    assert files["csv"].startswith("\ufeffrespondent_ref".encode())
    assert files["csv"].count(b"/s/") == 4
    assert files["pdf"].startswith(b"%PDF")


def test_a_roster_kept_under_a_secret_key_since_changed_is_refused_in_words(app, client, auth,
                                                                           users):
    """Between the preview and its confirmation SECRET_KEY changed (the coordinator logs in
    again: the old session was signed with it): the kept file no longer opens; the roster page
    says to upload it again, the file is removed and nothing is imported."""
    setup_round(app)
    auth.login(users["coordinator"])
    html = upload_roster(client, ROSTER).get_data(as_text=True)
    upload = re.search(r'name="upload" type="hidden" value="([^"]+)"', html).group(1)
    with app.app_context():
        from survey_app import uploads

        kept = uploads.kept(upload)
    assert b"Budi" not in kept.read_bytes()
    app.config["SECRET_KEY"] = "rotated since the preview"
    auth.login(users["coordinator"])
    page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    response = client.post("/coordinator/roster/2027-Q1/import",
                           data={"csrf_token": csrf(page), "upload": upload},
                           follow_redirects=True)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Berkas unggahan tidak dapat dibaca lagi" in html and "Unggah lagi." in html
    assert not kept.exists()
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Respondent)) == 0


def test_a_bad_roster_shows_every_problem_and_writes_nothing(app, client, auth, users):
    setup_round(app)
    auth.login(users["coordinator"])
    page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    bad = HEADER + "R1,Budi,ketua,3171010001,1,2,,\nR2,Siti,rw,3171,1,,,\n"
    response = client.post("/coordinator/roster/2027-Q1/preview", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(bad.encode()), "roster.csv")},
        content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Tidak ada yang diimpor: 2 masalah ditemukan." in html
    assert "baris 2 [group]: kelompok &#39;ketua&#39; tidak dikenal" in html
    assert "baris 3 [area_code]: wilayah 3171 (KOTA JAKARTA SELATAN) adalah kota" in html


def upload_roster(client, data: str, query: str = ""):
    page = client.get("/coordinator/roster/2027-Q1" + query).get_data(as_text=True)
    return client.post("/coordinator/roster/2027-Q1/preview", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(data.encode()), "roster.csv")},
        content_type="multipart/form-data")


def test_import_errors_are_in_the_language_the_coordinator_chose(app, client, auth, users):
    setup_round(app)
    auth.login(users["coordinator"])
    bad = HEADER + "R1,Budi,tokoh,9999,,,,\n"
    html = upload_roster(client, bad, "?lang=en").get_data(as_text=True)
    assert "Nothing was imported: 1 problem found." in html
    assert "line 2 [area_code]: area 9999 does not exist" in html
    # The file reader shared by every import: the same English, still naming line and column.
    html = upload_roster(client, "respondent_ref,name,group\nR1,Budi,tokoh\n").get_data(
        as_text=True)
    assert ("line 1: missing column(s): area_code; expected respondent_ref,name,group,area_code"
            in html)
    # Back to Bahasa Indonesia: the same errors in it.
    html = upload_roster(client, bad, "?lang=id").get_data(as_text=True)
    assert "baris 2 [area_code]: wilayah 9999 tidak ada" in html
    html = upload_roster(client, "respondent_ref,name,group\nR1,Budi,tokoh\n").get_data(
        as_text=True)
    assert "baris 1: kolom tidak ada: area_code; kolom yang diharapkan: respondent_ref" in html


def test_the_preview_says_what_becomes_of_inactive_respondents_in_both_languages(app, client,
                                                                                  auth, users):
    with app.app_context():
        world_with_roster()
        for ref in ("R4", "R2"):
            lifecycle.deactivate(db.session.scalar(select(Respondent).where(Respondent.ref == ref)))
        db.session.commit()
    auth.login(users["coordinator"])
    roster = ROSTER + "R5,Dewi,rt,3171010001,1,3,,\n"
    html = upload_roster(client, roster).get_data(as_text=True)
    assert ("2 responden dalam berkas nonaktif (sudah dikeluarkan dari daftar responden): R2, R4. "
            "Data mereka diperbarui dari berkas, tetapi mereka tetap nonaktif: tidak ada tautan "
            "yang berlaku ke putaran ini, tidak mendapat surat, tidak dihitung sebagai diundang. "
            "Untuk mengundang mereka: batalkan, aktifkan kembali di halaman daftar responden "
            "putaran tempat mereka pernah diundang, lalu muat berkas ini lagi.") in html
    # the table marks them, and lists them with the new row before the unchanged ones
    marked = re.findall(r"<td>(R\d)</td>.*?<td>([^<]*)(?:<strong>([^<]*)</strong>)?</td></tr>",
                        html, re.S)
    assert marked == [("R2", "tidak berubah, ", "nonaktif"), ("R4", "tidak berubah, ", "nonaktif"),
                      ("R5", "baru", ""), ("R1", "tidak berubah", ""), ("R3", "tidak berubah", "")]
    html = upload_roster(client, roster, "?lang=en").get_data(as_text=True)
    assert ("2 respondents in the file are inactive (taken off the roster): R2, R4. Their details "
            "are updated from the file, but they stay inactive: no working link to this round, no "
            "letters, not counted as invited. To invite them, cancel, reactivate them on the "
            "roster page of a round they were invited to, then load this file again.") in html
    upload = re.search(r'name="upload" type="hidden" value="([^"]+)"', html).group(1)
    html = client.post("/coordinator/roster/2027-Q1/import",
                       data={"csrf_token": csrf(html), "upload": upload},
                       follow_redirects=True).get_data(as_text=True)
    assert ("2 respondents in the file are inactive and stay inactive, with no working link to "
            "this round: R2, R4; to invite them, reactivate them, then import the file again.")\
        in html
    # a file without inactive respondents says nothing of them
    html = upload_roster(client, HEADER + "R1,Budi Santoso,rt,3171010001,1,2,,\n").get_data(
        as_text=True)
    assert "inactive" not in html and "warning-box" not in html


def one_paper_form_from_the_page(app, client, auth, users):
    """The roster loaded, and R1's paper form for their lurah sent by a coordinator."""
    with app.app_context():
        world_with_roster()
    auth.login(users["coordinator"])
    page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    text = ("respondent_ref,position,area_code," + ",".join(f"U{i}" for i in range(1, 10))
            + ",comment\nR1,lurah,3171010001,4,4,4,4,4,4,4,4,4,\n")
    return client.post("/coordinator/roster/2027-Q1/paper", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(text.encode()), "paper.csv")},
        content_type="multipart/form-data", follow_redirects=True)


def test_paper_forms_from_the_page(app, client, auth, users):
    response = one_paper_form_from_the_page(app, client, auth, users)
    assert "1 formulir kertas disimpan." in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HeldResponse)) == 1


def test_the_paper_form_page_names_the_optional_columns_and_counts_blanks(app, client, auth,
                                                                          users):
    with app.app_context():
        world_with_roster()
    auth.login(users["coordinator"])
    page = client.get("/coordinator/roster/2027-Q1?lang=en").get_data(as_text=True)
    # the header as the questionnaire writes its item codes (the template's; read in any case)
    assert ("respondent_ref,position,area_code,U1,U2,U3,U4,U5,U6,U7,U8,U9,filled_on,comment"
            in page)
    assert "Optional columns: filled_on, the day the form was filled in" in page
    text = ("respondent_ref,position,area_code," + ",".join(f"U{i}" for i in range(1, 10))
            + ",filled_on\nR1,lurah,3171010001,4,,4,4,4,4,4,4,,\n")
    response = client.post("/coordinator/roster/2027-Q1/paper", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(text.encode()), "paper.csv")},
        content_type="multipart/form-data", follow_redirects=True)
    assert ("1 paper response stored (2 blank answers left out of the scores)."
            in response.get_data(as_text=True))


def test_a_refusal_is_flashed_in_english_when_the_coordinator_chose_english(app, client, auth,
                                                                           users):
    from datetime import datetime, timedelta

    now = datetime.now(UTC)
    with app.app_context():
        world(state="closed", opens=now - timedelta(days=20), closes=now - timedelta(days=1))
        db.session.commit()
    auth.login(users["coordinator"])
    page = client.get("/coordinator/roster/2027-Q1?lang=en").get_data(as_text=True)
    response = client.post("/coordinator/roster/2027-Q1/preview", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(ROSTER.encode()), "roster.csv")},
        content_type="multipart/form-data", follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "Round 2027-Q1 is closed: its roster can no longer change." in html
    # The same refusal in Bahasa Indonesia once the coordinator switches back.
    page = client.get("/coordinator/roster/2027-Q1?lang=id").get_data(as_text=True)
    response = client.post("/coordinator/roster/2027-Q1/preview", data={
        "csrf_token": csrf(page), "file": (io.BytesIO(ROSTER.encode()), "roster.csv")},
        content_type="multipart/form-data", follow_redirects=True)
    assert ("Putaran 2027-Q1 berstatus ditutup: daftar respondennya tidak dapat diubah lagi."
            in response.get_data(as_text=True))
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Respondent)) == 0


def test_rates_and_state_are_written_the_indonesian_way(app, client, auth, users):
    one_paper_form_from_the_page(app, client, auth, users)
    page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    # one of the four invited respondents answered, one of eleven forms: a decimal comma, and
    # the state in words
    assert "1 dari 4 responden yang diundang sudah menjawab (25,0%)" in page
    assert "(dibuka)" in page and "(open)" not in page
    assert "9,1%" in client.get("/coordinator/rounds").get_data(as_text=True)
    english = client.get("/coordinator/roster/2027-Q1?lang=en").get_data(as_text=True)
    assert "1 of 4 invited respondents have answered (25.0%)" in english
