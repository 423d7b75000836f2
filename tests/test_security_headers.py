"""Security headers on every response, no inline script or style for the CSP to block, and every
GET route answering odd query arguments with the page or a 400, never a 500."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from survey_app import create_app
from survey_app.extensions import db
from tests import factories
from tests.conftest import _config
from tests.respondent_setup import load_roster, token_of, world

TEMPLATES = Path(__file__).resolve().parent.parent / "survey_app" / "templates"
EVERY_RESPONSE = {
    "Content-Security-Policy": ("default-src 'self'; img-src 'self' data:; object-src 'none'; "
                                "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _assert_security_headers(response, cache: str | None = "no-store"):
    for name, value in EVERY_RESPONSE.items():
        assert response.headers.get(name) == value, (name, response.request.path)
    assert response.headers.get("Cache-Control") == cache, response.request.path
    assert "Strict-Transport-Security" not in response.headers  # not in development


def test_anonymous_pages_carry_the_headers(client):
    for url, status in (("/auth/login", 200), ("/", 302), ("/no-such-page", 404),
                        ("/health", 200), ("/verify", 200)):
        response = client.get(url)
        assert response.status_code == status, url
        _assert_security_headers(response)


def test_logged_in_pages_and_the_api_are_not_stored(client, auth, users):
    auth.login(users["coordinator"])
    for url in ("/", "/coordinator/rounds", "/results/", "/coordinator/complaints/"):
        response = client.get(url)
        assert response.status_code == 200, url
        _assert_security_headers(response)


def test_the_respondents_form_is_not_stored(app, client):
    with app.app_context():
        world()
        load_roster(db.session.scalar(select(factories.Round)))
        db.session.commit()
        token = token_of("R1")
    response = client.get(f"/s/{token}")
    assert response.status_code == 200 and 'name="csrf_token"' in response.get_data(as_text=True)
    _assert_security_headers(response)
    _assert_security_headers(client.get("/s/not-a-link"))  # 404


def test_static_files_may_be_cached_but_carry_the_other_headers(client):
    response = client.get("/static/style.css")
    assert response.status_code == 200
    assert "no-store" not in response.headers.get("Cache-Control", "")
    for name, value in EVERY_RESPONSE.items():
        assert response.headers[name] == value
    response.close()


@pytest.mark.parametrize("env, hsts", [
    ("production", "max-age=31536000; includeSubDomains"),
    ("development", None),
])
def test_hsts_in_production_only(tmp_path, env, hsts):
    app = create_app({**_config(tmp_path), "ENV_NAME": env})
    try:
        response = app.test_client().get("/health")
        assert response.headers.get("Strict-Transport-Security") == hsts
    finally:
        with app.app_context():
            db.engine.dispose()


INLINE = re.compile(r"""<script|<style|\sstyle\s*=|\son[a-z]+\s*=|javascript:""", re.IGNORECASE)


def test_no_template_has_inline_script_or_style():
    """The CSP (default-src 'self') blocks inline scripts, <style> blocks, style="..." and
    on...= handlers: the pages must have none, or they would silently break."""
    found = [f"{path.relative_to(TEMPLATES)}:{n}: {line.strip()}"
             for path in sorted(TEMPLATES.rglob("*.html"))
             for n, line in enumerate(path.read_text().splitlines(), 1) if INLINE.search(line)]
    assert found == []


ODD_ARGUMENTS = ["_method=PUT", "_scheme=https&_external=", "_external=1", "_anchor=x",
                 "lang=xx", "lang=", "lang=en&lang=id", "next=//evil.example", "%00=%00"]


def _get_urls(app, values: dict[str, str]) -> list[str]:
    """Every GET route, once with ``values`` for its arguments (pages that exist) and once with
    1 for each (mostly 404s)."""
    urls = set()
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint == "static":
            continue
        for fill in (values, {}):
            url = rule.rule
            for argument in rule.arguments:
                url = re.sub(rf"<(\w+:)?{argument}>", fill.get(argument, "1"), url)
            urls.add(url)
    return sorted(urls)


@pytest.fixture
def some_of_everything(app, users):
    """An open round with a roster (a respondent's link), and the names the routes take."""
    from survey_app.models import Position

    with app.app_context():
        _areas, round_ = world()
        load_roster(round_)
        db.session.commit()
        return {"code": round_.code, "token": token_of("R1"), "nip": "198001012005011001",
                "position_id": str(db.session.scalar(select(Position.id))), "fmt": "csv",
                "action": "close"}


@pytest.mark.parametrize("query", ODD_ARGUMENTS)
@pytest.mark.parametrize("who", ["anonymous", "coordinator"])
def test_every_get_route_behaves_on_odd_query_arguments(app, client, auth, users,
                                                        some_of_everything, who, query):
    """The page (or its redirect, 404 or 400), never a 500: with TESTING the app would raise
    instead, so an exception fails the test too."""
    if who != "anonymous":
        auth.login(users[who])
    urls = _get_urls(app, some_of_everything)
    statuses = {}
    for url in urls:
        with client.get(f"{url}?{query}") as response:
            statuses[url] = response.status_code
        assert response.status_code < 500, (url, query, response.status_code)
    # the walk reached real pages, not only 404s: the respondent's form and, logged in, the
    # round's own pages
    assert statuses[f"/s/{some_of_everything['token']}"] == 200
    if who == "coordinator":
        assert statuses["/coordinator/rounds/2027-Q1"] == 200
        assert statuses["/results/2027-Q1"] == 200


def test_the_language_link_keeps_odd_arguments_as_a_query(client, auth, users):
    """The EN link of a page opened with ?_method=PUT&_anchor=x is the same page with the same
    query plus lang=en (before the fix, they went to url_for as its options: a 500)."""
    auth.login(users["coordinator"])
    page = client.get("/coordinator/rounds?_method=PUT&_anchor=x&q=1&q=2").get_data(as_text=True)
    assert ('href="/coordinator/rounds?_method=PUT&amp;_anchor=x&amp;q=1&amp;q=2&amp;lang=en"'
            in page)
