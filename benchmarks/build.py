"""Build an index folder from chunks whose vectors are already known.

For the scale runs (1M clauses) the chunks come straight from the generator
and the vectors from :class:`synth.VectorModel`, so ``build_index`` (which
loads, parses and embeds) is bypassed; the folder is written with the same
classes it uses — ``FaissBackend`` (via ``create_backend``), ``LexicalIndex``,
``ChunkStore`` and ``Manifest`` — and opens with ``Index.open``. One folder per
FAISS kind (flat, hnsw, ivf), sharing the BM25 index and the store by hard links.
``write_kind`` also serves ``bench.py --reuse-work``, which adds a kind to an
existing run's folder from the flat index's vectors.

One difference, stated where it is used: the BM25 token lists can be cut by
jieba in several processes (``procs``), because one process cuts only ~1,000
passages a second here; they are passed to ``LexicalIndex.build`` as its
``cut``, so the BM25 index itself is built exactly as ``build_index`` builds it.
"""

from __future__ import annotations

import multiprocessing as mp
import shutil
import time
from pathlib import Path
from typing import Sequence

import numpy as np

from govsearch import passages
from govsearch.backends import create_backend
from govsearch.lexical import LexicalIndex, Tokenizer
from govsearch.manifest import Manifest
from govsearch.store import ChunkStore

_TOK: Tokenizer | None = None


def _init(words: Sequence[str]) -> None:
    global _TOK
    _TOK = Tokenizer(words)


def _cut(texts: Sequence[str]) -> list[list[str]]:
    assert _TOK is not None
    return _TOK.tokens_many(texts)  # what LexicalIndex.build indexes


def build_lexical(texts: Sequence[str], words: Sequence[str] = (), procs: int = 1, batch: int = 4000) -> LexicalIndex:
    """``LexicalIndex.build(texts, words)``, with the jieba cutting spread over ``procs`` processes."""
    if procs <= 1:
        return LexicalIndex.build(texts, words)
    with mp.get_context("fork").Pool(procs, initializer=_init, initargs=(list(words),)) as pool:

        def cut(todo: list[str]) -> list[list[str]]:
            parts = pool.imap(_cut, (todo[i : i + batch] for i in range(0, len(todo), batch)))
            return [toks for part in parts for toks in part]

        return LexicalIndex.build(texts, words, cut=cut)


KINDS = ("flat", "hnsw", "ivf")


def write_index(
    folder: Path,
    chunks: Sequence,
    texts: Sequence[str],
    vectors: np.ndarray,
    embedder,
    kinds: Sequence[str] = KINDS,
    procs: int = 2,
) -> dict[str, dict[str, float]]:
    """One index folder per FAISS kind (``folder/<kind>``); BM25 and store are built once
    and hard-linked into each. Returns the seconds of each stage per kind."""
    from govsearch.index import _embedder_settings

    folder.mkdir(parents=True, exist_ok=True)
    shared = folder / "_shared"
    shutil.rmtree(shared, ignore_errors=True)
    t = time.perf_counter()
    build_lexical(texts, (), procs).save(shared / "lexical")
    lexical = time.perf_counter() - t
    t = time.perf_counter()
    ChunkStore.write(shared / "store", chunks)
    store = time.perf_counter() - t
    out = {}
    for kind in kinds:
        secs = write_kind(folder / kind, kind, vectors, shared, embedder.describe() | _embedder_settings(embedder),
                          getattr(passages, "DENSE", "heading"), {"lexical": lexical, "store": store})
        out[kind] = secs | {"lexical": lexical, "store": store}
    shutil.rmtree(shared, ignore_errors=True)
    return out


def write_kind(
    dest: Path,
    kind: str,
    vectors: np.ndarray,
    shared: Path,
    embedder: dict,
    represent: str,
    timings: dict[str, float],
) -> dict[str, float]:
    """The index folder ``dest`` of one FAISS kind: the vectors indexed by govsearch's
    ``FaissBackend`` (timed: ``add`` includes an IVF index's training), ``lexical/`` and
    ``store/`` hard-linked from ``shared``, and the ``Manifest`` as ``build_index`` writes it.
    ``timings`` (the shared stages' seconds) go into the manifest beside the vectors'."""
    shutil.rmtree(dest, ignore_errors=True)
    t = time.perf_counter()
    vb = create_backend("faiss", vectors.shape[1], len(vectors), kind=kind)
    vb.add(vectors)
    added = time.perf_counter() - t
    vb.save(dest / "vectors")
    secs = time.perf_counter() - t
    for part in ("lexical", "store"):
        shutil.copytree(shared / part, dest / part, copy_function=_link)
    Manifest(
        embedder=embedder,
        backend=vb.describe(),
        files={},
        chunks=len(vectors),
        represent=represent,
        corpus="synthetic",
        timings={"vectors": round(secs, 3)} | {k: round(v, 3) for k, v in timings.items()},
    ).save(dest)
    return {"vectors": secs, "vectors_add": added, "vectors_save": secs - added}


def _link(src: str, dst: str) -> None:
    try:
        Path(dst).hardlink_to(src)
    except OSError:
        shutil.copy2(src, dst)
