"""Questionnaire files: the shipped ones load, broken ones are refused by name, pinning is exact."""
from __future__ import annotations

import copy
import shutil
from pathlib import Path

import pytest

from survey_app import create_app
from survey_app.domain import questionnaires as q
from survey_app.extensions import db
from survey_app.models import PinnedQuestionnaire
from tests import factories

SHIPPED = Path(__file__).resolve().parents[1] / "questionnaires"


def test_the_regulation_questionnaire_has_nine_elements_u1_to_u9_with_its_labels():
    content = q.get("skm-permenpan-14-2017")
    assert [e["code"] for e in content["elements"]] == [f"U{i}" for i in range(1, 10)]
    assert [i.code for i in q.items(content)] == [f"U{i}" for i in range(1, 10)]
    by_code = {e["code"]: e for e in content["elements"]}
    assert by_code["U1"]["name"]["id"] == "Persyaratan"
    assert by_code["U9"]["name"]["id"] == "Penanganan Pengaduan, Saran dan Masukan"
    assert by_code["U1"]["items"][0]["labels"]["id"] == [
        "Tidak sesuai", "Kurang sesuai", "Sesuai", "Sangat sesuai"]
    assert by_code["U4"]["items"][0]["labels"]["id"] == [
        "Sangat mahal", "Cukup mahal", "Murah", "Gratis"]
    assert by_code["U9"]["items"][0]["labels"]["id"] == [
        "Tidak ada", "Ada tetapi tidak berfungsi", "Berfungsi kurang maksimal",
        "Dikelola dengan baik"]
    # each element weighs exactly 1/9 (not 0.11 or 0.111)
    assert all(w == 1 / 9 for w in q.element_weights(content).values())


def test_the_community_leaders_questionnaire_has_weighted_elements_and_an_optional_item():
    content = q.get("skm-tokoh-masyarakat-2026")
    weights = q.element_weights(content)
    assert sum(weights.values()) == pytest.approx(1.0)
    assert weights["K1"] == weights["K5"] == 1.5 / 8 and weights["K2"] == 1 / 8
    assert [i.code for i in q.items(content) if not i.required] == ["K4.1"]
    assert content["comment"] is True


def _write(directory: Path, name: str, content: str) -> Path:
    path = directory / name
    path.write_text(content, encoding="utf-8")
    return path


MINIMAL = """
key = "mini"
version = "1"
title = { id = "Mini", en = "Mini" }
[[elements]]
code = "A"
name = { id = "A", en = "A" }
[[elements.items]]
code = "A1"
question = { id = "Tanya?", en = "Ask?" }
labels.id = ["1", "2", "3", "4"]
labels.en = ["1", "2", "3", "4"]
"""


@pytest.mark.parametrize("change, message", [
    (lambda t: t.replace('key = "mini"\n', ""), "'key' must be a non-empty text"),
    (lambda t: t.replace('labels.id = ["1", "2", "3", "4"]', 'labels.id = ["1", "2", "3"]'),
     "item A1.labels.id must list 4 non-empty labels"),
    (lambda t: t.replace('code = "A1"', 'code = "A1"\nrequird = false'),
     "item A1 has unknown field(s) requird"),
    (lambda t: t.replace('name = { id = "A", en = "A" }',
                         'name = { id = "A", en = "A" }\nweight = 0'),
     "element A.weight must be a number above 0"),
    (lambda t: t.replace('question = { id = "Tanya?", en = "Ask?" }',
                         'question = { id = "Tanya?" }'),
     "item A1.question must have exactly the languages id and en"),
    (lambda t: t + '[[elements.items]]\ncode = "A1"\nquestion = { id = "x", en = "x" }\n'
                   'labels.id = ["1", "2", "3", "4"]\nlabels.en = ["1", "2", "3", "4"]\n',
     "item A1: item codes must be unique"),
    (lambda t: t.replace("[[elements]]", "elements = 3\n[[other]]", 1), "not a valid TOML file"),
    (lambda t: t.replace('key = "mini"', 'key = "other"'), "must be named other.toml"),
])
def test_a_broken_file_is_refused_naming_the_file_and_the_field(tmp_path, change, message):
    _write(tmp_path, "mini.toml", change(MINIMAL))
    with pytest.raises(q.QuestionnaireError) as caught:
        q.load_all(tmp_path)
    assert str(caught.value).startswith("mini.toml: ")
    assert message in str(caught.value)


def test_the_app_will_not_start_on_a_broken_questionnaire(tmp_path):
    directory = tmp_path / "q"
    shutil.copytree(SHIPPED, directory)
    _write(directory, "mini.toml", MINIMAL.replace('labels.en = ["1", "2", "3", "4"]', ""))
    with pytest.raises(q.QuestionnaireError, match=r"mini.toml: item A1.labels"):
        create_app({"SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                    "QUESTIONNAIRE_DIR": str(directory)})


def test_the_highest_version_of_a_key_is_the_one_offered(tmp_path):
    _write(tmp_path, "mini.toml", MINIMAL)
    _write(tmp_path, "mini-v2.toml", MINIMAL.replace('version = "1"', 'version = "2"'))
    assert q.get("mini", tmp_path)["version"] == "2"
    with pytest.raises(q.QuestionnaireError, match="Unknown questionnaire 'nope' .available: mini"):
        q.get("nope", tmp_path)


def test_pinning_stores_an_exact_copy_once_and_a_changed_file_gets_a_new_copy(ctx, tmp_path):
    path = _write(tmp_path, "mini.toml", MINIMAL)
    first = q.pin("mini", tmp_path)
    assert q.pin("mini", tmp_path).id == first.id  # the same content is pinned once
    path.write_text(MINIMAL.replace("Tanya?", "Tanya lain?"), encoding="utf-8")
    second = q.pin("mini", tmp_path)
    db.session.commit()
    assert second.id != first.id and second.content_hash != first.content_hash
    db.session.expire_all()
    kept = db.session.get(PinnedQuestionnaire, first.id)
    assert kept.content["elements"][0]["items"][0]["question"]["id"] == "Tanya?"
    assert kept.content_hash == q.content_hash(kept.content)


def test_validate_normalises_defaults():
    raw = copy.deepcopy(factories.questionnaire_content())
    for element in raw["elements"]:
        del element["weight"]
        for item in element["items"]:
            del item["required"]
    del raw["comment"]
    content = q.validate(raw)
    assert content["comment"] is True
    assert all(e["weight"] == 1.0 for e in content["elements"])
    assert all(i.required for i in q.items(content))


def test_demo_command_builds_the_small_demo_and_prints_the_logins(runner, ctx):
    result = runner.invoke(args=["skm", "demo", "--seed", "2"])
    assert result.exit_code == 0, result.output
    assert "koordinator@demo.skm.id" in result.output and "/s/" in result.output
    pinned = db.session.scalars(db.select(PinnedQuestionnaire)).all()
    assert [p.key for p in pinned] == ["skm-tokoh-masyarakat-2026"]
    again = runner.invoke(args=["skm", "demo", "--if-empty"])
    assert again.exit_code == 0 and "data demo tidak dimuat lagi" in again.output
