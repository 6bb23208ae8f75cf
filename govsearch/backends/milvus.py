"""Milvus: the chunk vectors in a Milvus collection, filtered inside Milvus.

The index folder keeps its chunk store, lexical index and manifest; Milvus
holds the vectors with the scalar fields that search filters or shows (source,
town, date as YYYYMMDD, document type, clause path, heading chain, span).
Embedding stays in the client: Milvus receives vectors, never a model.

``uri`` is ``http://host:19530`` for a Milvus server or cluster (with a token
where it has authentication: ``token=`` or GOVSEARCH_MILVUS_TOKEN, never
written to disk), or a local path ending in ``.db`` for Milvus Lite.

Rows and keys. The primary key of a Milvus row is not the row number of the
chunk store (the store is rewritten and renumbered by every build) but a
64-bit *content key*: a hash of the chunk id (itself a hash of source, span
and text), the stored fields and the vector. An index folder keeps its keys
in row order (``vectors/keys.npy``) and maps Milvus hits back to its rows
through them; a key it does not know is skipped.

A full build (first build, ``rebuild``, another model, dimension or index
kind) writes a new collection ``<collection>__<time>`` and, once the index
folder holding the matching chunk store is in place, points the alias
``<collection>`` at it and drops the one it replaces; a build killed midway
leaves the alias (and the previous index folder) on the previous collection.

An incremental build (same collection, model and dimension; changed corpus)
writes into the collection the alias already names, in three steps:
upsert the rows whose keys are new (changed and added clauses), swap the
index folder into place, then delete the rows whose keys the new folder no
longer has (clauses of removed or changed files). Between the steps the
collection holds both versions of what changed, and each open index folder
sees exactly its own rows, because it only accepts keys it holds: searches
never see a half-built index, and a build killed at any step leaves the
previous folder answering as before. The price: (1) while a build runs, a
search may find extra rows it then skips, so it asks Milvus again with a
larger limit when a page came back short; (2) rows of a killed build stay in
the collection until the next build, which deletes the stale rows recorded by
the last build (``vectors/stale.npy``) and, when the row count still does not
add up, walks every key of the collection once to drop the strays; (3) the
keys file costs 8 bytes a clause beside the index (80 MB at 10M clauses).
A clause whose text, metadata or vector is unchanged is neither embedded
(the embedding cache) nor sent to Milvus again.

An index folder from before content keys (no ``keys.npy``) reads row numbers
as keys and is rebuilt whole by its next build.

Filters travel as Milvus filter expressions. Neither Milvus Lite 3.x nor the
2.3 server accept templated filters (``filter_params``), so user values are
written as escaped string literals (:func:`literal`), which both parsers read
back as the same string: a value with quotes, ``or`` or brackets stays one
literal. On an approximate (HNSW or IVF) collection a filter that lets at most
:data:`EXACT_ROWS` rows through is not searched in Milvus: those rows' vectors
are read by key and scored in the client, since Milvus's own search under a
narrow filter misses neighbours.

Consistency. Searches read at Bounded consistency: a Strong read waits for
the server's next time tick (a flat ~200 ms on the 2.3 server), and none is
needed once a build's rows are in place, because a build flushes (and, for
a new collection, loads) before it moves the index folder or the alias, and
an open folder only accepts the keys it holds. A build records when it
finished (``written``); an index opened within :data:`FRESH` seconds of that
reads at Strong until the window has passed, so a search right after a
build sees every row of it even on a server whose query nodes lag.

Lexical search runs in Milvus too where it has full-text BM25 (Milvus 2.5+,
Milvus Lite 3.x; see :mod:`.milvus_text`), asked of the server when a build
starts (a throw-away collection with the BM25 function, dropped at once) and
recorded in the manifest (``lexical``); where it is missing the local bm25s
index stays beside Milvus. Either way govsearch fuses the two rankings itself,
as for FAISS.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import re
import time
import uuid
from pathlib import Path
from typing import Any, Sequence
from urllib.parse import urlparse

import numpy as np

from ..errors import BadIndexError, GovsearchError, IndexMismatchError, QueryError
from . import milvus_text
from .base import VectorBackend, inner_products, top_k
from .faiss import IVF_NPROBE, ivf_lists
from .milvus_text import LOCAL_BM25, MILVUS_BM25
from .milvus_text import reason as _reason

log = logging.getLogger(__name__)

TOKEN_ENV = "GOVSEARCH_MILVUS_TOKEN"
DEFAULT_COLLECTION = "govsearch"
CONNECT_TIMEOUT = 5.0  # seconds before an unreachable server is reported
BATCH = 1000
MAX_LIMIT = 16384  # Milvus's largest search limit
KEYS = "keys.npy"
STALE = "stale.npy"
INDEX_WAIT = 3600.0  # seconds a build waits for Milvus to finish indexing
INDEX_POLL = 1.0
FRESH = 10.0  # seconds after a build during which searches read at Strong consistency
HNSW_ABOVE = 200_000  # as for FAISS: exact search up to this many rows
EXACT_ROWS = {"hnsw": 2_000, "ivf": 1_000}
"""By index kind: a filter passing at most this many rows has their vectors read and scored exactly, not
searched in Milvus, whose filtered search misses neighbours below about these counts (at 100k rows: Lite's
HNSW finds 0.28-0.68 of the true top 10 up to 1,300 rows passing; the 2.3 server's IVF 0.83-0.94 up to 420,
its HNSW 0.61-0.79 until it has loaded the index after a build, exact after). Reading costs ~0.05 ms a row
from the server and ~0.1 from Lite: at most ~100 / ~200 ms (benchmarks/RESULTS.md, "Milvus"). A flat
collection filters exactly."""
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,180}$")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}

# VARCHAR limits are bytes (UTF-8); longer values are cut at a character boundary
LIMITS = {"chunk_id": 256, "text": 65535, "source": 2048, "town": 512, "doc_type": 256, "clause": 1024, "heading": 8192}


def _words_hash(words: Sequence[str]) -> str:
    return hashlib.sha256("\n".join(sorted(set(words))).encode("utf-8")).hexdigest()[:16]


def _key(fields: dict[str, Any], vec: np.ndarray) -> int:
    """The content key of a row: a 63-bit hash of its chunk id, fields and vector."""
    h = hashlib.blake2b(json.dumps(fields, ensure_ascii=False, sort_keys=True).encode("utf-8"), digest_size=8)
    h.update(np.ascontiguousarray(vec, dtype=np.float32).tobytes())
    return int.from_bytes(h.digest(), "little") & 0x7FFF_FFFF_FFFF_FFFF


def _fields(ch: Any) -> dict[str, Any]:
    """The scalar fields of a chunk's Milvus row."""
    return {
        "chunk_id": _cut(ch.id, "chunk_id"),
        "text": _cut(ch.text, "text"),
        "source": _cut(ch.source, "source"),
        "town": _cut(ch.town, "town"),
        "doc_type": _cut(ch.doc_type, "doc_type"),
        "clause": _cut(" ".join(ch.clause), "clause"),
        "heading": _cut(" / ".join(ch.heading), "heading"),
        "date": _date_int(ch.date),
        "start": int(ch.start),
        "end": int(ch.end),
    }


def literal(value: str) -> str:
    """``value`` as a Milvus expression string literal that reads back as exactly ``value``."""
    if _CONTROL.search(value):
        raise QueryError(f"filter value {value[:40]!r}… holds control characters; it names nothing in the index")
    return '"' + "".join(_ESCAPES.get(ch, ch) for ch in value) + '"'


def expression(conditions: dict[str, Any]) -> str:
    """A filter expression from plain conditions (see :meth:`Filters.conditions`).

    ``{"town": ["三乡镇"], "date_from": 20250101}`` -> ``town in ["三乡镇"] and date >= 20250101``.
    Strings become escaped literals, dates are checked to be integers.
    """
    parts: list[str] = []
    for field in ("town", "doc_type", "source"):
        values = conditions.get(field)
        if values is not None:
            if isinstance(values, str):
                values = [values]
            if not values:
                return "id < 0"  # nothing can match
            parts.append(f"{field} in [{', '.join(literal(str(v)) for v in values)}]")
    if conditions.get("date_from") is not None:
        parts.append(f"date >= {int(conditions['date_from'])}")
    if conditions.get("date_to") is not None:
        parts.append(f"(date <= {int(conditions['date_to'])} and date > 0)")
    return " and ".join(parts)


def _cut(value: str | None, field: str) -> str:
    b = (value or "").encode("utf-8")
    limit = LIMITS[field]
    return value or "" if len(b) <= limit else b[:limit].decode("utf-8", "ignore")


def _date_int(date: str | None) -> int:
    try:
        return int((date or "").replace("-", "")[:8] or 0)
    except ValueError:
        return 0


def _is_lite(uri: str) -> bool:
    return not re.match(r"^(https?|tcp|grpc|unix)://", uri)


def _check_uri(uri: str) -> str:
    if _is_lite(uri):
        if not uri.endswith(".db"):
            raise GovsearchError(
                f"Milvus URI {uri!r}: give http://host:19530 for a Milvus server or a file path ending in .db for Milvus Lite"
            )
        return str(Path(uri).expanduser().resolve())
    if urlparse(uri).password:
        raise GovsearchError("Milvus URI: put no password in the URI (it would be saved); pass --token or set " + TOKEN_ENV)
    return uri


def connect(uri: str, token: str | None = None, db_name: str | None = None, timeout: float = CONNECT_TIMEOUT) -> Any:
    """A MilvusClient for ``uri``, or one GovsearchError line naming the URI."""
    try:
        from pymilvus import MilvusClient
    except ImportError:
        raise GovsearchError("the Milvus backend needs pymilvus: pip install 'govsearch[milvus]'") from None
    token = token if token is not None else os.environ.get(TOKEN_ENV, "")
    kwargs: dict[str, Any] = {"uri": uri, "timeout": timeout}
    if token:
        kwargs["token"] = token
    if db_name:
        kwargs["db_name"] = db_name
    if _is_lite(uri):
        Path(uri).parent.mkdir(parents=True, exist_ok=True)
    try:
        return MilvusClient(**kwargs)
    except Exception as e:
        raise GovsearchError(f"cannot reach Milvus at {uri}: {_reason(e)}") from None


class MilvusBackend(VectorBackend):
    """Vectors in a Milvus collection; filters run in Milvus (``supports_filters``)."""

    name = "milvus"
    supports_filters = True
    read_consistency: str | None = None
    """Consistency level of searches: None chooses (Strong while fresh from a build, then Bounded);
    "Strong", "Bounded", "Session" or "Eventually" force one (benchmarks compare them)."""

    _keys: np.ndarray | None = None  # content key of each row, in row order (None: the row number)

    def __init__(
        self,
        dim: int,
        uri: str | None = None,
        collection: str | None = None,
        token: str | None = None,
        db_name: str | None = None,
        kind: str = "auto",
        rows: int = 0,
        show_progress: bool = False,
        batch: int = BATCH,
    ) -> None:
        if not uri:
            raise GovsearchError("the Milvus backend needs a URI: --uri http://host:19530 or --uri path/to/milvus.db")
        self.alias = collection or DEFAULT_COLLECTION
        if not _NAME.match(self.alias):
            raise GovsearchError(
                f"Milvus collection name {self.alias!r}: use letters, digits and underscores, starting with a letter"
            )
        if kind not in ("auto", "flat", "ivf", "hnsw"):
            raise ValueError(f"unknown Milvus index kind {kind!r}; choose auto, flat, ivf or hnsw")
        self.dim = dim
        self.uri = _check_uri(uri)
        self.db_name = db_name
        self.kind = kind if kind != "auto" else ("hnsw" if rows > HNSW_ABOVE else "flat")
        self.lists = ivf_lists(rows) if self.kind == "ivf" else 0
        self.exact_rows = EXACT_ROWS.get(self.kind, 0)
        self.show_progress = show_progress
        self.batch = batch
        self.collection: str | None = None
        self._count = 0
        self._previous: np.ndarray | None = None  # keys of the folder an incremental build continues
        self._stale = np.zeros(0, np.int64)  # keys to delete once the new folder is in place
        self._inserted = np.zeros(0, np.int64)
        self.upserted = self.deleted = 0
        self.lexical, self.words_hash = LOCAL_BM25, ""
        self._words: list[str] = []
        self._texts: list[str] | None = None
        self._strong_until = 0.0
        self._client = connect(self.uri, token, db_name)

    def offer_lexical(self, words: Sequence[str]) -> bool:
        """Keyword-index the lexical passages in Milvus (full-text BM25, jieba with ``words``) where the
        server does it (asked of the server: :func:`milvus_text.probe`); where it does not, the local
        bm25s index stays, said in the build note."""
        missing = milvus_text.probe(self._client, self.alias, words)
        if missing:
            version = milvus_text.server_version(self._client) or "(unknown version)"
            self.build_note = milvus_text.LOCAL_NOTE.format(version=version, reason=missing)
            log.info("milvus: %s", self.build_note)
            return False
        self.lexical, self.indexes_text = MILVUS_BM25, True
        self._words, self.words_hash = list(words), _words_hash(words)
        self.build_note = milvus_text.MILVUS_NOTE
        return True

    def continue_from(self, settings: dict[str, Any], folder: Path) -> bool:
        """Write the next build into the collection of the index in ``folder`` (same alias, dimension
        and kind, content keys present); False: this build writes a new collection."""
        keys_file = folder / KEYS
        if (
            settings.get("name") != self.name
            or settings.get("alias") != self.alias
            or int(settings.get("dim", -1)) != self.dim
            or settings.get("kind", "flat") != self.kind
            or settings.get("lexical", LOCAL_BM25) != self.lexical
            or settings.get("words", "") != self.words_hash
            or not keys_file.exists()
            or settings.get("collection") != self._target()
        ):
            return False
        try:
            previous = np.load(keys_file, allow_pickle=False).astype(np.int64)
            stale = np.load(folder / STALE, allow_pickle=False).astype(np.int64) if (folder / STALE).exists() else None
        except (OSError, ValueError) as e:
            log.warning("milvus: %s unreadable (%s); writing a new collection", keys_file, e)
            return False
        self.collection = str(settings["collection"])
        self._previous = previous
        try:
            if stale is not None and len(stale):
                self._delete(stale)  # left over when the last build stopped after its swap
            self._drop_strays(previous)
        except Exception as e:
            raise GovsearchError(f"Milvus at {self.uri}: preparing {self.collection} for an update failed: {_reason(e)}") from None
        return True

    def _drop_strays(self, known: np.ndarray) -> None:
        """Delete rows no index folder holds (from a build killed before its swap)."""
        if self._count_rows() == len(known):
            return
        known_set = set(known.tolist())
        strays: list[int] = []
        it = self._client.query_iterator(self.collection, batch_size=max(self.batch, 1000), filter="id >= 0 or id < 0",
                                         output_fields=["id"])
        try:
            while True:
                page = it.next()
                if not page:
                    break
                strays += [int(r["id"]) for r in page if int(r["id"]) not in known_set]
        finally:
            it.close()
        log.info("milvus: dropping %d rows of an unfinished build from %s", len(strays), self.collection)
        self._delete(np.array(strays, np.int64))

    def _count_rows(self) -> int:
        res = self._client.query(self.collection, filter="", output_fields=["count(*)"], consistency_level="Strong")
        return int(res[0]["count(*)"])

    def _delete(self, keys: np.ndarray) -> None:
        for lo in range(0, len(keys), self.batch):
            part = keys[lo : lo + self.batch].tolist()
            self._client.delete(self.collection, filter=f"id in [{', '.join(map(str, part))}]")

    # ---- building ------------------------------------------------------
    def add(self, vectors: np.ndarray) -> None:
        raise GovsearchError("the Milvus backend stores each vector with its chunk's fields: call add_rows(vectors, chunks)")

    def add_rows(self, vectors: np.ndarray, chunks: Sequence[Any], texts: Sequence[str] | None = None) -> None:
        """Write a new collection holding ``vectors`` with the fields of ``chunks`` (row order)
        and, after :meth:`offer_lexical` said yes, their lexical passages ``texts``."""
        v = np.ascontiguousarray(vectors, dtype=np.float32)
        if v.ndim != 2 or v.shape[1] != self.dim or len(v) != len(chunks):
            raise ValueError(f"{v.shape} vectors for {len(chunks)} chunks do not fit a {self.dim}-dimensional index")
        if self._keys is not None:
            raise GovsearchError("a Milvus build writes its collection once; start a new build to add more")
        if self.indexes_text and (texts is None or len(texts) != len(chunks)):
            raise ValueError("a Milvus collection with full-text search needs one lexical passage per chunk")
        self._texts = [milvus_text.cut(t) for t in texts] if self.indexes_text and texts is not None else None
        keys = np.array([_key(self._key_fields(chunks, i), v[i]) for i in range(len(v))], dtype=np.int64)
        if len(np.unique(keys)) != len(keys):
            raise GovsearchError("two chunks share a content key (duplicate chunk ids?); rebuild with --rebuild")
        self._set_keys(keys)
        if self._previous is not None:
            self._update(v, chunks, keys)
            return
        c = self._client
        self.collection = f"{self.alias}__{time.strftime('%Y%m%d%H%M%S')}_{uuid.uuid4().hex[:6]}"
        try:
            self._drop_stale()
            schema = self._schema()
            c.create_collection(
                self.collection,
                schema=schema,
                index_params=self._index_params(schema),
                consistency_level="Bounded",
            )
            from tqdm.auto import tqdm

            bar = tqdm(total=len(v), desc="milvus insert", unit="chunk", disable=not self.show_progress)
            for lo in range(0, len(v), self.batch):
                part = [self._full_row(int(keys[i]), v, chunks, i) for i in range(lo, min(lo + self.batch, len(v)))]
                c.insert(self.collection, part)
                bar.update(len(part))
                log.debug("milvus: inserted %d/%d rows into %s", lo + len(part), len(v), self.collection)
            bar.close()
            c.flush(self.collection)
            self._wait_for_index(len(v))
            c.load_collection(self.collection)
        except GovsearchError:
            raise
        except Exception as e:
            raise GovsearchError(f"Milvus at {self.uri}: writing collection {self.collection} failed: {_reason(e)}") from None
        self._count = len(v)

    def _wait_for_index(self, rows: int) -> None:
        """Wait until Milvus has indexed every row, so that the alias never points at a collection
        still being indexed (a 2.3 server at 1M went on indexing 8 minutes after the flush, searching
        slower meanwhile). Gives up with a warning after INDEX_WAIT seconds: searches are right either way."""
        from tqdm.auto import tqdm

        start = time.monotonic()
        bar = tqdm(total=rows, desc="milvus index", unit="chunk", disable=not self.show_progress)
        try:
            while True:
                d = self._client.describe_index(self.collection, "vector")
                # the 2.3 server reports pending_index_rows = all rows even when done: read state and indexed rows
                done = int(d.get("indexed_rows", rows))
                bar.update(max(0, min(done, rows) - bar.n))
                if str(d.get("state", "Finished")) == "Finished" and done >= int(d.get("total_rows", rows)):
                    return
                if time.monotonic() - start > INDEX_WAIT:
                    log.warning("milvus: %s still indexing after %d s; publishing it anyway", self.collection, INDEX_WAIT)
                    return
                time.sleep(INDEX_POLL)
        finally:
            bar.close()

    def _set_keys(self, keys: np.ndarray) -> None:
        self._keys = keys
        order = np.argsort(keys, kind="stable")
        self._sorted, self._order = keys[order], order

    def _update(self, v: np.ndarray, chunks: Sequence[Any], keys: np.ndarray) -> None:
        """Incremental build: upsert the rows with new keys into the live collection (see the module notes)."""
        assert self._previous is not None and self.collection is not None
        new = ~np.isin(keys, self._previous)
        self._stale = np.setdiff1d(self._previous, keys)
        self._inserted = keys[new]
        todo = [self._full_row(int(keys[i]), v, chunks, i) for i in np.flatnonzero(new).tolist()]
        from tqdm.auto import tqdm

        try:
            bar = tqdm(total=len(todo), desc="milvus upsert", unit="chunk", disable=not self.show_progress)
            for lo in range(0, len(todo), self.batch):
                part = todo[lo : lo + self.batch]
                self._client.upsert(self.collection, part)  # upsert: a row left by a killed build is replaced
                bar.update(len(part))
            bar.close()
            if todo:
                self._client.flush(self.collection)
        except Exception as e:
            raise GovsearchError(f"Milvus at {self.uri}: updating collection {self.collection} failed: {_reason(e)}") from None
        self.upserted = len(todo)
        self._count = len(keys)
        self.build_note = (
            f"{self.build_note}\nmilvus: updated {self.collection} in place: upserted {len(todo)} clauses, "
            f"{len(self._stale)} to delete, {len(keys) - len(todo)} unchanged"
        )
        log.info("milvus: %s", self.build_note.splitlines()[-1])

    def _schema(self) -> Any:
        from pymilvus import DataType

        s = self._client.create_schema(auto_id=False, enable_dynamic_field=False)
        s.add_field("id", DataType.INT64, is_primary=True)
        s.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        for f in ("chunk_id", "text", "source", "town", "doc_type", "clause", "heading"):
            s.add_field(f, DataType.VARCHAR, max_length=LIMITS[f])
        s.add_field("date", DataType.INT64)
        s.add_field("start", DataType.INT64)
        s.add_field("end", DataType.INT64)
        return s

    def _index_params(self, schema: Any) -> Any:
        """The vector index, and with full-text search the BM25 fields, function and sparse index."""
        p = self._client.prepare_index_params()
        if self.indexes_text:
            milvus_text.add_fields(schema, p, self._words)
        if self.kind == "hnsw":
            p.add_index("vector", index_type="HNSW", metric_type="IP", params={"M": 32, "efConstruction": 80})
        elif self.kind == "ivf":
            p.add_index("vector", index_type="IVF_FLAT", metric_type="IP", params={"nlist": self.lists})
        else:
            p.add_index("vector", index_type="FLAT", metric_type="IP")
        return p

    @staticmethod
    def _row(i: int, vec: np.ndarray, ch: Any) -> dict[str, Any]:
        return {"id": i, "vector": vec.tolist()} | _fields(ch)

    def _full_row(self, key: int, v: np.ndarray, chunks: Sequence[Any], i: int) -> dict[str, Any]:
        row = self._row(key, v[i], chunks[i])
        if self._texts is not None:
            row[milvus_text.TEXT_FIELD] = self._texts[i]
        return row

    def _key_fields(self, chunks: Sequence[Any], i: int) -> dict[str, Any]:
        f = _fields(chunks[i])
        if self._texts is not None:
            f[milvus_text.TEXT_FIELD] = self._texts[i]
        return f

    def _target(self) -> str | None:
        """The collection the alias points at now (None: no alias yet)."""
        try:
            return self._client.describe_alias(self.alias).get("collection_name")
        except Exception:
            return None

    def _drop_stale(self) -> None:
        """Drop collections of earlier builds that died before switching the alias."""
        keep = self._target()
        for name in self._client.list_collections():
            if name.startswith(self.alias + "__") and name != keep:
                log.info("milvus: dropping %s, left by an unfinished build", name)
                self._client.drop_collection(name)

    def save(self, folder: Path) -> None:
        """The content keys in row order (the vectors live in Milvus; the manifest says where)."""
        folder.mkdir(parents=True, exist_ok=True)
        if self._keys is not None:
            np.save(folder / KEYS, self._keys)
            np.save(folder / STALE, self._stale)

    def publish(self) -> None:
        """Point the alias at the new collection and drop the one it replaces."""
        if self.collection is None:
            return
        c = self._client
        if self._previous is not None:  # incremental: the folder is in place; drop what it no longer holds
            try:
                self._delete(self._stale)
                if len(self._stale):
                    c.flush(self.collection)
            except Exception as e:
                log.warning("milvus: deleting %d stale rows failed (%s); the next build deletes them", len(self._stale), _reason(e))
            self.deleted = len(self._stale)
            return
        previous = self._target()
        try:
            if previous is None:
                c.create_alias(self.collection, self.alias)
            else:
                c.alter_alias(self.collection, self.alias)
            if previous and previous != self.collection:
                c.drop_collection(previous)
        except Exception as e:
            raise GovsearchError(f"Milvus at {self.uri}: switching alias {self.alias} failed: {_reason(e)}") from None

    def discard(self) -> None:
        """Drop the collection (or the upserted rows) of a build that failed before it was published."""
        if self._previous is not None:
            try:
                self._delete(np.setdiff1d(self._inserted, self._previous))
            except Exception:  # the next build drops them (_drop_strays)
                pass
            return
        if self.collection is not None and self.collection != self._target():
            try:
                self._client.drop_collection(self.collection)
            except Exception:  # the server may be what failed
                pass

    @classmethod
    def same_place(cls, settings: dict[str, Any], options: dict[str, Any]) -> bool:
        uri = options.get("uri")
        return (uri is None or settings.get("uri") == _check_uri(uri)) and settings.get("alias") == (
            options.get("collection") or DEFAULT_COLLECTION
        )

    # ---- opening and searching -------------------------------------------
    @classmethod
    def load(cls, folder: Path, settings: dict[str, Any], token: str | None = None) -> "MilvusBackend":
        """Open the collection the manifest names; ``token`` (else GOVSEARCH_MILVUS_TOKEN) for a server with authentication."""
        uri, name = settings.get("uri"), settings.get("collection")
        alias = settings.get("alias", DEFAULT_COLLECTION)
        index = folder.parent
        rebuild = f"`govsearch index CORPUS --index {index} --backend milvus --uri {uri} --collection {alias} --rebuild`"
        if not uri or not name:
            raise BadIndexError(f"{index}: the manifest names no Milvus URI and collection; rebuild with {rebuild}")
        self = cls.__new__(cls)
        self.uri, self.alias, self.collection = str(uri), str(alias), str(name)
        self.db_name = settings.get("db_name")
        self.kind = settings.get("kind", "flat")
        self.lists = int(settings.get("lists", 0))
        self.exact_rows = EXACT_ROWS.get(self.kind, 0)
        self.lexical, self.words_hash = str(settings.get("lexical", LOCAL_BM25)), str(settings.get("words", ""))
        self.indexes_text = self.lexical == MILVUS_BM25
        self._words, self._texts = [], None
        self._strong_until = float(settings.get("written", 0)) + FRESH
        self.show_progress, self.batch = False, BATCH
        self._previous, self._stale, self._inserted = None, np.zeros(0, np.int64), np.zeros(0, np.int64)
        self.upserted = self.deleted = 0
        try:
            self._keys = np.load(folder / KEYS, allow_pickle=False).astype(np.int64) if (folder / KEYS).exists() else None
        except (OSError, ValueError) as e:
            raise BadIndexError(f"{index}: unreadable {folder / KEYS} ({e}); rebuild with {rebuild}") from None
        self._client = connect(self.uri, token, self.db_name)
        try:
            info = self._client.describe_collection(self.collection)
        except Exception as e:
            raise BadIndexError(
                f"{index}: Milvus at {self.uri} has no collection {self.collection} ({_reason(e)}); rebuild with {rebuild}"
            ) from None
        dims = [f.get("params", {}).get("dim") for f in info.get("fields", []) if f.get("name") == "vector"]
        self.dim = int(dims[0]) if dims and dims[0] is not None else -1
        if self.dim != int(settings.get("dim", self.dim)):
            raise IndexMismatchError(
                f"{index}: Milvus collection {self.collection} holds {self.dim}-dimensional vectors, "
                f"the index was built for {settings['dim']}; rebuild with {rebuild}"
            )
        try:
            self._client.load_collection(self.collection)
            rows_in_milvus = self._count_rows()
        except Exception as e:
            raise BadIndexError(f"{index}: Milvus at {self.uri}: cannot open {self.collection} ({_reason(e)})") from None
        if self._keys is None:
            self._count = rows_in_milvus
        else:
            # a build in progress may have added rows, never removed this folder's
            self._count = len(self._keys) if rows_in_milvus >= len(self._keys) else rows_in_milvus
            order = np.argsort(self._keys, kind="stable")
            self._sorted, self._order = self._keys[order], order
        return self

    def _rows_of(self, keys: np.ndarray) -> np.ndarray:
        """Row of each key (-1: a key this folder does not hold)."""
        if self._keys is None:
            return keys
        if len(self._sorted) == 0:
            return np.full(len(keys), -1, np.int64)
        at = np.minimum(np.searchsorted(self._sorted, keys), len(self._sorted) - 1)
        return np.where(self._sorted[at] == keys, self._order[at], -1).astype(np.int64)

    def _keys_of(self, rows: np.ndarray) -> np.ndarray:
        return rows if self._keys is None else self._keys[rows]

    def __len__(self) -> int:
        return self._count

    def search(
        self,
        query: np.ndarray,
        k: int,
        allowed: np.ndarray | None = None,
        *,
        conditions: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k nearest rows; ``conditions`` (see :func:`expression`) filter inside Milvus,
        ``allowed`` row ids do so as an ``id in [...]`` expression."""
        q = np.asarray(query, dtype=np.float32).reshape(-1).tolist()
        params: dict[str, Any] = {"metric_type": "IP"}
        return self._search(q, "vector", params, k, allowed, conditions)

    def search_text(
        self, text: str, k: int, allowed: np.ndarray | None = None, *, conditions: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k rows that Milvus's full-text BM25 scores highest for ``text`` (words joined by spaces),
        as (rows, scores); filtered as :meth:`search`."""
        if not self.indexes_text:
            raise GovsearchError(f"Milvus collection {self.collection} has no full-text index; search the local bm25s index")
        if not text.strip():
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        rows, scores = self._search(text, milvus_text.SPARSE_FIELD, {"metric_type": "BM25"}, k, allowed, conditions)
        return rows, np.abs(scores)  # Milvus Lite reports BM25 negated (best first either way)

    def search_text_any(
        self,
        groups: Sequence[Sequence[str]],
        k: int,
        allowed: np.ndarray | None = None,
        *,
        conditions: dict[str, Any] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Full-text BM25 of alternatives, as ``LexicalIndex.scores_any``: each group of words adds
        the score of its best word in a row. All words are searched in one request."""
        words = list(dict.fromkeys(w for g in groups for w in g if w.strip()))
        if not words or not self.indexes_text:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        per_word = self._search_many(words, milvus_text.SPARSE_FIELD, {"metric_type": "BM25"}, k, allowed, conditions)
        found = {w: dict(zip(rows.tolist(), np.abs(scores).tolist())) for w, (rows, scores) in zip(words, per_word)}
        total: dict[int, float] = {}
        for g in groups:
            best: dict[int, float] = {}
            for w in g:
                for row, score in found.get(w, {}).items():
                    best[row] = max(best.get(row, 0.0), score)
            for row, score in best.items():
                total[row] = total.get(row, 0.0) + score
        ranked = sorted(total.items(), key=lambda x: -x[1])[:k]
        return np.array([r for r, _ in ranked], np.int64), np.array([s for _, s in ranked], np.float32)

    def _search_many(
        self,
        data: list[Any],
        field: str,
        params: dict[str, Any],
        k: int,
        allowed: np.ndarray | None,
        conditions: dict[str, Any] | None,
    ) -> list[tuple[np.ndarray, np.ndarray]]:
        """Several queries in one request; rows of a build in progress are dropped."""
        empty = np.zeros(0, np.int64), np.zeros(0, np.float32)
        if self._count == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return [empty for _ in data]
        try:
            res = self._client.search(
                self.collection, data=data, limit=min(k, self._count, MAX_LIMIT), filter=self._filter(allowed, conditions),
                anns_field=field, search_params=params, output_fields=[], consistency_level=self.consistency,
            )
        except Exception as e:
            raise GovsearchError(f"Milvus at {self.uri}: search in {self.collection} failed: {_reason(e)}") from None
        out = []
        for hits in res:
            rows = self._rows_of(np.array([int(h["id"]) for h in hits], dtype=np.int64))
            scores = np.array([float(h["distance"]) for h in hits], dtype=np.float32)
            out.append((rows[rows >= 0], scores[rows >= 0]))
        return out

    def _filter(self, allowed: np.ndarray | None, conditions: dict[str, Any] | None) -> str:
        parts = []
        if conditions:
            parts.append(expression(conditions))
        if allowed is not None:
            keys = self._keys_of(np.asarray(allowed, dtype=np.int64))
            parts.append(f"id in [{', '.join(str(int(r)) for r in keys)}]")
        return " and ".join(p for p in parts if p)

    def _search(
        self,
        data: Any,
        field: str,
        params: dict[str, Any],
        k: int,
        allowed: np.ndarray | None,
        conditions: dict[str, Any] | None,
    ) -> tuple[np.ndarray, np.ndarray]:
        empty = np.zeros(0, np.int64), np.zeros(0, np.float32)
        if self._count == 0 or k <= 0 or (allowed is not None and len(allowed) == 0):
            return empty
        expr = self._filter(allowed, conditions)
        k = min(k, self._count, MAX_LIMIT)
        limit = k
        while True:
            if self.kind == "hnsw" and field == "vector":
                params = params | {"params": {"ef": max(128, limit)}}
            elif self.kind == "ivf" and field == "vector":
                params = params | {"params": {"nprobe": IVF_NPROBE}}
            try:
                res = self._client.search(
                    self.collection, data=[data], limit=limit, filter=expr, anns_field=field, search_params=params,
                    output_fields=[], consistency_level=self.consistency,
                )
            except Exception as e:
                raise GovsearchError(f"Milvus at {self.uri}: search in {self.collection} failed: {_reason(e)}") from None
            hits = list(res[0]) if res else []
            rows = self._rows_of(np.array([int(h["id"]) for h in hits], dtype=np.int64))
            scores = np.array([float(h["distance"]) for h in hits], dtype=np.float32)
            known = rows >= 0
            # rows of a build in progress are skipped; ask again when that left the page short
            if known.all() or known.sum() >= k or len(hits) < limit or limit >= MAX_LIMIT:
                return rows[known][:k], scores[known][:k]
            limit = min(MAX_LIMIT, limit * 4)

    @property
    def consistency(self) -> str:
        """Strong while the index is fresh from its build (see the module notes), Bounded after."""
        if self.read_consistency:
            return self.read_consistency
        return "Strong" if time.time() < self._strong_until else "Bounded"

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of ``rows``, in that order (queried by primary key, in batches)."""
        out, found = self._read_vectors(rows)
        if not found.all():
            raise BadIndexError(
                f"Milvus collection {self.collection} lacks {int((~found).sum())} of the rows asked for; "
                f"rebuild with `govsearch index CORPUS --backend milvus --uri {self.uri} --collection {self.alias} --rebuild`"
            )
        return out

    def search_rows(self, query: np.ndarray, k: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The k of ``rows`` most similar to ``query``, scored exactly from their stored vectors; a row
        the collection no longer holds (a newer build deleted it) is skipped, as :meth:`search` skips it."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        if k <= 0 or len(rows) == 0:
            return np.zeros(0, np.int64), np.zeros(0, np.float32)
        vecs, found = self._read_vectors(rows)
        return top_k(rows[found], inner_products(vecs[found], query), k)

    def _read_vectors(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The vectors of ``rows`` and whether each was found (a row Milvus does not hold: zeros, False)."""
        rows = np.asarray(rows, dtype=np.int64).reshape(-1)
        out = np.zeros((len(rows), self.dim), np.float32)
        found = np.zeros(len(rows), dtype=bool)
        if len(rows) == 0:
            return out, found
        if rows.min() < 0 or rows.max() >= self._count:
            raise IndexError(f"rows out of range for an index of {self._count}")
        keys = self._keys_of(rows)
        where: dict[int, list[int]] = {}
        for i, key in enumerate(keys.tolist()):
            where.setdefault(key, []).append(i)
        unique = list(where)
        try:
            for lo in range(0, len(unique), self.batch):
                part = unique[lo : lo + self.batch]
                res = self._client.query(
                    self.collection, filter=f"id in [{', '.join(map(str, part))}]", output_fields=["id", "vector"],
                    limit=len(part), consistency_level=self.consistency,
                    strict_float32=True,  # vectors as numpy arrays: a third to half less time than lists of floats
                )
                for r in res:
                    at = where[int(r["id"])]
                    out[at] = np.asarray(r["vector"], dtype=np.float32)
                    found[at] = True
        except Exception as e:
            raise GovsearchError(f"Milvus at {self.uri}: reading vectors from {self.collection} failed: {_reason(e)}") from None
        return out, found

    def describe(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "name": self.name,
            "uri": self.uri,
            "alias": self.alias,
            "collection": self.collection,
            "dim": self.dim,
            "kind": self.kind,
            "lexical": self.lexical,
            "written": round(time.time(), 3),
        }
        if self.kind == "ivf":
            d |= {"lists": self.lists, "nprobe": IVF_NPROBE}
        if self.words_hash:
            d["words"] = self.words_hash
        if self.db_name:
            d["db_name"] = self.db_name
        return d
