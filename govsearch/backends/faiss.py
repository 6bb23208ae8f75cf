"""FAISS: exact inner-product search by default, HNSW for large corpora.

Vectors are unit length, so inner product is cosine similarity. The index file
is FAISS's own binary format (no pickle); an exact index is memory-mapped.
"""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any, Iterator

import faiss
import numpy as np

from ..errors import BadIndexError
from .base import VectorBackend

HNSW_ABOVE = 200_000  # rows above which "auto" picks an approximate index
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 512  # recall@10 0.95 on real queries at 100k (0.74 at 128) for about 2 ms; benchmarks/RESULTS.md
FILE = "vectors.faiss"


class FaissBackend(VectorBackend):
    """Vectors in a FAISS index: ``flat`` (exact) or ``hnsw`` (approximate)."""

    name = "faiss"

    def __init__(self, dim: int, kind: str = "flat", ef_search: int = HNSW_EF_SEARCH) -> None:
        if kind not in ("flat", "hnsw"):
            raise ValueError(f"unknown FAISS index kind {kind!r}; choose flat or hnsw")
        self.dim = dim
        self.kind = kind
        self.ef_search = ef_search
        if kind == "flat":
            self._index = faiss.IndexFlatIP(dim)
        else:
            self._index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            self._index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            self._index.hnsw.efSearch = ef_search

    @staticmethod
    def choose_kind(rows: int, kind: str = "auto") -> str:
        """``flat`` up to HNSW_ABOVE rows, ``hnsw`` above, unless ``kind`` says otherwise."""
        if kind == "auto":
            return "hnsw" if rows > HNSW_ABOVE else "flat"
        return kind

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, vectors: np.ndarray) -> None:
        v = np.ascontiguousarray(vectors, dtype=np.float32)
        if v.ndim != 2 or v.shape[1] != self.dim:
            raise ValueError(f"vectors of shape {v.shape} do not fit a {self.dim}-dimensional index")
        self._index.add(v)

    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        n = len(self)
        if n == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        q = np.ascontiguousarray(query, dtype=np.float32).reshape(1, -1)
        params = None
        if allowed is not None:
            k = min(k, len(allowed))
            sel = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            if self.kind == "hnsw":
                params = faiss.SearchParametersHNSW(sel=sel, efSearch=max(self.ef_search, k))
            else:
                params = faiss.SearchParameters(sel=sel)
        elif self.kind == "hnsw":
            params = faiss.SearchParametersHNSW(efSearch=max(self.ef_search, k))
        with _one_thread():
            scores, rows = self._index.search(q, min(k, n), params=params)
        keep = rows[0] >= 0
        return rows[0][keep].astype(np.int64), scores[0][keep]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return np.zeros((0, self.dim), np.float32)
        return self._index.reconstruct_batch(rows)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        faiss.write_index(self._index, str(folder / FILE))

    @classmethod
    def load(cls, folder: Path, settings: dict[str, Any], **options: Any) -> "FaissBackend":
        path = folder / FILE
        try:
            flags = faiss.IO_FLAG_MMAP if settings.get("kind", "flat") == "flat" else 0
            index = faiss.read_index(str(path), flags)
        except Exception as e:  # FAISS raises RuntimeError on damaged files
            raise BadIndexError(
                f"{path}: unreadable FAISS index ({e}); rebuild it with `govsearch index CORPUS --index {folder.parent} --rebuild`"
            ) from e
        self = cls.__new__(cls)
        self.dim = int(index.d)
        self.kind = settings.get("kind", "flat")
        self.ef_search = int(settings.get("ef_search", HNSW_EF_SEARCH))
        self._index = index
        if settings.get("dim") not in (None, self.dim):
            raise BadIndexError(f"{path}: holds {self.dim}-dimensional vectors, the manifest says {settings['dim']}")
        return self

    def describe(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "dim": self.dim, "ef_search": self.ef_search}


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
