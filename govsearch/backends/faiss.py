"""FAISS: exact inner-product search by default, an inverted file (IVF) for large corpora.

Vectors are unit length, so inner product is cosine similarity. The index file
is FAISS's own binary format (no pickle); exact and IVF indexes are memory-mapped.

Above HNSW_ABOVE rows "auto" picks IVF, not HNSW: on the 1M-clause benchmark
(clusters of near-identical clauses, as when many towns publish the same
report), HNSW found 0.44 of the true top 10 for real questions at efSearch
512, IVF 0.996 at nprobe 64 in 1.5 ms, and it builds in 2 minutes instead of
16 (benchmarks/RESULTS.md). HNSW stays available as ``kind="hnsw"``.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

import faiss
import numpy as np

from ..errors import BadIndexError
from .base import EXACT_ROWS, VectorBackend

HNSW_ABOVE = 200_000  # rows above which "auto" picks an approximate index (IVF)
KINDS = ("flat", "ivf", "hnsw")
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 512  # recall@10 0.95 on real queries at 100k (0.74 at 128) for about 2 ms; benchmarks/RESULTS.md
IVF_NPROBE = 64  # lists searched per query: recall@10 0.996 (ties counted) at 1M, 1.5 ms; benchmarks/RESULTS.md
IVF_TRAIN_PER_LIST = 64  # training sample: 64 vectors per list (FAISS warns below 39)
BATCH_SELECTOR_MAX = 4096  # filters passing more rows than this are given to FAISS as a bitmap
EXACT_ROWS_IVF = 1_000
"""Filters passing at most this many rows of an IVF index are scored exactly: an IVF row is read back at
~0.65 µs (flat, HNSW ~0.25), at most ~0.6 ms more than IVF's own filtered search, which misses little
above ~750 rows passing (recall@10 0.81 at 200, 0.94 at 420, 0.98 at 750; benchmarks/RESULTS.md, "Milvus")."""
FILE = "vectors.faiss"


def ivf_lists(rows: int) -> int:
    """How many IVF lists for ``rows`` vectors: the power of two nearest 4·√rows
    (4,096 at 1M), at most one list per 39 rows."""
    target = 2 ** round(np.log2(max(4 * np.sqrt(max(rows, 1)), 1)))
    return int(max(1, min(target, rows // 39)))


class FaissBackend(VectorBackend):
    """Vectors in a FAISS index: ``flat`` (exact), ``ivf`` or ``hnsw`` (approximate).

    An IVF index learns its lists from the first vectors added (a build adds them all at once).
    """

    name = "faiss"

    def __init__(
        self, dim: int, kind: str = "flat", ef_search: int = HNSW_EF_SEARCH, nprobe: int = IVF_NPROBE
    ) -> None:
        if kind not in KINDS:
            raise ValueError(f"unknown FAISS index kind {kind!r}; choose {', '.join(KINDS)}")
        self.dim = dim
        self.kind = kind
        self.exact_rows = EXACT_ROWS_IVF if kind == "ivf" else EXACT_ROWS
        self.ef_search = ef_search
        self.nprobe = nprobe
        self._index: Any = None
        if kind == "flat":
            self._index = faiss.IndexFlatIP(dim)
        elif kind == "hnsw":
            self._index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            self._index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            self._index.hnsw.efSearch = ef_search

    @staticmethod
    def choose_kind(rows: int, kind: str = "auto") -> str:
        """``flat`` up to HNSW_ABOVE rows, ``ivf`` above, unless ``kind`` says otherwise."""
        if kind == "auto":
            return "ivf" if rows > HNSW_ABOVE else "flat"
        return kind

    def __len__(self) -> int:
        return 0 if self._index is None else int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        v = np.ascontiguousarray(vectors, dtype=np.float32)
        if v.ndim != 2 or v.shape[1] != self.dim:
            raise ValueError(f"vectors of shape {v.shape} do not fit a {self.dim}-dimensional index")
        if self._index is None:
            if len(v) == 0:
                return
            self._index = _trained_ivf(v)
        self._index.add(v)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(self)
        if n == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        params = bits = None
        if allowed is not None:
            k = min(k, len(allowed))
            if len(allowed) <= BATCH_SELECTOR_MAX:
                sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            else:  # one bit a row: 17% of 1M rows passing searched in 9 ms instead of 44 (hashing the ids)
                mask = np.zeros(n, bool)
                mask[allowed] = True
                bits = np.packbits(mask, bitorder="little")
                sel = faiss.IDSelectorBitmap(n, faiss.swig_ptr(bits))
            params = self._params(k, sel)
        elif self.kind != "flat":
            params = self._params(k)
        with _one_thread():
            scores, rows = self._index.search(q, min(k, n), params=params)
        del bits  # the bitmap the selector points into lives until here
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]

    def _params(self, k: int, sel: Any = None) -> Any:
        if self.kind == "hnsw":
            return faiss.SearchParametersHNSW(sel=sel, efSearch=max(self.ef_search, k))
        if self.kind == "ivf":
            return faiss.SearchParametersIVF(sel=sel, nprobe=self.nprobe)
        return faiss.SearchParameters(sel=sel)

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return np.zeros((0, self.dim), np.float32)
        with _one_thread():  # as for search: two threads waited on a busy core (10k rows 8 ms, one thread 2.8)
            return self._index.reconstruct_batch(rows)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._index is None:  # an IVF index that never got a vector
            self._index = faiss.IndexFlatIP(self.dim)
            self.kind = "flat"
        faiss.write_index(self._index, str(folder / FILE))

    @classmethod
    def load(cls, folder: Path, settings: dict[str, Any], **options: Any) -> "FaissBackend":
        path = folder / FILE
        try:
            flags = faiss.IO_FLAG_MMAP if settings.get("kind", "flat") in ("flat", "ivf") else 0
            index = faiss.read_index(str(path), flags)
        except Exception as e:  # FAISS raises RuntimeError on damaged files
            raise BadIndexError(
                f"{path}: unreadable FAISS index ({e}); rebuild it with `govsearch index CORPUS --index {folder.parent} --rebuild`"
            ) from e
        self = cls.__new__(cls)
        self.dim = int(index.d)
        self.kind = settings.get("kind", "flat")
        self.exact_rows = EXACT_ROWS_IVF if self.kind == "ivf" else EXACT_ROWS
        self.ef_search = int(settings.get("ef_search", HNSW_EF_SEARCH))
        self.nprobe = int(settings.get("nprobe", IVF_NPROBE))
        self._index = index
        if settings.get("dim") not in (None, self.dim):
            raise BadIndexError(f"{path}: holds {self.dim}-dimensional vectors, the manifest says {settings['dim']}")
        return self

    def describe(self) -> dict[str, Any]:
        out = {"name": self.name, "kind": self.kind, "dim": self.dim}
        if self.kind == "hnsw":
            out["ef_search"] = self.ef_search
        elif self.kind == "ivf":
            out |= {"lists": int(self._index.nlist) if self._index is not None else 0, "nprobe": self.nprobe}
        return out


def _trained_ivf(vectors: np.ndarray) -> Any:
    """An empty IVF index whose lists are k-means centroids of (a sample of) ``vectors``."""
    lists = ivf_lists(len(vectors))
    index = faiss.IndexIVFFlat(faiss.IndexFlatIP(vectors.shape[1]), vectors.shape[1], lists, faiss.METRIC_INNER_PRODUCT)
    sample = vectors
    if len(vectors) > IVF_TRAIN_PER_LIST * lists:
        pick = np.random.default_rng(0).choice(len(vectors), IVF_TRAIN_PER_LIST * lists, replace=False)
        sample = vectors[np.sort(pick)]
    index.train(sample)
    index.make_direct_map()  # vectors(rows) reads stored vectors back by row id
    return index


@contextlib.contextmanager
def _one_thread() -> Iterator[None]:
    """Search one query on one OpenMP thread: splitting a single query over threads cost more
    than it saved (100k flat on 2 shared cores: 32 ms on 2 threads, 9.5 ms on 1; benchmarks/RESULTS.md)."""
    n = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(1)
    try:
        yield
    finally:
        faiss.omp_set_num_threads(n)
