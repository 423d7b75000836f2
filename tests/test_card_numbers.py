"""Card numbers across servers: two processes issuing cards of one round at the same time never
issue the same running number (cards._lock_numbers). PostgreSQL only: that is where two servers
write at once; SQLite lets one writer through at a time."""
from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select

from survey_app.domain import cards, results, rounds
from survey_app.domain.results_model import parse_document
from survey_app.extensions import db
from survey_app.models import IssuedDocument
from tests import portal_setup
from tests.conftest import PG_URL

pytestmark = pytest.mark.skipif(not PG_URL, reason="PostgreSQL only (SKM_TEST_DATABASE_URL)")


def _issue(app, position_id: int, hold: float, started: threading.Event | None = None,
           out: dict | None = None) -> None:
    """Issue the card of one post in a session of its own; keep the transaction open ``hold``
    seconds before committing (another server still writing)."""
    with app.app_context():
        round_ = rounds.by_code("2026-Q2")
        document = parse_document(results.results_document(round_).to_dict())
        entry = next(p for p in document.positions if p.position_id == position_id)
        data = cards.card_data(entry, document, names=cards.element_names(round_), rated=True,
                               comments=[], published=True, lang="id")
        if started is not None:
            started.set()
        record = cards.issue_card(round_, entry, data, "http://skm.example/verify")
        if out is not None:
            out[position_id] = record.number
        time.sleep(hold)
        db.session.commit()
        db.session.remove()


def test_two_servers_issuing_at_once_never_share_a_running_number(app, users):
    with app.app_context():
        portal_setup.build()
        document = results.results_document(rounds.by_code("2026-Q2"))
        db.session.commit()
        first, second = [p.position_id for p in document.positions[:2]]
    numbers: dict[int, str] = {}
    writing = threading.Event()
    a = threading.Thread(target=_issue, args=(app, first, 2.0, writing, numbers))
    a.start()
    assert writing.wait(60)
    time.sleep(0.5)  # A issues its number and holds its transaction, not committed
    _issue(app, second, 0.0, None, numbers)
    a.join(60)
    assert not a.is_alive()
    running = sorted(number.split("-")[2] for number in numbers.values())
    assert running == ["000001", "000002"]
    with app.app_context():
        stored = db.session.scalars(select(IssuedDocument.number)).all()
    assert sorted(stored) == sorted(numbers.values())
