"""`skm demo`, then each demo login's first page shows data (issue 18): the coordinator and the
admin the current round and its progress, the viewer the results, each official their cards, the
camat included (a camat rotated in after the last published round would have none)."""
from __future__ import annotations

import re

import pytest

from survey_app.demo import DEMO_PASSWORDS
from tests.conftest import csrf_token


def login(client, email: str, password: str):
    token = csrf_token(client, "/auth/login")
    return client.post("/auth/login", data={"email": email, "password": password, "next": "",
                                             "csrf_token": token}, follow_redirects=True)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_every_demo_login_lands_on_data(app, runner, seed):
    result = runner.invoke(args=["skm", "demo", "--scale", "small", "--seed", str(seed)])
    assert result.exit_code == 0, result.output
    for key, (email, password) in DEMO_PASSWORDS.items():
        client = app.test_client()
        page = login(client, email, password)
        html = page.get_data(as_text=True)
        assert page.status_code == 200, key
        if key in ("admin", "coordinator"):
            progress = re.search(r"\((\d+) / (\d+)\)", html)
            assert progress and int(progress.group(1)) > 0, key  # the open round, answered
        elif key == "viewer":
            assert page.request.path == "/results/"
            assert re.search(r'href="/results/\d{4}-Q\d"', html), key
        else:  # an official: their report cards, at least one published round
            assert page.request.path == "/portal/", key
            rounds = re.findall(r'href="(/portal/\d{4}-Q\d)"', html)
            assert rounds, (key, seed)
            cards = client.get(rounds[0]).get_data(as_text=True)
            assert re.search(r'/cards/\d+\.pdf', cards), (key, seed)
