"""Narrow filters on approximate indexes: the few rows a filter lets through are scored exactly.

An HNSW walk under a filter that passes 0.5 % of the rows runs out of
candidates before it finds the true top 10 (benchmarks/RESULTS.md, "Milvus");
``VectorBackend.search_filtered`` reads those rows' vectors and scores them.
"""

from __future__ import annotations

import numpy as np
import pytest
from vector_data import clustered

from govsearch.backends.base import EXACT_ROWS, top_k
from govsearch.backends.faiss import EXACT_ROWS_IVF, FaissBackend
from govsearch.index import Index, build_index


def exact_top(v: np.ndarray, allowed: np.ndarray, q: np.ndarray, k: int) -> np.ndarray:
    s = v[allowed] @ q
    return allowed[np.lexsort((allowed, -s))[:k]]


@pytest.fixture(scope="module")
def hnsw() -> tuple[FaissBackend, np.ndarray]:
    v = clustered(20_000, 32)
    fb = FaissBackend(32, kind="hnsw")
    fb.add(v)
    return fb, v


def test_hnsw_with_a_narrow_filter_finds_the_exact_neighbours(hnsw):
    fb, v = hnsw
    rng = np.random.default_rng(1)
    allowed = np.sort(rng.choice(len(v), 100, replace=False))  # 0.5 % of the rows
    missed = 0
    for q in v[rng.choice(len(v), 20, replace=False)]:
        want = exact_top(v, allowed, q, 10)
        rows, scores = fb.search_filtered(q, 10, allowed)
        assert rows.tolist() == want.tolist()
        np.testing.assert_allclose(scores, v[want] @ q, rtol=1e-5)
        missed += len(set(want.tolist()) - set(fb.search(q, 10, allowed)[0].tolist()))
    assert missed > 20  # the graph walk alone misses many of them: what the exact scoring fixes


def test_only_filters_passing_few_rows_are_scored_exactly(hnsw, monkeypatch):
    fb, v = hnsw
    q = v[0]
    calls: list[str] = []
    monkeypatch.setattr(fb, "search_rows", lambda *a: calls.append("exact") or (np.zeros(0, np.int64), np.zeros(0)))
    monkeypatch.setattr(fb, "search", lambda *a, **kw: calls.append("index") or (np.zeros(0, np.int64), np.zeros(0)))
    fb.search_filtered(q, 10, np.arange(fb.exact_rows))
    fb.search_filtered(q, 10, np.arange(fb.exact_rows + 1))
    fb.search_filtered(q, 10, None)
    fb.search_filtered(q, 10, np.zeros(0, np.int64))
    assert calls == ["exact", "index", "index", "exact"]
    assert FaissBackend(8).exact_rows == FaissBackend(8, kind="hnsw").exact_rows == EXACT_ROWS > 0
    assert 0 < FaissBackend(8, kind="ivf").exact_rows == EXACT_ROWS_IVF < EXACT_ROWS  # IVF reads rows back slower


def test_exact_scoring_reads_large_filters_in_blocks(hnsw, monkeypatch):
    fb, v = hnsw
    sizes: list[int] = []
    read = fb.vectors
    monkeypatch.setattr(fb, "vectors", lambda rows: sizes.append(len(rows)) or read(rows))
    allowed = np.arange(0, len(v), 2)  # 10,000 rows
    rows, _ = fb.search_rows(v[3], 5, allowed)
    assert rows.tolist() == exact_top(v, allowed, v[3], 5).tolist()
    assert max(sizes) < len(allowed) and sum(sizes) == len(allowed)


def test_flat_index_gives_the_same_hits_either_way():
    v = clustered(3_000, 16, seed=2)
    fb = FaissBackend(16, kind="flat")
    fb.add(v)
    allowed = np.arange(5, 3_000, 7)
    for q in v[:5]:
        a, b = fb.search_filtered(q, 10, allowed), fb.search(q, 10, allowed)
        assert a[0].tolist() == b[0].tolist()
        np.testing.assert_allclose(a[1], b[1], rtol=1e-5)


def test_top_k_orders_by_score_then_row():
    rows = np.array([7, 3, 9, 1, 5])
    scores = np.array([0.5, 0.9, 0.5, 0.1, 0.9], np.float32)
    assert top_k(rows, scores, 3)[0].tolist() == [3, 5, 7]
    assert top_k(rows, scores, 10)[0].tolist() == [3, 5, 7, 9, 1]
    assert top_k(rows[:0], scores[:0], 3)[0].tolist() == []


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_index_searches_narrow_filters_exactly(small_corpus, tmp_path, embedder, monkeypatch, kind):
    build_index(small_corpus, tmp_path / "exact", embedder=embedder, kind="flat")
    build_index(small_corpus, tmp_path / kind, embedder=embedder, kind=kind)
    exact, approx = Index.open(tmp_path / "exact", embedder=embedder), Index.open(tmp_path / kind, embedder=embedder)
    assert approx.manifest.backend["kind"] == kind
    search = approx.vectors.search

    def unfiltered_only(query, k, allowed=None):
        assert allowed is None, "a filter passing a few rows went to the approximate index"
        return search(query, k)

    monkeypatch.setattr(approx.vectors, "search", unfiltered_only)
    filters = [{"town": "甲镇"}, {"date_from": "2025-01-01"}, {"doc_type": approx.doc_types[0]}]
    for f in filters:
        for mode in ("dense", "hybrid"):
            a, b = exact.search("充电安全", k=5, mode=mode, **f), approx.search("充电安全", k=5, mode=mode, **f)
            assert a and [h.chunk.id for h in a] == [h.chunk.id for h in b]
            np.testing.assert_allclose([h.score for h in a], [h.score for h in b], atol=1e-5)
    assert approx.search("充电安全", k=3, mode="dense")  # unfiltered: the index itself
    exact.close()
    approx.close()
