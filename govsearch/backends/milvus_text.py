"""Milvus's own full-text BM25: the schema pieces that keyword-index the lexical passages.

A collection with full-text search holds each chunk's lexical passage (its
heading chain and clause, as the local bm25s index reads them, followed by the
pinyin of its Chinese words so that English questions naming 茅湾 as Maowan
still match) in the VARCHAR field ``lexical``. Milvus cuts it with its jieba
tokenizer (govsearch's governance dictionary and the corpus's own words added,
lower-cased) and a BM25 function writes the words into the sparse field
``sparse``, searched through an inverted index with the BM25 metric.

Milvus has this from 2.5 (servers) and 3.0 (Milvus Lite). Whether a server
has it is asked of the server, not read from its version (:func:`probe`): a
2.3 server reports a version, accepts such a schema, drops the BM25 function
without a word and refuses only the sparse index. Where it is missing, the
index keeps its local bm25s index beside Milvus, and the build says so once.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from typing import Any, Sequence

log = logging.getLogger(__name__)

MILVUS_BM25 = "milvus bm25 (jieba)"
LOCAL_BM25 = "local bm25s"
TEXT_FIELD = "lexical"
SPARSE_FIELD = "sparse"
TEXT_LIMIT = 65535  # bytes
PROBE = "__probe_"  # a probe's throw-away collection: <alias>__probe_<random>
FUNCTION = "bm25"
LOCAL_NOTE = "lexical search: local bm25s index beside Milvus (Milvus {version} has no full-text BM25: {reason})"
MILVUS_NOTE = "lexical search: Milvus full-text BM25 (jieba analyzer with the governance dictionary)"


def analyzer_params(words: Sequence[str]) -> dict[str, Any]:
    """Milvus analyzer settings: jieba in search mode with ``words`` added, then lower-casing."""
    return {
        "tokenizer": {"type": "jieba", "dict": ["_default_", *sorted(set(words))], "mode": "search", "hmm": True},
        "filter": ["lowercase"],
    }


def server_version(client: Any) -> str:
    """The version a Milvus client reports ('' when it does not say)."""
    try:
        return str(client.get_server_version())
    except Exception as e:  # an old server without the call
        log.debug("milvus: no server version (%s)", e)
        return ""


def probe(client: Any, alias: str, words: Sequence[str]) -> str:
    """Ask Milvus whether it does full-text BM25 with this analyzer (jieba with ``words``): create a
    throw-away collection ``<alias>__probe_<random>`` with the BM25 function and the sparse BM25 index,
    then drop it (and any a killed probe left). '' when it can, else why not, in the server's words."""
    from pymilvus import DataType

    name = f"{alias}{PROBE}{uuid.uuid4().hex[:8]}"
    schema = client.create_schema(auto_id=False, enable_dynamic_field=False)
    schema.add_field("id", DataType.INT64, is_primary=True)
    index_params = client.prepare_index_params()
    add_fields(schema, index_params, words)
    try:
        for left in client.list_collections():
            if left.startswith(alias + PROBE):
                client.drop_collection(left)
        client.create_collection(name, schema=schema)
        functions = client.describe_collection(name).get("functions") or []
        if not any(f.get("name") == FUNCTION for f in functions):
            return "it keeps no BM25 function in a collection's schema"
        client.create_index(name, index_params, sync=False)  # refused or accepted; no need to wait for it
        return ""
    except Exception as e:
        return reason(e)
    finally:
        with contextlib.suppress(Exception):  # a probe that was never created, or a server gone
            client.drop_collection(name)


def reason(e: Exception) -> str:
    """An exception from Milvus as one short line (its message, not its repr)."""
    msg = getattr(e, "message", None) or str(e)
    return " ".join(str(msg).split())[:300]


def add_fields(schema: Any, index_params: Any, words: Sequence[str]) -> None:
    """Add the analysed text field, its BM25 function and the sparse index to a new collection's schema."""
    from pymilvus import DataType, Function, FunctionType

    schema.add_field(
        TEXT_FIELD, DataType.VARCHAR, max_length=TEXT_LIMIT, enable_analyzer=True, analyzer_params=analyzer_params(words)
    )
    schema.add_field(SPARSE_FIELD, DataType.SPARSE_FLOAT_VECTOR)
    schema.add_function(
        Function(
            name=FUNCTION, function_type=FunctionType.BM25, input_field_names=[TEXT_FIELD], output_field_names=[SPARSE_FIELD]
        )
    )
    index_params.add_index(SPARSE_FIELD, index_type="SPARSE_INVERTED_INDEX", metric_type="BM25")


def cut(text: str) -> str:
    """``text`` cut to the field's byte limit at a character boundary."""
    b = text.encode("utf-8")
    return text if len(b) <= TEXT_LIMIT else b[:TEXT_LIMIT].decode("utf-8", "ignore")
