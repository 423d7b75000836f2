"""A small world with a roster, shared by the respondent tests: the area tree of
tests.factories.small_tree, a lurah, camat and wali kota in post, an open round, and invitations."""
from __future__ import annotations

from datetime import date

from sqlalchemy import select

from survey_app.domain import roster
from survey_app.domain.invitations import invitation_token
from survey_app.domain.officials import get_or_create_position
from survey_app.domain.tabular import read_table
from survey_app.extensions import db
from survey_app.models import Appointment, Area, Invitation, Respondent
from tests import factories

SECRET = "test-secret"  # tests/conftest.py
HEADER = "respondent_ref,name,group,area_code,rw,rt,phone,email\n"
ROSTER = HEADER + (
    "R1,Budi Santoso,rt,3171010001,1,2,0812-3456-7890,\n"
    "R2,Siti Aminah,rw,3171010001,3,,+62 813 1111 2222,siti@example.id\n"
    "R3,Agus Salim,fkdm,3171010,,,,\n"
    "R4,Rina Wati,lmk,3171020002,4,,,\n"
)


def world(state: str = "open", **round_settings):
    """Areas, officials in post, a round; returns (areas, round)."""
    # The `users` fixture may have built the tree and a lurah already: reuse what exists.
    areas = {a.code: a for a in db.session.scalars(select(Area))} or factories.small_tree()
    day = date(2020, 1, 1)
    for n, (kind, code) in enumerate([("lurah", "3171010001"), ("lurah", "3171010002"),
                                      ("lurah", "3171020001"), ("lurah", "3171020002"),
                                      ("camat", "3171010"), ("camat", "3171020"),
                                      ("walikota", "3171")]):
        position = get_or_create_position(kind, areas[code])
        if not db.session.scalar(select(Appointment).where(Appointment.position_id == position.id)):
            factories.appoint(factories.official(f"19800101200501{n:04d}",
                                                 f"Pejabat {kind} {code}"), position, day)
    round_ = factories.round_(state=state, **round_settings)
    return areas, round_


def load_roster(round_, text: str = ROSTER):
    table = read_table(text.encode(), "roster.csv", required=roster.REQUIRED_COLUMNS,
                       optional=roster.OPTIONAL_COLUMNS)
    return roster.import_roster(round_, table, SECRET)


def world_with_roster(text: str = ROSTER):
    """world() with ``text`` loaded as its round's roster, committed; returns the round."""
    _areas, round_ = world()
    load_roster(round_, text)
    db.session.commit()
    return round_


def rt_form_paths(prefix: str, count: int) -> list[str]:
    """world_with_roster of ``count`` RT heads in kelurahan 3171010001 (refs <prefix>0,
    <prefix>1, ...); returns their form addresses in that order."""
    rows = "".join(f"{prefix}{n},Warga {n},rt,3171010001,1,{n % 900 + 1},,\n" for n in range(count))
    world_with_roster(HEADER + rows)
    return ["/s/" + token_of(f"{prefix}{n}") for n in range(count)]


def token_of(ref: str, round_=None) -> str:
    query = select(Invitation).join(Respondent).where(Respondent.ref == ref)
    if round_ is not None:
        query = query.where(Invitation.round_id == round_.id)
    invitation = db.session.scalar(query)
    return invitation_token(SECRET, invitation.token_nonce)
