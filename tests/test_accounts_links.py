"""Officials' accounts in bulk, one-time set-password links, admin resets, own password change."""
from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

from openpyxl import load_workbook
from sqlalchemy import select

from survey_app.domain import accounts, clock
from survey_app.extensions import db
from survey_app.models import AuditEntry, User
from tests import factories
from tests.conftest import csrf_token


def _bulk(client, fmt="csv"):
    token = csrf_token(client, "/admin/users")
    return client.post("/admin/accounts/officials", data={"fmt": fmt, "csrf_token": token})


def _path(link: str) -> str:
    return re.sub(r"^https?://[^/]+", "", link)


def test_bulk_accounts_one_per_official_without_one_with_a_file_of_links(app, client, auth, users):
    with app.app_context():
        factories.official("197001012000011001", "Siti Aminah")
        factories.official("197101012000011002", "=HYPERLINK(\"http://x\")")
        db.session.commit()
    auth.login(users["admin"])
    response = _bulk(client, "csv")
    assert response.status_code == 200 and response.headers["Cache-Control"] == "no-store"
    rows = list(csv.DictReader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    # the lurah of the users fixture has an account (official@example.id) already
    assert [r["nip"] for r in rows] == ["197001012000011001", "197101012000011002"]
    assert rows[0]["login"] == "197001012000011001@pejabat.skm.invalid"
    assert rows[1]["name"] == "'=HYPERLINK(\"http://x\")"  # neutralised
    assert re.fullmatch(r"http://127\.0\.0\.1:5000/auth/password/set/[A-Za-z0-9_-]{43}",
                        rows[0]["link"])
    with app.app_context():
        made = db.session.scalars(select(User).where(
            User.email.like("%@pejabat.skm.invalid"))).all()
        assert len(made) == 2 and {u.role for u in made} == {"official"}
        assert all(u.password_token_hash and len(u.password_token_hash) == 64 for u in made)
        token = rows[0]["link"].rsplit("/", 1)[1]
        assert all(token not in (u.password_token_hash or "") for u in made)  # only the hash
        entry = db.session.scalar(select(AuditEntry).where(
            AuditEntry.action == "create-official-accounts"))
        assert entry.detail == {"created": 2, "links": 2}
    # again: no new account, fresh links for the two still waiting; the first file's are dead
    again = _bulk(client, "xlsx")
    sheet = load_workbook(io.BytesIO(again.get_data())).active
    values = list(sheet.values)
    assert values[0] == ("nip", "name", "login", "link", "expires")
    assert [v[0] for v in values[1:]] == ["197001012000011001", "197101012000011002"]
    assert sheet.cell(3, 2).data_type == "s"  # a text, never a formula
    auth.logout()
    assert client.get(_path(rows[0]["link"])).status_code == 404
    assert client.get(_path(values[1][3])).status_code == 200


def test_a_link_sets_the_password_once(app, client, auth, users):
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == users["viewer"]))
        token = accounts.issue_password_link(user, timedelta(hours=1))
        db.session.commit()
    url = f"/auth/password/set/{token}"
    form = csrf_token(client, url)
    differ = client.post(url, data={"new_password": "a-new-secret", "confirm": "other-secret",
                                    "csrf_token": form})
    assert "Kedua kata sandi berbeda." in differ.get_data(as_text=True)
    done = client.post(url, data={"new_password": "a-new-secret", "confirm": "a-new-secret",
                                  "csrf_token": form})
    assert done.status_code == 302 and done.headers["Location"].endswith("/auth/login")
    assert client.get(url).status_code == 404  # used up
    assert auth.login(users["viewer"], "a-new-secret").status_code == 302
    with app.app_context():
        assert db.session.scalar(select(User.password_token_hash)
                                 .where(User.email == users["viewer"])) is None


def test_an_expired_link_and_a_deactivated_accounts_link_are_refused(app, client, users):
    with app.app_context():
        viewer = db.session.scalar(select(User).where(User.email == users["viewer"]))
        old = accounts.issue_password_link(viewer, timedelta(hours=1),
                                           now=clock.now() - timedelta(hours=2))
        coordinator = db.session.scalar(select(User).where(User.email == users["coordinator"]))
        other = accounts.issue_password_link(coordinator, timedelta(hours=1))
        coordinator.active = False
        db.session.commit()
    assert client.get(f"/auth/password/set/{old}").status_code == 404
    page = client.get(f"/auth/password/set/{other}")
    assert page.status_code == 404
    assert "Tautan ini tidak berlaku" in page.get_data(as_text=True)


def test_the_link_page_is_rate_limited(app, client):
    for _ in range(10):
        assert client.get("/auth/password/set/" + "x" * 43).status_code == 404
    assert client.get("/auth/password/set/" + "x" * 43).status_code == 429


def test_an_admin_resets_a_password_and_the_owner_uses_the_link(app, client, auth, users):
    auth.login(users["admin"])
    with app.app_context():
        official_id = db.session.scalar(select(User.id).where(User.email == users["official"]))
    token = csrf_token(client, "/admin/users")
    page = client.post(f"/admin/users/{official_id}/reset", data={"csrf_token": token})
    assert page.status_code == 200 and page.headers["Cache-Control"] == "no-store"
    link = re.search(r'<code id="reset-link">([^<]+)</code>', page.get_data(as_text=True)).group(1)
    auth.logout()
    assert auth.login(users["official"]).status_code == 302  # the old password still works
    auth.logout()
    url = _path(link)
    form = csrf_token(client, url)
    client.post(url, data={"new_password": "reset-secret", "confirm": "reset-secret",
                           "csrf_token": form})
    assert auth.login(users["official"]).status_code == 200  # the old one no longer does
    assert auth.login(users["official"], "reset-secret").status_code == 302
    with app.app_context():
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"reset-password", "set-password"} <= actions


def test_a_coordinator_cannot_reset_or_create_accounts(app, client, auth, users):
    auth.login(users["coordinator"])
    token = csrf_token(client, "/")
    assert client.post("/admin/users/1/reset", data={"csrf_token": token}).status_code == 403
    assert client.post("/admin/accounts/officials", data={"csrf_token": token,
                                                          "fmt": "csv"}).status_code == 403


def test_everyone_changes_their_own_password_with_the_current_one(app, client, auth, users):
    auth.login(users["official"])
    other = app.test_client()
    other_token = csrf_token(other, "/auth/login")
    other.post("/auth/login", data={"email": users["official"], "password": "password123",
                                    "csrf_token": other_token})
    assert other.get("/portal/").status_code == 200
    token = csrf_token(client, "/auth/password")
    wrong = client.post("/auth/password", data={
        "current_password": "not-mine", "new_password": "brand-new-1", "confirm": "brand-new-1",
        "csrf_token": token})
    assert "Kata sandi saat ini tidak benar." in wrong.get_data(as_text=True)
    done = client.post("/auth/password", data={
        "current_password": "password123", "new_password": "brand-new-1",
        "confirm": "brand-new-1", "csrf_token": token})
    assert done.status_code == 302
    assert client.get("/portal/").status_code == 200  # this session goes on
    assert other.get("/portal/").status_code == 302  # the other one ended
    auth.logout()
    assert auth.login(users["official"], "brand-new-1").status_code == 302
