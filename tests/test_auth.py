"""Login, logout, throttling, `next`, CSRF and roles."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import AuditEntry, User
from tests.conftest import AuthActions, csrf_token


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


def _login_from(client, address: str, email: str, password: str = "password123"):
    """Fill the login form from ``address`` (the client's own cookie jar, so its own CSRF token)."""
    environ = {"REMOTE_ADDR": address}
    page = client.get("/auth/login", environ_base=environ).get_data(as_text=True)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    return client.post("/auth/login", environ_base=environ, data={
        "email": email, "password": password, "next": "", "csrf_token": token})


def test_a_guessing_address_is_slowed_down_while_the_owner_logs_in_from_another(app, users):
    app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"] = "3 per 15 minutes"
    attacker, owner = app.test_client(), app.test_client()
    for _ in range(3):  # 3 failures: the limit of 3 is reached, not passed
        response = _login_from(attacker, "203.0.113.66", users["admin"], "guess")
        assert response.status_code == 200
        assert "Email atau kata sandi salah." in response.get_data(as_text=True)
    # the 4th attempt from that address is refused before any password is checked, even the
    # right one, with the form's own message
    response = _login_from(attacker, "203.0.113.66", users["admin"])
    assert response.status_code == 429
    assert "Terlalu banyak percobaan gagal" in response.get_data(as_text=True)
    assert attacker.get("/", environ_base={"REMOTE_ADDR": "203.0.113.66"}).status_code == 302
    # the owner, from an address that has not been failing, is not locked out
    response = _login_from(owner, "198.51.100.7", users["admin"])
    assert response.status_code == 302 and response.headers["Location"] == "/"
    assert owner.get("/", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200


def test_failures_on_one_account_do_not_block_other_accounts_from_the_address(app, users):
    """The (account, address) limit counts per account: 3 failures on the admin spend the
    admin's 3 from this address; the viewer's count from it is still 0 (the address's own limit,
    30 per 15 minutes, is far away: 3 of 30)."""
    app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"] = "3 per 15 minutes"
    client = app.test_client()
    for _ in range(3):
        _login_from(client, "192.0.2.10", users["admin"], "guess")
    assert _login_from(client, "192.0.2.10", users["admin"]).status_code == 429
    assert _login_from(client, "192.0.2.10", users["viewer"]).status_code == 302


def test_failures_on_many_accounts_from_one_address_are_limited(app, users):
    """4 failures from one address, each on a different account (1 of 3 on each account), reach
    the address's limit of 4: the 5th attempt is refused whatever the account."""
    app.config["LOGIN_FAILURES_PER_ADDRESS"] = "4 per 15 minutes"
    client = app.test_client()
    for email in (users["admin"], users["viewer"], "nobody@example.id", "noone@example.id"):
        assert _login_from(client, "192.0.2.20", email, "guess").status_code == 200
    assert _login_from(client, "192.0.2.20", users["coordinator"]).status_code == 429
    assert _login_from(app.test_client(), "192.0.2.21", users["coordinator"]).status_code == 302


def test_an_unknown_account_is_limited_like_a_known_one(app, users):
    """The refusal tells nothing about which accounts exist: the 3rd failure on an unknown
    email spends its limit of 3 exactly as it does for a known one."""
    app.config["LOGIN_FAILURES_PER_ACCOUNT_AND_ADDRESS"] = "3 per 15 minutes"
    answers = {}
    for email in (users["viewer"], "nobody@example.id"):
        client = app.test_client()
        answers[email] = [_login_from(client, "192.0.2.30", email, "guess").status_code
                          for _ in range(4)]
    assert answers == {users["viewer"]: [200, 200, 200, 429],
                       "nobody@example.id": [200, 200, 200, 429]}


@pytest.fixture
def hash_checks(monkeypatch):
    """Every password hash checked at login, as (method of the stored hash, result): the real
    werkzeug function still does the work, wrapped to be counted."""
    from survey_app.domain import accounts

    real = accounts.check_password_hash
    seen = []

    def counted(stored, password):
        result = real(stored, password)
        seen.append((stored.split("$", 1)[0], result))
        return result

    monkeypatch.setattr(accounts, "check_password_hash", counted)
    return seen


@pytest.mark.parametrize("who, password", [
    ("coordinator@example.id", "password123"),     # right
    ("coordinator@example.id", "wrong-password"),  # known, wrong password
    ("nobody@example.id", "password123"),          # unknown account
    ("viewer@example.id", "password123"),          # deactivated (below)
])
def test_one_hash_of_the_same_method_is_checked_whatever_the_account(app, client, auth, users,
                                                                     hash_checks, who, password):
    """Equal time for known and unknown accounts, shown by what is computed rather than by a
    clock: exactly one hash check per attempt, of the method the accounts' own hashes use
    (the test config's PASSWORD_HASH_METHOD, pbkdf2:sha256:1, as in tests/factories.py)."""
    with app.app_context():
        viewer = db.session.scalar(select(User).where(User.email == users["viewer"]))
        viewer.active = False
        db.session.commit()
    auth.login(who, password)
    assert [method for method, _ok in hash_checks] == ["pbkdf2:sha256:1"]
    assert app.config["PASSWORD_HASH_METHOD"] == "pbkdf2:sha256:1"
    # the deactivated viewer's right password checks out but still does not log in
    assert hash_checks[0][1] is (password == "password123" and who != "nobody@example.id")


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
    response = auth.login(users["coordinator"], next_url=next_url)  # the coordinator's home: /
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
            url = url.replace(f"<round:{argument}>", "2027-Q1")  # a round code (the converter)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 400), (method, url, response.status_code)
            if response.status_code == 302:
                assert "/auth/login" in response.headers["Location"], (method, url)
            checked += 1
    assert checked >= 2


def _copy_of_the_session(app, client):
    """Another browser holding a copy of ``client``'s session cookie (as a thief would)."""
    thief = app.test_client()
    thief.set_cookie("session", client.get_cookie("session").value)
    return thief


def test_a_cookie_copied_before_logout_stops_working(app, client, auth, users):
    auth.login(users["coordinator"])
    thief = _copy_of_the_session(app, client)
    assert thief.get("/").status_code == 200  # the copy works while the session lasts
    auth.logout()
    response = thief.get("/")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    # logging in again opens a new session; the old copy stays dead
    auth.login(users["coordinator"])
    assert client.get("/").status_code == 200
    assert thief.get("/").status_code == 302


def test_logout_ends_the_session_on_every_device(app, auth, users):
    phone, laptop = app.test_client(), app.test_client()
    AuthActions(phone).login(users["viewer"])
    AuthActions(laptop).login(users["viewer"])
    AuthActions(phone).logout()
    assert laptop.get("/").status_code == 302


def test_deactivation_ends_the_accounts_sessions_at_once(app, client, auth, users):
    viewer = app.test_client()
    AuthActions(viewer).login(users["viewer"])
    assert viewer.get("/").status_code == 200
    auth.login(users["admin"])
    with app.app_context():
        viewer_id = db.session.scalar(select(User.id).where(User.email == users["viewer"]))
    token = csrf_token(client, "/admin/users")
    client.post(f"/admin/users/{viewer_id}/active", data={"csrf_token": token})
    assert viewer.get("/").status_code == 302
    client.post(f"/admin/users/{viewer_id}/active", data={"csrf_token": token})  # active again
    assert viewer.get("/").status_code == 302  # ...but the old session does not come back
    assert AuthActions(viewer).login(users["viewer"]).status_code == 302
    assert viewer.get("/").status_code == 200


def test_a_password_change_ends_the_accounts_sessions(app, client, auth, users):
    auth.login(users["viewer"])
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == users["viewer"]))
        user.set_password("a-new-password", app.config["PASSWORD_HASH_METHOD"])
        db.session.commit()
    assert client.get("/").status_code == 302
    assert auth.login(users["viewer"], "a-new-password").status_code == 302


@pytest.mark.parametrize("stored_id", ["1", "1:", ":0", "1:x", "x:0", "1:0:0", ""])
def test_a_session_without_the_right_version_is_not_a_login(app, client, users, stored_id):
    """A session from before session versions ("1"), or one that does not parse, is anonymous."""
    client.get("/auth/login")
    with client.session_transaction() as session:
        session["_user_id"] = stored_id
        session["_fresh"] = True
    assert client.get("/").status_code == 302


def test_a_control_character_in_the_login_or_a_new_account_is_refused_in_words(client, auth,
                                                                                 users):
    """A NUL in an e-mail would reach the account look-up (an error on PostgreSQL): the forms
    refuse it with the position, and nothing else happens."""
    token = csrf_token(client, "/auth/login")
    response = client.post("/auth/login", data={"csrf_token": token, "email": "admin\x00@x.id",
                                                "password": "password123"})
    assert response.status_code in (200, 400)
    assert "U+0000" in response.get_data(as_text=True)
    auth.login(users["admin"])
    token = csrf_token(client, "/admin/users")
    response = client.post("/admin/users", data={"csrf_token": token, "email": "x\x00@x.id",
                                                 "role": "viewer", "password": "password123",
                                                 "official_nip": "19\x0780"})
    assert response.status_code in (200, 400) and "U+0000" in response.get_data(as_text=True)
