"""The lexical index: BM25 built from token ids as bm25s builds it, and the token
cache that makes an update cut only the passages that changed."""

from __future__ import annotations

import numpy as np
import pytest
from fake_embedder import FakeEmbedder

from govsearch.index import CACHE_DIR, Index, build_index
from govsearch.lexical import LexicalIndex, Tokenizer
from govsearch.passages import LEXICAL, passage_texts
from govsearch.tokencache import TokenCache

QUERIES = ("飞线充电", "桥梁安全检测", "垃圾分类投放点", "钢便桥", "充电桩", "jiazhen")
TEXTS = [
    "一、整改落实情况 (一)安全隐患整治。 1.开展电动自行车充电安全检查。一是排查“飞线充电”隐患12处。",
    "一、整改落实情况 (一)安全隐患整治。 2.推进垃圾分类。一是设置分类投放点8个。",
    "一、整改落实情况 (一)基础设施。 1.完成桥梁安全检测。对辖区20座桥梁开展检测工作。",
    "甲镇新建充电桩30个,飞线充电隐患全部清零。",
    "。。。",
    "一、整改落实情况 (一)安全隐患整治。 2.推进垃圾分类。一是设置分类投放点8个。",
]


def _scores(lex: LexicalIndex) -> list[np.ndarray]:
    return [lex.scores(q) for q in QUERIES]


def test_bm25_from_token_ids_scores_as_bm25s_does():
    import bm25s

    tok = Tokenizer()
    reference = bm25s.BM25()
    reference.index(tok.tokens_many(TEXTS), show_progress=False)
    ours = LexicalIndex.build(TEXTS)
    for q in QUERIES:
        want = np.asarray(reference.get_scores(tok.tokens(q)), np.float32)
        np.testing.assert_array_equal(ours.scores(q), want)
    assert sum(ours.scores(q).max() > 0 for q in QUERIES) >= 4


def test_lexical_index_round_trip(tmp_path):
    lex = LexicalIndex.build(TEXTS)
    lex.save(tmp_path / "lexical")
    again = LexicalIndex.load(tmp_path / "lexical")
    for a, b in zip(_scores(lex), _scores(again)):
        np.testing.assert_array_equal(a, b)


def test_token_cache_cuts_only_new_passages_and_round_trips(tmp_path):
    calls: list[str] = []
    tok = Tokenizer()

    def cut(texts: list[str]) -> list[list[str]]:
        calls.extend(texts)
        return tok.tokens_many(texts)

    cache = TokenCache()
    first = LexicalIndex.build(TEXTS, cache=cache, cut=cut)
    assert sorted(calls) == sorted(set(TEXTS)) and cache.cut == len(set(TEXTS))
    cache.save(tmp_path)
    calls.clear()
    changed = TEXTS[:2] + ["乙街道新建钢便桥一座。"] + TEXTS[3:]
    cache = TokenCache.load(tmp_path)
    assert len(cache) == len(set(TEXTS))
    second = LexicalIndex.build(changed, cache=cache, cut=cut)
    assert calls == ["乙街道新建钢便桥一座。"] and cache.cut == 1
    assert len(cache) == len(set(changed))  # the passage that went is dropped
    for a, b in zip(_scores(second), _scores(LexicalIndex.build(changed))):
        np.testing.assert_array_equal(a, b)
    assert not np.array_equal(first.scores("钢便桥"), second.scores("钢便桥"))


def _lexical_passages(folder) -> list[str]:
    idx = Index.open(folder, embedder=FakeEmbedder())
    return passage_texts(list(idx.store), LEXICAL)


def test_changing_one_file_cuts_only_its_changed_passages(small_corpus, tmp_path):
    folder = tmp_path / "idx"
    first = build_index(small_corpus, folder, embedder=FakeEmbedder())
    before = _lexical_passages(folder)
    assert first.tokenised == len(set(before))
    f = small_corpus / "b-street.txt"
    f.write_text(f.read_text("utf-8") + "2.新建钢便桥一座,满足行人通行需要。\n", "utf-8")
    report = build_index(small_corpus, folder, embedder=FakeEmbedder())
    after = _lexical_passages(folder)
    assert report.tokenised == len(set(after) - set(before)) >= 1
    assert f"cut {report.tokenised} passages" in report.summary()

    scratch = tmp_path / "scratch"
    build_index(small_corpus, scratch, embedder=FakeEmbedder())
    a, b = Index.open(folder, embedder=FakeEmbedder()), Index.open(scratch, embedder=FakeEmbedder())
    for q in QUERIES:
        np.testing.assert_array_equal(a.lexical.scores(q), b.lexical.scores(q))
        assert [h.chunk.id for h in a.search(q, k=5)] == [h.chunk.id for h in b.search(q, k=5)]
    assert a.search("钢便桥", k=1, mode="lexical")[0].chunk.source == "b-street.txt"


def test_a_changed_user_dictionary_cuts_every_passage_again(small_corpus, tmp_path):
    folder = tmp_path / "idx"
    first = build_index(small_corpus, folder, embedder=FakeEmbedder())
    (small_corpus / "userdict.txt").write_text("安全检测\n", "utf-8")
    again = build_index(small_corpus, folder, embedder=FakeEmbedder())
    assert again.tokenised == first.tokenised > 0 and again.embedded == 0
    idx = Index.open(folder, embedder=FakeEmbedder())
    assert "安全检测" in idx.lexical.tokenizer.tokens("完成桥梁安全检测")
    assert idx.search("安全检测", k=1, mode="lexical")[0].chunk.source == "b-street.txt"


@pytest.mark.parametrize("victim", ["tokens.keys.npy", "tokens.offsets.npy", "tokens.ids.npy", "tokens.json"])
def test_a_damaged_token_cache_is_ignored_and_cut_again(small_corpus, tmp_path, victim, caplog):
    folder = tmp_path / "idx"
    first = build_index(small_corpus, folder, embedder=FakeEmbedder())
    want = [Index.open(folder, embedder=FakeEmbedder()).lexical.scores(q) for q in QUERIES]
    p = folder / CACHE_DIR / victim
    p.write_bytes(p.read_bytes()[: max(1, p.stat().st_size // 2)])
    again = build_index(small_corpus, folder, embedder=FakeEmbedder(), rebuild=True)
    assert again.tokenised == first.tokenised
    assert "token cache" in caplog.text
    got = [Index.open(folder, embedder=FakeEmbedder()).lexical.scores(q) for q in QUERIES]
    for a, b in zip(want, got):
        np.testing.assert_array_equal(a, b)
    assert TokenCache.load(folder / CACHE_DIR).cut == 0 and len(TokenCache.load(folder / CACHE_DIR)) > 0


def test_token_ids_out_of_the_vocabulary_are_refused(tmp_path):
    cache = TokenCache()
    LexicalIndex.build(TEXTS, cache=cache)
    cache.save(tmp_path)
    ids = np.load(tmp_path / "tokens.ids.npy")
    ids[0] = 10**6
    np.save(tmp_path / "tokens.ids.npy", ids)
    assert len(TokenCache.load(tmp_path)) == 0
