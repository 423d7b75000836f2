"""Early warning (issue 20): a significant drop by the weighted test, on the results pages of the
coordinator and of the superior (the camat of the kecamatan).

Two lurah of kecamatan 3171010, rounds 2027-Q1 and 2027-Q2 (published 1 August 2027):
- 3171010001, weights RT 0.5 / LMK 0.5 (the case of test_statistics): IKM 85.00 -> 70.00.
  Var before = 0.25 x (12/23) / 24 + 0.25 x 0.2 / 5 = 0.0154348; Var now = 0.25 x 0.2 / 5 +
  0.25 x 0.25 / 25 = 0.0125; z = 0.6 / sqrt(0.0279348) = 3.590, p = 0.00033: flagged. The
  unweighted test on the pooled scores sees a rise (3.14 -> 3.20): it would flag nothing.
- 3171010002, RT only: all of 5 answer 3,3,3,4,2 (mean 3.0, s^2 0.5), then 3,3,2,4,2 (mean 2.8,
  s^2 0.7): IKM 75.00 -> 70.00, change -5.00, z = 0.2 / sqrt(0.1 + 0.14) = 0.408, p = 0.683:
  not flagged.
"""
from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import pytest
from scipy import stats
from sqlalchemy import select

from survey_app.domain import early_warning, results, rounds
from survey_app.extensions import db
from survey_app.models import Area, Position, Round
from tests import factories

U = [f"U{i}" for i in range(1, 10)]
WEIGHTS = {"rt": 0.5, "lmk": 0.5}


def quarter(code: str, month: int) -> Round:
    return factories.round_(code, state="closed", opens=datetime(2027, month, 5, tzinfo=UTC),
                            closes=datetime(2027, month, 25, tzinfo=UTC),
                            questionnaire=factories.regulation_questionnaire(),
                            group_weights=WEIGHTS)


def answer(round_, post, group: str, values: list[int]) -> None:
    for value in values:
        factories.response(round_, post, group, {c: value for c in U})


@pytest.fixture
def drops(app, users):
    with app.app_context():
        areas = {a.code: a for a in db.session.scalars(select(Area))}
        first_post = db.session.scalar(select(Position).where(
            Position.area_id == areas["3171010001"].id))
        second_post = factories.position("lurah", areas["3171010002"])
        factories.appoint(factories.official("197001012000011001", "Lurah Kedua"), second_post,
                          date(2026, 1, 1))
        camat = factories.official("196501011990011001", "Camat Atasan")
        camat_post = factories.position("camat", areas["3171010"])
        factories.appoint(camat, camat_post, date(2026, 1, 1))
        factories.user("camat@example.id", "official", official_=camat)
        first, second = quarter("2027-Q1", 2), quarter("2027-Q2", 5)
        answer(first, first_post, "rt", [3] * 12 + [4] * 6 + [2] * 6)
        answer(first, first_post, "lmk", [4] * 4 + [3])
        answer(second, first_post, "rt", [2] * 4 + [3])
        answer(second, first_post, "lmk", [4] * 10 + [3] * 15)
        answer(first, second_post, "rt", [3, 3, 3, 4, 2])
        answer(second, second_post, "rt", [3, 3, 2, 4, 2])
        answer(second, camat_post, "rt", [3, 3, 3])  # the camat's own post, scored
        db.session.commit()
        rounds.publish(second, now=datetime(2027, 8, 1, 2, tzinfo=UTC))
        db.session.commit()


def test_the_flag_follows_the_weighted_p_value(app, drops):
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.code == "2027-Q2"))
        entries = {p.area_code: p for p in results.results_document(round_).positions}
        big, small = entries["3171010001"], entries["3171010002"]
        var_before = 0.25 * (12 / 23) / 24 + 0.25 * 0.2 / 5
        var_now = 0.25 * 0.2 / 5 + 0.25 * 0.25 / 25
        assert big.change == -15.0
        assert big.change_p_value == pytest.approx(
            2 * stats.norm.sf(0.6 / np.sqrt(var_before + var_now)), rel=1e-9)
        assert round(big.change_p_value, 5) == 0.00033
        assert small.change == pytest.approx(-5.0)
        assert small.change_p_value == pytest.approx(2 * stats.norm.sf(0.2 / np.sqrt(0.24)),
                                                     rel=1e-9)
        assert round(small.change_p_value, 3) == 0.683
        assert [e.area_code for e in early_warning.significant_drops(entries.values())] \
            == ["3171010001"]
        # the unweighted test on the pooled scores would not have flagged the first
        before = [3.0] * 12 + [4.0] * 6 + [2.0] * 6 + [4.0] * 4 + [3.0]
        now = [2.0] * 4 + [3.0] + [4.0] * 10 + [3.0] * 15
        assert stats.ttest_ind(now, before, equal_var=False).pvalue > 0.05


def _warning(html: str) -> str:
    start = html.index('class="warning-box"')
    return html[start:html.index("</section>", start)]


def test_the_coordinator_sees_the_warning_on_the_league_page(client, auth, users, drops):
    auth.login(users["coordinator"])
    html = client.get("/results/2027-Q2?lang=en").get_data(as_text=True)
    box = _warning(html)
    assert "Early warning: significant drops" in box
    assert "KELURAHAN 3171010001" in box and "Budi Santoso" in box
    assert "85.00 → 70.00 (-15.00; p &lt; 0.01)" in box
    assert "KELURAHAN 3171010002" not in box  # -5.00, p = 0.68: no warning


def test_the_superior_sees_it_on_the_portal_and_the_official_does_not(client, auth, users,
                                                                      drops):
    auth.login("camat@example.id")
    html = client.get("/portal/2027-Q2").get_data(as_text=True)
    assert "KELURAHAN 3171010001" in _warning(html)
    assert "85,00 → 70,00 (-15,00; p &lt; 0,01)" in _warning(html)
    auth.logout()
    auth.login(users["official"])  # the lurah himself: his own drop is his superior's warning
    html = client.get("/portal/2027-Q2").get_data(as_text=True)
    assert 'class="warning-box"' not in html
