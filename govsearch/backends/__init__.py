"""Vector backends behind one interface (see :class:`VectorBackend`)."""

from .base import VectorBackend
from .factory import BACKENDS, backend_class, create_backend

__all__ = ["BACKENDS", "VectorBackend", "backend_class", "create_backend"]
