"""Choose a vector backend by name (recorded in the index manifest)."""

from __future__ import annotations

from typing import Any

from .base import VectorBackend

BACKENDS = ("faiss", "milvus")


def backend_class(name: str) -> type[VectorBackend]:
    """The backend class registered under ``name``."""
    if name == "faiss":
        from .faiss import FaissBackend

        return FaissBackend
    if name == "milvus":
        from .milvus import MilvusBackend

        return MilvusBackend
    raise ValueError(f"unknown index backend {name!r}; choose one of: {', '.join(BACKENDS)}")


def create_backend(name: str, dim: int, rows: int, **options: Any) -> VectorBackend:
    """A new, empty backend sized for about ``rows`` vectors."""
    cls = backend_class(name)
    if name == "faiss":
        options.pop("show_progress", None)
        kind = cls.choose_kind(rows, options.pop("kind", "auto"))  # type: ignore[attr-defined]
        return cls(dim, kind=kind, **options)  # type: ignore[call-arg]
    return cls(dim, rows=rows, **options)  # type: ignore[call-arg]
