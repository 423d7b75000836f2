"""The results document's JSON shape, written out key by key (issue 22): a test that checks a
document against it fails when a key is dropped, renamed, moved or added unannounced; and the
typed document must survive its own JSON (to_dict, then parse) unchanged."""
from __future__ import annotations

import json

from survey_app.domain.results_model import ResultsDocument, parse_document

DOCUMENT_KEYS = ["round", "state", "method_version", "reference_day", "settings", "positions",
                 "earlier_holders"]  # and "publication" on a published round's document
SETTINGS_KEYS = ["group_weights", "min_group", "deadline_days", "survey_weight",
                 "complaint_weight", "min_in_time_rate", "failing_grades", "min_complaints",
                 "questionnaire"]
COMPLAINT_KEYS = ["received", "rejected", "resolved", "resolved_in_time", "in_time_rate",
                  "median_days_to_resolve", "median_hours_to_first_response", "open_overdue",
                  "deadline_days", "min_complaints", "enough_to_judge", "as_of", "final"]
IDENTITY_AND_SURVEY = [
    "position_id", "position", "tier", "area_code", "area_name", "unit_code", "unit_name",
    "kota_code", "kecamatan_code", "official", "invited", "respondents", "response_rate",
    "required_sample", "meets_required_sample", "elements", "items", "groups", "groups_left_out",
    "weights_used", "min_group", "index", "ikm", "grade", "category", "ci95", "index_variance",
    "complaints"]
HOLDER_PART = ["post_complaints", "holder_part"]  # only on a holder's part of a post
OFFICIAL_COMPLAINTS = ["official_complaints"]  # only for an official with several posts
JUDGMENT = ["failed", "failed_because", "composite", "composite_basis"]
OFFICIAL_JUDGMENT = ["official_failed", "official_failed_because"]  # only with an official
DOCUMENT_PART = ["grade_bounds", "previous_round", "previous_ikm", "compared_with", "change",
                 "change_p_value", "change_significant", "trend", "rank", "peers",
                 "failed_rounds_in_a_row", "sanction_level"]
REASON_KEYS = {"grade": ["rule", "grade", "ikm", "failing_grades", "position", "area_name"],
               "in_time_rate": ["rule", "rate", "minimum", "complaints", "posts", "position",
                                "area_name"]}


def base_entry_keys(entry: dict) -> list[str]:
    return (IDENTITY_AND_SURVEY + (HOLDER_PART if entry.get("holder_part") else [])
            + (OFFICIAL_COMPLAINTS if "official_complaints" in entry else []) + JUDGMENT
            + (OFFICIAL_JUDGMENT if entry["official"] is not None else []))


def check_reason(reason: dict) -> None:
    expected = REASON_KEYS[reason["rule"]]
    if reason["rule"] == "in_time_rate" and "position" not in reason:
        expected = expected[:-2]  # over several posts: no one post to name
    assert list(reason) == expected


def check_base_entry(entry: dict) -> None:
    assert list(entry)[:len(base_entry_keys(entry))] == base_entry_keys(entry)
    for key in ("complaints", "post_complaints"):
        if entry.get(key) is not None:
            assert list(entry[key]) == COMPLAINT_KEYS
    if "official_complaints" in entry:
        assert list(entry["official_complaints"]) == COMPLAINT_KEYS + ["posts"]
    for reason in entry["failed_because"] + entry.get("official_failed_because", []):
        check_reason(reason)


def check_document(document: ResultsDocument) -> dict:
    """The document's JSON has today's keys in today's order, and survives a JSON round trip
    into the types and back unchanged. Returns the JSON form."""
    raw = document.to_dict()
    assert list(raw) == DOCUMENT_KEYS + (["publication"] if document.publication else [])
    assert list(raw["settings"]) == SETTINGS_KEYS
    for entry in raw["positions"]:
        check_base_entry(entry)
        assert list(entry) == base_entry_keys(entry) + DOCUMENT_PART
        assert list(entry["grade_bounds"]) == ["A", "B", "C"]
        for point in entry["trend"]:
            assert list(point) == ["round", "ikm", "official", "holder_changed"]
        if entry["compared_with"] is not None:
            assert list(entry["compared_with"]) == ["round", "position", "area_name",
                                                    "unit_name", "same_post"]
    for entry in raw["earlier_holders"]:
        check_base_entry(entry)
        assert list(entry) == base_entry_keys(entry)
    stored = json.loads(json.dumps(raw))
    assert parse_document(stored) == document
    assert parse_document(stored).to_dict() == raw
    return raw


def document_of(round_, now=None) -> dict:
    """results.results_document, checked by check_document, as JSON."""
    from survey_app.domain import results

    return check_document(results.results_document(round_, now))
