"""/publik and fair comparisons (issue 20).

Round 2026-Q2 (1 April to 30 June), closed 5 July, deadline 7 days, published 1 August. Four
lurah, answers from RT heads only (Krejcie-Morgan: 3 invited -> 3, 4 -> 4, 10 -> 10):

| post       | invited | answered, each answer | IKM   | sample          | rank |
|------------|---------|-----------------------|-------|-----------------|------|
| 3171010001 | 4       | 4 x all 4             | 100   | 4 of 4: met     | 1    |
| 3171010002 | 3       | 3 x all 3             | 75    | 3 of 3: met     | 2    |
| 3171020001 | 10      | 9 x all 4             | 100   | 9 of 10: below  | none |
| 3171020002 | 4       | 4 x all 2             | 50    | 4 of 4: met     | 3    |

Ranked with the small post, it would tie for rank 1 and push 75 to rank 3; excluded, the ranks are
1, 2, 3 among 3 peers. One of 3171010001's forms carries a distinctive comment that must never
reach /publik. 3171020002's kelurahan is named like a spreadsheet formula.
"""
from __future__ import annotations

import csv
import io
import shutil
import subprocess
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from reports.summary import render_summary
from survey_app.domain import cards, public_results, results, rounds
from survey_app.domain.complaints import import_complaints, read_complaints
from survey_app.extensions import db
from survey_app.models import Area, AuditEntry, Position, Round
from tests import factories
from tests.conftest import csrf_token

CLOSES = datetime(2026, 7, 5, 5, 0, tzinfo=UTC)
PUBLISHED = datetime(2026, 8, 1, 2, 0, tzinfo=UTC)
U = [f"U{i}" for i in range(1, 10)]
SECRET = "KOMENTAR-RAHASIA-7731 jangan bocor"
FORMULA_NAME = "=SUM(1+1) KELURAHAN"
POSTS = {"3171010001": (4, 4, 4), "3171010002": (3, 3, 3), "3171020001": (10, 9, 4),
         "3171020002": (4, 4, 2)}  # invited, answered, every answer
COMPLAINTS = """complaint_id,channel,category,area_code,unit_code,status,reported_at,\
first_response_at,resolved_at
K1,JAKI,Jalan,3171010001,,Selesai,2026-04-01 10:00,,2026-04-03 10:00
K2,JAKI,Jalan,3171010001,,Selesai,2026-05-01 10:00,,2026-05-20 10:00
"""
PUBLIC_ADDRESSES = ("/publik/2026-Q2", "/publik/2026-Q2.csv", "/publik/2026-Q2.json")


def _posts() -> dict[str, Position]:
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    found = {}
    for code in POSTS:
        found[code] = db.session.scalar(select(Position).where(
            Position.area_id == areas[code].id)) or factories.position("lurah", areas[code])
    return found


def build_round(publish: bool = True, public: bool = True) -> None:
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    areas["3171020002"].name = FORMULA_NAME
    round_ = factories.round_("2026-Q2", state="closed", opens=datetime(2026, 6, 15, tzinfo=UTC),
                              closes=CLOSES, deadline_days=7,
                              questionnaire=factories.regulation_questionnaire())
    for code, post in _posts().items():
        invited, answered, value = POSTS[code]
        factories.invite(round_, post, "rt", invited)
        for i in range(answered):
            factories.response(round_, post, "rt", {c: value for c in U},
                               comment=SECRET if (code == "3171010001" and i == 0) else None)
    import_complaints(read_complaints(COMPLAINTS.encode(), "crm.csv"),
                      now=datetime(2026, 7, 10, tzinfo=UTC))
    db.session.commit()
    if publish:
        rounds.publish(round_, now=PUBLISHED)
    round_.public = public
    db.session.commit()


@pytest.fixture
def published(app, users):
    with app.app_context():
        build_round()


def _round() -> Round:
    return db.session.scalar(select(Round).where(Round.code == "2026-Q2"))


def _by_area(document) -> dict:
    return {p.area_code: p for p in document.positions}


# --- fair comparisons ---------------------------------------------------------------------------

def test_ranks_only_among_posts_that_meet_the_sample(app, published):
    with app.app_context():
        document = results.results_document(_round())
        entries = _by_area(document)
        assert {code: (e.ikm, e.meets_required_sample) for code, e in entries.items()} == {
            "3171010001": (100.0, True), "3171010002": (75.0, True),
            "3171020001": (100.0, False), "3171020002": (50.0, True)}
        # by hand: 100 > 75 > 50 among the three that meet the sample; the small post unranked
        assert {code: e.rank for code, e in entries.items()} == {
            "3171010001": 1, "3171010002": 2, "3171020001": None, "3171020002": 3}
        assert {e.peers for e in entries.values()} == {3}
        data = cards.summary_data(document, "en")
        assert [r.area for r in data.leagues["lurah"]] == [
            "KELURAHAN 3171010001", "KELURAHAN 3171010002", FORMULA_NAME]
        assert [(r.area, r.respondents, r.required_sample) for r in data.too_few["lurah"]] == [
            ("KELURAHAN 3171020001", 9, 10)]
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=render_summary(data),
                                  capture_output=True, check=True).stdout.decode()
            apart = text.index("Too few responses to rank: lurah")
            assert text.index("KELURAHAN 3171020001") > apart > text.index("KELURAHAN 3171010002")
            assert "Funnel plot: lurah" in text
            # the small post's card says why it has no rank; a ranked one gives its rank
            from reports.card import render_card

            for code, said in (("3171020001", "Rank: not ranked (below the minimum sample)"),
                               ("3171010002", "Rank: 2 of 3 lurah (by IKM)")):
                card = cards.card_data(entries[code], document,
                                       names=cards.element_names(_round()), rated=True,
                                       comments=[], published=True, lang="en")
                text = subprocess.run(["pdftotext", "-", "-"], input=render_card(card),
                                      capture_output=True, check=True).stdout.decode()
                assert said in " ".join(text.split())


def test_the_league_page_lists_the_small_post_apart(client, auth, users, published):
    auth.login(users["coordinator"])
    html = client.get("/results/2026-Q2?tier=lurah&lang=en").get_data(as_text=True)
    apart = html.index("Too few responses to rank")
    assert html.index("KELURAHAN 3171010002") < apart < html.index("KELURAHAN 3171020001")
    assert "9 of 10 required" in html


# --- the public flag ----------------------------------------------------------------------------

def test_a_coordinator_makes_a_round_public_and_withdraws_it(app, client, auth, users):
    with app.app_context():
        build_round(public=False)
    assert client.get("/publik/2026-Q2").status_code == 404
    auth.login(users["coordinator"])
    page = client.get("/coordinator/rounds/2026-Q2?lang=en").get_data(as_text=True)
    assert "Not public: /publik does not show this round." in page
    token = csrf_token(client, "/coordinator/rounds/2026-Q2")
    assert client.post("/coordinator/rounds/2026-Q2/public",
                       data={"public": "1"}).status_code == 400  # no CSRF token: refused
    response = client.post("/coordinator/rounds/2026-Q2/public",
                           data={"public": "1", "csrf_token": token}, follow_redirects=True)
    assert "/publik/2026-Q2" in response.get_data(as_text=True)
    assert client.get("/publik/2026-Q2").status_code == 200
    assert "2026-Q2" in client.get("/publik/").get_data(as_text=True)
    client.post("/coordinator/rounds/2026-Q2/public", data={"public": "0", "csrf_token": token})
    assert client.get("/publik/2026-Q2.json").status_code == 404
    with app.app_context():
        logged = db.session.execute(select(AuditEntry.action, AuditEntry.target, AuditEntry.actor)
                                    .order_by(AuditEntry.id)).all()
        assert [row for row in logged if row[0] in ("round-public", "round-private")] == [
            ("round-public", "2026-Q2", users["coordinator"]),
            ("round-private", "2026-Q2", users["coordinator"])]


def test_a_viewer_cannot_make_a_round_public(app, client, auth, users, published):
    auth.login(users["viewer"])
    token = csrf_token(client, "/")
    response = client.post("/coordinator/rounds/2026-Q2/public",
                           data={"public": "0", "csrf_token": token})
    assert response.status_code == 403


@pytest.mark.parametrize("publish, public", [(True, False), (False, True), (False, False)])
def test_a_round_not_both_published_and_public_is_404(app, client, publish, public):
    with app.app_context():
        factories.small_tree()
        build_round(publish=publish, public=public)
    for address in PUBLIC_ADDRESSES:
        response = client.get(address)
        assert response.status_code == 404 and response.headers["Cache-Control"] == "no-store"
    assert "2026-Q2" not in client.get("/publik/").get_data(as_text=True)
    assert client.get("/publik/2031-Q1.json").status_code == 404  # no such round


# --- what the public sees -------------------------------------------------------------------------

def test_no_comment_text_reaches_publik(app, client, published):
    with app.app_context():  # the comment is stored, and the cards would print it
        from survey_app.models import Response
        assert db.session.scalar(select(Response.comment).where(Response.comment.is_not(None))) \
            == SECRET
    for address in ("/publik/", *PUBLIC_ADDRESSES, "/publik/2026-Q2?lang=en", "/publik/kamus-data"):
        body = client.get(address).get_data(as_text=True)
        assert "RAHASIA" not in body and "bocor" not in body, address
        # nor personal data: the official's name or NIP
        assert "Budi Santoso" not in body and "198001012005011001" not in body, address


def test_posts_below_the_sample_show_no_score(client, published):
    rows = {r["area_code"]: r for r in client.get("/publik/2026-Q2.json").get_json()["rows"]}
    small = rows["3171020001"]
    assert (small["respondents"], small["required_sample"], small["meets_required_sample"]) \
        == (9, 10, False)
    assert [small[k] for k in ("ikm", "grade", "category", "ci95_low", "ci95_high", "rank")] \
        == [None] * 6
    assert small["rank_status"] == "too_few_responses"
    assert (rows["3171010001"]["ikm"], rows["3171010001"]["grade"], rows["3171010001"]["rank"],
            rows["3171010001"]["peers"]) == (100.0, "A", 1, 3)
    assert (rows["3171020002"]["ikm"], rows["3171020002"]["rank"]) == (50.0, 3)
    table = list(csv.DictReader(io.StringIO(client.get("/publik/2026-Q2.csv")
                                            .get_data(as_text=True))))
    by_area = {r["area_code"]: r for r in table}
    assert by_area["3171020001"]["ikm"] == "" and by_area["3171020001"]["grade"] == ""
    assert by_area["3171010001"]["ikm"] == "100.0"
    html = client.get("/publik/2026-Q2?lang=en").get_data(as_text=True)
    row = html[html.index("KELURAHAN 3171020001"):]
    row = row[:row.index("</tr>")]
    assert "too few responses to rank" in row and "100.00" not in row and "9 of 10 required" in row


def test_the_open_data_columns_and_complaints(client, published):
    body = client.get("/publik/2026-Q2.json").get_json()
    assert body["columns"] == list(public_results.COLUMNS)
    assert (body["round"], body["publication"]) == ("2026-Q2", 1)
    assert all(list(row) == list(public_results.COLUMNS) for row in body["rows"])
    row = next(r for r in body["rows"] if r["area_code"] == "3171010001")
    # K1 resolved in 2 days, K2 in 19: 1 of 2 in time
    assert (row["complaints_received"], row["complaints_resolved_in_time"],
            row["complaints_in_time_rate"], row["complaints_final"]) == (2, 1, 0.5, True)
    assert row["kota_name"] is None and row["kota_code"] == "3171"  # no wali kota entry
    text = client.get("/publik/2026-Q2.csv").get_data(as_text=True)
    assert text.splitlines()[0] == ",".join(public_results.COLUMNS)
    assert ",'=SUM(1+1) KELURAHAN," in text  # neutralised: a spreadsheet shows it as text
    dictionary = client.get("/publik/kamus-data?lang=en").get_data(as_text=True)
    assert all(f"<code>{c}</code>" in dictionary for c in public_results.COLUMNS)


def test_publik_shows_what_was_published_whatever_arrives_later(app, client, published):
    before = client.get("/publik/2026-Q2.json").get_data()
    with app.app_context():
        late = ("complaint_id,channel,category,area_code,unit_code,status,reported_at,"
                "first_response_at,resolved_at\n"
                "K9,JAKI,Jalan,3171010001,,Selesai,2026-06-10 10:00,,2026-06-25 10:00\n")
        import_complaints(read_complaints(late.encode(), "late.csv"),
                          now=datetime(2026, 8, 20, tzinfo=UTC))
        post = db.session.scalar(select(Position).join(Area).where(Area.code == "3171010002"))
        factories.response(_round(), post, "rt", {c: 1 for c in U})
        db.session.commit()
    assert client.get("/publik/2026-Q2.json").get_data() == before


def test_publik_is_cacheable_and_sets_no_cookie(client, auth, users, published):
    for address in ("/publik/", *PUBLIC_ADDRESSES, "/publik/kamus-data"):
        response = client.get(address)
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "public, max-age=300", address
        assert "Set-Cookie" not in response.headers and response.headers.get("ETag")
        again = client.get(address, headers={"If-None-Match": response.headers["ETag"]})
        assert again.status_code == 304
    # logged in, the page is the same for everyone: no account menu, no cookie
    auth.login(users["coordinator"])
    response = client.get("/publik/2026-Q2?lang=en")
    assert "Log out" not in response.get_data(as_text=True)
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert client.get("/results/").headers["Cache-Control"] == "no-store"  # the rest as before


def test_publik_is_indonesian_first_and_links_to_verify(client, published):
    html = client.get("/publik/2026-Q2").get_data(as_text=True)
    assert '<html lang="id">' in html and 'href="/verify"' in html
    english = client.get("/publik/2026-Q2?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in english and "/publik/kamus-data?lang=en" in english
    # the language is in the address only: the next page without it is Indonesian again
    assert '<html lang="id">' in client.get("/publik/").get_data(as_text=True)
