"""A small province for the report-card tests: two kota, three kecamatan, five kelurahan, an
official in every post, one login per kind of official, a published and an unpublished round."""
from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import select

from survey_app.extensions import db
from survey_app.models import Area
from tests import factories

U = [f"U{i}" for i in range(1, 10)]

# login email -> (NIP, name, position kind, area code); the lurah of 3171010001 is the `users`
# fixture's official (official@example.id, Budi Santoso).
OFFICIALS = {
    None: ("198001012005011002", "Ani Lurah Dua", "lurah", "3171010002"),
    "lurah.lain@example.id": ("198001012005011003", "Citra Lurah Tiga", "lurah", "3171020001"),
    "camat@example.id": ("198001012005011010", "Dedi Camat", "camat", "3171010"),
    "camat.lain@example.id": ("198001012005011011", "Eka Camat Lain", "camat", "3171020"),
    "walikota@example.id": ("198001012005011020", "Fajar Wali", "walikota", "3171"),
    "walikota.lain@example.id": ("198001012005011021", "Gita Wali Lain", "walikota", "3172"),
}


def build() -> dict:
    """Needs the `users` fixture's tree and lurah; returns position ids by area code."""
    areas = {a.code: a for a in db.session.scalars(select(Area))}
    areas["3172"] = factories.area("3172", "kota", "KOTA JAKARTA TIMUR", areas["31"])
    areas["3172010"] = factories.area("3172010", "kecamatan", parent=areas["3172"])
    areas["3172010001"] = factories.area("3172010001", "kelurahan", parent=areas["3172010"])
    from survey_app.models import Position
    posts = {p.area.code: p for p in db.session.scalars(select(Position))}
    for code in ("3171010002", "3171020001", "3171020002", "3172010001"):
        posts[code] = factories.position("lurah", areas[code])
    for code in ("3171010", "3171020", "3172010"):
        posts[code] = factories.position("camat", areas[code])
    for code in ("3171", "3172"):
        posts[code] = factories.position("walikota", areas[code])
    for email, (nip, name, _kind, code) in OFFICIALS.items():
        person = factories.official(nip, name)
        factories.appoint(person, posts[code], date(2026, 1, 1))
        if email:
            factories.user(email, "official", official_=person)
    questionnaire = factories.regulation_questionnaire()
    published = factories.round_("2026-Q2", state="published", questionnaire=questionnaire,
                                 opens=datetime(2026, 5, 1, tzinfo=UTC),
                                 closes=datetime(2026, 6, 30, 17, tzinfo=UTC))
    hidden = factories.round_("2026-Q3", state="closed", questionnaire=questionnaire,
                              opens=datetime(2026, 8, 1, tzinfo=UTC),
                              closes=datetime(2026, 9, 30, 17, tzinfo=UTC))
    for round_ in (published, hidden):
        for code, post in posts.items():
            if code == "3172010":
                continue  # a camat with no responses: not in the results at all
            for i in range(3):
                answers = {c: 3 for c in U}
                answers["U3"] = 2  # the weakest element
                if code == "3171010001" and i == 0:
                    answers["U1"] = 4
                factories.response(round_, post, "rt", answers,
                                   comment="Jalan rusak di RT 05" if i == 0 else None)
        # two RW heads for the lurah of 3171010001: under the minimum of 3, left out of the
        # score AND the comments
        for _ in range(2):
            factories.response(round_, posts["3171010001"], "rw", {c: 1 for c in U},
                               comment="RAHASIA RW jangan tampil")
    db.session.commit()
    return {code: post.id for code, post in posts.items()}
