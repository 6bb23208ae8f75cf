"""The VectorBackend interface: where the chunk vectors live and are searched.

Rows are numbered in chunk-store order. A backend searches the whole index or
only the rows a filter allows; when a filter lets few rows through, those rows
are scored exactly instead (:meth:`VectorBackend.search_filtered`): an
approximate index walked under a narrow filter runs out of candidates before it
finds k (HNSW at 100k rows, a town filter passing 0.5 %: recall@10 0.43–0.68;
benchmarks/RESULTS.md, "Milvus").
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Sequence

import numpy as np

EXACT_ROWS = 5_000
"""Up to this many rows passing a filter are scored exactly (a backend may say otherwise): reading and
scoring them costs ~0.24 µs a row, less than FAISS's own filtered search up to ~3k rows passing and
not much more at 5k (at 100k rows, 5.6k passing: HNSW 1.4 vs 0.9 ms, flat 1.7 vs 1.1 ms p50), below
which HNSW finds 0.34-0.86 of the true top 10 (benchmarks/RESULTS.md, "Milvus")."""
EXACT_BLOCK = 4096  # rows read and scored at a time (a few MB, whatever the filter lets through)


class VectorBackend(ABC):
    """Dense-vector search over the rows of one index."""

    name: str = ""
    supports_filters: bool = False
    """True: search() takes ``conditions=`` (see :meth:`Filters.conditions`) and filters itself."""
    build_note: str = ""
    """One line for the build summary (e.g. what runs where), or empty."""
    indexes_text: bool = False
    """True: the backend keyword-indexes the lexical passages itself (see :meth:`search_text`)."""
    exact_rows: int = EXACT_ROWS
    """A filtered search that lets at most this many rows through scores them exactly (0: never)."""

    @abstractmethod
    def add(self, vectors: np.ndarray) -> None:
        """Append vectors; row ids continue from the current count."""

    def add_rows(self, vectors: np.ndarray, chunks: Sequence[Any], texts: Sequence[str] | None = None) -> None:
        """Append vectors with the chunks they embed (for backends that store chunk fields)
        and their lexical passages (for a backend that took :meth:`offer_lexical`)."""
        self.add(vectors)

    def offer_lexical(self, words: Sequence[str]) -> bool:
        """Keyword-index the lexical passages in the backend itself, with ``words`` added to its
        tokenizer? True: :meth:`add_rows` gets the passages and :meth:`search_text` searches them."""
        return False

    def search_text(
        self, text: str, k: int, allowed: np.ndarray | None = None, *, conditions: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k rows whose passages best match ``text`` (words joined by spaces), as (rows, scores)."""
        raise NotImplementedError(f"the {self.name} backend keeps no text index")

    def continue_from(self, settings: dict[str, Any], folder: Path) -> bool:
        """Update the index saved in ``folder`` (with ``settings``) in place instead of writing a new one;
        called before :meth:`add_rows` when only the corpus changed. False (the default): build anew."""
        return False

    def publish(self) -> None:
        """Make a finished build visible; called once the index folder is in place."""

    def discard(self) -> None:
        """Clean up after a build that failed before :meth:`publish`."""

    @classmethod
    def same_place(cls, settings: dict[str, Any], options: dict[str, Any]) -> bool:
        """Whether an index saved with ``settings`` lives where build ``options`` point."""
        return True

    @abstractmethod
    def search(
        self, query: np.ndarray, k: int, allowed: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k rows most similar to ``query`` (inner product), as (rows, scores).

        ``allowed`` is an array of row ids the result must come from (None: all).
        """

    def search_filtered(
        self,
        query: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        conditions: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k rows among ``allowed`` most similar to ``query``, as (rows, scores): what a search runs.

        At most :attr:`exact_rows` allowed: those rows scored exactly (:meth:`search_rows`). Otherwise
        the backend's own search, filtered by ``conditions`` where it filters itself
        (:attr:`supports_filters`), else by ``allowed``.
        """
        if allowed is not None and len(allowed) <= self.exact_rows:
            try:
                return self.search_rows(query, k, allowed)
            except NotImplementedError:  # a backend that cannot return its vectors
                pass
        if self.supports_filters and conditions is not None:
            return self.search(query, k, conditions=conditions)  # type: ignore[call-arg]
        return self.search(query, k, allowed)

    def search_rows(self, query: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The k of ``rows`` most similar to ``query``, scored exactly from their stored vectors."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if k <= 0 or len(rows) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        scores = np.empty(len(rows), np.float32)
        for lo in range(0, len(rows), EXACT_BLOCK):
            block = self.vectors(rows[lo : lo + EXACT_BLOCK])
            scores[lo : lo + len(block)] = inner_products(block, query)
        return top_k(rows, scores, k)

    @abstractmethod
    def save(self, folder: Path) -> None:
        """Write the backend's files into ``folder``."""

    @classmethod
    @abstractmethod
    def load(cls, folder: Path, settings: dict[str, Any], **options: Any) -> "VectorBackend":
        """Open what :meth:`save` wrote; ``settings`` is what :meth:`describe` returned,
        ``options`` what is never saved (a Milvus ``token``)."""

    @abstractmethod
    def __len__(self) -> int: ...

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows`` (a backend that cannot return them raises NotImplementedError)."""
        raise NotImplementedError

    def describe(self) -> dict[str, Any]:
        """What the manifest records about this backend (enough to load it again)."""
        return {"name": self.name}


def inner_products(vectors: np.ndarray, query: np.ndarray) -> np.ndarray:
    """Each row of ``vectors`` times ``query``, in numpy's own loop: BLAS would spread one query
    over threads, which on shared cores waits for a busy one (10 ms for 2,000 rows instead of 0.1)."""
    return np.einsum("ij,j->i", vectors, np.asarray(query, dtype=np.float32).reshape(-1))


def top_k(rows: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The k highest ``scores`` with their ``rows``, best first (ties: the lower row first)."""
    n = len(scores)
    if k <= 0 or n == 0:
        return rows[:0], scores[:0]
    top = np.arange(n) if k >= n else np.flatnonzero(scores >= np.partition(scores, n - k)[n - k])
    order = top[np.lexsort((rows[top], -scores[top]))][:k]
    return rows[order], scores[order]
