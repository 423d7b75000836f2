"""The attacker who can read the database (docs/anonymity.md), played against forms sent through
the real app, on SQLite and (under `make test`) on PostgreSQL.

Forty respondents in two kelurahan each send one form rating their lurah, camat and wali kota,
each with answers of their own (so the test, not the attacker, knows which response is whose), in
a known order, in two batches. The attacker gets the whole database after the batches were
released, and the order in which the respondents sent their forms as well (say, from watching the
gateway). Each attack may narrow a form down to the responses of its batch with the same round,
position, group and area, and no further.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import Date, DateTime, Time, inspect, select, text

from survey_app.domain import holding
from survey_app.extensions import db
from survey_app.models import Answer, HeldAnswer, HeldResponse, Position, Response
from tests import factories
from tests.conftest import PG_URL
from tests.respondent_setup import HEADER, load_roster, token_of, world
from tests.test_respond import csrf, page

KELURAHAN = ("3171010001", "3171020001")
PER_KELURAHAN = 20
FIRST_BATCH = 24  # forms sent before the first release; the other 16 go in the second


def _pattern(n: int, items: list[str]) -> dict[str, int]:
    """Respondent n's own answers: n written in base 4 across the items (1..4)."""
    return {item: 1 + (n // 4 ** k) % 4 for k, item in enumerate(items)}


def _send(client, url: str, n: int) -> None:
    html, groups = page(client, url)
    data = {"csrf_token": csrf(html)}
    for names in groups.values():
        items = [name.split("-", 1)[1] for name in names]
        for item, value in _pattern(n, items).items():
            data[f"{names[0].split('-')[0]}-{item}"] = str(value)
    assert client.post(url, data=data).status_code == 303


@pytest.fixture
def released(app, client):
    """Send the forms (in order 0..39) and release them in two batches. Returns, per respondent
    n: (kelurahan code, batch), and the database's responses with the respondent each came from
    (known to the test through the answers)."""
    with app.app_context():
        world()
        rows = "".join(f"A{n},Warga {n},rt,{KELURAHAN[n % 2]},1,{n + 1},,\n"
                       for n in range(2 * PER_KELURAHAN))
        load_roster(db.session.scalar(select(factories.Round)), HEADER + rows)
        db.session.commit()
        urls = ["/s/" + token_of(f"A{n}") for n in range(2 * PER_KELURAHAN)]
    sent = {}
    for n, url in enumerate(urls):
        if n == FIRST_BATCH:
            with app.app_context():
                assert holding.release_held() == 3 * FIRST_BATCH
                db.session.commit()
        _send(client, url, n)
        sent[n] = (KELURAHAN[n % 2], 1 if n < FIRST_BATCH else 2)
    with app.app_context():
        assert holding.release_held() == 3 * (len(urls) - FIRST_BATCH)
        db.session.commit()
        assert holding.held_count() == 0
        items = sorted({code for code, in db.session.execute(select(Answer.item_code))})
        owner = {tuple(_pattern(n, items)[i] for i in items): n for n in sent}
        answers: dict[int, dict[str, int]] = {}
        for response_id, code, value in db.session.execute(
                select(Answer.response_id, Answer.item_code, Answer.value)):
            answers.setdefault(response_id, {})[code] = value
        responses = [(r, owner[tuple(answers[r.id][i] for i in items)])
                     for r in db.session.scalars(select(Response))]
        kinds = dict(db.session.execute(select(Position.id, Position.kind)).all())
        yield sent, [(r.id, r.position_id, kinds[r.position_id], r.group, r.area_id, n)
                     for r, n in responses]


def _strata(responses):
    """The responses of each (position, group, area): what the tables say of each one."""
    strata: dict[tuple, list] = {}
    for row in responses:
        strata.setdefault(row[1:5], []).append(row)
    return strata


def _hits_by_rank(responses, sent, rank_of) -> int:
    """The attacker's best use of an order: within each stratum and batch, the k-th response
    (by ``rank_of``) is taken for the k-th respondent to have sent a form. Returns how many
    of those guesses are right."""
    hits = 0
    for rows in _strata(responses).values():
        for batch in (1, 2):
            in_batch = [row for row in rows if sent[row[5]][1] == batch]
            guesses = sorted(in_batch, key=rank_of)
            senders = sorted(row[5] for row in in_batch)
            hits += sum(guess[5] == sender for guess, sender in zip(guesses, senders, strict=True))
    return hits


# 120 responses in 12 (stratum, batch) runs: a random order gets about 12 right by chance
# (the fixed points of a random permutation, Poisson(12): 35 or more once in ten million).
# Responses stored in the order they came would get all 120.
CHANCE_BOUND = 35


def test_id_order_says_nothing_of_who_answered(released):
    sent, responses = released
    assert len(responses) == 120
    assert _hits_by_rank(responses, sent, rank_of=lambda row: row[0]) < CHANCE_BOUND


def test_row_order_says_nothing_of_who_answered(app, released):
    sent, responses = released
    with app.app_context():
        physical = "ctid" if PG_URL else "rowid"
        place = {response_id: n for n, response_id in enumerate(db.session.execute(text(
            f"SELECT id FROM responses ORDER BY {physical}")).scalars())}
    assert _hits_by_rank(responses, sent, rank_of=lambda row: place[row[0]]) < CHANCE_BOUND


def test_one_forms_responses_are_not_kept_together(released):
    """A form's three responses (lurah, camat, wali kota) do not sit next to each other: their
    ids would tie them into one profile, and that profile to a respondent."""
    _sent, responses = released
    ids: dict[int, list[int]] = {}
    for row in responses:
        ids.setdefault(row[5], []).append(row[0])
    together = sum(max(v) - min(v) == 2 for v in ids.values())
    assert together < 10  # by chance about 0.5 of 40; stored per form: all 40


def test_no_time_is_kept_on_anything_written_when_a_form_is_sent(app, released):
    with app.app_context():
        inspector = inspect(db.engine)
        for table in ("responses", "answers", "held_responses", "held_answers",
                      "invitation_positions"):
            kinds = {c["name"]: c["type"] for c in inspector.get_columns(table)}
            assert not [name for name, kind in kinds.items()
                        if isinstance(kind, (Date, DateTime, Time))], table


@pytest.mark.skipif(not PG_URL, reason="transaction ids are PostgreSQL's")
def test_transaction_ids_do_not_join_answers_to_respondents(app, released):
    """The exact link of old: the form's transaction marked the invitation and inserted the
    response, so both rows carried its xmin."""
    sent, responses = released
    with app.app_context():
        joined = db.session.execute(text(
            "SELECT count(*) FROM invitation_positions ip JOIN responses r ON r.xmin = ip.xmin"
        )).scalar_one()
        joined_answers = db.session.execute(text(
            "SELECT count(*) FROM invitation_positions ip JOIN answers a ON a.xmin = ip.xmin"
        )).scalar_one()
        batches = db.session.execute(text("SELECT count(DISTINCT xmin::text) FROM responses"
                                          )).scalar_one()
    assert joined == joined_answers == 0
    assert batches == 2  # what xmin does tell: the batch


def test_every_form_hides_among_its_batch_of_the_same_round_position_group_and_area(
        app, released):
    """The issue's measure: for every form, the attacker's candidates (responses of the same
    round, position, group and area, and on PostgreSQL of the same batch, by xmin) number at
    least the respondents of its round, area and group who answered in that batch."""
    sent, responses = released
    batch_of = {}
    if PG_URL:
        with app.app_context():
            batch_of = dict(db.session.execute(text("SELECT id, xmin::text FROM responses")).all())
    for row in responses:
        candidates = [other for other in responses if other[1:5] == row[1:5]
                      and batch_of.get(other[0]) == batch_of.get(row[0])]
        answered_with_it = [n for n, (kelurahan, batch) in sent.items()
                            if batch == sent[row[5]][1] and kelurahan == sent[row[5]][0]]
        assert row in candidates
        assert len(candidates) >= len(answered_with_it)


# --- a release killed mid-way ---------------------------------------------------------------

RELEASE_THEN_HANG = textwrap.dedent("""
    import sys, time
    from survey_app import create_app
    from survey_app.domain import holding
    from survey_app.extensions import db
    app = create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
    with app.app_context():
        moved = holding.release_held()
        db.session.flush()
        print(moved, flush=True)
        time.sleep(60)  # killed here: everything done but the commit
        db.session.commit()
""")


def test_a_release_killed_before_its_commit_moves_nothing_and_loses_nothing(app, client):
    with app.app_context():
        world()
        rows = "".join(f"K{n},Warga {n},rt,3171010001,1,{n + 1},,\n" for n in range(12))
        load_roster(db.session.scalar(select(factories.Round)), HEADER + rows)
        db.session.commit()
        urls = ["/s/" + token_of(f"K{n}") for n in range(12)]
        url = str(db.engine.url.render_as_string(hide_password=False))
    for n, link in enumerate(urls):
        _send(client, link, n)
    worker = subprocess.Popen([sys.executable, "-c", RELEASE_THEN_HANG, url],
                              stdout=subprocess.PIPE, text=True,
                              cwd=os.path.dirname(os.path.dirname(__file__)))
    try:
        assert worker.stdout.readline().strip() == "36"
        worker.send_signal(signal.SIGKILL)
        worker.wait(timeout=10)
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait(timeout=10)
        worker.stdout.close()
    with app.app_context():
        db.session.remove()
        counts = [db.session.scalar(select(text("count(*)")).select_from(model))
                  for model in (HeldResponse, HeldAnswer, Response, Answer)]
        assert counts == [36, 36 * 9, 0, 0]
        assert holding.release_held() == 36  # and the next release moves them all
        db.session.commit()
        counts = [db.session.scalar(select(text("count(*)")).select_from(model))
                  for model in (HeldResponse, HeldAnswer, Response, Answer)]
        assert counts == [0, 0, 36, 36 * 9]


@pytest.mark.parametrize("sent", [("Zebra cross rusak", "Antrean lama", "Lampu mati"),
                                  ("Lampu mati", "Antrean lama", "Zebra cross rusak")])
def test_comments_read_out_in_the_order_of_their_words_not_of_their_arrival(ctx, sent):
    """Held responses' ids still follow their arrival until a batch is released: the card's
    comments are read in the order of their words, the same whichever order they came in."""
    from survey_app.domain import cards, results
    from survey_app.models import Invitation

    world()
    rows = "".join(f"C{n},Warga {n},rt,3171010001,1,{n + 1},,\n" for n in range(3))
    round_ = db.session.scalar(select(factories.Round))
    load_roster(round_, HEADER + rows)
    db.session.flush()
    lurah = db.session.scalar(select(Position).where(Position.kind == "lurah",
                                                     Position.area.has(code="3171010001")))
    invitations = list(db.session.scalars(select(Invitation).order_by(Invitation.id)))
    from survey_app.domain import responses

    for invitation, comment in zip(invitations, sent, strict=True):
        responses.store_many(db.session.connection(), round_.id, invitation.id, "rt",
                             lurah.area_id, {lurah.id: ({"U1": 3}, comment)}, {})
    db.session.flush()
    document = results.results_document(round_)
    entries = [e for e in document.positions if e.position_id == lurah.id]
    assert cards.comments_by_position(round_, entries)[lurah.id] == sorted(sent)
