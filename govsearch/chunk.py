"""Turn clauses into the chunks that are embedded and searched.

One chunk per clause that has text of its own beyond its marker: leaf clauses,
a parent's body, and also a heading-only parent such as ``(34)强化责任担当…`` —
users quote those headings ("which towns did X") and citations must be able to
point at them. A clause longer than ``max_chars`` is split with
langchain-text-splitters at line breaks, 。 and ；, and every piece keeps its
exact span (``doc.text[start:end] == chunk.text``), its clause path and its
heading chain (pieces after the first also carry the clause's own heading).

``Chunk.id`` is a hash of (source, start, end, text): stable across runs and
machines, and it changes when the text it points at changes.
"""

from __future__ import annotations

import hashlib
import logging
import re
from typing import Iterable

from langchain_text_splitters import RecursiveCharacterTextSplitter

from .errors import GovsearchError
from .parse import heading_of, parse, strip_marker
from .schema import Chunk, Clause, Document

logger = logging.getLogger(__name__)

__all__ = ["chunk_document", "chunk_corpus", "chunk_id", "DEFAULT_MAX_CHARS", "SEPARATORS"]

DEFAULT_MAX_CHARS = 400
SEPARATORS = ["\n", "。", "；", ";", "，", ""]
_SUBSTANCE = re.compile(r"[\w\u4e00-\u9fff]")


def chunk_id(source: str, start: int, end: int, text: str) -> str:
    """Stable id of a chunk: the first 16 hex digits of sha256(source, start, end, text)."""
    h = hashlib.sha256(f"{source}\x1f{start}\x1f{end}\x1f{text}".encode("utf-8"))
    return h.hexdigest()[:16]


def _splitter(max_chars: int) -> RecursiveCharacterTextSplitter:
    return RecursiveCharacterTextSplitter(
        chunk_size=max_chars,
        chunk_overlap=0,
        separators=SEPARATORS,
        keep_separator="end",
        strip_whitespace=True,
    )


def _pieces(text: str, start: int, max_chars: int) -> list[tuple[int, int]]:
    """Absolute spans of the pieces of a clause text starting at ``start``."""
    if len(text) <= max_chars:
        return [(start, start + len(text))]
    spans: list[tuple[int, int]] = []
    cursor = 0
    for piece in _splitter(max_chars).split_text(text):
        at = text.find(piece, cursor)
        if at < 0:  # the splitter should only cut, never rewrite; stay exact anyway
            logger.warning("splitter piece not found in clause text at %d; keeping the clause whole", start)
            return [(start, start + len(text))]
        spans.append((start + at, start + at + len(piece)))
        cursor = at + len(piece)
    return spans


def _has_substance(clause: Clause) -> bool:
    body = strip_marker(clause.text) if clause.path and clause.text.startswith(clause.path[-1][:1]) else clause.text
    return bool(_SUBSTANCE.search(body))


def chunk_document(doc: Document, clauses: list[Clause] | None = None, max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """The chunks of one document (its clauses are parsed when not given)."""
    if max_chars < 20:
        raise GovsearchError(f"max_chars={max_chars} is too small; use 20 or more (default {DEFAULT_MAX_CHARS})")
    if clauses is None:
        clauses = parse(doc)
    meta = doc.metadata
    chunks: list[Chunk] = []
    for clause in clauses:
        if not _has_substance(clause):
            continue
        spans = _pieces(clause.text, clause.start, max_chars)
        own_heading = heading_of(clause.text)
        for i, (s, e) in enumerate(spans):
            text = doc.text[s:e]
            heading = clause.heading if i == 0 or not own_heading else clause.heading + (own_heading,)
            chunks.append(
                Chunk(
                    id=chunk_id(doc.source, s, e, text),
                    source=doc.source,
                    text=text,
                    start=s,
                    end=e,
                    clause=clause.path,
                    heading=heading,
                    town=meta.town,
                    date=meta.date,
                    title=meta.title,
                    doc_type=meta.doc_type,
                    page=doc.page_at(s),
                )
            )
    return chunks


def chunk_corpus(docs: Iterable[Document], max_chars: int = DEFAULT_MAX_CHARS) -> list[Chunk]:
    """Chunks of every document, copies marked and linked to their originals.

    Documents that copy another inherit its town (see :mod:`govsearch.duplicates`),
    and each copied chunk gets ``duplicate_of`` = the id of the original chunk.
    """
    from .duplicates import link_chunks, mark_duplicates

    marked = mark_duplicates(list(docs))
    chunks: list[Chunk] = []
    for doc in marked:
        chunks.extend(chunk_document(doc, max_chars=max_chars))
    return link_chunks(chunks, marked)
