"""Follow-up plans (issue 20): the loop through the portal, who may take which step (the superior
derived from areas and appointments), evidence files checked by their first bytes, the audit log,
the ladder rule (a round setting), the CLI listing, and the plans on the next quarter's card and
in the province summary."""
from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from survey_app.domain import followups, results, sanctions
from survey_app.extensions import db
from survey_app.models import AuditEntry, FollowupPlan, Official, Position, Round, User
from tests import portal_setup
from tests.conftest import csrf_token

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def posts(app, users):
    with app.app_context():
        return portal_setup.build()


def _post(client, url: str, page: str, data: dict, **kwargs):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)}, **kwargs)


def _write(client, posts, element="U3", submit=True):
    page = f"/portal/2026-Q2/rencana/{posts['3171010001']}/{element}"
    data = {"action": "Pelayanan KTP dipercepat: loket kedua dibuka",
            "due_quarter": "2026-Q3", "responsible": "Sekretaris Kelurahan"}
    data["submit_plan" if submit else "save"] = "1"
    return _post(client, page, page, data)


def _plan_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(FollowupPlan.id))


def _step(client, plan_id: int, step: str, **data):
    page = f"/portal/rencana/{plan_id}"
    return _post(client, f"/portal/rencana/{plan_id}/{step}", page, data, follow_redirects=True)


def _state(app) -> str:
    with app.app_context():
        return db.session.scalar(select(FollowupPlan.state))


def test_the_loop_through_the_portal_with_every_step_audited(app, client, auth, posts):
    auth.login("official@example.id")
    listing = client.get("/portal/2026-Q2/rencana").get_data(as_text=True)
    # the card marks U3 (answered 2 by everyone, below the mean): the one plan to write
    assert "U3 Waktu Penyelesaian" in listing and "Tulis rencana" in listing
    assert client.get(f"/portal/2026-Q2/rencana/{posts['3171010001']}/U1").status_code == 404
    response = _write(client, posts, submit=False)
    assert response.status_code == 302
    assert _state(app) == "draft"
    plan_id = _plan_id(app)
    _step(client, plan_id, "submit")
    assert _state(app) == "submitted"
    # the official may not approve their own plan
    page = _step(client, plan_id, "approve").get_data(as_text=True)
    assert "Hanya atasan pejabat yang dapat melakukan ini." in page
    assert _state(app) == "submitted"
    auth.logout()

    auth.login("camat@example.id")  # the camat of the lurah's kecamatan
    assert "menunggu Anda" in client.get("/portal/2026-Q2/rencana").get_data(as_text=True)
    page = _step(client, plan_id, "return", note="").get_data(as_text=True)
    assert _state(app) == "submitted"  # a return needs a note
    page = _step(client, plan_id, "return", note="Sebutkan jam buka loket kedua.")
    assert _state(app) == "returned"
    auth.logout()

    auth.login("official@example.id")
    assert "Sebutkan jam buka loket kedua." in client.get(
        f"/portal/rencana/{plan_id}").get_data(as_text=True)
    _write(client, posts)  # changed and submitted again
    assert _state(app) == "submitted"
    auth.logout()

    auth.login("camat@example.id")
    _step(client, plan_id, "approve")
    assert _state(app) == "approved"
    auth.logout()

    auth.login("official@example.id")
    page = f"/portal/rencana/{plan_id}"
    _post(client, f"{page}/upload", page, {"file": (__import__("io").BytesIO(PNG), "foto.png")},
          content_type="multipart/form-data")
    _step(client, plan_id, "complete", evidence="Loket kedua buka 08.00-15.00 sejak Agustus.")
    assert _state(app) == "done"
    auth.logout()

    auth.login("camat@example.id")
    _step(client, plan_id, "verify")
    assert _state(app) == "verified"
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target == f"followup:{plan_id}").order_by(AuditEntry.id)).all()
    assert actions == ["followup-save", "followup-submit", "followup-return", "followup-save",
                       "followup-submit", "followup-approve", "followup-file",
                       "followup-complete", "followup-verify"]
