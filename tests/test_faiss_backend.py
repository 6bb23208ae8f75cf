"""The FAISS backend's index kinds: exact, IVF and HNSW, saved and opened again."""

import numpy as np
import pytest

from govsearch.backends import create_backend
from govsearch.backends.faiss import FaissBackend, ivf_lists
from govsearch.errors import BadIndexError


def clustered(n: int, dim: int = 64, centres: int = 50, seed: int = 0) -> np.ndarray:
    """Unit vectors in tight clusters, like many towns' copies of one clause."""
    rng = np.random.default_rng(seed)
    c = rng.standard_normal((centres, dim)).astype(np.float32)
    v = c[rng.integers(0, centres, n)] + 0.15 * rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def exact_top(vectors: np.ndarray, q: np.ndarray, k: int, allowed=None) -> set[int]:
    rows = np.arange(len(vectors)) if allowed is None else allowed
    s = vectors[rows] @ q
    return set(rows[np.argsort(-s)[:k]].tolist())


def test_auto_is_exact_for_small_corpora_and_ivf_for_large():
    assert FaissBackend.choose_kind(10_000) == "flat"
    assert FaissBackend.choose_kind(1_000_000) == "ivf"
    assert FaissBackend.choose_kind(1_000_000, "hnsw") == "hnsw"
    assert create_backend("faiss", 8, 300_000).kind == "ivf"


def test_ivf_list_count_grows_with_the_square_root_of_the_corpus():
    assert ivf_lists(1_000_000) == 4096
    assert ivf_lists(250_000) == 2048
    assert ivf_lists(100) == 2  # never fewer than 39 vectors a list
    assert ivf_lists(10) == 1


def test_ivf_finds_nearly_all_true_neighbours_of_clustered_vectors(tmp_path):
    v = clustered(20_000)
    ivf = FaissBackend(v.shape[1], kind="ivf")
    ivf.add(v)
    assert ivf.describe()["lists"] == ivf_lists(20_000)
    queries = clustered(50, seed=1)
    recall = np.mean([len(set(ivf.search(q, 10)[0].tolist()) & exact_top(v, q, 10)) / 10 for q in queries])
    assert recall >= 0.95


def test_ivf_search_keeps_to_the_allowed_rows():
    v = clustered(5_000)
    ivf = FaissBackend(v.shape[1], kind="ivf")
    ivf.add(v)
    allowed = np.arange(0, 5_000, 3)
    rows, scores = ivf.search(v[7], 10, allowed)
    assert set(rows.tolist()) <= set(allowed.tolist())
    assert np.all(np.diff(scores) <= 1e-6)


def test_ivf_index_opens_again_with_its_settings_and_vectors(tmp_path):
    v = clustered(3_000)
    ivf = FaissBackend(v.shape[1], kind="ivf", nprobe=8)
    ivf.add(v)
    ivf.save(tmp_path)
    again = FaissBackend.load(tmp_path, ivf.describe())
    assert again.kind == "ivf" and again.nprobe == 8 and len(again) == 3_000
    np.testing.assert_allclose(again.vectors(np.array([5, 2_999])), v[[5, 2_999]])
    assert again.search(v[42], 1)[0].tolist() == ivf.search(v[42], 1)[0].tolist()


def test_an_ivf_index_that_gets_more_vectors_later_keeps_its_lists():
    v = clustered(4_000)
    ivf = FaissBackend(v.shape[1], kind="ivf")
    ivf.add(v[:3_000])
    lists = ivf.describe()["lists"]
    ivf.add(v[3_000:])
    assert len(ivf) == 4_000 and ivf.describe()["lists"] == lists
    assert 3_500 in ivf.search(v[3_500], 5)[0].tolist()


def test_an_empty_ivf_index_saves_as_an_empty_exact_one(tmp_path):
    ivf = FaissBackend(16, kind="ivf")
    assert len(ivf) == 0 and ivf.search(np.ones(16, np.float32), 5)[0].size == 0
    ivf.save(tmp_path)
    assert len(FaissBackend.load(tmp_path, ivf.describe())) == 0


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="flat, ivf, hnsw"):
        FaissBackend(8, kind="pq")


def test_a_damaged_file_names_the_rebuild(tmp_path):
    (tmp_path / "vectors.faiss").write_bytes(b"not an index")
    with pytest.raises(BadIndexError, match="--rebuild"):
        FaissBackend.load(tmp_path, {"kind": "ivf"})


@pytest.mark.parametrize("kind", ["flat", "ivf", "hnsw"])
@pytest.mark.parametrize("passing", [7, 4_000, 9_000])
def test_filtered_search_finds_the_best_allowed_rows_however_many_pass(kind, passing):
    v = clustered(12_000)
    backend = FaissBackend(v.shape[1], kind=kind)
    backend.add(v)
    allowed = np.sort(np.random.default_rng(2).choice(len(v), passing, replace=False))
    q = v[allowed[3]]
    rows, _ = backend.search(q, 5, allowed)
    assert set(rows.tolist()) <= set(allowed.tolist())
    assert allowed[3] in rows.tolist()
