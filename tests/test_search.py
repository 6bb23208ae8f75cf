"""Searching the corpus index: hits, filters, one hit per clause, bad queries."""

from __future__ import annotations

import pytest

from govsearch.errors import QueryError


def test_hit_carries_everything_needed_to_cite_it(index, corpus_dir):
    hit = index.search("三乡镇累计查出多少处飞线充电隐患", k=5)[0]
    c = hit.chunk
    assert c.source == "sanxiang-2025-09-12-xuncha-zhenggai.txt"
    assert "飞线充电" in c.text
    text = (corpus_dir / c.source).read_text("utf-8")
    assert text[c.start : c.end] == c.text
    assert c.town == "三乡镇" and c.date == "2025-09-12" and c.clause and c.heading
    d = hit.to_dict()
    assert list(d)[:10] == ["source", "start", "end", "clause", "heading", "town", "date", "title", "doc_type", "page"]
    assert "三乡镇" in hit.citation and " ".join(c.clause) in hit.citation


def test_town_filter_keeps_only_that_town(index):
    hits = index.search("垃圾分类", k=10, town="民众街道")
    assert hits and {h.chunk.town for h in hits} == {"民众街道"}
    assert {h.chunk.town for h in index.search("垃圾分类", k=10, town="三乡")} == {"三乡镇"}


def test_date_and_type_filters(index):
    assert all(h.chunk.date >= "2025-05-01" for h in index.search("整改", k=10, date_from="2025-05-01"))
    assert index.search("整改", k=5, date_from="2030-01-01") == []
    assert index.search("整改", k=5, town="不存在镇") == []
    with pytest.raises(QueryError, match="date"):
        index.search("整改", date_from="last week")


def test_source_filter(index):
    hits = index.search("黄皮", k=5, source="excerpt-untitled.txt")
    assert hits and all(h.chunk.source == "excerpt-untitled.txt" for h in hits)


def test_a_clause_copied_into_two_files_is_one_hit(index):
    hits = index.search("茅湾村引进和种植郁南无核黄皮", k=10)
    texts = [h.chunk.text for h in hits]
    assert len(texts) == len(set(texts))
    top = [h for h in hits if "770株" in h.chunk.text][0]
    assert top.chunk.source.startswith("sanxiang") and "excerpt-untitled.txt" in top.also_in


@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_every_mode_finds_the_bridge(index, mode):
    hits = index.search("孖宝钢便桥", k=5, mode=mode)
    assert any("便桥" in h.chunk.text for h in hits)


def test_english_and_traditional_queries_find_chinese_text(index):
    en = index.search("How many illegal flying-wire e-bike charging hazards were found?", k=5)
    assert any("飞线充电" in h.chunk.text for h in en)
    tw = index.search("飛線充電隱患", k=3)
    assert any("飞线充电" in h.chunk.text for h in tw)


@pytest.mark.parametrize("q", ["", "   ", "？！。，", "..."])
def test_empty_queries_are_refused_clearly(index, q):
    with pytest.raises(QueryError, match="empty"):
        index.search(q)


@pytest.mark.parametrize("q", ["飞线充电" * 25_000, "🚲⚡️ 充电 🔥", "<script>alert(1)</script> 垃圾分类", "DROP TABLE; 强村公司 OR 1=1"])
def test_odd_queries_still_answer(index, q):
    hits = index.search(q, k=3)
    assert len(hits) <= 3


def test_traditional_document_is_found_by_a_simplified_query(tmp_path, embedder):
    from govsearch.index import build_index, Index

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "tw.txt").write_text(
        "一、安全整治\n(一)開展電動自行車「飛線充電」隱患排查，共查出隱患12處。\n(二)推進垃圾分類工作。\n", "utf-8"
    )
    build_index(corpus, tmp_path / "idx", embedder=embedder)
    idx = Index.open(tmp_path / "idx", embedder=embedder)
    for mode in ("lexical", "dense", "hybrid"):
        top = idx.search("飞线充电隐患", k=1, mode=mode)[0]
        assert "飛線充電" in top.chunk.text  # the document's own characters are kept
    assert idx.search("ＦＥＩ 飞线充电１２处", k=1)[0].chunk.text.startswith("(一)")  # full-width folded
