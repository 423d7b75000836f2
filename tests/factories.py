"""Builders for test rows: small, explicit, and shared by every test module.

Each builder adds to db.session and flushes (so ids exist); the test decides when to commit.
"""
from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta

from survey_app.extensions import db
from survey_app.models import (
    Appointment,
    Area,
    Official,
    PinnedQuestionnaire,
    Position,
    Round,
    Unit,
    User,
)

# The head of a complaints export file (survey_app/domain/complaints.py reads it).
COMPLAINTS_HEADER = ("complaint_id,channel,category,area_code,unit_code,status,reported_at,"
                     "first_response_at,resolved_at\n")


def area(code: str, level: str, name: str | None = None, parent: Area | None = None) -> Area:
    row = Area(code=code, level=level, name=name or f"{level.upper()} {code}", parent=parent)
    db.session.add(row)
    db.session.flush()
    return row


def small_tree() -> dict[str, Area]:
    """31 > 3171 (kota) > 3171010, 3171020 (kecamatan) > two kelurahan each."""
    areas = {"31": area("31", "provinsi", "DKI JAKARTA")}
    areas["3171"] = area("3171", "kota", "KOTA JAKARTA SELATAN", areas["31"])
    for kec in ("3171010", "3171020"):
        areas[kec] = area(kec, "kecamatan", parent=areas["3171"])
        for n in ("001", "002"):
            code = kec + n
            areas[code] = area(code, "kelurahan", parent=areas[kec])
    return areas


def position(kind: str, area_: Area | None = None, unit: Unit | None = None) -> Position:
    row = Position(kind=kind, area=area_, unit=unit)
    db.session.add(row)
    db.session.flush()
    return row


def official(nip: str, name: str | None = None) -> Official:
    row = Official(nip=nip, name=name or f"Official {nip}")
    db.session.add(row)
    db.session.flush()
    return row


def appoint(official_: Official, position_: Position, start: date,
            end: date | None = None) -> Appointment:
    row = Appointment(official=official_, position=position_, start_date=start, end_date=end)
    db.session.add(row)
    db.session.flush()
    return row


def user(email: str, role: str, password: str = "password123",
         official_: Official | None = None) -> User:
    row = User(email=email, role=role, official=official_, active=True, failed_logins=0)
    row.set_password(password, "pbkdf2:sha256:1")
    db.session.add(row)
    db.session.flush()
    return row


def questionnaire_content(elements: dict[str, float] | None = None, items_per_element: int = 1,
                          key: str = "test-q", version: str = "1") -> dict:
    """A questionnaire in the stored form (see questionnaires/README.md); element code -> weight."""
    elements = elements or {f"U{i}": 1.0 for i in range(1, 10)}
    labels_id = ["Tidak baik", "Kurang baik", "Baik", "Sangat baik"]
    labels_en = ["Poor", "Fair", "Good", "Very good"]
    return {
        "key": key,
        "version": version,
        "title": {"id": "Kuesioner uji", "en": "Test questionnaire"},
        "comment": True,
        "elements": [
            {
                "code": code,
                "name": {"id": f"Unsur {code}", "en": f"Element {code}"},
                "weight": weight,
                "items": [
                    {
                        "code": code if items_per_element == 1 else f"{code}.{i}",
                        "question": {"id": f"Pertanyaan {code}.{i}", "en": f"Question {code}.{i}"},
                        "labels": {"id": labels_id, "en": labels_en},
                        "required": True,
                    }
                    for i in range(1, items_per_element + 1)
                ],
            }
            for code, weight in elements.items()
        ],
    }


def pinned(content: dict | None = None) -> PinnedQuestionnaire:
    content = content or questionnaire_content()
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"))
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    row = PinnedQuestionnaire(key=content["key"], version=content["version"], content_hash=digest,
                              content=content)
    db.session.add(row)
    db.session.flush()
    return row


def round_(code: str = "2027-Q1", state: str = "open", opens: datetime | None = None,
           closes: datetime | None = None, questionnaire: PinnedQuestionnaire | None = None,
           **settings) -> Round:
    now = datetime.now(UTC)
    row = Round(code=code, state=state, questionnaire=questionnaire or pinned(),
                opens_at=opens or now - timedelta(days=1),
                closes_at=closes or now + timedelta(days=30),
                **settings)
    db.session.add(row)
    db.session.flush()
    return row


def response(round_: Round, position_: Position, group: str, answers: dict[str, int | None],
             area_: Area | None = None, comment: str | None = None, official=None):
    """One anonymous (released) response; an answer of None is a blank (no row)."""
    from survey_app.models import Answer, Response

    row = Response(round_id=round_.id, position_id=position_.id, group=group,
                   area_id=(area_ or position_.area).id, source="web", comment=comment,
                   official_id=official.id if official is not None else None)
    row.answers = [Answer(item_code=code, value=value) for code, value in answers.items()
                   if value is not None]
    db.session.add(row)
    return row


def closed_round_2026_q3() -> Round:
    """The closed round 2026-Q3 (1 August to 30 September 17:00 UTC) on the shipped
    questionnaire."""
    return round_("2026-Q3", state="closed", opens=datetime(2026, 8, 1, tzinfo=UTC),
                  closes=datetime(2026, 9, 30, 17, tzinfo=UTC),
                  questionnaire=regulation_questionnaire())


def lurah_league(last_official_name: str) -> Round:
    """closed_round_2026_q3 with three RT forms for each lurah of the area tree already built
    (the users fixture's), every answer 4, 3, 3 and 2 (scores 100, 75, 75 and 50); the last
    post gets an official named ``last_official_name``. Commits."""
    from sqlalchemy import select

    areas = {a.code: a for a in db.session.scalars(select(Area))}
    league = closed_round_2026_q3()
    for code, value in {"3171010001": 4, "3171010002": 3, "3171020001": 3,
                        "3171020002": 2}.items():
        post = db.session.scalar(select(Position).where(Position.area_id == areas[code].id)) \
            or position("lurah", areas[code])
        if code == "3171020002":
            appoint(official("199001012015011001", last_official_name), post, date(2026, 1, 1))
        for _ in range(3):
            response(league, post, "rt", {f"U{i}": value for i in range(1, 10)})
    db.session.commit()
    return league


def invite(round_: Round, post: Position, group: str, count: int) -> None:
    """``count`` respondents of ``group`` invited to rate ``post`` in ``round_``."""
    from survey_app.models import Invitation, InvitationPosition, Respondent

    for n in range(count):
        ref = f"{round_.code}-{post.id}-{group}-{n}"
        respondent = Respondent(ref=ref, name="x", group=group, area=post.area)
        db.session.add(respondent)
        db.session.flush()
        invitation = Invitation(round_id=round_.id, respondent_id=respondent.id,
                                token_hash=f"h-{ref}", token_nonce="n", group=group,
                                area_id=post.area_id)
        db.session.add(invitation)
        db.session.flush()
        db.session.add(InvitationPosition(invitation_id=invitation.id, position_id=post.id))


def regulation_questionnaire() -> PinnedQuestionnaire:
    """The shipped PermenPANRB 14/2017 questionnaire, pinned."""
    from survey_app.domain import questionnaires

    return questionnaires.pin("skm-permenpan-14-2017")
