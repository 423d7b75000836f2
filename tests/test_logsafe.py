"""No log holds a respondent's link (survey_app/logsafe.py): not the development server's request
log, not the traceback of a 500 on the form, not gunicorn's access log when it is turned on."""
from __future__ import annotations

import logging
import os
import shlex
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from survey_app.domain import responses
from survey_app.extensions import db
from survey_app.logsafe import redact
from tests.live import free_port, serving
from tests.respondent_setup import token_of, world_with_roster
from tests.test_respond import answer

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "a1B2-c3_D4"


@pytest.mark.parametrize("text, logged", [
    (f"GET /s/{TOKEN} HTTP/1.1", "GET /s/… HTTP/1.1"),
    (f"/s/{TOKEN}?lang=en", "/s/…?lang=en"),
    (f"/s/{TOKEN}/terima-kasih?lang=en", "/s/…/terima-kasih?lang=en"),
    (f'"POST /s/{TOKEN}" 500', '"POST /s/…" 500'),
    (f"Exception on /s/{TOKEN} [POST]", "Exception on /s/… [POST]"),
    (f"http://127.0.0.1:5000/s/{TOKEN}", "http://127.0.0.1:5000/s/…"),
    (f"/s/{TOKEN}", "/s/…"),
    ("/s/ /static/style.css /auth/login?next=/results/", "/s/ /static/style.css "
                                                         "/auth/login?next=/results/"),
])
def test_a_respondents_path_is_logged_without_the_token(text, logged):
    assert redact(text) == logged


@pytest.fixture
def token(app):
    with app.app_context():
        world_with_roster()
        return token_of("R1")


def test_a_500_on_the_form_logs_no_token(app, client, token, monkeypatch, caplog):
    app.config["PROPAGATE_EXCEPTIONS"] = False  # as in production: logged, then the 500 page

    def fails(connection, link, chosen):
        from flask import request

        raise RuntimeError(f"could not store the answers sent to {request.url}")

    monkeypatch.setattr(responses, "submit_web", fails)
    with caplog.at_level(logging.ERROR):
        response, _groups = answer(client, f"/s/{token}?lang=en")
    assert response.status_code == 500
    assert "Exception on /s/… [POST]" in caplog.text
    assert "RuntimeError: could not store the answers sent to http://localhost/s/…?lang=en" \
        in caplog.text and "Traceback" in caplog.text
    assert token not in caplog.text
    assert not any(token in record.getMessage() for record in caplog.records)


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_the_development_server_logs_no_token(app, token, caplog):
    """The request log of werkzeug's server, which `flask run` (make run) serves with."""
    with caplog.at_level(logging.INFO, logger="werkzeug"), serving(app) as base:
        assert _get(f"{base}/s/{token}?lang=en") == 200
        assert _get(f"{base}/s/{token}/terima-kasih") == 200
        assert _get(f"{base}/s/{token}x") == 404
    assert '"GET /s/…?lang=en HTTP/1.1" 200' in caplog.text
    assert '"GET /s/…/terima-kasih HTTP/1.1" 200' in caplog.text
    assert '"GET /s/… HTTP/1.1" 404' in caplog.text
    assert token not in caplog.text


def _wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise AssertionError("gunicorn exited: " + server.communicate()[1])
        try:
            _get(base + "/health")
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("gunicorn did not answer")


def test_gunicorn_access_log_turned_on_logs_no_token(app, token):
    """gunicorn.conf.py as in production, with ACCESS_LOG=- and a format that logs the path, the
    query string and the referrer too."""
    port = free_port()
    env = {**os.environ, "BIND": f"127.0.0.1:{port}", "WEB_CONCURRENCY": "1", "ACCESS_LOG": "-",
           "GUNICORN_CMD_ARGS": "--access-logformat " + shlex.quote(
               '%(h)s "%(r)s" %(s)s %(U)s?%(q)s "%(f)s"'),
           "SECRET_KEY": "test-secret", "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
           "PYTHONUNBUFFERED": "1"}
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "wsgi:app"], cwd=ROOT, env=env,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(base, server)
        request = urllib.request.Request(f"{base}/s/{token}?lang=en",
                                         headers={"Referer": f"{base}/s/{token}"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        assert _get(f"{base}/s/{token}/terima-kasih?lang=en") == 200
    finally:
        server.terminate()
        access_log, error_log = server.communicate(timeout=20)
    assert f'"GET /s/…?lang=en HTTP/1.1" 200 /s/…?lang=en "{base}/s/…"' in access_log
    assert '"GET /s/…/terima-kasih?lang=en HTTP/1.1" 200 /s/…/terima-kasih?lang=en "-"' \
        in access_log
    assert token not in access_log and token not in error_log


def test_a_database_error_does_not_show_the_values_bound_to_its_statement(ctx):
    """A database error is logged with a 500's traceback: its message must not carry the values
    of the statement (a link's hash, an invitation id)."""
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    secret = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"
    with pytest.raises(DBAPIError) as raised:
        db.session.execute(text("SELECT no_such_column FROM invitations WHERE token_hash = :h"),
                           {"h": secret})
    db.session.rollback()
    assert secret not in str(raised.value)
    assert "hide_parameters" in str(raised.value)
