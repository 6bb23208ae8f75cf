"""Build an index folder from chunks whose vectors are already known.

For the scale runs (1M clauses) the chunks come straight from the generator
and the vectors from :class:`synth.VectorModel`, so ``build_index`` (which
loads, parses and embeds) is bypassed; the folder is written with the same
classes it uses — ``FaissBackend`` (via ``create_backend``), ``LexicalIndex``,
``ChunkStore`` and ``Manifest`` — and opens with ``Index.open``.

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


def write_index(
    folder: Path,
    chunks: Sequence,
    texts: Sequence[str],
    vectors: np.ndarray,
    embedder,
    kinds: Sequence[str] = ("flat", "hnsw"),
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
        dest = folder / kind
        shutil.rmtree(dest, ignore_errors=True)
        t = time.perf_counter()
        vb = create_backend("faiss", embedder.dim, len(chunks), kind=kind)
        vb.add(vectors)
        vb.save(dest / "vectors")
        secs = time.perf_counter() - t
        for part in ("lexical", "store"):
            shutil.copytree(shared / part, dest / part, copy_function=_link)
        Manifest(
            embedder=embedder.describe() | _embedder_settings(embedder),
            backend=vb.describe(),
            files={},
            chunks=len(chunks),
            represent=getattr(passages, "DENSE", "heading"),
            corpus="synthetic",
            timings={"vectors": round(secs, 3), "lexical": round(lexical, 3), "store": round(store, 3)},
        ).save(dest)
        out[kind] = {"vectors": secs, "lexical": lexical, "store": store}
        del vb
    shutil.rmtree(shared, ignore_errors=True)
    return out


def _link(src: str, dst: str) -> None:
    try:
        Path(dst).hardlink_to(src)
    except OSError:
        shutil.copy2(src, dst)
