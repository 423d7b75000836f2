"""Login, logout, throttling, `next`, CSRF and roles."""
from __future__ import annotations

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, User
from tests.conftest import csrf_token


def test_login_and_logout(client, auth, users):
    response = auth.login(users["coordinator"])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert "coordinator@example.id" in client.get("/").get_data(as_text=True)
    response = auth.logout()
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # logged out: sent to the login page


def test_logout_by_get_is_not_possible(client, auth, users):
    auth.login(users["viewer"])
    assert client.get("/auth/logout").status_code == 405
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("email, password", [
    ("coordinator@example.id", "wrong-password"),
    ("nobody@example.id", "password123"),
])
def test_the_same_message_for_wrong_user_or_wrong_password(client, auth, users, email, password):
    page = auth.login(email, password).get_data(as_text=True)
    assert "Email atau kata sandi salah." in page


def test_login_without_csrf_token_is_refused(client, users):
    response = client.post("/auth/login", data={"email": users["admin"], "password": "password123"})
    assert response.status_code == 400
    assert "Formulir kedaluwarsa" in response.get_data(as_text=True)
    assert client.get("/").status_code == 302  # not logged in


def test_repeated_failures_slow_the_account_down(app, client, auth, users):
    for _ in range(app.config["LOGIN_FAILURES_BEFORE_DELAY"]):
        assert "Email atau kata sandi salah." in auth.login(users["admin"], "nope").get_data(as_text=True)
    # now even the right password must wait
    page = auth.login(users["admin"]).get_data(as_text=True)
    assert "Terlalu banyak percobaan gagal" in page
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == users["admin"]))
        assert user.failed_logins == app.config["LOGIN_FAILURES_BEFORE_DELAY"]


def test_repeated_failures_from_one_address_are_rate_limited(app, client, auth, users):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    for i in range(3):
        auth.login(f"someone{i}@example.id", "nope")
    assert auth.login(users["admin"]).status_code == 429


def test_opening_the_login_page_is_not_counted(app, client, auth, users):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    assert [client.get("/auth/login").status_code for _ in range(5)] == [200] * 5
    assert auth.login(users["admin"]).status_code == 302


@pytest.mark.parametrize("next_url, expected", [
    ("/portal/", "/portal/"),
    ("https://evil.example/", "/"),
    ("//evil.example/", "/"),
    ("/\\evil.example", "/"),
    ("javascript:alert(1)", "/"),
])
def test_next_redirects_only_to_local_paths(auth, users, next_url, expected):
    response = auth.login(users["viewer"], next_url=next_url)
    assert response.headers["Location"] == expected


def test_session_is_regenerated_on_login(client, auth, users):
    client.get("/auth/login")
    with client.session_transaction() as session:
        session["planted"] = "by an attacker"
    auth.login(users["viewer"])
    with client.session_transaction() as session:
        assert "planted" not in session


def test_login_is_audited(app, auth, users):
    auth.login(users["viewer"])
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "login"))
        assert entry.actor == users["viewer"]


def test_language_choice_survives_login(client, auth, users):
    client.get("/auth/login?lang=en")
    auth.login(users["viewer"])
    assert "Log out" in client.get("/").get_data(as_text=True)


def test_create_user_command(app, runner, users):
    result = runner.invoke(args=["skm", "create-user", "New@Example.id", "--role", "viewer",
                                 "--password", "long-enough-pw"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.id"))
        assert user.role == "viewer" and user.check_password("long-enough-pw")
        assert not user.password_hash.startswith("long")


@pytest.mark.parametrize("args, message", [  # in the default language, Bahasa Indonesia
    (["x@example.id", "--role", "king", "--password", "long-enough-pw"],
     "Peran 'king' tidak dikenal"),
    (["x@example.id", "--role", "viewer", "--password", "short"], "paling sedikit 8 karakter"),
    (["admin@example.id", "--role", "viewer", "--password", "long-enough-pw"],
     "Akun untuk admin@example.id sudah ada."),
    (["x@example.id", "--role", "official", "--password", "long-enough-pw"],
     "memerlukan NIP pejabat tersebut (--official NIP"),
    (["x@example.id", "--role", "official", "--official", "1", "--password", "long-enough-pw"],
     "Tidak ada pejabat dengan NIP 1."),
])
def test_create_user_refuses_bad_input(runner, users, args, message):
    result = runner.invoke(args=["skm", "create-user", *args])
    assert result.exit_code == 1 and message in result.output


def test_a_deactivated_account_cannot_log_in(app, auth, users):
    with app.app_context():
        db.session.scalar(select(User).where(User.email == users["viewer"])).active = False
        db.session.commit()
    assert "Email atau kata sandi salah." in auth.login(users["viewer"]).get_data(as_text=True)


def test_csrf_token_helper_finds_the_login_form(client):
    assert csrf_token(client, "/auth/login")


def test_every_page_denies_an_anonymous_visitor_unless_it_is_public(app, client):
    """Deny by default: walk every route; only the explicit public list answers without login."""
    from survey_app import PUBLIC_BLUEPRINTS, PUBLIC_ENDPOINTS

    checked = 0
    for rule in app.url_map.iter_rules():
        blueprint = rule.endpoint.rsplit(".", 1)[0] if "." in rule.endpoint else None
        if rule.endpoint in PUBLIC_ENDPOINTS or blueprint in PUBLIC_BLUEPRINTS:
            continue
        url = rule.rule
        for argument in rule.arguments:
            url = url.replace(f"<{argument}>", "1")
            for converter in ("int", "string", "path"):
                url = url.replace(f"<{converter}:{argument}>", "1")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 400), (method, url, response.status_code)
            if response.status_code == 302:
                assert "/auth/login" in response.headers["Location"], (method, url)
            checked += 1
    assert checked >= 2
