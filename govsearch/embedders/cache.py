"""An embedding cache keyed by model and text hash.

Re-indexing an unchanged corpus embeds nothing; changing one file embeds only
its new clauses. Stored as two plain arrays per model (``.keys.npy`` of SHA-1
hex digests and ``.vectors.npy``), loaded without pickle.
"""

from __future__ import annotations

import hashlib
import logging
import re
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

log = logging.getLogger(__name__)


def text_key(text: str) -> bytes:
    """The cache key of one embedded text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest().encode("ascii")


class EmbeddingCache:
    """Vectors already computed by one model, looked up by text."""

    def __init__(self, model: str, dim: int) -> None:
        self.model = model
        self.dim = dim
        self._rows: dict[bytes, int] = {}
        self._vectors = np.zeros((0, dim), np.float32)

    def __len__(self) -> int:
        return len(self._rows)

    def embed(
        self, texts: Sequence[str], compute: Callable[[list[str]], np.ndarray]
    ) -> tuple[np.ndarray, int]:
        """Vectors for ``texts``, computing only those not cached; returns (vectors, n computed)."""
        keys = [text_key(t) for t in texts]
        missing: dict[bytes, str] = {}
        for k, t in zip(keys, texts):
            if k not in self._rows and k not in missing:
                missing[k] = t
        if missing:
            new = np.asarray(compute(list(missing.values())), dtype=np.float32).reshape(-1, self.dim)
            base = len(self._vectors)
            self._vectors = np.concatenate([self._vectors, new])
            for i, k in enumerate(missing):
                self._rows[k] = base + i
        rows = np.fromiter((self._rows[k] for k in keys), dtype=np.int64, count=len(keys))
        return self._vectors[rows], len(missing)

    def keep_only(self, texts: Sequence[str]) -> None:
        """Drop entries not among ``texts`` (so the cache does not grow without bound)."""
        wanted = {text_key(t) for t in texts}
        keep = [(k, r) for k, r in self._rows.items() if k in wanted]
        self._vectors = self._vectors[[r for _, r in keep]] if keep else self._vectors[:0]
        self._rows = {k: i for i, (k, _) in enumerate(keep)}

    def _paths(self, folder: Path) -> tuple[Path, Path]:
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", self.model)
        return folder / f"{slug}.keys.npy", folder / f"{slug}.vectors.npy"

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        kp, vp = self._paths(folder)
        keys = np.array(list(self._rows), dtype="S40") if self._rows else np.zeros(0, "S40")
        np.save(kp, keys, allow_pickle=False)
        np.save(vp, self._vectors, allow_pickle=False)

    @classmethod
    def load(cls, folder: Path, model: str, dim: int) -> "EmbeddingCache":
        """The cache saved for ``model`` in ``folder``, or an empty one (a damaged cache is ignored)."""
        cache = cls(model, dim)
        kp, vp = cache._paths(folder)
        if not (kp.exists() and vp.exists()):
            return cache
        try:
            keys = np.load(kp, allow_pickle=False)
            vectors = np.load(vp, allow_pickle=False)
        except (ValueError, OSError, EOFError) as e:  # damaged, truncated, empty or object arrays
            log.warning("ignoring unreadable embedding cache in %s: %s", folder, e)
            return cache
        if vectors.ndim != 2 or vectors.shape[1] != dim or len(keys) != len(vectors):
            log.warning("ignoring embedding cache in %s: shape does not match the model", folder)
            return cache
        cache._vectors = vectors.astype(np.float32, copy=False)
        cache._rows = {bytes(k): i for i, k in enumerate(keys)}
        return cache
