"""The app factory, settings, health and the deny-by-default rule."""
import pytest

from survey_app import create_app
from survey_app.config import ConfigError, from_environment
from tests.live import redis_is_up


def test_health_is_public(client):
    assert client.get("/health").get_json() == {"status": "ok"}


def test_production_refuses_to_start_without_secret_key(monkeypatch, tmp_path):
    monkeypatch.setenv("SKM_ENV", "production")
    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(ConfigError):
        from_environment(str(tmp_path))


def test_database_url_uses_psycopg3(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", "postgres://u@h/db")
    assert from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u@h/db"


def test_default_database_is_sqlite_in_instance_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    uri = from_environment(str(tmp_path))["SQLALCHEMY_DATABASE_URI"]
    assert uri == f"sqlite:///{tmp_path}/skm.sqlite"


def test_session_cookie_flags(app):
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get("/")
    assert response.status_code == 302
    assert "/auth/login" in response.headers["Location"]


def test_login_page_is_indonesian_by_default_and_english_on_request(client):
    assert "Masuk" in client.get("/auth/login").get_data(as_text=True)
    page = client.get("/auth/login?lang=en").get_data(as_text=True)
    assert "Log in" in page and "Masuk" not in page
    # the choice is kept for the next page
    assert "Log in" in client.get("/auth/login").get_data(as_text=True)


def test_translations_work_outside_a_request(app):
    from flask_babel import gettext

    with app.app_context():
        assert gettext("Log in") == "Masuk"


def test_behind_a_trusted_proxy_rate_limits_count_each_respondents_address(tmp_path):
    """With TRUSTED_PROXIES=1 the unknown-link limit follows X-Forwarded-For: one address that
    guesses links is stopped, a neighbour behind the same proxy is not."""
    from survey_app.extensions import db

    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/p.db",
                      "TRUSTED_PROXIES": 1, "RESPOND_UNKNOWN_LINK_LIMIT": "2 per minute",
                      "RATELIMIT_STORAGE_URI": "memory://"})
    with app.app_context():
        db.create_all()
    client = app.test_client()
    proxy = {"REMOTE_ADDR": "10.0.0.1"}

    def guess(address: str) -> int:
        return client.get("/s/" + "0" * 32, environ_base=proxy,
                          headers={"X-Forwarded-For": address}).status_code

    assert [guess("203.0.113.7") for _ in range(3)] == [404, 404, 429]
    assert guess("203.0.113.8") == 404


def test_in_memory_counts_start_no_thread_and_forget_expired_addresses():
    """memory:// counts in the worker itself (survey_app/ratelimits.py): counting starts no
    thread, and the counters of addresses that never come back are swept once expired."""
    import threading
    import time

    from limits import parse
    from limits.strategies import FixedWindowRateLimiter

    from survey_app.ratelimits import SweepingMemoryStorage, storage_for

    storage = storage_for("memory://")
    assert isinstance(storage, SweepingMemoryStorage)
    counter, limit = FixedWindowRateLimiter(storage), parse("2 per second")
    time.sleep(0.05)  # the one timer upstream starts on construction has run
    threads = threading.active_count()
    assert [counter.hit(limit, "t", "10.0.0.1") for _ in range(3)] == [True, True, False]
    assert threading.active_count() == threads
    time.sleep(1.05)
    assert counter.hit(limit, "t", "10.0.0.2")  # sweeps 10.0.0.1's expired counter
    assert list(storage.storage) == ["LIMITER/t/10.0.0.2/2/1/second"]
    assert threading.active_count() == threads


@pytest.mark.skipif(not redis_is_up(), reason="no Redis at 127.0.0.1:6379")
def test_with_redis_storage_every_worker_shares_the_counts(tmp_path):
    """As the README advises for production: two workers (two apps) count against one limit."""
    from survey_app.extensions import db, ratelimits

    config = {"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path}/r.db",
              "RESPOND_UNKNOWN_LINK_LIMIT": "2 per minute",
              "RATELIMIT_STORAGE_URI": "redis://127.0.0.1:6379/15"}
    workers = [create_app(config), create_app(config)]
    with workers[0].app_context():
        db.create_all()
        ratelimits.reset()
    try:
        statuses = [workers[n].test_client().get("/s/" + "0" * 32).status_code for n in (0, 1, 0)]
        assert statuses == [404, 404, 429]
    finally:
        with workers[0].app_context():
            ratelimits.reset()
