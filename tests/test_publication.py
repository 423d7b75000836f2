"""A published round is an official document (DOMAIN.md section 5a): late data changes no
published figure, named official or card; an explicit re-publication does, with its reason
audited, and /verify says the old card was superseded and by which.

The round: 2026-Q2 (the quarter is 1 April to 30 June, Jakarta), closed 5 July 12:00 WIB,
deadline 7 days, so every complaint of the quarter is due by 8 July 00:00 WIB; published on
1 August. The lurah of 3171010001 is Budi Santoso (since 1 January 2026).

- survey: 3 RT heads answer 3 on every element: IKM = 25 x 3 = 75.00, grade C.
- complaints at the kelurahan (WIB), each resolved within the 7 days:
    K1 1 Apr 10:00 -> 3 Apr 10:00 (2 days)    K2 10 Apr 10:00 -> 11 Apr 10:00 (1 day)
    K3 1 May 10:00 -> 5 May 10:00 (4 days)    K4 20 May 10:00 -> 23 May 10:00 (3 days)
    K5 1 Jun 10:00 -> 8 Jun 10:00 (7 days: exactly the deadline, in time)
  received 5, resolved 5, in time 5: rate 5/5 = 1.0; composite = 0.7 x 75 + 0.3 x 100 = 82.5.
- the late export, imported after publication:
    K6 10 Jun 10:00 -> 25 Jun 10:00 (15 days: late)
  with it: received 6, in time 5, rate 5/6; composite = 0.7 x 75 + 0.3 x 500/6 = 52.5 + 25 = 77.5.
"""
from __future__ import annotations

from contextlib import contextmanager
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import event, func, select

from survey_app.domain import cards, publication, results, rounds
from survey_app.domain.complaints import import_complaints, read_complaints
from survey_app.domain.errors import DomainError, NotAllowed
from survey_app.extensions import db
from survey_app.models import (
    Appointment,
    AuditEntry,
    IssuedDocument,
    Position,
    Publication,
    ResultSnapshot,
    Round,
)
from tests import factories
from tests.results_shape import document_of

CLOSES = datetime(2026, 7, 5, 5, 0, tzinfo=UTC)  # 12:00 WIB
PUBLISHED = datetime(2026, 8, 1, 2, 0, tzinfo=UTC)
LATE = datetime(2026, 8, 20, 3, 0, tzinfo=UTC)
REPUBLISHED = datetime(2026, 9, 1, 4, 0, tzinfo=UTC)
U = [f"U{i}" for i in range(1, 10)]
VERIFY_URL = "http://127.0.0.1:5000/verify"
HEADER = factories.COMPLAINTS_HEADER
ON_TIME = HEADER + """\
K1,JAKI,Jalan,3171010001,,Selesai,2026-04-01 10:00,,2026-04-03 10:00
K2,JAKI,Jalan,3171010001,,Selesai,2026-04-10 10:00,,2026-04-11 10:00
K3,JAKI,Jalan,3171010001,,Selesai,2026-05-01 10:00,,2026-05-05 10:00
K4,JAKI,Jalan,3171010001,,Selesai,2026-05-20 10:00,,2026-05-23 10:00
K5,JAKI,Jalan,3171010001,,Selesai,2026-06-01 10:00,,2026-06-08 10:00
"""
LATE_EXPORT = HEADER + "K6,JAKI,Jalan,3171010001,,Selesai,2026-06-10 10:00,,2026-06-25 10:00\n"


def _import(text: str, now: datetime) -> None:
    import_complaints(read_complaints(text.encode(), "crm.csv"), now=now)


@pytest.fixture
def published(app, users):
    """Round 2026-Q2 published on 1 August, as above; returns the lurah's position id."""
    with app.app_context():
        lurah = db.session.scalar(select(Position).where(Position.kind == "lurah"))
        round_ = factories.round_("2026-Q2", state="closed",
                                  opens=datetime(2026, 6, 15, tzinfo=UTC),
                                  closes=CLOSES, deadline_days=7,
                                  questionnaire=factories.regulation_questionnaire())
        for _ in range(3):
            factories.response(round_, lurah, "rt", {c: 3 for c in U})
        _import(ON_TIME, datetime(2026, 7, 10, tzinfo=UTC))
        db.session.commit()
        rounds.publish(round_, now=PUBLISHED)
        db.session.commit()
        return lurah.id


def _round() -> Round:
    return db.session.scalar(select(Round).where(Round.code == "2026-Q2"))


def _entry(document: dict, position_id: int) -> dict:
    return next(p for p in document["positions"] if p["position_id"] == position_id)


def _card(position_id: int):
    round_ = _round()
    document = results.results_document(round_)
    [entry] = [e for e in document.positions if e.position_id == position_id]
    [data] = cards.cards_for(round_, document, [entry], "id", VERIFY_URL)
    return data


@contextmanager
def writes_recorded():
    """Every INSERT, UPDATE or DELETE sent to the database inside the block."""
    seen: list[str] = []

    def listener(_conn, _cursor, statement, *_args):
        if statement.lstrip().split(None, 1)[0].upper() in ("INSERT", "UPDATE", "DELETE"):
            seen.append(statement)

    event.listen(db.engine, "before_cursor_execute", listener)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", listener)


def test_publication_stores_the_figures_as_published(app, published):
    with app.app_context():
        stored = db.session.scalars(select(Publication)).all()
        assert [(p.number, p.reason, p.published_at) for p in stored] == [(1, None, PUBLISHED)]
        entry = _entry(document_of(_round()), published)
        assert entry["ikm"] == pytest.approx(75.0) and entry["grade"] == "C"
        assert (entry["complaints"]["received"], entry["complaints"]["resolved_in_time"]) == (5, 5)
        assert entry["complaints"]["in_time_rate"] == pytest.approx(1.0)
        assert entry["composite"] == pytest.approx(82.5)  # 0.7 x 75 + 0.3 x 100
        assert entry["official"]["name"] == "Budi Santoso"


def test_a_late_complaint_export_changes_nothing_published_until_republished(app, published):
    with app.app_context():
        before = document_of(_round())
        card = _card(published)
        db.session.commit()
        _import(LATE_EXPORT, LATE)
        db.session.commit()
        # The late complaint does count in the data: computed now, the post has 6.
        live = _entry(results.compute_base(_round(), LATE).to_dict(), published)
        assert live["complaints"]["received"] == 6

        with writes_recorded() as seen:
            after = document_of(_round())
            base = results.base_results(_round()).to_dict()
        assert seen == []  # reading a published round writes nothing, recomputes nothing
        assert after == before and _entry(base, published)["complaints"]["received"] == 5
        again = _card(published)
        assert (again.number, again.fingerprint) == (card.number, card.fingerprint)
        assert again.complaints.received == 5 and again.composite == 82.5
        db.session.commit()
        assert cards.verify(card.number).superseded_at is None

        publication.republish(_round(), "late CRM export of June", now=REPUBLISHED)
        db.session.commit()
        entry = _entry(document_of(_round()), published)
        assert (entry["complaints"]["received"], entry["complaints"]["resolved_in_time"]) == (6, 5)
        assert entry["complaints"]["in_time_rate"] == pytest.approx(5 / 6)
        assert entry["composite"] == pytest.approx(77.5)  # 0.7 x 75 + 0.3 x 500/6
        assert document_of(_round())["publication"]["number"] == 2

        old = cards.verify(card.number)
        assert old.found and old.superseded_at == REPUBLISHED and old.publication == 2
        assert old.superseded_by is None  # no card issued from publication 2 yet
        new = _card(published)
        db.session.commit()
        assert new.number != card.number and new.fingerprint != card.fingerprint
        assert new.composite == 77.5 and new.complaints.received == 6
        old = cards.verify(card.number)
        assert old.superseded_by == new.number
        assert cards.verify(new.number).superseded_at is None

        [entry] = db.session.scalars(select(AuditEntry)
                                     .where(AuditEntry.action == "round-republish")).all()
        assert entry.target == "2026-Q2" and entry.actor == "cli"
        assert entry.detail["reason"] == "late CRM export of June"
        assert (entry.detail["publication"], entry.detail["previous_publication"]) == (2, 1)
        assert entry.detail["superseded_documents"] == 1
        assert published in entry.detail["changed_positions"]


def test_a_late_appointment_changes_no_named_official_until_republished(app, published):
    with app.app_context():
        card = _card(published)
        db.session.commit()
        # Recorded late: Budi left on 30 June, Siti holds the post from 1 July, so on the
        # reference day (5 July) the post is hers.
        budi = db.session.scalar(select(Appointment))
        budi.end_date = date(2026, 6, 30)
        siti = factories.official("198501012010012002", "Siti Aminah")
        factories.appoint(siti, db.session.get(Position, published), date(2026, 7, 1))
        db.session.commit()
        live = results.compute_base(_round(), LATE).to_dict()
        assert _entry(live, published)["official"]["name"] \
            == "Siti Aminah"

        as_published = document_of(_round())
        assert _entry(as_published, published)["official"]["name"] \
            == "Budi Santoso"
        again = _card(published)
        assert (again.official_name, again.number, again.fingerprint) \
            == ("Budi Santoso", card.number, card.fingerprint)

        publication.republish(_round(), "appointment of Siti recorded late", now=REPUBLISHED)
        new = _card(published)
        db.session.commit()
        assert new.official_name == "Siti Aminah" and new.number != card.number
        issued = db.session.scalar(select(IssuedDocument)
                                   .where(IssuedDocument.number == new.number))
        assert issued.official_id == siti.id
        assert cards.verify(card.number).superseded_by == new.number


def test_pages_of_a_published_round_write_nothing(app, client, auth, users, published):
    with app.app_context():
        _import(LATE_EXPORT, LATE)
        db.session.commit()
        counts = (db.session.scalar(select(func.count()).select_from(Publication)),
                  db.session.scalar(select(func.count()).select_from(ResultSnapshot)))
    auth.login(users["coordinator"])
    with app.app_context(), writes_recorded() as seen:
        assert client.get("/results/2026-Q2").status_code == 200
        response = client.get("/api/rounds/2026-Q2/results")
        assert client.get("/portal/2026-Q2").status_code == 200
    assert response.status_code == 200
    assert _entry(response.json, published)["complaints"]["received"] == 5
    # The complaint figures' page and its file show the published figures, not the quarter's
    # complaints counted again (K1-K5, not the late K6).
    page = client.get("/coordinator/complaints/rounds/2026-Q2?level=lurah").get_data(as_text=True)
    lines = client.get("/results/2026-Q2/complaints.csv?level=lurah").get_data(
        as_text=True).splitlines()
    assert [line.split(",")[3] for line in lines[1:]] == ["5"]  # received
    assert ">5<" in page.replace(" ", "")
    assert [s for s in seen if "publications" in s or "result_snapshots" in s] == []
    with app.app_context():
        assert (db.session.scalar(select(func.count()).select_from(Publication)),
                db.session.scalar(select(func.count()).select_from(ResultSnapshot))) == counts


def test_a_round_published_before_publications_were_stored_is_frozen_once(app, users):
    with app.app_context():
        lurah = db.session.scalar(select(Position).where(Position.kind == "lurah"))
        round_ = factories.round_("2026-Q2", state="published",
                                  opens=datetime(2026, 6, 15, tzinfo=UTC),
                                  closes=CLOSES, questionnaire=factories.regulation_questionnaire())
        for _ in range(3):
            factories.response(round_, lurah, "rt", {c: 3 for c in U})
        _import(ON_TIME, datetime(2026, 7, 10, tzinfo=UTC))
        db.session.commit()
        first = document_of(round_)
        db.session.commit()
        # A second first look (another request that saw no publication yet) inserts nothing
        # and fails nothing.
        results._insert_once(round_, LATE)
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(Publication)) == 1
        _import(LATE_EXPORT, LATE)
        db.session.commit()
        assert document_of(round_) == first
        assert _entry(first, lurah.id)["complaints"]["received"] == 5


def test_a_card_issued_before_the_publications_existed_keeps_its_number(app, published):
    with app.app_context():
        card = _card(published)
        record = db.session.scalar(select(IssuedDocument))
        record.publication_id = None  # as issued before migration 0005
        db.session.commit()
        assert _card(published).number == card.number
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 1


def test_only_a_published_round_with_a_reason_is_republished(app, published, english):
    round_ = _round()
    with pytest.raises(DomainError, match="reason"):
        publication.republish(round_, "   ", now=REPUBLISHED)
    other = factories.round_("2026-Q3", state="closed", opens=datetime(2026, 8, 15, tzinfo=UTC),
                             closes=datetime(2026, 9, 30, tzinfo=UTC))
    with pytest.raises(NotAllowed, match="only a published round"):
        publication.republish(other, "a reason", now=REPUBLISHED)
    assert db.session.scalar(select(func.count()).select_from(Publication)) == 1


def test_the_command_republishes_with_the_reason(app, runner, published):
    refused = runner.invoke(args=["skm", "round", "republish", "2026-Q2", "--reason", " "])
    assert refused.exit_code == 1 and "alasan" in refused.output
    done = runner.invoke(args=["skm", "round", "republish", "2026-Q2", "--reason",
                               "koreksi data pengaduan"])
    assert done.exit_code == 0, done.output
    assert "publikasi ke-2" in done.output
    with app.app_context():
        assert db.session.scalar(select(AuditEntry.detail)
                                 .where(AuditEntry.action == "round-republish"))["reason"] \
            == "koreksi data pengaduan"
        assert [p.number for p in db.session.scalars(
            select(Publication).order_by(Publication.number))] == [1, 2]


def test_verify_says_an_old_card_was_superseded_and_by_which(app, client, published):
    with app.app_context():
        old = _card(published).number
        db.session.commit()
        _import(LATE_EXPORT, LATE)
        publication.republish(_round(), "late CRM export", now=REPUBLISHED)
        db.session.commit()
        html = client.get(f"/verify?number={old}").get_data(as_text=True)
        assert "Nomor ini sudah diganti pada 01-09-2026" in html
        assert "publikasi ke-2" in html and "Belum ada dokumen" in html
        new = _card(published).number
        db.session.commit()
    html = client.get(f"/verify?number={old}").get_data(as_text=True)
    assert "Dokumen yang berlaku bernomor" in html and new in html
    english = client.get(f"/verify?number={old}&lang=en").get_data(as_text=True)
    assert "This number was superseded on 01-09-2026" in english and new in english
    current = client.get(f"/verify?number={new}&lang=id").get_data(as_text=True)
    assert "sudah diganti" not in current and "Nomor ini diterbitkan" in current


def test_a_coordinator_republishes_on_a_confirmed_post_with_a_reason(app, client, auth, users,
                                                                      published):
    from tests.conftest import csrf_token

    auth.login(users["coordinator"])
    page = client.get("/coordinator/rounds/2026-Q2").get_data(as_text=True)
    assert "/coordinator/rounds/2026-Q2/republish" in page and "Terbitkan ulang" in page
    token = csrf_token(client, "/coordinator/rounds/2026-Q2/republish")
    blank = client.post("/coordinator/rounds/2026-Q2/republish",
                        data={"csrf_token": token, "reason": ""})
    assert blank.status_code == 200 and "Sebutkan alasannya." in blank.get_data(as_text=True)
    no_token = client.post("/coordinator/rounds/2026-Q2/republish", data={"reason": "x"})
    assert no_token.status_code == 400
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Publication)) == 1
    done = client.post("/coordinator/rounds/2026-Q2/republish",
                       data={"csrf_token": token, "reason": "koreksi pengaduan Juni"},
                       follow_redirects=True)
    assert "diterbitkan ulang (publikasi ke-2)" in done.get_data(as_text=True)
    with app.app_context():
        entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "round-republish"))
        assert (entry.actor, entry.detail["reason"]) == ("coordinator@example.id",
                                                          "koreksi pengaduan Juni")
    auth.logout()
    auth.login(users["viewer"])
    response = client.post("/coordinator/rounds/2026-Q2/republish",
                           data={"csrf_token": csrf_token(client, "/"), "reason": "x"})
    assert response.status_code == 403
