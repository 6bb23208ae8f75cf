"""The Embedder interface every embedding backend implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Sequence

import numpy as np


class Embedder(ABC):
    """Turns queries and passages into L2-normalised float32 vectors.

    ``name`` identifies the model exactly (it is written into the index
    manifest, and an index refuses a query embedder whose name differs).
    """

    backend: str = ""
    name: str = ""
    dim: int = 0

    @abstractmethod
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries, with the model's query convention."""

    @abstractmethod
    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        """Embed passages (chunks), with the model's passage convention."""

    def embed_query(self, text: str) -> np.ndarray:
        """Embed one query; shape ``(dim,)``."""
        return self.embed_queries([text])[0]

    def describe(self) -> dict[str, object]:
        """What the manifest records about this embedder."""
        return {"backend": self.backend, "model": self.name, "dim": self.dim}


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows left as they are), as float32."""
    v = np.ascontiguousarray(vectors, dtype=np.float32)
    if v.ndim == 1:
        v = v[None, :]
    norms = np.linalg.norm(v, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return v / norms
