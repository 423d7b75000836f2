"""The demo database: complete, plausible, reproducible, consistent with the model's rules."""
from __future__ import annotations

from datetime import date

from sqlalchemy import func, select

from survey_app import models as m  # the tables the demo fills
from survey_app.demo import build_demo
from survey_app.extensions import db
from tests import factories


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def test_small_demo_is_complete_and_consistent(ctx):
    summary = build_demo("small", 7, factories.pinned(), today=date(2026, 11, 24),
                         secret_key="k", hash_method="pbkdf2:sha256:1")
    db.session.commit()
    levels = dict(db.session.execute(select(m.Area.level, func.count())
                                     .group_by(m.Area.level)).all())
    assert levels == {"provinsi": 1, "kota": 1, "kecamatan": 2, "kelurahan": 6}
    assert 200 <= count(m.Respondent) <= 600
    assert summary.rounds == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"]
    states = dict(db.session.execute(select(m.Round.code, m.Round.state)).all())
    assert states["2026-Q4"] == "open" and states["2026-Q3"] == "closed"
    assert states["2026-Q2"] == "published"
    # published rounds are stored as published (looking at them never computes them again)
    frozen = db.session.execute(select(m.Round.code, m.Publication.number,
                                       m.Publication.published_at, m.Round.published_at)
                                .join(m.Round, m.Round.id == m.Publication.round_id)).all()
    assert sorted((code, n) for code, n, _at, _published in frozen) \
        == [("2025-Q4", 1), ("2026-Q1", 1), ("2026-Q2", 1)]
    assert all(at == published for _c, _n, at, published in frozen)
    # every respondent is invited to every round, and each completed position has one response
    assert count(m.Invitation) == 5 * count(m.Respondent)
    completed = db.session.scalar(select(func.count()).select_from(m.InvitationPosition).where(
        m.InvitationPosition.answered))
    assert completed == count(m.Response) == summary.responses > 0
    assert count(m.Answer) == summary.answers
    assert db.session.scalar(select(func.min(m.Answer.value))) >= 1
    assert db.session.scalar(select(func.max(m.Answer.value))) <= 4
    # rotations happened: some positions had more than one holder
    assert count(m.Appointment) > db.session.scalar(select(func.count(func.distinct(
        m.Appointment.position_id))))
    assert count(m.Official) > 0 and count(m.Complaint) > 500
    assert count(m.User) == 7
    # the open round's sample respondent has answered nothing yet
    assert summary.sample_link_token


def test_same_seed_gives_the_same_demo(app):
    def build():
        with app.app_context():
            summary = build_demo("small", 3, factories.pinned(), today=date(2026, 11, 24),
                                 secret_key="k", hash_method="pbkdf2:sha256:1")
            values = db.session.scalar(select(func.sum(m.Answer.value)))
            db.session.rollback()
            return summary.responses, summary.complaints, values

    assert build() == build()
