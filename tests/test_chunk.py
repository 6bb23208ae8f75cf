"""Chunks: exact spans, stable ids, splitting long clauses, copies linked, gold quotes covered."""

from __future__ import annotations

import json

import pytest

from govsearch.chunk import chunk_corpus, chunk_document, chunk_id
from govsearch.load import load_corpus
from govsearch.metadata import infer_metadata
from govsearch.parse import parse
from govsearch.schema import Document

EXCERPT = "excerpt-untitled.txt"
SANXIANG = "sanxiang-2025-09-12-xuncha-zhenggai.txt"


@pytest.fixture(scope="module")
def corpus(corpus_dir):
    docs = load_corpus(corpus_dir).documents
    return {d.source: d for d in docs}, chunk_corpus(docs)


def test_every_chunk_span_is_exact(corpus):
    docs, chunks = corpus
    assert {c.source for c in chunks} == set(docs)
    for c in chunks:
        assert docs[c.source].text[c.start : c.end] == c.text
        assert len(c.text) <= 400


def test_chunk_carries_clause_and_metadata(corpus):
    _, chunks = corpus
    c = next(c for c in chunks if "累计查出“飞线充电”隐患64处" in c.text)
    assert c.clause == ("二、", "(二)", "7.", "(19)", "一是")
    assert c.town == "三乡镇" and c.date == "2025-09-12" and c.doc_type == "巡察整改进展通报"
    assert c.heading[-1] == "做好水井安全防护,规范居民楼出租屋充电管理,全力保障群众安全"
    assert c.page is None


def test_ids_are_stable_and_unique(corpus_dir, corpus):
    _, chunks = corpus
    again = chunk_corpus(load_corpus(corpus_dir).documents)
    assert [c.id for c in chunks] == [c.id for c in again]
    assert len({c.id for c in chunks}) == len(chunks)
    c = chunks[0]
    assert c.id == chunk_id(c.source, c.start, c.end, c.text)


def test_long_clause_is_split_at_sentence_ends():
    body = "".join(f"第{i}句话说明整改措施落实到位。" for i in range(60))
    text = f"一、情况\n(一)标题。{body}\n"
    doc = Document(source="long.txt", text=text, metadata=infer_metadata(text))
    chunks = chunk_document(doc, max_chars=120)
    pieces = [c for c in chunks if c.clause == ("一、", "(一)")]
    assert len(pieces) > 3
    for c in pieces:
        assert doc.text[c.start : c.end] == c.text and len(c.text) <= 120
        assert c.text.endswith("。")
    assert pieces[1].heading == ("情况", "标题")  # later pieces carry the clause's own heading
    assert "".join(c.text for c in pieces) == text[pieces[0].start : pieces[-1].end]


def test_document_without_numbering_gives_paragraph_chunks():
    text = "第一段说明情况。\n\n第二段介绍做法。\n第三段谈下一步。\n"
    doc = Document(source="plain.txt", text=text, metadata=infer_metadata(text))
    chunks = chunk_document(doc)
    assert [c.text for c in chunks] == ["第一段说明情况。", "第二段介绍做法。", "第三段谈下一步。"]
    assert all(c.clause == () for c in chunks)


def test_excerpt_is_linked_to_the_sanxiang_report(corpus):
    docs, chunks = corpus
    assert docs[EXCERPT].metadata.duplicate_of == SANXIANG
    ids = {c.id: c for c in chunks}
    excerpt = [c for c in chunks if c.source == EXCERPT]
    assert excerpt and all(c.town == "三乡镇" for c in excerpt)
    assert all(c.duplicate_of is not None for c in excerpt)
    for c in excerpt:
        original = ids[c.duplicate_of]
        assert original.source == SANXIANG and original.duplicate_of is None
    # identical short headings in different reports are not copies
    assert not any(c.duplicate_of for c in chunks if c.source != EXCERPT)


def test_every_gold_quote_is_inside_a_chunk(corpus, eval_file):
    docs, chunks = corpus
    by_source: dict[str, list] = {}
    for c in chunks:
        by_source.setdefault(c.source, []).append(c)
    for line in eval_file.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        for gold in q["gold"]:
            text = docs[gold["file"]].text
            s = text.find(gold["quote"])
            assert s >= 0, (q["id"], gold)
            e = s + len(gold["quote"])
            best = max(min(e, c.end) - max(s, c.start) for c in by_source[gold["file"]])
            assert best >= (e - s) / 2, (q["id"], gold["quote"])


def test_clause_list_can_be_passed_in(corpus_dir):
    doc = load_corpus(corpus_dir).documents[0]
    assert chunk_document(doc, parse(doc)) == chunk_document(doc)
