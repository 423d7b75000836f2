"""The results document through the command line and the JSON endpoint, and who may read it."""
from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from survey_app.extensions import db
from tests import factories

U = [f"U{i}" for i in range(1, 10)]


@pytest.fixture
def scored(app, users):
    """Round 2027-Q1 (closed) with a lurah scored 75.00 from three RT heads."""
    with app.app_context():
        from sqlalchemy import select

        from survey_app.models import Area, Position

        kel = db.session.scalar(select(Area).where(Area.code == "3171010001"))
        lurah = db.session.scalar(select(Position).where(Position.area_id == kel.id))
        round_ = factories.round_("2027-Q1", state="closed", opens=datetime(2026, 9, 1, tzinfo=UTC),
                                  closes=datetime(2026, 9, 30, 17, tzinfo=UTC),
                                  questionnaire=factories.regulation_questionnaire())
        for _ in range(3):
            factories.response(round_, lurah, "rt", {c: 3 for c in U})
        db.session.commit()


def test_results_json_has_the_design_keys(runner, scored):
    result = runner.invoke(args=["skm", "results", "2027-Q1"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["round"] == "2027-Q1"
    [entry] = document["positions"]
    for key in ("position", "area_code", "area_name", "official", "invited", "respondents",
                "response_rate", "required_sample", "elements", "groups", "index", "ikm", "grade",
                "category", "ci95", "previous_ikm", "change", "change_p_value", "rank", "peers",
                "complaints", "composite", "sanction_level"):
        assert key in entry, key
    assert entry["position"] == "lurah" and entry["area_code"] == "3171010001"
    assert entry["ikm"] == 75.0 and entry["grade"] == "C" and entry["category"] == "Kurang baik"
    assert entry["elements"] == {c: 3.0 for c in U}
    assert entry["groups"]["rt"] == {"n": 3, "mean": 3.0} and entry["groups"]["lmk"] is None
    assert entry["rank"] == 1 and entry["peers"] == 1
    assert document["reference_day"] == "2026-09-30"  # closes 00:00 WIB on 1 October


def test_results_csv_has_one_row_per_position(runner, scored):
    result = runner.invoke(args=["skm", "results", "2027-Q1", "--format", "csv"])
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == 1
    assert rows[0]["ikm"] == "75.0" and rows[0]["grade"] == "C" and rows[0]["E_U1"] == "3.0"
    assert rows[0]["G_rt"] == "3.0" and rows[0]["G_lmk"] == ""


def test_unknown_round_is_a_message_not_a_trace(runner, ctx):
    result = runner.invoke(args=["skm", "results", "2031-Q1"])
    assert result.exit_code == 1 and "2031-Q1" in result.output


@pytest.mark.parametrize("role, status", [("coordinator", 200), ("admin", 200), ("viewer", 404),
                                          ("official", 403)])
def test_unpublished_results_are_for_coordinators_only(client, auth, users, scored, role, status):
    auth.login(users[role])
    assert client.get("/api/rounds/2027-Q1/results").status_code == status


def test_viewers_read_published_results(client, auth, users, scored, app):
    with app.app_context():
        from survey_app.models import Round

        db.session.scalar(db.select(Round)).state = "published"
        db.session.commit()
    auth.login(users["viewer"])
    response = client.get("/api/rounds/2027-Q1/results")
    assert response.status_code == 200 and response.json["positions"][0]["ikm"] == 75.0


def test_the_api_needs_a_login(client, scored):
    response = client.get("/api/rounds/2027-Q1/results")
    assert response.status_code in (302, 401)
