"""Round safety: next quarter planned from the scheduled times, a checklist before publishing,
and no export of links made under another SECRET_KEY."""
from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from survey_app.domain import checklist, invitations, rounds
from survey_app.domain.clock import JAKARTA
from survey_app.domain.rounds import Settings
from survey_app.extensions import db
from survey_app.models import Area, Job, Position
from tests import factories
from tests.respondent_setup import SECRET, load_roster, world

OPENS = datetime(2027, 3, 10, 8, 0, tzinfo=JAKARTA)
CLOSES = datetime(2027, 4, 1, 0, 0, tzinfo=JAKARTA)


def test_an_early_close_does_not_shorten_the_next_quarter(ctx):
    round_ = rounds.create("2027-Q1", Settings(questionnaire="skm-permenpan-14-2017",
                                               opens_at=OPENS, closes_at=CLOSES))
    rounds.open_now(round_, now=OPENS + timedelta(hours=1))
    early = datetime(2027, 3, 17, 12, 0, tzinfo=JAKARTA)
    rounds.close_now(round_, now=early)
    assert (round_.closed_at, round_.closes_at) == (early, CLOSES)
    assert rounds.effective_state(round_, early + timedelta(minutes=1)) == "closed"
    nxt = invitations.next_quarter(round_)
    # three months after the schedule (10 June 08:00 to 1 July 00:00), not a window that ends
    # three months after the early close (17 June)
    assert (nxt.opens_at, nxt.closes_at) == (datetime(2027, 6, 10, 8, 0, tzinfo=JAKARTA),
                                             datetime(2027, 7, 1, 0, 0, tzinfo=JAKARTA))
    # the closed round's last day is the day it closed (its results' reference day)
    from survey_app.domain import results

    assert str(results.reference_day(round_, datetime(2027, 5, 1, tzinfo=UTC))) == "2027-03-17"


@pytest.fixture
def closed_round(app, users):
    """A closed 2026-Q3 round with three responses for one lurah and no roster."""
    with app.app_context():
        areas = {a.code: a for a in db.session.scalars(select(Area))}
        round_ = factories.closed_round_2026_q3()
        post = db.session.scalar(select(Position).where(
            Position.area_id == areas["3171010001"].id))
        for _ in range(3):
            factories.response(round_, post, "rt", {f"U{i}": 3 for i in range(1, 10)})
        db.session.commit()


def test_publishing_shows_a_checklist_first(client, auth, users, closed_round, app):
    auth.login(users["coordinator"])
    html = client.get("/coordinator/rounds/2026-Q3/publish?lang=en").get_data(as_text=True)
    assert "Check before publishing" in html
    assert "Latest complaint export imported: <strong>never</strong>" in html
    assert "Background jobs still queued or running: <strong>0</strong>" in html
    assert html.index("Check before publishing") < html.index("Yes, continue")
    with app.app_context():
        round_ = rounds.by_code("2026-Q3")
        found = checklist.publish_checklist(round_)
        assert (found.invited, found.responded, found.response_rate) == (0, 0, None)
        assert found.latest_complaint_import is None
        assert found.open_jobs == 0
        db.session.add_all([Job(kind="letters", params={}, state=state, actor="cli")
                            for state in ("queued", "running", "done", "failed")])
        db.session.flush()
        assert checklist.publish_checklist(round_).open_jobs == 2  # queued and running only
        assert [p.name for p in found.below_sample] == []
        assert [p.name for p in found.no_score] == []


def test_the_checklist_counts_posts_below_the_sample_and_without_a_score(ctx):
    _areas, round_ = world(state="draft")
    load_roster(round_)  # 4 respondents; nobody answered
    round_.state = "closed"
    db.session.commit()
    found = checklist.publish_checklist(round_)
    assert (found.invited, found.responded) == (4, 0)
    # every rated post is below its required sample and has no score
    names = sorted(p.name for p in found.no_score)
    assert names == sorted(p.name for p in found.below_sample) and len(names) == 5


def test_links_made_under_another_key_are_not_exported(app, client, auth, users, runner,
                                                       tmp_path):
    with app.app_context():
        _areas, round_ = world()
        load_roster(round_)
        db.session.commit()
        assert len(invitations.export_rows(round_, "http://x", SECRET)) == 4
        with pytest.raises(invitations.KeyChanged):
            invitations.export_rows(round_, "http://x", "another-key")
    app.config["SECRET_KEY"] = "another-key"
    out = tmp_path / "links.csv"
    result = runner.invoke(args=["skm", "invitations", "2027-Q1", "--format", "csv",
                                 "--out", str(out)])
    assert result.exit_code == 1 and "SECRET_KEY" in result.output and not out.exists()
    auth.login(users["coordinator"])
    page = client.get("/coordinator/roster/2027-Q1").get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    response = client.post("/coordinator/jobs/letters/2027-Q1", data={
        "csrf_token": token, "format": "csv", "area": ""}, follow_redirects=True)
    html = response.get_data(as_text=True)
    assert "dibuat dengan SECRET_KEY yang berbeda" in html and "/download" not in html
    app.config["SECRET_KEY"] = SECRET
