"""Recognise documents and chunks copied from another document.

Matching is by normalised text (NFKC, whitespace removed) held in dictionaries,
so it costs one hash lookup per sentence or chunk, never a pairwise comparison
of texts.

* A document most of whose sentences (``COPY_SHARE``) occur in one other,
  larger document is a copy of it: ``Metadata.duplicate_of`` names that file
  and the copy inherits its town, city and issuer where it has none.
* A chunk of a copy whose text equals a chunk of its original, or most of
  whose characters are sentences of one such chunk, gets ``Chunk.duplicate_of``
  = that chunk's id, so search can show a clause once. Elsewhere only long
  chunks (``MIN_SHARED_CHUNK``) repeated word for word in another file are
  linked: identical short headings (四、下一步工作打算) are not copies.

Values set by hand (``corpus/manifest.toml``) are never overwritten.
"""

from __future__ import annotations

import dataclasses
import logging
import re
import unicodedata
from collections import Counter, defaultdict

from .schema import Chunk, Document

logger = logging.getLogger(__name__)

__all__ = ["normalise", "sentences", "find_copies", "mark_duplicates", "link_chunks", "COPY_SHARE"]

COPY_SHARE = 0.5  # share of a document's sentences found in one other document
MIN_SHARED_CHUNK = 50  # outside copies, only chunks this long are linked (not "四、下一步工作打算")
MIN_SENTENCE = 10  # shorter sentences ("一是…。" stubs, headings) are too common to count
_SPLIT = re.compile(r"(?<=[。；;！？!?])|\n")
_SPACE = re.compile(r"\s+")


def normalise(text: str) -> str:
    """The form texts are compared in: NFKC (full-width → ASCII) without whitespace."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", text))


def sentences(text: str) -> list[str]:
    """Normalised sentences of at least ``MIN_SENTENCE`` characters."""
    out = []
    for part in _SPLIT.split(text):
        s = normalise(part)
        if len(s) >= MIN_SENTENCE:
            out.append(s)
    return out


def _body(doc: Document) -> str:
    """The document text without its skipped spans (furniture copies everywhere)."""
    parts, pos = [], 0
    for s, e in sorted(doc.skip):
        parts.append(doc.text[pos:s])
        pos = max(pos, e)
    parts.append(doc.text[pos:])
    return "\n".join(parts)


def find_copies(docs: list[Document]) -> dict[str, str]:
    """``{copy source: original source}`` for every document that copies another."""
    sents = [set(sentences(_body(d))) for d in docs]
    where: dict[str, list[int]] = defaultdict(list)
    for i, ss in enumerate(sents):
        for s in ss:
            where[s].append(i)
    copies: dict[str, str] = {}
    for i, ss in enumerate(sents):
        if len(ss) < 3:
            continue
        shared: Counter[int] = Counter()
        for s in ss:
            for j in where[s]:
                if j != i:
                    shared[j] += 1
        if not shared:
            continue
        j, n = shared.most_common(1)[0]
        share = n / len(ss)
        if share < COPY_SHARE:
            continue
        back = n / max(len(sents[j]), 1)
        # the original is the larger one; identical files: the first in order
        if back > share or (back == share and j > i):
            continue
        copies[docs[i].source] = docs[j].source
    # follow chains to the first original
    for src, orig in list(copies.items()):
        seen = {src}
        while orig in copies and orig not in seen:
            seen.add(orig)
            orig = copies[orig]
        copies[src] = orig
    return copies


def mark_duplicates(docs: list[Document]) -> list[Document]:
    """Documents with ``duplicate_of`` set on copies, which inherit the original's place."""
    copies = find_copies(docs)
    by_source = {d.source: d for d in docs}
    out: list[Document] = []
    for d in docs:
        orig_source = d.metadata.duplicate_of or copies.get(d.source)
        orig = by_source.get(orig_source) if orig_source else None
        if orig_source is None:
            out.append(d)
            continue
        m = d.metadata
        changes: dict[str, object] = {"duplicate_of": orig_source}
        if orig is not None:
            om = orig.metadata
            if m.town is None and om.town is not None:
                changes["town"] = om.town
                changes["anonymised"] = om.anonymised
            if m.city is None and om.city is not None:
                changes["city"] = om.city
            if m.issuer is None and om.issuer is not None:
                changes["issuer"] = om.issuer
        if d.source in copies:
            logger.info("%s copies %s", d.source, orig_source)
        out.append(dataclasses.replace(d, metadata=dataclasses.replace(m, **changes)))
    return out


def link_chunks(chunks: list[Chunk], docs: list[Document] | None = None) -> list[Chunk]:
    """Chunks with ``duplicate_of`` pointing at the first chunk (of an original) with the same text."""
    copied_from = {d.source: d.metadata.duplicate_of for d in docs or [] if d.metadata.duplicate_of}
    order = sorted(range(len(chunks)), key=lambda i: (chunks[i].source in copied_from, i))
    first: dict[str, Chunk] = {}  # normalised text -> first chunk carrying it
    in_source: dict[tuple[str, str], Chunk] = {}  # (source, normalised text) -> chunk
    by_sentence: dict[tuple[str, str], Chunk] = {}  # (source, sentence) -> chunk holding it
    for i in order:
        c = chunks[i]
        key = normalise(c.text)
        first.setdefault(key, c)
        in_source.setdefault((c.source, key), c)
        if c.source not in copied_from:
            for s in sentences(c.text):
                by_sentence.setdefault((c.source, s), c)
    out: list[Chunk] = []
    linked = 0
    for c in chunks:
        key = normalise(c.text)
        src = copied_from.get(c.source)
        orig = in_source.get((src, key)) if src is not None else None
        if orig is None and len(key) >= MIN_SHARED_CHUNK:
            orig = first.get(key)  # a long clause repeated word for word elsewhere
        if orig is not None and orig.source != c.source:
            out.append(dataclasses.replace(c, duplicate_of=orig.id))
            linked += 1
            continue
        if src is not None:
            holder = _sentence_match(c, src, by_sentence)
            if holder is not None:
                out.append(dataclasses.replace(c, duplicate_of=holder.id))
                linked += 1
                continue
        out.append(c)
    if linked:
        logger.info("linked %d copied chunk(s) to their originals", linked)
    return out


def _sentence_match(c: Chunk, source: str, by_sentence: dict[tuple[str, str], Chunk]) -> Chunk | None:
    """The original chunk holding most of this chunk's characters, sentence by sentence."""
    ss = sentences(c.text)
    if not ss:
        return None
    hits: Counter[str] = Counter()
    holders: dict[str, Chunk] = {}
    for s in ss:
        h = by_sentence.get((source, s))
        if h is not None:
            hits[h.id] += len(s)
            holders[h.id] = h
    if not hits:
        return None
    best, chars = hits.most_common(1)[0]
    return holders[best] if chars >= 0.6 * len(normalise(c.text)) else None
