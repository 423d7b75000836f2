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

UTC = UTC


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


def appoint(official_: Official, position_: Position, start: date, end: date | None = None) -> Appointment:
    row = Appointment(official=official_, position=position_, start_date=start, end_date=end)
    db.session.add(row)
    db.session.flush()
    return row


def user(email: str, role: str, password: str = "password123", official_: Official | None = None) -> User:
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
    digest = hashlib.sha256(json.dumps(content, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
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
                opens_at=opens or now - timedelta(days=1), closes_at=closes or now + timedelta(days=30),
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


def regulation_questionnaire() -> PinnedQuestionnaire:
    """The shipped PermenPANRB 14/2017 questionnaire, pinned."""
    from survey_app.domain import questionnaires

    return questionnaires.pin("skm-permenpan-14-2017")
