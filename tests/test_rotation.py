"""Whose figures are they (DOMAIN.md section 4a): forms and complaints follow the official who held
the post when they were given or reported, an official is judged on everything that fell to them
in a quarter, a newcomer is not judged on the predecessor's record, and a card compares an
official with their own previous result. Every figure below is computed by hand in the test."""
from __future__ import annotations

import shutil
from datetime import UTC, date, datetime

import pytest

from survey_app.domain.complaint_figures import figures_by_official
from survey_app.domain.complaints import import_complaints, read_complaints
from survey_app.domain.results_model import parse_document, parse_entry
from survey_app.extensions import db
from tests import factories
from tests.results_shape import document_of

U = [f"U{i}" for i in range(1, 10)]
# Q2 2026: opens 1 Apr, closes 1 Jul 00:00 WIB; results looked at well after it
Q2_OPENS, Q2_CLOSES = datetime(2026, 3, 31, 17, tzinfo=UTC), datetime(2026, 6, 30, 17, tzinfo=UTC)
NOW = datetime(2026, 8, 1, tzinfo=UTC)
HEADER = factories.COMPLAINTS_HEADER


@pytest.fixture
def posts(ctx):
    areas = factories.small_tree()
    q = factories.regulation_questionnaire()
    round_ = factories.round_("2026-Q2", state="closed", opens=Q2_OPENS, closes=Q2_CLOSES,
                              questionnaire=q)
    x = factories.position("lurah", areas["3171010001"])
    y = factories.position("lurah", areas["3171010002"])
    people = {name: factories.official(f"19700101{n:010d}", name)
              for n, name in enumerate(["Ani", "Bayu", "Citra"])}
    return {"round": round_, "q": q, "x": x, "y": y, "areas": areas, **people}


def forms(round_, post, official, value: int, n: int = 3) -> None:
    """n forms of the rt group with ``value`` to every item, given while ``official`` held
    the post (IKM = 25 x value)."""
    for _ in range(n):
        factories.response(round_, post, "rt", {c: value for c in U}, official=official)


def entries_of(document, nip):
    return [e for e in document["positions"] + document["earlier_holders"]
            if e["official"] and e["official"]["nip"] == nip]


def test_two_lurah_who_swap_keep_the_forms_given_while_they_were_in_post(posts):
    """Ani held X until 15 May, then Y; Bayu held Y until 15 May, then X. X: Ani's forms all 4
    (IKM 100), Bayu's all 4 (100); Y: Bayu's all 2 (50, grade D), Ani's all 1 (25, grade D). At
    the close X is Bayu's and Y is Ani's, each with their own part only: X shows Bayu's 100 (not
    the whole round's), Y shows Ani's 25 (not (50 + 25) / 2 = 37.5). Both failed the quarter:
    Ani on the post she holds (a D on Y), Bayu on the post he left (a D on Y, while he held it),
    and each card says which rule failed, with the figure, the threshold and the post."""
    from reports.card import render_card
    from survey_app.domain import cards
    from tests.test_reports import text_of as pdf_text

    p = posts
    factories.appoint(p["Ani"], p["x"], date(2025, 1, 1), date(2026, 5, 15))
    factories.appoint(p["Bayu"], p["y"], date(2025, 1, 1), date(2026, 5, 15))
    factories.appoint(p["Ani"], p["y"], date(2026, 5, 16))
    factories.appoint(p["Bayu"], p["x"], date(2026, 5, 16))
    forms(p["round"], p["x"], p["Ani"], 4)
    forms(p["round"], p["x"], p["Bayu"], 4)
    forms(p["round"], p["y"], p["Bayu"], 2)
    forms(p["round"], p["y"], p["Ani"], 1)
    db.session.flush()
    document = document_of(p["round"], now=NOW)
    shown = {e["position_id"]: e for e in document["positions"]}
    assert shown[p["x"].id]["official"]["name"] == "Bayu"
    assert (shown[p["x"].id]["ikm"], shown[p["x"].id]["respondents"]) == (100.0, 3)
    assert shown[p["y"].id]["official"]["name"] == "Ani"
    assert (shown[p["y"].id]["ikm"], shown[p["y"].id]["grade"]) == (25.0, "D")
    earlier = {(e["position_id"], e["official"]["name"]): e for e in document["earlier_holders"]}
    assert set(earlier) == {(p["x"].id, "Ani"), (p["y"].id, "Bayu")}
    assert earlier[(p["x"].id, "Ani")]["ikm"] == 100.0
    assert earlier[(p["y"].id, "Bayu")]["ikm"] == 50.0
    assert {e["official_failed"] for e in entries_of(document, p["Ani"].nip)} == {True}
    assert {e["official_failed"] for e in entries_of(document, p["Bayu"].nip)} == {True}
    assert shown[p["x"].id]["failed"] is False  # his part of X passed; the person did not
    assert shown[p["y"].id]["sanction_level"] == shown[p["x"].id]["sanction_level"] == "perhatian"
    names = cards.element_names(p["round"])

    def card(entry):
        data = cards.card_data(parse_entry(entry), parse_document(document), names=names,
                               rated=True, comments=[],
                               published=False, lang="id")
        # the printed words, where poppler's pdftotext is installed (as in tests/test_reports.py)
        text = pdf_text(render_card(data)) if shutil.which("pdftotext") else None
        return data, text

    bayu, text = card(shown[p["x"].id])
    assert [(r["rule"], r["grade"], r["elsewhere"]) for r in bayu.failed_because] == [
        ("grade", "D", "Lurah " + p["y"].area.name)]
    assert text is None or ("Gagal triwulan ini: mutu D (IKM 50,00); mutu C / D dihitung gagal "
                            "(sebagai Lurah " + p["y"].area.name + ")") in " ".join(text.split())
    ani, text = card(shown[p["y"].id])
    assert [(r["rule"], r["elsewhere"]) for r in ani.failed_because] == [("grade", None)]
    assert text is None or "Gagal triwulan ini: mutu D (IKM 25,00); mutu C / D dihitung gagal." \
        in " ".join(text.split())


def _complaints(rows: str) -> None:
    summary, _checked = import_complaints(read_complaints((HEADER + rows).encode(), "c.csv"),
                                          now=NOW)
    assert summary.created == rows.count("\n")
    db.session.flush()


def judged(p, minimum: int, terms, complaints: str):
    """The round's document once its minimum of complaints is ``minimum``, each (official, post,
    start[, end]) of ``terms`` appointed and the ``complaints`` rows imported."""
    p["round"].min_complaints = minimum
    for name, post, *days in terms:
        factories.appoint(p[name], p[post], *days)
    db.session.flush()
    _complaints(complaints)
    return document_of(p["round"], now=NOW)


def test_a_rotation_recorded_after_the_import_still_moves_the_complaints(posts):
    """Complaints of X reported 10 Apr and 20 May were imported while only Ani's appointment was
    known. The rotation (Ani until 15 May, Citra from 16 May) is recorded afterwards: the 20 May
    complaint is Citra's when the figures are computed."""
    p = posts
    term = factories.appoint(p["Ani"], p["x"], date(2025, 1, 1))
    db.session.flush()
    _complaints("K1,JAKI,Jalan,3171010001,,Selesai,2026-04-10 08:00,,2026-04-11 08:00\n"
                "K2,JAKI,Jalan,3171010001,,Selesai,2026-05-20 08:00,,2026-05-21 08:00\n")
    term.end_date = date(2026, 5, 15)
    factories.appoint(p["Citra"], p["x"], date(2026, 5, 16))
    db.session.flush()
    figures = figures_by_official(p["round"], now=NOW)
    assert figures[(p["x"].id, p["Ani"].id)].received == 1
    assert figures[(p["x"].id, p["Citra"].id)].received == 1


def test_an_official_who_moved_is_judged_on_the_complaints_of_both_posts(posts):
    """Ani held X until 15 May, then Y. X's complaints in her time: two, each resolved 10 days
    after it was reported (late). Y's in her time: two, resolved in a day (in time). Her own
    rate is 2 in time of 4 = 0.5 < 0.8: failed. With the round's minimum at 4 complaints, neither
    post's two would be enough to judge on their own; her four are."""
    p = posts
    document = judged(p, 4, [("Ani", "x", date(2025, 1, 1), date(2026, 5, 15)),
                             ("Ani", "y", date(2026, 5, 16))],
                      "L1,JAKI,Jalan,3171010001,,Selesai,2026-04-10 08:00,,2026-04-20 08:00\n"
                      "L2,JAKI,Jalan,3171010001,,Selesai,2026-04-12 08:00,,2026-04-22 08:00\n"
                      "L3,JAKI,Jalan,3171010002,,Selesai,2026-06-01 08:00,,2026-06-02 08:00\n"
                      "L4,JAKI,Jalan,3171010002,,Selesai,2026-06-03 08:00,,2026-06-04 08:00\n")
    y = next(e for e in document["positions"] if e["position_id"] == p["y"].id)
    assert y["official"]["name"] == "Ani"
    assert (y["complaints"]["received"], y["complaints"]["in_time_rate"]) == (2, 1.0)
    own = y["official_complaints"]
    assert (own["received"], own["resolved_in_time"], own["in_time_rate"]) == (4, 2, 0.5)
    assert own["enough_to_judge"] and not y["complaints"]["enough_to_judge"]
    assert y["official_failed_because"] == [{"rule": "in_time_rate", "rate": 0.5, "minimum": 0.8,
                                             "complaints": 4, "posts": 2}]
    assert y["failed"] is True and y["sanction_level"] == "perhatian"


def test_a_newcomer_is_not_judged_on_the_predecessors_complaints(posts):
    """Ani held X until 15 May with two late complaints (0 of 2 in time); Citra took over on
    16 May and had none. Citra is neither failed nor passed on complaints (nothing of her own),
    and no survey form was given in her time: no outcome, no rung. (A round minimum of 2
    complaints lets Ani's two be judged.)"""
    p = posts
    document = judged(p, 2, [("Ani", "x", date(2025, 1, 1), date(2026, 5, 15)),
                             ("Citra", "x", date(2026, 5, 16))],
                      "N1,JAKI,Jalan,3171010001,,Selesai,2026-04-10 08:00,,2026-04-20 08:00\n"
                      "N2,JAKI,Jalan,3171010001,,Selesai,2026-04-12 08:00,,2026-04-22 08:00\n")
    x = next(e for e in document["positions"] if e["position_id"] == p["x"].id)
    assert x["official"]["name"] == "Citra"
    assert x["complaints"]["received"] == 0 and x["complaints"]["in_time_rate"] is None
    assert x["post_complaints"]["received"] == 2
    assert x["failed"] is None and x["sanction_level"] == "none"
    ani, = [e for e in document["earlier_holders"] if e["official"]["name"] == "Ani"]
    assert (ani["complaints"]["in_time_rate"], ani["failed"]) == (0.0, True)


def test_a_card_compares_an_official_with_their_own_previous_result(posts):
    """Q1: Ani on X scores 80 (3 forms of 4 and... all 3.2? no: values 4, 3, 3 per form give
    IKM 25 x 10/3 = 83.33); Bayu on Y scores 50 (all 2). Q2: Ani moved to Y (from 1 Apr) and
    scores 75 (all 3); Citra is new on X (from 1 Apr) and scores 100 (all 4).
    Ani's Q2 card compares with her own Q1 on X: 75 - 83.33 = -8.33, not with Bayu's 50 on Y.
    Citra has no earlier score: nothing to compare, and the trend of X marks the new holder."""
    p = posts
    q1 = factories.round_("2026-Q1", state="closed", opens=datetime(2025, 12, 31, 17, tzinfo=UTC),
                          closes=datetime(2026, 3, 31, 17, tzinfo=UTC), questionnaire=p["q"])
    factories.appoint(p["Ani"], p["x"], date(2025, 1, 1), date(2026, 3, 31))
    factories.appoint(p["Bayu"], p["y"], date(2025, 1, 1), date(2026, 3, 31))
    factories.appoint(p["Ani"], p["y"], date(2026, 4, 1))
    factories.appoint(p["Citra"], p["x"], date(2026, 4, 1))
    for value in (4, 3, 3):
        forms(q1, p["x"], p["Ani"], value, n=1)
    forms(q1, p["y"], p["Bayu"], 2)
    forms(p["round"], p["y"], p["Ani"], 3)
    forms(p["round"], p["x"], p["Citra"], 4)
    db.session.flush()
    document = document_of(p["round"], now=NOW)
    shown = {e["position_id"]: e for e in document["positions"]}
    ani = shown[p["y"].id]
    assert ani["official"]["name"] == "Ani"
    assert ani["previous_ikm"] == pytest.approx(25 * 10 / 3)
    assert ani["change"] == pytest.approx(75 - 25 * 10 / 3)
    assert ani["compared_with"]["same_post"] is False
    assert ani["compared_with"]["area_name"] == p["x"].area.name
    citra = shown[p["x"].id]
    assert citra["previous_ikm"] is None and citra["change"] is None
    assert citra["compared_with"] is None
    assert [(t["round"], t["official"]["name"], t["holder_changed"]) for t in citra["trend"]] == [
        ("2026-Q1", "Ani", False), ("2026-Q2", "Citra", True)]
    # and the cards say so: Ani's change is against her own score on her earlier post; Citra's
    # card says she has no earlier score of her own and the trend marks the new holder
    from survey_app.domain import cards

    names = cards.element_names(p["round"])
    ani_card = cards.card_data(parse_entry(ani), parse_document(document), names=names,
                               rated=True, comments=[], published=False, lang="id")
    assert ani_card.compared_elsewhere == "Lurah " + p["x"].area.name
    assert ani_card.new_holder is False
    citra_card = cards.card_data(parse_entry(citra), parse_document(document), names=names,
                                 rated=True, comments=[], published=False, lang="id")
    assert citra_card.new_holder is True and citra_card.compared_elsewhere is None
    assert [t.holder_changed for t in citra_card.trend] == [False, True]
