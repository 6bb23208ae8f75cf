"""Synthetic vectors for tests of approximate indexes."""

from __future__ import annotations

import numpy as np


def clustered(n: int, dim: int, seed: int = 0) -> np.ndarray:
    """``n`` unit vectors in 200 clusters, as embeddings of similar clauses are: an HNSW graph of them
    walked under a filter that passes 0.5 % of the rows misses many of the true neighbours."""
    rng = np.random.default_rng(seed)
    centres = rng.standard_normal((200, dim)).astype(np.float32)
    v = centres[rng.integers(0, 200, n)] + 0.3 * rng.standard_normal((n, dim)).astype(np.float32)
    return v / np.linalg.norm(v, axis=1, keepdims=True)
