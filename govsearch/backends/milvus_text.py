"""Milvus's own full-text BM25: the schema pieces that keyword-index the lexical passages.

A collection with full-text search holds each chunk's lexical passage (its
heading chain and clause, as the local bm25s index reads them, followed by the
pinyin of its Chinese words so that English questions naming 茅湾 as Maowan
still match) in the VARCHAR field ``lexical``. Milvus cuts it with its jieba
tokenizer (govsearch's governance dictionary and the corpus's own words added,
lower-cased) and a BM25 function writes the words into the sparse field
``sparse``, searched through an inverted index with the BM25 metric.

Milvus has this from 2.5 (servers) and 3.0 (Milvus Lite); on an older server
the index keeps its local bm25s index beside Milvus, and the build says so once.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Sequence

log = logging.getLogger(__name__)

MILVUS_BM25 = "milvus bm25 (jieba)"
LOCAL_BM25 = "local bm25s"
TEXT_FIELD = "lexical"
SPARSE_FIELD = "sparse"
TEXT_LIMIT = 65535  # bytes
MIN_SERVER = (2, 5)
MIN_LITE = (3, 0)
LOCAL_NOTE = "lexical search: local bm25s index beside Milvus (Milvus {version} has no full-text BM25; 2.5 and later do)"
MILVUS_NOTE = "lexical search: Milvus full-text BM25 (jieba analyzer with the governance dictionary)"


def analyzer_params(words: Sequence[str]) -> dict[str, Any]:
    """Milvus analyzer settings: jieba in search mode with ``words`` added, then lower-casing."""
    return {
        "tokenizer": {"type": "jieba", "dict": ["_default_", *sorted(set(words))], "mode": "search", "hmm": True},
        "filter": ["lowercase"],
    }


def has_full_text(version: str) -> bool:
    """Whether a Milvus of ``version`` (``v2.3.5``, ``milvus_lite-3.2.2``) has full-text BM25."""
    m = re.search(r"(\d+)\.(\d+)", version or "")
    if not m:
        return False
    found = (int(m.group(1)), int(m.group(2)))
    return found >= (MIN_LITE if "lite" in version.lower() else MIN_SERVER)


def server_version(client: Any) -> str:
    """The version a Milvus client reports ('' when it does not say)."""
    try:
        return str(client.get_server_version())
    except Exception as e:  # an old server without the call
        log.debug("milvus: no server version (%s)", e)
        return ""


def add_fields(schema: Any, index_params: Any, words: Sequence[str]) -> None:
    """Add the analysed text field, its BM25 function and the sparse index to a new collection's schema."""
    from pymilvus import DataType, Function, FunctionType

    schema.add_field(
        TEXT_FIELD, DataType.VARCHAR, max_length=TEXT_LIMIT, enable_analyzer=True, analyzer_params=analyzer_params(words)
    )
    schema.add_field(SPARSE_FIELD, DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name="bm25", function_type=FunctionType.BM25, input_field_names=[TEXT_FIELD], output_field_names=[SPARSE_FIELD]
        )
    )
    index_params.add_index(SPARSE_FIELD, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")


def cut(text: str) -> str:
    """``text`` cut to the field's byte limit at a character boundary."""
    b = text.encode("utf-8")
    return text if len(b) <= TEXT_LIMIT else b[:TEXT_LIMIT].decode("utf-8", "ignore")
