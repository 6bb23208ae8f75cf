"""English questions over Chinese documents: the glossary that carries their words across."""

from __future__ import annotations

import json

import pytest

from govsearch.errors import BadIndexError
from govsearch.index import GLOSSARY_JSON, Index, build_index
from govsearch.translate import Glossary, is_english

VOCABULARY = ["黄皮", "无核", "工作组", "届中分析", "两委", "飞线充电", "充电", "村民", "种植"]


@pytest.fixture(scope="module")
def glossary() -> Glossary:
    return Glossary.build(VOCABULARY)


def test_english_phrases_become_the_corpus_words_for_them(glossary):
    found = {t.phrase: t.terms for t in glossary.translate("How many seedless wampee trees were planted?")}
    assert found["wampee"] == ("黄皮",)  # CC-CEDICT: 黄皮 /wampee (Clausena lansium)/
    assert found["seedless"] == ("无核",)
    assert "种植" in found["planted"]  # matched by stem: planted, plant, plants


def test_governance_terms_come_from_the_glossary(glossary):
    found = {t.phrase: t.terms for t in glossary.translate("working groups for the mid-term review of village committees")}
    assert found["working groups"] == ("工作组",)  # one phrase, not "working" and "groups"
    assert found["mid term review"] == ("届中分析",)
    assert "两委" in found["village committees"]
    assert "飞线充电" in glossary.translate("flying-wire charging")[0].terms


def test_only_words_of_the_corpus_are_kept():
    small = Glossary.build(["黄皮"])
    assert [t.terms for t in small.translate("wampee and seedless")] == [("黄皮",)]
    assert Glossary.build([]).translate("wampee") == []


def test_what_counts_as_an_english_question():
    assert is_english("How many wampee trees in Maowan?")
    assert not is_english("三乡镇排查出多少处飞线充电隐患")
    assert not is_english("飞线充电 e-bike 隐患排查")  # mostly Chinese: searched as it is
    assert not is_english("2025")


def test_a_glossary_is_plain_json_and_a_damaged_one_is_refused(glossary, tmp_path):
    path = tmp_path / "glossary.json"
    glossary.save(path)
    assert Glossary.load(path).entries == glossary.entries
    path.write_text(json.dumps({"wampee": "not a list"}), "utf-8")
    with pytest.raises(ValueError):
        Glossary.load(path)


def test_an_english_question_finds_the_chinese_clause(index):
    hits = index.search("How many seedless wampee trees were planted in Maowan village?", k=3)
    assert any("无核黄皮770株" in h.chunk.text for h in hits)


def test_the_corpus_folder_can_add_glossary_lines(small_corpus, tmp_path):
    (small_corpus / "glossary.tsv").write_text("sorting stations|drop-off points\t投放点\n", "utf-8")
    idx = Index.open(build_index(small_corpus, tmp_path / "idx").index)
    assert idx.glossary.translate("drop-off points")[0].terms == ("投放点",)
    assert "投放点" in idx.search("How many drop-off points were set up?", k=1, mode="lexical")[0].chunk.text


def test_an_index_built_before_the_glossary_gets_one_on_the_next_build(small_corpus, tmp_path):
    folder = tmp_path / "idx"
    build_index(small_corpus, folder)
    (folder / GLOSSARY_JSON).unlink()
    assert len(Index.open(folder).glossary) == 0  # still opens and searches
    assert not build_index(small_corpus, folder).up_to_date
    assert len(Index.open(folder).glossary) > 0


def test_a_damaged_glossary_names_the_rebuild(small_corpus, tmp_path):
    folder = tmp_path / "idx"
    build_index(small_corpus, folder)
    (folder / GLOSSARY_JSON).write_text("{not json", "utf-8")
    with pytest.raises(BadIndexError, match="govsearch index"):
        Index.open(folder)
