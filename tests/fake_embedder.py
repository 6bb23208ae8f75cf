"""A deterministic, instant embedder for tests that build indexes without a model."""

from __future__ import annotations

import hashlib
from typing import Sequence

import numpy as np

from govsearch.embedders.base import Embedder, normalise


class FakeEmbedder(Embedder):
    """Vectors from a hash of the text: the same text always gets the same vector."""

    backend = "fake"
    name = "fake:sha256@16"
    dim = 16

    def _vectors(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        rows = [np.frombuffer(hashlib.sha256(t.encode("utf-8")).digest()[: self.dim], np.uint8) for t in texts]
        return normalise(np.stack(rows).astype(np.float32) - 127.5)

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._vectors(texts)

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self._vectors(texts)
