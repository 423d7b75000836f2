"""Follow-up plans (issue 20): the loop through the portal, who may take which step (the superior
derived from areas and appointments), evidence files checked by their first bytes, the audit log,
the ladder rule (a round setting), the CLI listing, and the plans on the next quarter's card and
in the province summary."""
from __future__ import annotations

import json
import re
import subprocess
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from survey_app.domain import followups, results, sanctions
from survey_app.extensions import db
from survey_app.models import AuditEntry, FollowupPlan, Official, Position, Round, User
from tests import portal_setup
from tests.conftest import csrf_token

PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N"
       b"\x00\x00\x00\x00IEND\xaeB`\x82")


@pytest.fixture
def posts(app, users):
    with app.app_context():
        return portal_setup.build()


def _post(client, url: str, page: str, data: dict, **kwargs):
    return client.post(url, data={**data, "csrf_token": csrf_token(client, page)}, **kwargs)


def _write(client, posts, element="U3", submit=True):
    page = f"/portal/2026-Q2/rencana/{posts['3171010001']}/{element}"
    data = {"action": "Pelayanan KTP dipercepat: loket kedua dibuka",
            "due_quarter": "2026-Q3", "responsible": "Sekretaris Kelurahan"}
    data["submit_plan" if submit else "save"] = "1"
    return _post(client, page, page, data)


def _plan_id(app) -> int:
    with app.app_context():
        return db.session.scalar(select(FollowupPlan.id))


def _step(client, plan_id: int, step: str, **data):
    page = f"/portal/rencana/{plan_id}"
    return _post(client, f"/portal/rencana/{plan_id}/{step}", page, data, follow_redirects=True)


def _state(app) -> str:
    with app.app_context():
        return db.session.scalar(select(FollowupPlan.state))


def test_the_loop_through_the_portal_with_every_step_audited(app, client, auth, posts):
    auth.login("official@example.id")
    listing = client.get("/portal/2026-Q2/rencana").get_data(as_text=True)
    # the card marks U3 (answered 2 by everyone, below the mean): the one plan to write
    assert "U3 Waktu Penyelesaian" in listing and "Tulis rencana" in listing
    assert client.get(f"/portal/2026-Q2/rencana/{posts['3171010001']}/U1").status_code == 404
    response = _write(client, posts, submit=False)
    assert response.status_code == 302
    assert _state(app) == "draft"
    plan_id = _plan_id(app)
    _step(client, plan_id, "submit")
    assert _state(app) == "submitted"
    # the official may not approve their own plan
    page = _step(client, plan_id, "approve").get_data(as_text=True)
    assert "Hanya atasan pejabat yang dapat melakukan ini." in page
    assert _state(app) == "submitted"
    auth.logout()

    auth.login("camat@example.id")  # the camat of the lurah's kecamatan
    assert "menunggu Anda" in client.get("/portal/2026-Q2/rencana").get_data(as_text=True)
    page = _step(client, plan_id, "return", note="").get_data(as_text=True)
    assert _state(app) == "submitted"  # a return needs a note
    page = _step(client, plan_id, "return", note="Sebutkan jam buka loket kedua.")
    assert _state(app) == "returned"
    auth.logout()

    auth.login("official@example.id")
    assert "Sebutkan jam buka loket kedua." in client.get(
        f"/portal/rencana/{plan_id}").get_data(as_text=True)
    _write(client, posts)  # changed and submitted again
    assert _state(app) == "submitted"
    auth.logout()

    auth.login("camat@example.id")
    _step(client, plan_id, "approve")
    assert _state(app) == "approved"
    auth.logout()

    auth.login("official@example.id")
    page = f"/portal/rencana/{plan_id}"
    _post(client, f"{page}/upload", page, {"file": (__import__("io").BytesIO(PNG), "foto.png")},
          content_type="multipart/form-data")
    _step(client, plan_id, "complete", evidence="Loket kedua buka 08.00-15.00 sejak Agustus.")
    assert _state(app) == "done"
    auth.logout()

    auth.login("camat@example.id")
    _step(client, plan_id, "verify")
    assert _state(app) == "verified"
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target == f"followup:{plan_id}").order_by(AuditEntry.id)).all()
    assert actions == ["followup-save", "followup-submit", "followup-return", "followup-save",
                       "followup-submit", "followup-approve", "followup-file",
                       "followup-complete", "followup-verify"]


# --- who: the superior, derived from areas and appointments --------------------------------------

def _position(code: str, kind: str) -> Position:
    return db.session.scalar(select(Position).join(Position.area)
                             .where(Position.kind == kind,
                                    Position.area.has(code=code)))


def test_the_superior_is_derived_from_areas_and_todays_appointments(app, posts):
    with app.app_context():
        lurah, camat = _position("3171010001", "lurah"), _position("3171010", "camat")
        walikota = _position("3171", "walikota")
        assert followups.reviewer_of(lurah).official.name == "Dedi Camat"
        assert followups.reviewer_of(camat).official.name == "Fajar Wali"
        assert followups.reviewer_of(walikota) == followups.Reviewer(True, None)
        camat_user = db.session.scalar(select(User).where(User.email == "camat@example.id"))
        assert sorted(followups.reviewed_position_ids(camat_user)) == sorted(
            [posts["3171010001"], posts["3171010002"]])
        wali_user = db.session.scalar(select(User).where(User.email == "walikota@example.id"))
        assert sorted(followups.reviewed_position_ids(wali_user)) == sorted(
            [posts["3171010"], posts["3171020"]])
        # the camat leaves the post: the coordinator stands in until someone is appointed
        from survey_app.models import Appointment
        appointment = db.session.scalar(select(Appointment).where(
            Appointment.position_id == camat.id))
        appointment.end_date = date(2026, 6, 30)
        db.session.flush()
        assert followups.reviewer_of(lurah, date(2026, 7, 1)) == followups.Reviewer(True, None)
        assert followups.reviewed_position_ids(camat_user, date(2026, 7, 1)) == []
        plan = _plan(posts)  # today the camat's post is vacant: the coordinator reviews
        coordinator = db.session.scalar(select(User).where(User.role == "coordinator"))
        assert followups.may_review(coordinator, plan)
        assert not followups.may_review(camat_user, plan)
        assert posts["3171010001"] in followups.reviewed_position_ids(coordinator)
        newcomer = Official(nip="199001012015011099", name="Hadi Camat Baru")
        db.session.add(newcomer)
        db.session.add(Appointment(official=newcomer, position=camat,
                                   start_date=date(2026, 7, 1)))
        db.session.flush()
        assert followups.reviewer_of(lurah, date(2026, 7, 2)).official.name == "Hadi Camat Baru"


def test_the_plans_are_for_the_elements_the_card_marks(app, posts):
    from survey_app.domain import cards

    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.code == "2026-Q2"))
        document = results.results_document(round_)
        budi = db.session.scalar(select(Official).where(Official.name == "Budi Santoso"))
        [priority] = followups.priorities(round_, document, budi)
        [card] = cards.cards_for(round_, document, [priority.entry], "id", "http://x/verify")
        assert priority.elements == [e.code for e in card.elements if e.priority] == ["U3"]


# --- every role against one submitted plan --------------------------------------------------------

SEES = {"official@example.id": True, "camat@example.id": True, "coordinator@example.id": True,
        "viewer@example.id": True, "admin@example.id": True, "lurah.lain@example.id": False,
        "camat.lain@example.id": False, "walikota@example.id": False,
        "walikota.lain@example.id": False}


@pytest.mark.parametrize("email", list(SEES))
def test_every_role_against_a_submitted_plan(app, client, auth, posts, email):
    auth.login("official@example.id")
    _write(client, posts)
    plan_id = _plan_id(app)
    auth.logout()
    auth.login(email)
    page = client.get(f"/portal/rencana/{plan_id}")
    assert page.status_code == (200 if SEES[email] else 404), email
    if SEES[email]:
        _step(client, plan_id, "approve")
    else:
        token = csrf_token(client, "/portal/")
        assert client.post(f"/portal/rencana/{plan_id}/approve",
                           data={"csrf_token": token}).status_code == 404
    assert _state(app) == ("approved" if email == "camat@example.id" else "submitted"), email


def test_plans_only_after_publication(app, client, auth, posts):
    auth.login("official@example.id")
    assert client.get(f"/portal/2026-Q3/rencana/{posts['3171010001']}/U3").status_code == 404
    with app.app_context():
        round_ = db.session.scalar(select(Round).where(Round.code == "2026-Q3"))
        user = db.session.scalar(select(User).where(User.email == "official@example.id"))
        with pytest.raises(followups.FollowupError):
            followups.save(user, round_, results.results_document(round_), posts["3171010001"],
                           "U3", "x", "2026-Q4", "y")


# --- evidence files -------------------------------------------------------------------------------

def _approved_plan(app, client, auth, posts) -> int:
    auth.login("official@example.id")
    _write(client, posts)
    plan_id = _plan_id(app)
    auth.logout()
    auth.login("camat@example.id")
    _step(client, plan_id, "approve")
    auth.logout()
    auth.login("official@example.id")
    return plan_id


def _upload(client, plan_id: int, data: bytes, name: str):
    import io

    page = f"/portal/rencana/{plan_id}"
    return _post(client, f"{page}/upload", page, {"file": (io.BytesIO(data), name)},
                 content_type="multipart/form-data", follow_redirects=True)


def _files(app) -> list[tuple[str, str, int]]:
    from survey_app.models import FollowupFile

    with app.app_context():
        return [(f.filename, f.content_type, f.size) for f in
                db.session.scalars(select(FollowupFile).order_by(FollowupFile.id))]


def test_evidence_files_are_checked_by_their_first_bytes_and_served_as_downloads(
        app, client, auth, posts):
    plan_id = _approved_plan(app, client, auth, posts)
    page = _upload(client, plan_id, b"<html><script>alert(1)</script>", "foto.png")
    assert "Hanya gambar (PNG, JPEG) dan berkas PDF yang diterima." in page.get_data(as_text=True)
    page = _upload(client, plan_id, b"%PDF-" + b"x" * (2 * 1024 * 1024), "besar.pdf")
    assert "Berkas lebih besar dari 2 MB." in page.get_data(as_text=True)
    assert _files(app) == []
    _upload(client, plan_id, PNG, "gambar.txt")  # the name says text, the bytes say PNG
    _upload(client, plan_id, b"%PDF-1.4\n%%EOF\n", "laporan kegiatan.pdf")
    _upload(client, plan_id, b"\xff\xd8\xff\xe0" + b"\x00" * 10, "<foto>.jpeg")
    assert _files(app) == [("gambar.png", "image/png", len(PNG)),
                           ("laporankegiatan.pdf", "application/pdf", 15),
                           ("foto.jpg", "image/jpeg", 14)]
    page = _upload(client, plan_id, PNG, "lagi.png")
    assert "Paling banyak 3 berkas per rencana." in page.get_data(as_text=True)
    from survey_app.models import FollowupFile
    with app.app_context():
        file_id = db.session.scalar(select(FollowupFile.id).order_by(FollowupFile.id))
    url = f"/portal/rencana/{plan_id}/berkas/{file_id}"
    response = client.get(url)
    assert response.status_code == 200 and response.data == PNG
    assert response.mimetype == "image/png"
    assert response.headers["Content-Disposition"].startswith("attachment")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    auth.logout()
    auth.login("lurah.lain@example.id")
    assert client.get(url).status_code == 404
    auth.logout()
    auth.login("camat@example.id")
    assert client.get(url).status_code == 200


def test_a_refused_step_changes_nothing(app, client, auth, posts):
    auth.login("official@example.id")
    _write(client, posts, submit=False)
    plan_id = _plan_id(app)
    page = _step(client, plan_id, "verify").get_data(as_text=True)
    assert "Langkah ini tidak dapat dilakukan selama rencana berstatus draf." in page
    page = _step(client, plan_id, "complete", evidence="sudah").get_data(as_text=True)
    assert _state(app) == "draft"
    with app.app_context():
        assert db.session.scalar(select(FollowupPlan.evidence)) is None
        assert db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.action.like("followup-%"))).all() == ["followup-save"]


# --- the ladder: a round setting ------------------------------------------------------------------

def _budi_in(code: str):
    round_ = db.session.scalar(select(Round).where(Round.code == code))
    document = results.results_document(round_)
    return next(p for p in document.positions
                if p.official is not None and p.official.name == "Budi Santoso")


def _plan(posts, state="submitted", submitted=None, done=None, due="2026-Q3") -> FollowupPlan:
    q2 = db.session.scalar(select(Round).where(Round.code == "2026-Q2"))
    budi = db.session.scalar(select(Official).where(Official.name == "Budi Santoso"))
    plan = FollowupPlan(round=q2, position_id=posts["3171010001"], official_id=budi.id,
                        element_code="U3", action="Loket kedua", due_quarter=due,
                        responsible="Sekretaris", state=state, submitted_at=submitted,
                        done_at=done)
    db.session.add(plan)
    db.session.flush()
    return plan


def test_a_missing_or_overdue_plan_fails_the_quarter_only_when_the_round_requires_plans(
        app, posts):
    with app.app_context():
        for round_ in db.session.scalars(select(Round)):
            round_.failing_grades = "D"  # the posts' grade C fails nobody here
        db.session.flush()
        q3 = db.session.scalar(select(Round).where(Round.code == "2026-Q3"))
        # off (the default): no plan at all, nobody fails
        assert _budi_in("2026-Q3").official_failed is False
        assert sanctions.followup_failures(q3, results.results_document) == {}
        q2 = db.session.scalar(select(Round).where(Round.code == "2026-Q2"))
        q2.followup_required = True
        db.session.flush()
        # on: Budi's Q2 card marked U3, and no plan was submitted by the end of Q3
        budi = _budi_in("2026-Q3")
        assert budi.official_failed is True and budi.sanction_level == "perhatian"
        assert [results.to_dict(r) for r in budi.official_failed_because] == [
            {"rule": "followup", "missing": 1, "overdue": 0}]
        failing = sanctions.followup_failures(q3, results.results_document)
        assert len(failing) == 7  # every official whose Q2 card marked a priority
        # submitted in time, due in Q3 and not done by its end: overdue
        plan = _plan(posts, submitted=datetime(2026, 8, 15, tzinfo=UTC))
        assert [results.to_dict(r) for r in _budi_in("2026-Q3").official_failed_because] == [
            {"rule": "followup", "missing": 0, "overdue": 1}]
        # done within the quarter: nothing against him
        plan.state, plan.done_at = "done", datetime(2026, 9, 20, tzinfo=UTC)
        plan.updated_at = datetime.now(UTC)
        db.session.flush()
        budi = _budi_in("2026-Q3")
        assert budi.official_failed is False and budi.sanction_level == "none"
        # submitted after the quarter's end: missing, as before
        plan.submitted_at, plan.updated_at = datetime(2026, 10, 2, tzinfo=UTC), datetime.now(UTC)
        db.session.flush()
        assert [results.to_dict(r) for r in _budi_in("2026-Q3").official_failed_because] == [
            {"rule": "followup", "missing": 1, "overdue": 0}]


def test_the_round_setting_in_the_cli_and_the_form(app, runner, client, auth, users):
    with app.app_context():
        from tests import factories
        factories.regulation_questionnaire()
        db.session.commit()
        key = db.session.scalar(select(Round.id))  # no round yet
        assert key is None
    result = runner.invoke(args=["skm", "round", "create", "2027-Q1", "--questionnaire",
                                 "skm-permenpan-14-2017", "--opens", "2027-02-01T08:00",
                                 "--closes", "2027-03-01T08:00", "--followup-required"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["skm", "round", "create", "2027-Q2", "--questionnaire",
                                 "skm-permenpan-14-2017", "--opens", "2027-05-01T08:00",
                                 "--closes", "2027-06-01T08:00"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        assert dict(db.session.execute(select(Round.code, Round.followup_required)).all()) == {
            "2027-Q1": True, "2027-Q2": False}
    auth.login("coordinator@example.id")
    def box(code: str) -> str:
        html = client.get(f"/coordinator/rounds/{code}/edit").get_data(as_text=True)
        return re.search(r'<input[^>]*name="followup_required"[^>]*>', html).group(0)

    assert "checked" in box("2027-Q1") and "checked" not in box("2027-Q2")
    assert "Rencana tindak lanjut yang tidak ada atau lewat tenggat" in client.get(
        "/coordinator/rounds/2027-Q1/edit").get_data(as_text=True)


# --- skm followups --------------------------------------------------------------------------------

def test_skm_followups_lists_the_plans_of_a_round(app, runner, posts):
    with app.app_context():
        _plan(posts, state="approved")
        db.session.commit()
    result = runner.invoke(args=["skm", "followups", "2026-Q2", "--format", "json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output) == [{
        "round": "2026-Q2", "position": "lurah", "area_code": "3171010001",
        "area_name": "KELURAHAN 3171010001", "unit_code": None,
        "official_nip": "198001012005011001", "official_name": "Budi Santoso", "element": "U3",
        "action": "Loket kedua", "due_quarter": "2026-Q3", "responsible": "Sekretaris",
        "state": "approved"}]
    result = runner.invoke(args=["skm", "followups", "2026-Q2", "--format", "csv"])
    assert result.output.splitlines() == [
        "round,position,area_code,area_name,unit_code,official_nip,official_name,element,"
        "action,due_quarter,responsible,state",
        "2026-Q2,lurah,3171010001,KELURAHAN 3171010001,,198001012005011001,Budi Santoso,U3,"
        "Loket kedua,2026-Q3,Sekretaris,approved"]
    assert runner.invoke(args=["skm", "followups", "2026-Q3", "--format", "csv"]).output \
        .splitlines()[1:] == []
    assert runner.invoke(args=["skm", "followups", "2031-Q1"]).exit_code != 0


# --- the next quarter's card and the province summary ---------------------------------------------

def _pdftotext(pdf: bytes) -> str:
    done = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True,
                          check=True)
    return re.sub(r"[ \t]+", " ", done.stdout.decode())


@pytest.mark.skipif(subprocess.run(["which", "pdftotext"], capture_output=True).returncode != 0,
                    reason="pdftotext (poppler-utils) is not installed")
def test_the_next_quarters_card_and_the_summary_show_the_plans(app, posts):
    from reports.card import render_card
    from reports.summary import render_summary
    from survey_app.domain import cards

    with app.app_context():
        _plan(posts, state="approved")
        q2 = db.session.scalar(select(Round).where(Round.code == "2026-Q2"))
        q3 = db.session.scalar(select(Round).where(Round.code == "2026-Q3"))
        entry = _budi_in("2026-Q3")
        document = results.results_document(q3)
        [card] = cards.cards_for(q3, document, [entry], "id", "http://x/verify")
        text = _pdftotext(render_card(card))
        assert "Rencana tindak lanjut setelah 2026-Q2" in text
        assert "U3 Waktu Penyelesaian: 2,00 pada 2026-Q2, kini 2,00 (+0,00)" in text
        assert "Tindakan: Loket kedua · target 2026-Q3 · status: disetujui" in text
        assert "followups" not in card.figures()  # the plans move; the figures do not
        # Q2's own card (no round before it) shows none
        [q2_card] = cards.cards_for(q2, results.results_document(q2),
                                    [_budi_in("2026-Q2")], "id", "http://x/verify")
        assert q2_card.followups == []
        assert "Rencana tindak lanjut" not in _pdftotext(render_card(q2_card))
        q2_document = results.results_document(q2)
        counts = followups.counts_by_kota(q2, q2_document)
        approved = {s: 0 for s in ("draft", "submitted", "returned", "approved", "done",
                                   "verified")}
        approved["approved"] = 1
        zero = {s: 0 for s in approved}
        # kota 3171: six officials with a priority (three lurah, two camat, the wali kota), one
        # plan written; kota 3172: its wali kota, no plan
        from reports.model import FollowupCount
        assert counts == [FollowupCount("KOTA JAKARTA SELATAN", approved, 5),
                          FollowupCount("KOTA JAKARTA TIMUR", zero, 1)]
        summary = cards.summary_data(q2_document, "id", followup_counts=counts)
        text = _pdftotext(render_summary(summary))
        assert "Rencana tindak lanjut per kota" in text
        # the states' column heads in Indonesian, "draft" included (it printed in English once)
        assert re.search(r"draf\s+diajukan\s+dikembalikan\s+disetujui", text), text
        assert re.search(r"KOTA JAKARTA SELATAN 0 0 0 1 0 0 5", text), text
        assert followups.counts_by_kota(q3, document) == []  # not published: no plans yet


# --- the demo -------------------------------------------------------------------------------------

def test_the_demo_has_plans_in_every_state_and_work_for_every_role(ctx):
    from collections import Counter

    from survey_app.demo import DEMO_PASSWORDS, build_demo
    from tests import factories

    build_demo("small", 3, factories.pinned(), today=date.today(), secret_key="k",
               hash_method="pbkdf2:sha256:1")
    db.session.commit()
    latest = db.session.scalars(select(Round).where(Round.state == "published")
                                .order_by(Round.opens_at.desc())).first()
    plans = followups.plans_of_round(latest)
    assert set(Counter(p.state for p in plans)) == {"draft", "submitted", "returned", "approved",
                                                    "done", "verified"}
    user = {key: db.session.scalar(select(User).where(User.email == email))
            for key, (email, _p) in DEMO_PASSWORDS.items()}
    own = sorted(p.state for p in plans if followups.is_author(user["lurah"], p))
    assert own == ["approved", "draft", "returned"]
    for key in ("camat", "walikota", "coordinator"):
        waiting = {p.state for p in plans if followups.may_review(user[key], p)}
        assert {"submitted", "done"} <= waiting, key
    # the round before it: its plans are on the latest published cards
    earlier = followups.previous_round(latest)
    assert earlier is not None and followups.plans_of_round(earlier)
