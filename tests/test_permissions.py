"""One rule for which rounds each role may see (survey_app/domain/permissions.py), and every
page, the API and the portal following it: a viewer sees a round's results, complaint figures and
cards once it is published, and none of them before (the complaint figures used to show)."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from survey_app.domain import permissions
from survey_app.extensions import db
from tests import factories

NOW = datetime.now(UTC)
# Every state, each on a round of its own quarter; the clock agrees with each state.
ROUNDS = {
    "draft": ("2029-Q1", NOW + timedelta(days=300), NOW + timedelta(days=330)),
    "scheduled": ("2029-Q2", NOW + timedelta(days=400), NOW + timedelta(days=430)),
    "open": ("2026-Q4", NOW - timedelta(days=3), NOW + timedelta(days=20)),
    "closed": ("2026-Q2", NOW - timedelta(days=200), NOW - timedelta(days=150)),
    "published": ("2026-Q1", NOW - timedelta(days=300), NOW - timedelta(days=250)),
}
PAGES = ("/results/{code}", "/coordinator/complaints/rounds/{code}", "/api/rounds/{code}/results")


def test_the_rule():
    assert permissions.round_states_for("coordinator") == ("open", "closed", "published")
    assert permissions.round_states_for("admin") == ("open", "closed", "published")
    assert permissions.round_states_for("viewer") == ("published",)
    assert permissions.round_states_for("official") == ("published",)
    assert permissions.round_states_for(None) == () and not permissions.may_see("x", "open")


@pytest.fixture
def every_state(app, users):
    with app.app_context():
        q = factories.pinned()
        for state, (code, opens, closes) in ROUNDS.items():
            factories.round_(code, state=state, opens=opens, closes=closes, questionnaire=q)
        db.session.commit()


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
@pytest.mark.parametrize("state", list(ROUNDS))
def test_results_complaint_figures_and_the_api_follow_the_rule(client, auth, users, every_state,
                                                               role, state):
    auth.login(users[role])
    code = ROUNDS[state][0]
    expected = 200 if permissions.may_see(role, state) else 404
    for page in PAGES:
        assert client.get(page.format(code=code)).status_code == expected, (page, role, state)


@pytest.mark.parametrize("role", ["coordinator", "viewer"])
def test_the_lists_offer_only_what_the_role_may_open(client, auth, users, every_state, role):
    auth.login(users[role])
    for listing in ("/results/", "/coordinator/complaints/"):
        html = client.get(listing).get_data(as_text=True)
        for state, (code, _opens, _closes) in ROUNDS.items():
            assert (f"/{code}" in html) == permissions.may_see(role, state), (listing, state)


@pytest.mark.parametrize("code", ["2026-Q2%00", "%002026-Q2", "2026-Q5", "2026-q2", "X"])
def test_an_address_with_a_malformed_round_code_is_a_plain_404(client, auth, users, every_state,
                                                               code):
    """No view, and so no database lookup, sees a code that is not a round code (a NUL in a
    lookup is an error on PostgreSQL)."""
    auth.login(users["coordinator"])
    for page in PAGES + ("/coordinator/rounds/{code}", "/portal/{code}"):
        assert client.get(page.format(code=code)).status_code == 404, page
