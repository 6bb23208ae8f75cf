"""govsearch: search and question answering over Chinese local-government
governance documents, answering with the exact numbered clause.

    >>> import govsearch
    >>> idx = govsearch.open_index("index/", corpus="corpus/")
    >>> for hit in idx.search("飞线充电", k=3, town="三乡镇"):
    ...     print(hit.citation)
"""

from __future__ import annotations

import logging

from .errors import BadIndexError, DocumentError, GovsearchError, IndexMismatchError, QueryError
from .schema import Chunk, Clause, Document, Hit, Metadata, SourceText

logging.getLogger(__name__).addHandler(logging.NullHandler())

__version__ = "0.1.0"

__all__ = [
    "BadIndexError",
    "Chunk",
    "Clause",
    "Document",
    "DocumentError",
    "GovsearchError",
    "Hit",
    "IndexMismatchError",
    "Metadata",
    "QueryError",
    "SourceText",
    "__version__",
]
