"""The public form /s/<token>: states, answering part now and part later, missing answers,
finality, anonymity, and the protections (CSRF, size, rate limits)."""
from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, inspect, select, text

from survey_app.domain import holding, officials, responses
from survey_app.extensions import db
from survey_app.models import (
    Answer,
    HeldAnswer,
    HeldResponse,
    Invitation,
    InvitationPosition,
    Position,
    Response,
)
from survey_app.respond.forms import form_token
from tests import factories
from tests.conftest import PG_URL
from tests.respondent_setup import load_roster, rt_form_paths, token_of, world, world_with_roster


@pytest.fixture
def link(app):
    """The open round's roster; returns R1's link path (R1 rates lurah, camat and wali kota)."""
    with app.app_context():
        world_with_roster()
        return "/s/" + token_of("R1")


def page(client, url: str) -> tuple[str, dict]:
    """The form's HTML, and its position ids -> their radio group names."""
    html = client.get(url).get_data(as_text=True)
    groups: dict[str, list[str]] = {}
    for name in dict.fromkeys(re.findall(r'type="radio" name="(p\d+-[^"]+)"', html)):
        groups.setdefault(name.split("-")[0], []).append(name)
    return html, groups


def csrf(html: str) -> str:
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def answer(client, url: str, positions: int = 1, value: str = "3", skip: tuple = (), **extra):
    html, groups = page(client, url)
    data = {"csrf_token": csrf(html), **extra}
    for pid in list(groups)[:positions]:
        for name in groups[pid]:
            if name not in skip:
                data[name] = value
    return client.post(url, data=data), groups


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_the_form_is_indonesian_says_who_is_rated_and_that_answers_are_anonymous(client, link):
    response = client.get(link)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert '<html lang="id">' in html
    assert "Jawaban Anda anonim." in html
    for who in ("Lurah Kelurahan 3171010001", "Camat Kecamatan 3171010",
                "Wali Kota Kota Jakarta Selatan", "Pejabat lurah 3171010001"):
        assert who in html
    assert html.count('<section class="position"') == 3
    assert html.count("<fieldset") == 27 and html.count("<legend>") == 27
    assert "<script" not in html  # works without JavaScript
    # every radio button sits inside its label (the whole row is the tap target)
    assert len(re.findall(r'<label class="choice"><input type="radio"', html)) == 27 * 4
    assert len(html.encode()) < 60_000


def test_english_on_request(client, link):
    html = client.get(link + "?lang=en").get_data(as_text=True)
    assert '<html lang="en">' in html and "Your answers are anonymous." in html
    assert "Question U1.1" in html and "Very good" in html


def test_answer_one_official_now_and_the_others_later(app, client, link):
    response, groups = answer(client, link, positions=1, **{"p1-comment": "Bagus sekali"})
    assert response.status_code == 303
    assert response.headers["Location"].startswith(link + "/terima-kasih")
    thanks = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Terima kasih!" in thanks and "Camat Kecamatan 3171010" in thanks
    html, remaining = page(client, link)
    assert list(remaining) == list(groups)[1:]
    assert "✓ Lurah Kelurahan 3171010001" in html
    response, _ = answer(client, link, positions=2)
    assert response.status_code == 303
    done = client.get(link).get_data(as_text=True)
    assert "Anda sudah menjawab" in done
    with app.app_context():
        assert count(HeldResponse) == 3 and count(HeldAnswer) == 27  # until a batch moves them
        assert holding.release_held() == 3
        db.session.commit()
        assert count(Response) == 3 and count(Answer) == 27
        stored = db.session.scalar(select(Response).where(Response.comment.is_not(None)))
        assert stored.comment == "Bagus sekali" and stored.source == "web"
        assert stored.group == "rt"
        # the form belongs to the official in post when it was given (DOMAIN.md section 4a)
        lurah = db.session.get(Position, stored.position_id)
        assert stored.official_id == officials.holder_on(lurah.id, date.today()).id
        assert db.session.scalar(select(func.count()).select_from(InvitationPosition).where(
            InvitationPosition.answered)) == 3


def _without_csrf(html: str) -> str:
    return re.sub(r'name="csrf_token" value="[^"]+"', 'name="csrf_token" value=""', html)


def _rendered_afresh(app, url: str) -> str:
    from survey_app.domain.invitations import open_link
    from survey_app.respond.routes import _form_page

    with app.test_request_context(url):
        html, _status = _form_page(open_link(db.session.connection(),
                                             url.split("/")[2].split("?")[0]))
    return html


@pytest.mark.parametrize("query", ["", "?lang=en"])
def test_the_form_from_its_cached_frame_is_the_form_rendered_afresh(app, client, link, query):
    url = link + query
    first, again = (client.get(url).get_data(as_text=True) for _ in range(2))
    assert first == again == _rendered_afresh(app, url)
    answer(client, url)  # now with the lurah listed as already rated
    later = client.get(url).get_data(as_text=True)
    assert "✓ " in later and later.count('<section class="position"') == 2
    assert later == _rendered_afresh(app, url)
    # R2 rates the same three positions from the same frame, with the token of their own link
    with app.app_context():
        other_url = "/s/" + token_of("R2") + query
    other = client.get(other_url).get_data(as_text=True)
    assert _without_csrf(other) == _without_csrf(first) and csrf(other) != csrf(first)


def test_the_form_holds_no_personal_link(app, client, link):
    """What the cached frame relies on: the page posts back to its own address and its
    language links are relative, so no respondent's link can end up in another's page."""
    html = client.get(link).get_data(as_text=True)
    assert link.split("/")[2] not in html
    assert '<form method="post" action="#problems"' in html and 'href="?lang=en"' in html


def test_a_response_carries_no_link_to_the_respondent_and_no_time(app, client, link):
    answer(client, link)
    with app.app_context():
        for table in ("responses", "held_responses"):
            columns = {c["name"] for c in inspect(db.engine).get_columns(table)}
            assert columns == {"id", "round_id", "position_id", "official_id", "group", "area_id",
                               "source", "comment"}
        assert {c["name"] for c in inspect(db.engine).get_columns("answers")} == {
            "response_id", "item_code", "value"}
        assert {c["name"] for c in inspect(db.engine).get_columns("invitation_positions")} == {
            "invitation_id", "position_id", "answered"}
        # the form's response waits in the holding table until a batch releases it
        assert count(HeldResponse) == 1 and count(Response) == 0
        holding.release_held()
        db.session.commit()
        assert count(HeldResponse) == count(HeldAnswer) == 0 and count(Response) == 1


def test_missing_answers_are_pointed_out_and_chosen_ones_kept(app, client, link):
    response, groups = answer(client, link, value="2", skip=("p1-U3", "p1-U7"))
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "Beberapa pertanyaan belum dijawab." in html
    assert html.count("Mohon pilih jawaban untuk pertanyaan ini.") == 2
    missing = re.search(r'<fieldset class="question missing" id="q-1-U3"[^>]*>', html)
    assert missing and 'aria-describedby="e-1-U3"' in missing.group(0)
    assert 'href="#q-1-U7"' in html
    # what was chosen is still chosen
    assert len(re.findall(r'name="p1-U\d" value="2" checked', html)) == 7
    with app.app_context():
        assert count(HeldResponse) == 0


def test_an_empty_form_asks_for_at_least_one_official(client, link):
    response, _ = answer(client, link, positions=0)
    assert response.status_code == 400
    assert "Pilih jawaban untuk setidaknya satu pejabat" in response.get_data(as_text=True)


def test_values_off_the_scale_are_refused(app, client, link):
    response, _ = answer(client, link, value="5")
    assert response.status_code == 400
    with app.app_context():
        assert count(HeldResponse) == 0


def test_optional_items_may_stay_blank(app, client):
    content = factories.questionnaire_content()
    content["elements"][3]["items"][0]["required"] = False
    with app.app_context():
        world(questionnaire=factories.pinned(content))
        load_roster(db.session.scalar(select(factories.Round)))
        db.session.commit()
        url = "/s/" + token_of("R1")
    html = client.get(url).get_data(as_text=True)
    assert "(opsional)" in html
    response, _ = answer(client, url, skip=("p1-U4",))
    assert response.status_code == 303
    with app.app_context():
        assert count(HeldAnswer) == 8


def test_a_submitted_answer_is_final(app, client, link):
    html, groups = page(client, link)
    data = {"csrf_token": csrf(html), **{name: "4" for name in groups["p1"]}}
    assert client.post(link, data=data).status_code == 303
    again = client.post(link, data={**data, **{name: "1" for name in groups["p1"]}})
    assert again.status_code == 409
    assert "Sudah dijawab" in again.get_data(as_text=True)
    with app.app_context():
        assert count(HeldResponse) == 1
        assert db.session.scalar(select(func.min(HeldAnswer.value))) == 4


def test_the_database_allows_one_response_per_invitation_and_position(app, link):
    with app.app_context():
        invitation = db.session.scalar(select(Invitation))
        round_ = invitation.round
        position_id = invitation.positions[0].position_id
        answers = responses.check_answers(round_, {f"U{i}": 3 for i in range(1, 10)})
        def store(position):
            responses.store_many(db.session.connection(), round_.id, invitation.id, "rt", 1,
                                 {position: (answers, None)}, {})

        store(position_id)
        db.session.commit()
        with pytest.raises(responses.AlreadyAnswered):
            store(position_id)
        db.session.rollback()
        other = db.session.scalar(select(Position.id).where(Position.kind == "lurah",
                                                            Position.id != position_id))
        with pytest.raises(responses.AlreadyAnswered):  # not on this invitation
            store(other)
        db.session.rollback()
        assert count(HeldResponse) == 1


def test_an_unknown_link_is_a_plain_404_that_reveals_nothing(client, link):
    unknown = client.get("/s/" + "0" * 32)
    malformed = client.get("/s/hello")
    elsewhere = client.get("/no-such-page")
    assert unknown.status_code == malformed.status_code == elsewhere.status_code == 404
    def body(response) -> str:  # the language links point at the page itself; nothing else differs
        return re.sub(r'href="[^"]*"', "", response.get_data(as_text=True))

    assert body(unknown) == body(malformed) == body(elsewhere)


@pytest.mark.parametrize("state, opens, closes, expected", [
    ("scheduled", 5, 30, "Survei periode 2027-Q1 dibuka pada"),
    ("draft", 5, 30, "belum dibuka"),
    ("open", -30, -1, "Survei sudah ditutup"),
    ("published", -30, -1, "Survei sudah ditutup"),
])
def test_every_other_state_has_its_own_page(app, client, state, opens, closes, expected):
    now = datetime.now(UTC)
    with app.app_context():
        world(state=state, opens=now + timedelta(days=opens), closes=now + timedelta(days=closes))
        round_ = db.session.scalar(select(factories.Round))
        round_.state = "draft"  # a roster is loaded before the round closes
        load_roster(round_)
        round_.state = state
        db.session.commit()
        url = "/s/" + token_of("R1")
    response = client.get(url)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and expected in html
    assert "<form" not in html
    if state == "scheduled":
        opens_wib = (now + timedelta(days=opens)).astimezone(timezone(timedelta(hours=7)))
        assert opens_wib.strftime("%d-%m-%Y %H:%M WIB") in html
    with app.app_context():  # the page has no form: the token a form for this link would carry
        token = form_token(url.removeprefix("/s/"))
    posted = client.post(url, data={"csrf_token": token})
    assert posted.status_code == 409


def test_the_form_needs_its_csrf_token(app, client, link):
    _html, groups = page(client, link)
    response = client.post(link, data={name: "3" for name in groups["p1"]})
    assert response.status_code == 400
    with app.app_context():
        assert count(HeldResponse) == 0


def test_a_form_token_only_works_for_its_own_link(app, client, link):
    with app.app_context():
        other = "/s/" + token_of("R2")
    other_token = csrf(client.get(other).get_data(as_text=True))
    _html, groups = page(client, link)
    data = {name: "3" for name in groups["p1"]}
    for sent in (other_token, other_token[:-2] + "xx", "not base64 at all!"):
        assert client.post(link, data={"csrf_token": sent, **data}).status_code == 400
    with app.app_context():
        assert count(HeldResponse) == 0


def test_respondents_get_no_cookie_whatever_the_language(client, link):
    """The form's CSRF token is bound to the link (respond/forms.py) and the chosen language is
    kept in the URL: opening, choosing English, sending and the thanks page set no cookie, and
    the language holds from the form to the thanks page and back to the form."""
    html, groups = page(client, link)
    assert client.get_cookie("session") is None
    english = client.get(link + "?lang=en")
    assert "Set-Cookie" not in english.headers and client.get_cookie("session") is None
    html = english.get_data(as_text=True)
    assert "Your answers are anonymous." in html
    response = client.post(link + "?lang=en", data={"csrf_token": csrf(html),
                                                    **{name: "3" for name in groups["p1"]}})
    assert response.status_code == 303 and "Set-Cookie" not in response.headers
    assert response.headers["Location"] == link + "/terima-kasih?lang=en"
    thanks = client.get(response.headers["Location"])
    assert thanks.status_code == 200 and "Set-Cookie" not in thanks.headers
    html = thanks.get_data(as_text=True)
    assert '<html lang="en">' in html and "Thank you!" in html
    assert f'href="{link}?lang=en"' in html  # "Rate the others now", still in English
    assert client.get_cookie("session") is None
    # nothing was remembered: the link on its own is in Bahasa Indonesia again
    assert "Jawaban Anda anonim." in client.get(link).get_data(as_text=True)


def test_a_bad_lang_is_not_carried_along(client, link):
    html, groups = page(client, link)
    response = client.post(link + "?lang=xx", data={"csrf_token": csrf(html),
                                                    **{name: "3" for name in groups["p1"]}})
    assert response.headers["Location"] == link + "/terima-kasih"


def test_large_requests_are_refused(client, link):
    html, _ = page(client, link)
    response = client.post(link, data={"csrf_token": csrf(html), "p1-comment": "x" * 100_000})
    assert response.status_code == 413


def test_guessing_links_is_rate_limited_but_real_use_is_not(app, client, link):
    for _ in range(60):
        assert client.get("/s/" + "1" * 32).status_code == 404
    assert client.get("/s/" + "1" * 32).status_code == 429
    assert client.get(link).status_code == 429  # the same address, now slowed down


def test_every_request_counts_against_its_address(app, client, link):
    app.config["RESPOND_RATE_LIMIT"] = "5 per minute"
    assert [client.get(link).status_code for _ in range(6)] == [200] * 5 + [429]
    assert client.get(link, environ_base={"REMOTE_ADDR": "198.51.100.9"}).status_code == 200


def test_no_limits_when_rate_limiting_is_off(app, client, link):
    app.config.update(RESPOND_RATE_LIMIT="1 per minute", RATELIMIT_ENABLED=False)
    assert [client.get(link).status_code for _ in range(3)] == [200] * 3


@pytest.mark.skipif(not PG_URL, reason="psycopg's prepared statements (PostgreSQL only)")
def test_on_postgresql_opening_the_form_keeps_the_look_up_prepared(app, client, link):
    """psycopg prepares a statement on its fifth use and forgets them all at a ROLLBACK. The
    form's GET runs without a transaction, so no ROLLBACK ends it and the link look-up is not
    planned afresh on every request. (Eight: the very first request also reads the questionnaire,
    once per process, on a second connection, which the pool then hands out first.)"""
    for _ in range(8):
        assert client.get(link).status_code == 200
    with app.app_context():
        prepared = db.session.scalars(text("SELECT statement FROM pg_prepared_statements")).all()
    assert any("invitations.token_hash" in statement for statement in prepared)


def test_a_kelurahan_behind_one_gateway_is_not_limited(app, client):
    """Two hundred respondents behind one address each open and send their form."""
    with app.app_context():
        urls = rt_form_paths("K", 200)
    for url in urls:
        response, _ = answer(client, url, positions=3)
        assert response.status_code == 303
    with app.app_context():
        assert count(HeldResponse) == 600


def test_the_demo_sample_link_opens_the_form(app, client):
    from survey_app.demo import build_demo

    with app.app_context():
        summary = build_demo("small", 5, factories.pinned(), today=date.today(),
                             secret_key=app.config["SECRET_KEY"], hash_method="pbkdf2:sha256:1")
        db.session.commit()
    response = client.get("/s/" + summary.sample_link_token)
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert html.count('<section class="position"') == 3


def test_results_count_held_responses_and_a_release_changes_no_figure(app, client, link):
    """Nothing waits for a batch to be counted: held responses enter the scores, and moving them
    into responses leaves every figure as it was."""
    from survey_app.domain import scoring

    answer(client, link, positions=3, value="2")
    with app.app_context():
        round_ = db.session.scalar(select(factories.Round))

        def figures():
            return {(pid, g): (r.respondents, r.scored, r.score_sum)
                    for pid, s in scoring.score_round(round_).items()
                    for g, r in s.groups.items() if r.respondents}

        held = figures()
        assert count(HeldResponse) == 3 and count(Response) == 0
        # R1 (rt) rated three positions, 2 to every item: one respondent, a score of 2 each
        assert sorted(held.values()) == [(1, 1, 2.0)] * 3
        holding.release_held()
        db.session.commit()
        assert count(HeldResponse) == 0 and count(Response) == 3
        assert figures() == held
