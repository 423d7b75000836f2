"""League tables, the grade distribution, the sanctions list and recorded decisions, per role."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Round, SanctionDecision
from tests import factories
from tests.conftest import csrf_token


@pytest.fixture
def league(app, users):
    """A closed round: four lurah scored 100, 75, 75 and 50 (the last is failed: grade D)."""
    with app.app_context():
        factories.lurah_league("Lemah Sekali")


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return response.get_data(as_text=True)


def test_the_league_table_ranks_and_shares_ties(client, auth, users, league):
    auth.login(users["coordinator"])
    html = page(client, "/results/2026-Q3?tier=lurah&lang=en")
    assert "Not published: only coordinators see these results." in html
    order = [html.index(code) for code in ("KELURAHAN 3171010001", "KELURAHAN 3171010002",
                                           "KELURAHAN 3171020002")]
    assert order == sorted(order)
    assert html.count('<td class="num">2</td>') == 2  # the two 75.00 share rank 2
    assert '<td class="num">4</td>' in html


def test_filters_by_grade_and_kota(client, auth, users, league):
    auth.login(users["coordinator"])
    only_d = page(client, "/results/2026-Q3?tier=lurah&grade=D")
    assert "KELURAHAN 3171020002" in only_d and "KELURAHAN 3171010001" not in only_d
    other_kota = page(client, "/results/2026-Q3?tier=lurah&kota=3172")
    assert "KELURAHAN 3171010001" not in other_kota


def test_indonesian_decimals_and_grades(client, auth, users, league):
    auth.login(users["coordinator"])
    html = page(client, "/results/2026-Q3")
    assert "100,00" in html and "75,00" in html and "50,00" in html


def test_the_sanctions_list_and_recording_a_decision(client, auth, users, league, app):
    auth.login(users["coordinator"])
    html = page(client, "/results/2026-Q3/sanctions?lang=en")
    assert "Lemah Sekali" in html and "1 failed rounds in a row" in html
    token = csrf_token(client, "/results/2026-Q3/sanctions")
    response = client.post("/results/2026-Q3/decisions", data={
        "csrf_token": token, "nip": "199001012015011001", "action": "perhatian",
        "decided_on": "2026-10-20", "letter_number": "800/-1.862.3", "note": "dipanggil"},
        follow_redirects=True)
    assert "Decision about Lemah Sekali recorded." in response.get_data(as_text=True)
    with app.app_context():
        decision = db.session.scalar(select(SanctionDecision))
        assert (decision.action, decision.letter_number) == ("perhatian", "800/-1.862.3")
    history = page(client, "/results/officials/199001012015011001?lang=en")
    assert "2026-Q3" in history and "800/-1.862.3" in history


@pytest.mark.parametrize("data, message", [
    ({"decided_on": "2999-01-01"}, "A decision cannot be dated in the future."),
    ({"action": "pecat"}, "Not a valid choice."),
    ({"decided_on": ""}, "Enter the date."),
])
def test_bad_decisions_are_refused_with_a_message(client, auth, users, league, app, data, message):
    auth.login(users["coordinator"])
    client.get("/?lang=en")
    token = csrf_token(client, "/results/2026-Q3/sanctions")
    form = {"csrf_token": token, "nip": "199001012015011001", "action": "sp1",
            "decided_on": "2026-10-20", **data}
    response = client.post("/results/2026-Q3/decisions", data=form, follow_redirects=True)
    assert message in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalar(select(SanctionDecision)) is None


def test_viewers_see_only_published_rounds_and_cannot_record(client, auth, users, league, app):
    auth.login(users["viewer"])
    assert client.get("/results/2026-Q3").status_code == 404
    with app.app_context():
        db.session.scalar(select(Round)).state = "published"
        db.session.commit()
    html = page(client, "/results/2026-Q3/sanctions")
    assert "Lemah Sekali" in html and "Catat keputusan" not in html
    token = csrf_token(client, "/")
    assert client.post("/results/2026-Q3/decisions", data={"csrf_token": token}).status_code == 403


@pytest.mark.parametrize("url", ["/results/", "/results/2026-Q3", "/results/2026-Q3/sanctions",
                                 "/results/officials/199001012015011001"])
def test_officials_do_not_reach_the_league_pages(client, auth, users, league, url):
    auth.login(users["official"])
    assert client.get(url).status_code == 403
