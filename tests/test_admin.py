"""Accounts page: admins only; creating accounts, changing roles, deactivating."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import User
from tests.conftest import csrf_token


@pytest.mark.parametrize("role, status", [("admin", 200), ("coordinator", 403), ("viewer", 403),
                                          ("official", 403)])
def test_only_admins_see_accounts(client, auth, users, role, status):
    auth.login(users[role])
    assert client.get("/admin/users").status_code == status


def test_anonymous_is_sent_to_login(client, users):
    response = client.get("/admin/users")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_admin_creates_an_account(app, client, auth, users):
    auth.login(users["admin"])
    token = csrf_token(client, "/admin/users")
    response = client.post("/admin/users", data={"email": "baru@example.id", "role": "viewer",
                                                  "password": "long-enough", "csrf_token": token})
    assert response.status_code == 302
    assert "Akun baru@example.id dibuat." in client.get("/admin/users").get_data(as_text=True)
    with app.app_context():
        role = db.session.scalar(select(User.role).where(User.email == "baru@example.id"))
        assert role == "viewer"


def test_a_bad_account_is_refused_next_to_its_field(client, auth, users):
    auth.login(users["admin"])
    token = csrf_token(client, "/admin/users")
    response = client.post("/admin/users", data={"email": users["viewer"], "role": "viewer",
                                                  "password": "long-enough", "csrf_token": token})
    assert response.status_code == 400
    assert f"Akun untuk {users['viewer']} sudah ada." in response.get_data(as_text=True)
    response = client.post("/admin/users", data={"email": "x@example.id", "role": "viewer",
                                                  "password": "short", "csrf_token": token})
    assert response.status_code == 400


def test_admin_deactivates_and_changes_roles(app, client, auth, users):
    auth.login(users["admin"])
    with app.app_context():
        viewer_id = db.session.scalar(select(User.id).where(User.email == users["viewer"]))
    token = csrf_token(client, "/admin/users")
    client.post(f"/admin/users/{viewer_id}/role", data={"role": "coordinator", "csrf_token": token})
    client.post(f"/admin/users/{viewer_id}/active", data={"csrf_token": token})
    with app.app_context():
        user = db.session.get(User, viewer_id)
        assert (user.role, user.active) == ("coordinator", False)


def test_a_coordinator_cannot_post_to_admin_actions(app, client, auth, users):
    auth.login(users["coordinator"])
    token = csrf_token(client, "/")
    with app.app_context():
        viewer_id = db.session.scalar(select(User.id).where(User.email == users["viewer"]))
    assert client.post(f"/admin/users/{viewer_id}/role",
                       data={"role": "admin", "csrf_token": token}).status_code == 403
