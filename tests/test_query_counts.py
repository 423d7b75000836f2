"""No N+1: the pages coordinators, viewers and officials use take the same number of SQL
statements whatever the number of posts, officials and cards (counted with an SQLAlchemy
event listener, survey_app/querycount.py); and results are stored race-free: two first looks
at a round's results at once both succeed, with the same figures (SQLite and PostgreSQL)."""
from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import func, select

from survey_app import querycount
from survey_app.domain import cards, results, sanctions
from survey_app.extensions import db
from survey_app.models import (
    Appointment,
    Area,
    FollowupPlan,
    IssuedDocument,
    Official,
    Position,
    ResultSnapshot,
    Round,
)
from tests import factories
from tests.conftest import AuthActions

U = [f"U{i}" for i in range(1, 10)]
CODE = "2026-Q3"  # closed; its complaints' moment of judgment (8 October 2026) has passed


@pytest.fixture
def closed_round(app, users):
    with app.app_context():
        factories.round_(CODE, state="closed", opens=datetime(2026, 8, 1, tzinfo=UTC),
                         closes=datetime(2026, 9, 30, 17, tzinfo=UTC),
                         questionnaire=factories.regulation_questionnaire())
        db.session.commit()


def add_failing_lurah(app, count: int) -> None:
    """``count`` more kelurahan, each with a lurah scored 50.00 (grade D: on the ladder) by three
    RT heads who left a comment, and a decision already recorded about them."""
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.code == CODE))
        kecamatan = db.session.scalar(select(Area).where(Area.code == "3171010"))
        made = db.session.scalar(select(func.count()).select_from(Area)
                                 .where(Area.level == "kelurahan"))
        for n in range(made, made + count):
            kelurahan = factories.area(f"3171010{n + 100:03d}", "kelurahan", parent=kecamatan)
            post = factories.position("lurah", kelurahan)
            official = factories.official(f"1990010120150{n + 10000:05d}", f"Lurah {n}")
            factories.appoint(official, post, date(2026, 1, 1))
            for i in range(3):
                factories.response(round_, post, "rt", {c: 2 for c in U},
                                   comment=f"komentar {n} {i}")
            sanctions.record_decision(official, round_, "perhatian", date(2026, 10, 20),
                                      None, None)
        db.session.commit()


def queries(app, client, url: str) -> int:
    """The statements one GET of ``url`` takes (asserting it answers 200)."""
    with app.app_context():
        engine = db.engine
    with querycount.counting(engine) as counter:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return counter.count


COORDINATOR_PAGES = [f"/results/{CODE}", f"/results/{CODE}?tier=lurah&sort=ikm",
                     f"/results/{CODE}/sanctions", f"/portal/{CODE}", f"/portal/{CODE}/cards.zip",
                     f"/portal/{CODE}/summary.pdf", f"/results/{CODE}/complaints.csv",
                     f"/coordinator/complaints/rounds/{CODE}", "/results/", "/portal/"]


@pytest.mark.parametrize("url", COORDINATOR_PAGES)
def test_coordinator_pages_take_a_constant_number_of_queries(app, client, auth, users,
                                                             closed_round, url):
    auth.login(users["coordinator"])
    add_failing_lurah(app, 2)
    queries(app, client, url)  # the first look: computes and stores the round's results
    queries(app, client, url)  # reads them back (once per process: results_model.read_once)
    small = queries(app, client, url)
    # New data: the page asks the worker (here it runs at once) and shows what it stored.
    add_failing_lurah(app, 2)
    changed = queries(app, client, url)
    add_failing_lurah(app, 8)
    assert queries(app, client, url) == changed
    assert queries(app, client, url) == small


def test_the_sanctions_page_is_small_and_the_form_opens_on_its_own_page(app, client, auth, users,
                                                                        closed_round):
    auth.login(users["coordinator"])
    add_failing_lurah(app, 60)
    html = client.get(f"/results/{CODE}/sanctions?lang=en").get_data(as_text=True)
    assert "60 officials on the ladder. Page 1 of 2." in html
    assert html.count('class="card"') == 50 and "<form" not in html.split("<main", 1)[-1]
    second = client.get(f"/results/{CODE}/sanctions?page=2").get_data(as_text=True)
    assert second.count('class="card"') == 10
    nip = re.search(r'/sanctions/(\d+)"', html).group(1)
    form = client.get(f"/results/{CODE}/sanctions/{nip}?lang=en").get_data(as_text=True)
    assert f'value="{nip}"' in form and "Record a decision" in form
    assert client.get(f"/results/{CODE}/sanctions/199999999999999999").status_code == 404


def test_viewers_cannot_open_the_decision_form(app, client, auth, users, closed_round):
    add_failing_lurah(app, 1)
    with app.app_context():
        db.session.scalar(select(Round)).state = "published"
        db.session.commit()
    auth.login(users["viewer"])
    html = client.get(f"/results/{CODE}/sanctions").get_data(as_text=True)
    assert "Lurah 4" in html and "/sanctions/19900" not in html
    assert client.get(f"/results/{CODE}/sanctions/199001012015010004").status_code == 403


def test_official_pages_take_a_constant_number_of_queries(app, client, auth, users,
                                                          closed_round):
    with app.app_context():  # the official's own post (lurah of 3171010001) is rated too
        round_ = db.session.scalar(select(Round))
        post = db.session.scalar(select(Position).join(Area).where(Area.code == "3171010001"))
        for _ in range(3):
            factories.response(round_, post, "rt", {c: 3 for c in U})
        round_.state = "published"  # officials see published rounds
        db.session.commit()
    add_failing_lurah(app, 2)
    auth.login(users["official"])
    urls = ["/portal/", f"/portal/{CODE}", f"/portal/{CODE}/cards.zip"]
    # The first looks freeze the publication (publication.py) and issue the card.
    first = [queries(app, client, url) for url in urls]
    before = [queries(app, client, url) for url in urls]
    assert first[2] == before[2] + 4  # issuing: the officials, the count, the insert, read back
    add_failing_lurah(app, 8)
    assert [queries(app, client, url) for url in urls] == before


def add_plans(app) -> int:
    """A follow-up plan for elements U1 to U3 of every lurah's post that has none yet, by the
    official holding it; the number of plans of the round."""
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.code == CODE))
        planned = set(db.session.scalars(select(FollowupPlan.position_id)))
        for position_id, official_id in db.session.execute(
                select(Appointment.position_id, Appointment.official_id).join(Position)
                .where(Position.kind == "lurah").order_by(Appointment.position_id)):
            if position_id in planned:
                continue
            for element in ("U1", "U2", "U3"):
                db.session.add(FollowupPlan(round=round_, position_id=position_id,
                                            official_id=official_id, element_code=element,
                                            action="Loket kedua", due_quarter="2026-Q4",
                                            responsible="Sekretaris", state="submitted"))
        db.session.commit()
        return db.session.scalar(select(func.count()).select_from(FollowupPlan))


@pytest.mark.parametrize("who", ["coordinator", "viewer"])
def test_the_plans_of_a_round_take_a_constant_number_of_queries_a_page_at_a_time(
        app, client, auth, users, closed_round, who):
    """Every plan of the round, 50 to a page, each naming its post and official: the same
    number of statements for 2 posts' plans as for 60 (it was one plan, post and area at a
    time, 1,782 statements for the province's 960 plans)."""
    with app.app_context():
        db.session.scalar(select(Round)).state = "published"  # viewers read published rounds
        db.session.commit()
    auth.login(users[who])
    add_failing_lurah(app, 1)
    assert add_plans(app) == 6  # the fixture's lurah of 3171010001 and the one just added
    url = f"/portal/{CODE}/rencana"
    queries(app, client, url)
    few = queries(app, client, url)
    add_failing_lurah(app, 18)
    assert add_plans(app) == 60
    assert queries(app, client, url) == few
    html = client.get(f"{url}?lang=en").get_data(as_text=True)
    assert "1–50 of 60" in html and "Page 1 of 2" in html and html.count("Lurah ") >= 50
    second = client.get(f"{url}?page=2&lang=en").get_data(as_text=True)
    assert "51–60 of 60" in second and f'href="/portal/{CODE}/rencana?page=1&amp;lang=en"' in second
    assert queries(app, client, f"{url}?page=2") == few


def test_an_officials_history_takes_a_constant_number_of_queries(app, client, auth, users,
                                                                 closed_round):
    """The history reads each round's stored results (as the round's other pages do): the same
    number of statements whatever the number of posts and officials."""
    auth.login(users["coordinator"])
    add_failing_lurah(app, 2)
    with app.app_context():
        official = db.session.scalars(select(Official).where(Official.name.startswith("Lurah "))
                                      .order_by(Official.id)).first()
        url, name = f"/results/officials/{official.nip}", official.name
    queries(app, client, url)  # the first look: computes and stores the round's results
    queries(app, client, url)  # reads them back (once per process: results_model.read_once)
    again = queries(app, client, url)
    html = client.get(url).get_data(as_text=True)
    assert name in html and "50,00" in html  # their score in the round
    # New data: the page asks the worker (here it runs at once) and shows what it stored.
    add_failing_lurah(app, 2)
    changed = queries(app, client, url)
    add_failing_lurah(app, 8)
    assert queries(app, client, url) == changed
    assert queries(app, client, url) == again


def test_cards_for_takes_a_constant_number_of_queries(ctx, users, closed_round, app):
    def issue(entries_wanted: int) -> tuple[int, int]:
        round_ = db.session.scalar(select(Round))
        document = results.results_document(round_)
        entries = [e for e in document.positions if e.official is not None][:entries_wanted]
        assert len(entries) == entries_wanted
        with querycount.counting(db.engine) as new:
            issued = cards.cards_for(round_, document, entries, "id", "http://x/verify")
        with querycount.counting(db.engine) as again:
            reissued = cards.cards_for(round_, document, entries, "id", "http://x/verify")
        assert [d.number for d in issued] == [d.number for d in reissued]  # the same numbers
        db.session.commit()
        return new.count, again.count

    add_failing_lurah(app, 12)
    assert issue(3) == issue(12)
    numbers = db.session.scalars(select(IssuedDocument.number).order_by(IssuedDocument.id)).all()
    assert [int(n.split("-")[2]) for n in numbers] == list(range(1, 13))  # 3, then 9 more


def _figures(html: str) -> str:
    """The league table of a results page (the page around it has its own CSRF token)."""
    return html[html.index("<table"):html.rindex("</table>")]


def test_two_first_looks_at_once_both_succeed_with_the_same_figures(app, users, closed_round,
                                                                    monkeypatch):
    """Both requests find no stored results, compute them, and store them at once (the barrier
    holds each until the other has computed too): an upsert, so neither fails."""
    add_failing_lurah(app, 3)
    computing = threading.Barrier(2, timeout=30)
    compute = results.compute_base

    def compute_together(round_, now=None):
        found = compute(round_, now)
        computing.wait()
        return found

    monkeypatch.setattr(results, "compute_base", compute_together)
    clients = [app.test_client() for _ in range(2)]
    for client in clients:
        AuthActions(client).login(users["coordinator"])

    def look(client):
        response = client.get(f"/results/{CODE}?tier=lurah")
        return response.status_code, response.get_data(as_text=True)

    with ThreadPoolExecutor(2) as pool:
        (status_a, html_a), (status_b, html_b) = pool.map(look, clients)
    assert (status_a, status_b) == (200, 200)
    assert _figures(html_a) == _figures(html_b) and "50,00" in _figures(html_a)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(ResultSnapshot)) == 1


def test_the_open_round_is_served_from_its_stored_results_for_the_stated_time(ctx, users, app,
                                                                               monkeypatch,
                                                                               no_worker):
    """Unchanged data within RESULTS_REFRESH_SECONDS: read back, not computed; a new response is
    seen at once; with the time set to 0, computed at every look."""
    round_ = factories.round_("2026-Q4", questionnaire=factories.regulation_questionnaire())
    post = factories.position("lurah", db.session.scalar(select(Area).where(
        Area.code == "3171010002")))
    for _ in range(3):
        factories.response(round_, post, "rt", {c: 3 for c in U})
    db.session.commit()
    calls = []
    compute = results.compute_base

    def counted(round_, now=None):
        calls.append(round_.code)
        return compute(round_, now)

    monkeypatch.setattr(results, "compute_base", counted)
    first = results.results_document(round_)
    db.session.commit()
    assert results.results_document(round_) == first and calls == ["2026-Q4"]
    factories.response(round_, post, "rt", {c: 4 for c in U})
    db.session.commit()
    assert results.results_document(round_).positions[0].respondents == 4
    assert calls == ["2026-Q4"] * 2
    db.session.commit()
    app.config["RESULTS_REFRESH_SECONDS"] = 0
    results.results_document(round_)
    assert calls == ["2026-Q4"] * 3



@pytest.mark.parametrize("url", [f"/results/{CODE}", f"/results/{CODE}/sanctions",
                                 f"/portal/{CODE}", f"/coordinator/rounds/{CODE}/publish",
                                 "history"])
def test_a_page_reads_stored_results_without_looking_at_the_data(app, client, auth, users,
                                                                 closed_round, url, monkeypatch):
    """Whether stored results still hold is the worker's to tell (results.due_for_refresh): the
    round's fingerprint counts all of its invitations' posts (120,000 rows on the province), so
    a page that computed it would pay for it at every view. No page with stored results
    computes one; the results pages read no invitation_positions at all (the publish checklist
    does: it counts the roster's response rates)."""
    auth.login(users["coordinator"])
    add_failing_lurah(app, 2)
    client.get(f"/results/{CODE}")  # the first look stores the round's results
    with app.app_context():
        engine = db.engine
        assert results.latest(db.session.scalar(select(Round))).current
        if url == "history":
            nip = db.session.scalars(select(Official.nip).where(Official.name.startswith(
                "Lurah ")).order_by(Official.id)).first()
            url = f"/results/officials/{nip}"
    client.get(url)

    def no_fingerprint(*_args, **_kwargs):
        raise AssertionError("a page computed a round's fingerprint")

    monkeypatch.setattr(results, "fingerprint", no_fingerprint)
    with querycount.counting(engine) as counter:
        assert client.get(url).status_code == 200
    assert counter.count > 0
    if "/publish" not in url:
        assert [s for s in counter.statements if "invitation_positions" in s] == []
