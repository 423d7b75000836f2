"""The results document as types (issue 22): required fields, strict reading of what is stored,
the one upgrade of older publications, and stale snapshots computed anew."""
from __future__ import annotations

import copy
import dataclasses
from datetime import UTC, date, datetime

import pytest

from survey_app.domain import results
from survey_app.domain.published import upgrade_published
from survey_app.domain.results_model import (
    PositionEntry,
    PositionResult,
    StoredDocumentError,
    forget_read,
    parse_base,
    parse_document,
    to_dict,
)
from survey_app.extensions import db
from survey_app.models import ResultSnapshot
from tests import factories
from tests.results_shape import DOCUMENT_PART, check_document

U = [f"U{i}" for i in range(1, 10)]
JUDGED = datetime(2027, 4, 7, 17, tzinfo=UTC)  # 2027-Q1's complaints final: snapshots stored


@pytest.fixture
def round_(ctx):
    """A closed round with two lurah: one held by Siti (three forms, all 3: IKM 75, grade C, a
    failed round) and one vacant with no forms."""
    areas = factories.small_tree()
    round_ = factories.round_("2027-Q1", state="closed", opens=datetime(2027, 3, 1, tzinfo=UTC),
                              closes=datetime(2027, 3, 31, tzinfo=UTC),
                              questionnaire=factories.regulation_questionnaire())
    lurah = factories.position("lurah", areas["3171010001"])
    factories.appoint(factories.official("196001011990011001", "Siti"), lurah, date(2020, 1, 1))
    vacant = factories.position("lurah", areas["3171010002"])
    for _ in range(3):
        factories.response(round_, lurah, "rt", {c: 3 for c in U})
        factories.response(round_, vacant, "rt", {c: 4 for c in U})
    db.session.flush()
    return round_


def test_the_document_keeps_its_keys_and_survives_its_own_json(round_):
    raw = check_document(results.results_document(round_, JUDGED))
    siti, vacant = raw["positions"]
    assert siti["official"]["name"] == "Siti" and siti["failed"] is True
    assert siti["official_failed_because"] == siti["failed_because"] == [
        {"rule": "grade", "grade": "C", "ikm": 75.0, "failing_grades": "CD", "position": "lurah",
         "area_name": siti["area_name"]}]
    # a post nobody holds has no official to judge: those keys are not written
    assert vacant["official"] is None and "official_failed" not in vacant


def test_an_entry_cannot_be_built_without_a_figure(round_):
    entry = results.results_document(round_, JUDGED).positions[0]
    values = {f.name: getattr(entry, f.name) for f in dataclasses.fields(PositionEntry)}
    del values["ikm"]
    with pytest.raises(TypeError, match="ikm"):
        PositionEntry(**values)
    base = {f.name: getattr(entry, f.name) for f in dataclasses.fields(PositionResult)}
    del base["complaints"]
    with pytest.raises(TypeError, match="complaints"):
        PositionResult(**base)
    with pytest.raises(dataclasses.FrozenInstanceError):
        entry.ikm = 100.0


def test_a_stored_document_missing_or_adding_a_key_is_refused_by_name(round_):
    raw = results.results_document(round_, JUDGED).to_dict()
    for key in ("ikm", "trend", "grade_bounds", "official_failed"):
        broken = copy.deepcopy(raw)
        del broken["positions"][0][key]
        with pytest.raises(StoredDocumentError, match=f"positions\\[0\\]: the key '{key}' is"):
            parse_document(broken)
    broken = copy.deepcopy(raw)
    del broken["positions"][0]["complaints"]["enough_to_judge"]
    with pytest.raises(StoredDocumentError, match="complaints: the key 'enough_to_judge'"):
        parse_document(broken)
    broken = copy.deepcopy(raw)
    broken["positions"][0]["made_up"] = 1
    with pytest.raises(StoredDocumentError, match="unknown key 'made_up'"):
        parse_document(broken)
    broken = copy.deepcopy(raw)
    del broken["settings"]["min_group"]
    with pytest.raises(StoredDocumentError, match="settings: the key 'min_group'"):
        parse_document(broken)


def test_a_method_5_publication_without_the_ladder_reasons_reads_them_as_none_given(round_):
    """Documents published before failed_because existed (method version 5 all the same): read
    as no reasons given, as every reader took them; an older method version is refused with the
    key it lacks (publications are never recomputed: re-publish such a round)."""
    document = results.results_document(round_, JUDGED)
    raw = document.to_dict()
    for entry in raw["positions"] + raw["earlier_holders"]:
        entry.pop("failed_because")
        entry.pop("official_failed_because", None)
    upgraded = parse_document(upgrade_published(raw, "5"))
    siti = upgraded.positions[0]
    assert siti.failed_because == () and siti.official_failed_because == ()
    assert dataclasses.replace(siti, failed_because=document.positions[0].failed_because,
                               official_failed_because=document.positions[0].failed_because) \
        == document.positions[0]
    assert "official_failed_because" not in to_dict(upgraded.positions[1])  # vacant: never
    base = results.compute_base(round_, JUDGED).to_dict()
    for entry in base["positions"]:
        entry.pop("failed_because")
    assert parse_base(upgrade_published(base, "5")).positions[1].failed_because == ()
    with pytest.raises(StoredDocumentError, match="the key 'failed_because' is missing"):
        parse_document(upgrade_published(raw, "4"))


def test_a_stored_snapshot_of_an_older_shape_is_computed_anew(round_):
    first = results.base_results(round_, JUDGED)
    db.session.commit()
    stored = db.session.get(ResultSnapshot, round_.id)
    assert stored.document == first.to_dict()
    assert results.base_results(round_, JUDGED) == first  # read back from the snapshot
    old = copy.deepcopy(stored.document)
    for entry in old["positions"]:
        entry.pop("failed_because")
    stored.document = old
    db.session.commit()
    forget_read()  # an older shape is met by a new version of the code: a new process
    assert results.base_results(round_, JUDGED) == first
    db.session.commit()
    assert db.session.get(ResultSnapshot, round_.id).document == first.to_dict()


def test_the_document_part_is_what_build_document_adds(round_):
    base = results.compute_base(round_, JUDGED)
    document = results.build_document(round_, base, JUDGED)
    raw = document.to_dict()
    for entry, base_entry in zip(raw["positions"], base.to_dict()["positions"], strict=True):
        assert list(entry) == list(base_entry) + DOCUMENT_PART
        assert {k: entry[k] for k in base_entry} == base_entry
