"""The same link sent many times at once, against a real threaded server: the database keeps
exactly one response per invitation and position (runs on SQLite and, under `make test`, on
PostgreSQL too)."""
from __future__ import annotations

import re
import threading
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import HeldAnswer, HeldResponse, InvitationPosition
from tests.live import serving
from tests.respondent_setup import rt_form_paths

LINKS, COPIES = 4, 20  # four respondents, each sending the same filled form 20 times at once


def prepared_post(base: str, path: str) -> tuple[bytes, str]:
    """GET the form like a browser (CSRF token, and any cookie it sets) and fill every answer."""
    with urllib.request.urlopen(base + path) as response:
        cookie = (response.headers["Set-Cookie"] or "").split(";", 1)[0]
        html = response.read().decode()
    data = {"csrf_token": re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)}
    for name in set(re.findall(r'type="radio" name="(p\d+-[^"]+)"', html)):
        data[name] = "4"
    return urllib.parse.urlencode(data).encode(), cookie


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def post(base: str, path: str, body: bytes, cookie: str, barrier: threading.Barrier) -> int:
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(base + path, data=body,
                                     headers={"Cookie": cookie} if cookie else {})
    barrier.wait()
    try:
        with opener.open(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as e:
        return e.code


def test_simultaneous_submissions_store_one_response_per_invitation_and_position(app):
    with app.app_context():
        paths = rt_form_paths("C", LINKS)
    with serving(app) as base:
        prepared = [(path, *prepared_post(base, path)) for path in paths]
        barrier = threading.Barrier(LINKS * COPIES)
        with ThreadPoolExecutor(LINKS * COPIES) as pool:
            futures = {pool.submit(post, base, path, body, cookie, barrier): path
                       for path, body, cookie in prepared for _ in range(COPIES)}
            statuses: dict[str, list[int]] = {}
            for future, path in futures.items():
                statuses.setdefault(path, []).append(future.result())
    for path, codes in statuses.items():
        # one copy is stored (303 to the thanks page); every other one is told "already answered"
        assert sorted(codes) == [303] + [409] * (COPIES - 1), (path, codes)
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(HeldResponse)) == LINKS * 3
        assert db.session.scalar(select(func.count()).select_from(HeldAnswer)) == LINKS * 3 * 9
        assert db.session.scalar(select(func.count()).select_from(InvitationPosition).where(
            InvitationPosition.answered.is_(False))) == 0
