"""Embedding backends behind one small interface (see :class:`Embedder`)."""

from .base import Embedder
from .factory import BACKENDS, DEFAULT_BACKEND, create_embedder

__all__ = ["BACKENDS", "DEFAULT_BACKEND", "Embedder", "create_embedder"]
