"""The VectorBackend interface: where the chunk vectors live and are searched.

Rows are numbered in chunk-store order. A backend searches the whole index or
only the rows a filter allows.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from pathlib import Path
from typing import Any, Sequence

import numpy as np


class VectorBackend(ABC):
    """Dense-vector search over the rows of one index."""

    name: str = ""
    supports_filters: bool = False
    """True: search() takes ``conditions=`` (see :meth:`Filters.conditions`) and filters itself."""
    build_note: str = ""
    """One line for the build summary (e.g. what runs where), or empty."""
    indexes_text: bool = False
    """True: the backend keyword-indexes the lexical passages itself (see :meth:`search_text`)."""

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
