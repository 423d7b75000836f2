"""The coordinator's round pages, through real forms (CSRF and all), and who may use them."""
from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from survey_app.domain.clock import JAKARTA
from survey_app.extensions import db
from survey_app.models import Round
from tests import factories
from tests.conftest import csrf_token

FORM = {
    "code": "2027-Q1", "questionnaire": "skm-permenpan-14-2017",
    "opens_at": "2027-03-10T08:00", "closes_at": "2027-04-01T00:00",
    "weight_rt": "0.25", "weight_rw": "0.25", "weight_lmk": "0.2", "weight_fkdm": "0.15",
    "weight_tokoh": "0.15", "deadline_days": "7", "min_group": "3", "survey_weight": "0.7",
    "complaint_weight": "0.3", "min_in_time_rate": "0.8", "failing_grades": ["C", "D"], "note": "",
    "min_complaints": "5",
    **{f"rates_{g}": ["lurah", "camat", "walikota"] for g in ("rt", "rw", "lmk", "fkdm", "tokoh")},
}


def post_form(client, url: str, **changes):
    data = {**FORM, **changes, "csrf_token": csrf_token(client, url)}
    return client.post(url, data=data)


@pytest.fixture
def coordinator(client, auth, users):
    auth.login(users["coordinator"])
    client.get("/?lang=en")  # messages checked below in English; Indonesian is the default
    return client


def test_a_coordinator_creates_a_draft_round(coordinator, app):
    response = post_form(coordinator, "/coordinator/rounds/new")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/coordinator/rounds/2027-Q1")
    page = coordinator.get("/coordinator/rounds/2027-Q1").get_data(as_text=True)
    assert "Round 2027-Q1 created as a draft." in page
    assert "10-03-2027 08:00 WIB" in page  # shown back in Jakarta time
    with app.app_context():
        round_ = db.session.scalar(select(Round))
        assert round_.opens_at == datetime(2027, 3, 10, 1, 0, tzinfo=UTC)
        assert round_.questionnaire.key == "skm-permenpan-14-2017"


def test_the_fewest_complaints_to_judge_is_a_setting_of_the_form(coordinator, app):
    response = post_form(coordinator, "/coordinator/rounds/new", min_complaints="3")
    assert response.status_code == 302
    page = html.unescape(coordinator.get("/coordinator/rounds/2027-Q1").get_data(as_text=True))
    assert "<dt>Fewest complaints for an in-time rate to count</dt><dd>3</dd>" in page
    with app.app_context():
        assert db.session.scalar(select(Round.min_complaints)) == 3
    form = coordinator.get("/coordinator/rounds/new").get_data(as_text=True)
    assert re.search(r'<input[^>]*id="min_complaints"[^>]*value="5"', form)  # the default offered


def _error_next_to(page: str, field_id: str) -> str:
    """The first error message shown after the field with this id."""
    after = page[page.index(f'id="{field_id}"'):]
    match = re.search(r'<span class="error" role="alert">([^<]+)</span>', after)
    assert match, f"no error after #{field_id}"
    return match.group(1)


@pytest.mark.parametrize("changes, field_id, message", [
    ({"closes_at": "2027-03-01T00:00"}, "closes_at", "The round must close after it opens."),
    ({"weight_rt": "-0.1"}, "weight_rt", "A group's weight may not be negative."),
    ({f"weight_{g}": "0" for g in ("rt", "rw", "lmk", "fkdm", "tokoh")}, "weight_rt",
     "At least one group must have a weight above zero."),
    ({"questionnaire": "no-such-thing"}, "questionnaire", "Not a valid choice."),
    ({"code": "2027-Q7"}, "code", "The code must look like 2027-Q1"),
    ({"opens_at": ""}, "opens_at", "Enter the opening time."),
    # 1 January of year 1, 00:00 WIB, is no UTC time at all (it was a server error)
    ({"opens_at": "0001-01-01T00:00"}, "opens_at", "This time is out of range: enter a date "
                                                   "between the years 1 and 9999."),
    ({"deadline_days": "0"}, "deadline_days", "The complaint deadline must be 1 to 90 days."),
    ({"min_complaints": "0"}, "min_complaints",
     "The fewest complaints to judge must be 1 to 10000."),
])
def test_refused_input_is_explained_next_to_its_field_and_nothing_is_saved(
        coordinator, app, changes, field_id, message):
    response = post_form(coordinator, "/coordinator/rounds/new", **changes)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    if field_id == "weight_rt":  # weights are checked together: the message is on the fieldset
        assert message in page[page.index("<legend>Group weights"):page.index('id="weight_rt"')] \
            or message in _error_next_to(page, field_id)
    else:
        assert _error_next_to(page, field_id).startswith(message)
    assert "Please correct the fields marked below." in page
    with app.app_context():
        assert db.session.scalar(select(Round)) is None


def test_an_overlapping_quarter_is_refused_next_to_the_opening_time(coordinator):
    post_form(coordinator, "/coordinator/rounds/new")
    response = post_form(coordinator, "/coordinator/rounds/new", code="2027-Q2",
                         opens_at="2027-03-31T00:00", closes_at="2027-05-01T00:00")
    assert "overlap round 2027-Q1" in _error_next_to(response.get_data(as_text=True), "opens_at")
    again = post_form(coordinator, "/coordinator/rounds/new", opens_at="2027-06-10T08:00",
                      closes_at="2027-07-01T00:00")
    assert "A round for 2027-Q1 already exists." in _error_next_to(again.get_data(as_text=True),
                                                                   "code")


def _now_round(app, **kw) -> None:
    now = datetime.now(UTC)
    with app.app_context():
        factories.round_("2026-Q4", state=kw.pop("state", "draft"), opens=now + timedelta(days=1),
                         closes=now + timedelta(days=20), **kw)
        db.session.commit()


def _confirm(client, code: str, action: str, **data):
    url = f"/coordinator/rounds/{code}/{action}"
    page = client.get(url)
    assert page.status_code == 200 and "Yes, continue" in page.get_data(as_text=True)
    return client.post(url, data={**data, "csrf_token": csrf_token(client, url)},
                       follow_redirects=True)


def test_the_lifecycle_through_the_pages_each_step_confirmed(coordinator, app):
    now = datetime.now(UTC)
    with app.app_context():  # a quarter whose complaints are judged long after any test runs
        factories.round_("2099-Q4", state="draft", opens=now + timedelta(days=1),
                         closes=now + timedelta(days=20))
        db.session.commit()
    opened = _confirm(coordinator, "2099-Q4", "open").get_data(as_text=True)
    assert "Round 2099-Q4 is open." in opened
    detail = coordinator.get("/coordinator/rounds/2099-Q4").get_data(as_text=True)
    assert "Settings and questionnaire are frozen" in detail and "Edit settings" not in detail
    # editing an open round is refused with a message, not an error page
    edit = post_form(coordinator, "/coordinator/rounds/2099-Q4/edit", code="2099-Q4",
                     follow_redirects=True)
    later = datetime.now(JAKARTA) + timedelta(days=40)
    extended = _confirm(coordinator, "2099-Q4", "extend",
                        closes_at=later.strftime("%Y-%m-%dT%H:%M"))
    assert "Round 2099-Q4 now closes later." in extended.get_data(as_text=True)
    early = _confirm(coordinator, "2099-Q4", "extend", closes_at="2026-01-01T00:00")
    assert "must be later than the current one" in early.get_data(as_text=True)
    year_one = _confirm(coordinator, "2099-Q4", "extend", closes_at="0001-01-01T03:00")
    assert "This time is out of range" in year_one.get_data(as_text=True)
    refused = _confirm(coordinator, "2099-Q4", "publish")
    assert "cannot be published: it is open" in refused.get_data(as_text=True)
    assert "is closed." in _confirm(coordinator, "2099-Q4", "close").get_data(as_text=True)
    # J: the quarter's end (1 January 2100 00:00 WIB) plus the 7-day deadline
    waiting = _confirm(coordinator, "2099-Q4", "publish").get_data(as_text=True)
    assert "cannot be published before 08-01-2100 00:00 WIB" in waiting
    with app.app_context():
        assert db.session.scalar(select(Round.state)) == "closed"
    assert edit.status_code in (200, 302)


def test_a_draft_is_edited_and_errors_keep_what_was_typed(coordinator, app):
    _now_round(app)
    url = "/coordinator/rounds/2026-Q4/edit"
    assert 'value="2026-Q4"' in coordinator.get(url).get_data(as_text=True)
    bad = post_form(coordinator, url, code="2026-Q4", opens_at="2026-12-20T08:00",
                    closes_at="2026-12-01T00:00", note="kept")
    page = bad.get_data(as_text=True)
    assert "The round must close after it opens." in page and "kept</textarea>" in page
    good = post_form(coordinator, url, code="2026-Q4", opens_at="2026-12-20T08:00",
                     closes_at="2027-01-05T00:00", deadline_days="10")
    assert good.status_code == 302
    with app.app_context():
        assert db.session.scalar(select(Round.deadline_days)) == 10


def test_actions_need_post_with_csrf(coordinator, app):
    _now_round(app)
    assert coordinator.post("/coordinator/rounds/2026-Q4/open").status_code == 400
    with app.app_context():
        assert db.session.scalar(select(Round.state)) == "draft"


def test_next_quarter_button_makes_a_draft(coordinator, app):
    post_form(coordinator, "/coordinator/rounds/new")
    response = coordinator.post("/coordinator/rounds/2027-Q1/next", data={
        "csrf_token": csrf_token(coordinator, "/coordinator/rounds")}, follow_redirects=True)
    assert "Draft 2027-Q2 created from 2027-Q1" in response.get_data(as_text=True)


def test_the_list_shows_state_and_response_rate(coordinator, app):
    _now_round(app)
    page = coordinator.get("/coordinator/rounds").get_data(as_text=True)
    assert "2026-Q4" in page and "draft" in page


@pytest.mark.parametrize("role, status", [("viewer", 403), ("official", 403), ("admin", 200)])
def test_only_coordinators_and_admins_reach_the_round_pages(client, auth, users, role, status):
    auth.login(users[role])
    assert client.get("/coordinator/rounds").status_code == status
    assert client.get("/coordinator/rounds/new").status_code == status


def test_an_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/coordinator/rounds")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_pages_are_indonesian_by_default(client, auth, users):
    auth.login(users["coordinator"])
    page = client.get("/coordinator/rounds").get_data(as_text=True)
    assert "Putaran" in page or "putaran" in page


def test_the_coordinators_home_shows_the_open_round(client, auth, users, app):
    now = datetime.now(UTC)
    with app.app_context():
        factories.round_("2026-Q4", state="scheduled", opens=now - timedelta(days=1),
                         closes=now + timedelta(days=9))
        db.session.commit()
    auth.login(users["coordinator"])
    page = client.get("/").get_data(as_text=True)
    assert "2026-Q4" in page and "dibuka" in page  # opened by the clock, in Indonesian
    with app.app_context():
        assert db.session.scalar(select(Round.state)) == "open"  # and recorded


def test_an_officials_home_points_to_the_report_cards(client, auth, users):
    auth.login(users["official"])
    page = client.get("/").get_data(as_text=True)
    assert "/portal/" in page and "Rapor Anda untuk triwulan yang sudah diterbitkan" in page


def test_form_fields_carry_no_empty_aria_attributes(coordinator):
    """A field without a hint or an error has no aria-describedby or aria-invalid at all (WTForms
    wrote the word None into both, which screen readers and axe-core reject); one with an error
    is marked invalid and points at its hint."""
    form = coordinator.get("/coordinator/rounds/new").get_data(as_text=True)
    assert '="None"' not in form and "aria-invalid" not in form
    refused = post_form(coordinator, "/coordinator/rounds/new", code="2027-Q9").get_data(
        as_text=True)
    assert 'aria-invalid="true"' in refused and '="None"' not in refused
