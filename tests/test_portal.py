"""The officials' portal: who may download which report card (every role against every URL),
the zip, the audit log of downloads, and the public check of a card's number and fingerprint."""
from __future__ import annotations

import io
import zipfile

import pytest
from sqlalchemy import func, select

from survey_app.extensions import db
from survey_app.models import AuditEntry, IssuedDocument
from tests import portal_setup

ALL = ["3171010001", "3171010002", "3171020001", "3171020002", "3172010001", "3171010",
       "3171020", "3171", "3172"]
IN_3171 = [c for c in ALL if c.startswith("3171")]
# who (login email, None for anonymous) -> the posts whose cards they may see in a published round
ENTITLED = {
    "official@example.id": ["3171010001"],  # a lurah: their own only
    "lurah.lain@example.id": ["3171020001"],
    "camat@example.id": ["3171010", "3171010001", "3171010002"],  # a camat: the lurah too
    "camat.lain@example.id": ["3171020", "3171020001", "3171020002"],
    "walikota@example.id": IN_3171,  # a wali kota: lurah and camat of the kota
    "walikota.lain@example.id": ["3172", "3172010001"],
    "viewer@example.id": ALL,
    "coordinator@example.id": ALL,
    "admin@example.id": ALL,
}
SEES_UNPUBLISHED = {"coordinator@example.id", "admin@example.id"}


@pytest.fixture
def posts(app, users):
    with app.app_context():
        return portal_setup.build()


def _card_url(code: str, position_id: int) -> str:
    return f"/portal/{code}/cards/{position_id}.pdf"


@pytest.mark.parametrize("email", list(ENTITLED))
def test_every_role_against_every_card_url(client, auth, posts, email):
    auth.login(email)
    for round_code in ("2026-Q2", "2026-Q3"):
        visible_round = round_code == "2026-Q2" or email in SEES_UNPUBLISHED
        for area_code in ALL:
            allowed = visible_round and area_code in ENTITLED[email]
            response = client.get(_card_url(round_code, posts[area_code]))
            assert response.status_code == (200 if allowed else 404), \
                (email, round_code, area_code, response.status_code)
            if allowed:
                assert response.mimetype == "application/pdf"
                assert response.data.startswith(b"%PDF")
        listing = client.get(f"/portal/{round_code}")
        assert listing.status_code == (200 if visible_round else 404), (email, round_code)
        archive = client.get(f"/portal/{round_code}/cards.zip")
        assert archive.status_code == (200 if visible_round else 404), (email, round_code)
        if visible_round:
            names = zipfile.ZipFile(io.BytesIO(archive.data)).namelist()
            shown = sorted(n.rsplit("_", 1)[1].removesuffix(".pdf") for n in names)
            assert shown == sorted(ENTITLED[email]), (email, round_code)
    # ids that are no position at all, and rounds that do not exist
    assert client.get(_card_url("2026-Q2", 99999)).status_code == 404
    assert client.get(_card_url("2099-Q1", posts["3171010001"])).status_code == 404
    assert client.get("/portal/2099-Q1/cards.zip").status_code == 404


@pytest.mark.parametrize("email", list(ENTITLED))
def test_the_province_summary_is_for_viewers_and_coordinators(client, auth, posts, app, email):
    auth.login(email)
    for round_code in ("2026-Q2", "2026-Q3"):
        allowed = (email in ("viewer@example.id", "coordinator@example.id", "admin@example.id")
                   and (round_code == "2026-Q2" or email in SEES_UNPUBLISHED))
        response = client.get(f"/portal/{round_code}/summary.pdf")
        official = email not in ("viewer@example.id", "coordinator@example.id", "admin@example.id")
        expected = 200 if allowed else 403 if official else 404
        assert response.status_code == expected, (email, round_code, response.status_code)
    with app.app_context():
        recorded = db.session.scalar(select(func.count()).select_from(AuditEntry)
                                     .where(AuditEntry.action == "summary-download"))
        assert recorded == (2 if email in SEES_UNPUBLISHED else 1 if email == "viewer@example.id"
                            else 0)


def test_anonymous_visitors_are_sent_to_log_in(client, posts):
    for url in ("/portal/", "/portal/2026-Q2", "/portal/2026-Q2/cards.zip",
                "/portal/2026-Q2/summary.pdf",
                _card_url("2026-Q2", posts["3171010001"]), _card_url("2026-Q3", posts["3171"])):
        response = client.get(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url


def test_the_portal_lists_published_rounds_for_officials_only(client, auth, posts):
    auth.login("camat@example.id")
    html = client.get("/portal/?lang=en").get_data(as_text=True)
    assert "2026-Q2" in html and "2026-Q3" not in html
    page = client.get("/portal/2026-Q2").get_data(as_text=True)
    assert "Budi Santoso" in page and "Ani Lurah Dua" in page and "Citra Lurah Tiga" not in page
    auth.logout()
    auth.login("coordinator@example.id")
    html = client.get("/portal/").get_data(as_text=True)
    assert "2026-Q2" in html and "2026-Q3" in html


def test_downloads_are_recorded_and_the_same_figures_keep_their_number(client, auth, posts, app):
    auth.login("official@example.id")
    first = client.get(_card_url("2026-Q2", posts["3171010001"]))
    second = client.get(_card_url("2026-Q2", posts["3171010001"]) + "?language=en")
    assert first.status_code == second.status_code == 200
    client.get("/portal/2026-Q2/cards.zip")
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action.in_(("card-download", "cards-zip-download")))
            .order_by(AuditEntry.id)).all()
        assert [e.action for e in entries] == ["card-download", "card-download",
                                               "cards-zip-download"]
        assert all(e.actor == "official@example.id" for e in entries)
        assert entries[0].target == entries[1].target  # one number in both languages
        assert [e.detail["lang"] for e in entries] == ["id", "en", "id"]
        assert entries[2].detail["numbers"] == [entries[0].target]
        assert db.session.scalar(select(func.count()).select_from(IssuedDocument)) == 1


def _issued(client, auth, posts, app, round_code="2026-Q2", area="3171010001"):
    auth.login("coordinator@example.id")
    assert client.get(_card_url(round_code, posts[area])).status_code == 200
    auth.logout()
    with app.app_context():
        record = db.session.scalar(select(IssuedDocument).order_by(IssuedDocument.id.desc()))
        return record.number, record.fingerprint


def test_anyone_can_check_a_number_and_fingerprint(client, auth, posts, app):
    number, fingerprint = _issued(client, auth, posts, app)
    html = client.get(f"/verify?number={number}&lang=en").get_data(as_text=True)
    assert "This number was issued" in html
    assert "Budi Santoso" in html and "198001012005011001" in html and fingerprint in html
    assert "Jalan rusak" not in html  # comments are never shown on the public page
    matching = client.get(f"/verify?number={number.lower()}&fingerprint={fingerprint[:8]}&lang=en")
    assert "The fingerprint matches" in matching.get_data(as_text=True)
    altered = client.get(f"/verify?number={number}&fingerprint={'0' * 64}&lang=en")
    assert "does NOT match" in altered.get_data(as_text=True)
    unknown = client.get("/verify?number=SKM-2026Q2-000001-XXXX&lang=en")
    assert "No document with this number was issued." in unknown.get_data(as_text=True)
    empty = client.get("/verify?lang=en")
    assert empty.status_code == 200 and "No document" not in empty.get_data(as_text=True)


def test_checking_numbers_is_rate_limited_per_address(client):
    codes = [client.get("/verify?number=SKM-2026Q2-000001-XXXX").status_code for _ in range(31)]
    assert codes == [200] * 30 + [429]
    assert client.get("/verify", environ_base={"REMOTE_ADDR": "198.51.100.7"}).status_code == 200


def test_the_check_shows_no_figures_of_an_unpublished_round(client, auth, posts, app):
    number, _fp = _issued(client, auth, posts, app, round_code="2026-Q3")
    html = client.get(f"/verify?number={number}&lang=en").get_data(as_text=True)
    assert "not published yet" in html and "Budi Santoso" not in html


def test_an_official_with_no_post_in_a_round_is_not_offered_it(client, auth, posts, app):
    """Cards follow the post held on the round's reference day: an official appointed after it
    has no card (nor any superior's view) in that round, and the index does not offer it."""
    from datetime import date

    from survey_app.models import Area, Position
    from tests import factories

    with app.app_context():
        late = factories.official("199901012020011001", "Hana Baru")
        area = db.session.scalar(select(Area).where(Area.code == "3172010"))
        camat_post = db.session.scalar(select(Position).where(Position.area_id == area.id))
        factories.appoint(late, camat_post, date(2026, 7, 15))
        factories.user("camat.baru@example.id", "official", official_=late)
        db.session.commit()
    auth.login("camat.baru@example.id")
    html = client.get("/portal/?lang=en").get_data(as_text=True)
    assert "2026-Q2" not in html and "No report cards to show yet." in html
    assert client.get("/portal/2026-Q2").status_code == 404
    assert client.get(_card_url("2026-Q2", posts["3172010001"])).status_code == 404


def test_the_nav_links_to_the_portal(client, auth, posts):
    auth.login("official@example.id")
    assert 'href="/portal/"' in client.get("/").get_data(as_text=True)


def test_cards_follow_the_post_held_on_each_rounds_reference_day(client, auth, posts, app):
    """Citra was lurah of 3171020001 until July and of 3171020002 from August: Q2's card of the
    first post is hers, Q3's card of the second (and not the other way round)."""
    from datetime import date

    from survey_app.models import Appointment, Official, Position, Round
    from tests import factories

    with app.app_context():
        citra = db.session.scalar(select(Official).where(Official.nip == "198001012005011003"))
        appointment = db.session.scalar(select(Appointment)
                                        .where(Appointment.official_id == citra.id))
        appointment.end_date = date(2026, 7, 31)
        factories.appoint(citra, db.session.get(Position, posts["3171020002"]), date(2026, 8, 1))
        db.session.scalar(select(Round).where(Round.code == "2026-Q3")).state = "published"
        db.session.commit()
    auth.login("lurah.lain@example.id")
    assert client.get(_card_url("2026-Q2", posts["3171020001"])).status_code == 200
    assert client.get(_card_url("2026-Q2", posts["3171020002"])).status_code == 404
    assert client.get(_card_url("2026-Q3", posts["3171020002"])).status_code == 200
    assert client.get(_card_url("2026-Q3", posts["3171020001"])).status_code == 404
