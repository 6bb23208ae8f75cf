"""The plain records that pass between govsearch's stages.

read ──▶ SourceText ──load──▶ Document ──parse──▶ Clause ──chunk──▶ Chunk
──index/search──▶ Hit ──answer──▶ Answer

Every offset (``start``/``end``) is a character offset into ``Document.text``,
the decoded text of the source file, so ``document.text[start:end]`` is
exactly what a clause or chunk quotes.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class SourceText:
    """What a reader makes of one file: its decoded text and where pages begin.

    ``pages`` holds the character offset at which each page starts (page 1 at
    index 0); it is empty for formats without pages (txt, md, html, docx).
    """

    text: str
    format: str
    encoding: str | None = None
    pages: tuple[int, ...] = ()

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding ``offset``, or None when there are no pages."""
        if not self.pages:
            return None
        page = 0
        for i, begin in enumerate(self.pages):
            if begin <= offset:
                page = i
            else:
                break
        return page + 1


@dataclass(frozen=True)
class Metadata:
    """What is known about a document; unknown values are None."""

    title: str | None = None
    issuer: str | None = None
    city: str | None = None
    town: str | None = None
    anonymised: bool = False
    date: str | None = None  # YYYY-MM-DD
    doc_type: str | None = None
    round: str | None = None  # inspection round, e.g. 十五届市委第六轮巡察
    duplicate_of: str | None = None  # source file this document copies from

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Document:
    """One loaded file: its exact decoded text, metadata and the spans to skip.

    ``source`` is the file name relative to the corpus folder; ``skip`` lists
    ``(start, end)`` spans of web-page furniture (navigation, share buttons,
    attachment lists) that are not indexed but keep their place in ``text``.
    """

    source: str
    text: str
    metadata: Metadata
    format: str = "txt"
    encoding: str | None = None
    pages: tuple[int, ...] = ()
    skip: tuple[tuple[int, int], ...] = ()
    sha256: str = ""

    def page_at(self, offset: int) -> int | None:
        """The 1-based page holding ``offset`` (None for formats without pages)."""
        return SourceText(self.text, self.format, pages=self.pages).page_at(offset)


@dataclass(frozen=True)
class Clause:
    """One numbered clause of a document.

    ``path`` is its chain of normalised markers, e.g. ``("二、", "(二)", "6.",
    "(19)", "一是")``; ``heading`` the heading text of each ancestor, outermost
    first; ``text`` its own text (from its marker up to its first sub-clause or
    its end), which is exactly ``document.text[start:end]``.
    """

    path: tuple[str, ...]
    heading: tuple[str, ...]
    text: str
    start: int
    end: int
    level: int
    has_children: bool = False

    @property
    def path_str(self) -> str:
        return " ".join(self.path)


@dataclass(frozen=True)
class Chunk:
    """The unit that is embedded and searched: a clause (or a piece of a long one)
    with the context needed to cite it."""

    id: str
    source: str
    text: str
    start: int
    end: int
    clause: tuple[str, ...]
    heading: tuple[str, ...] = ()
    town: str | None = None
    date: str | None = None
    title: str | None = None
    doc_type: str | None = None
    page: int | None = None
    duplicate_of: str | None = None  # id of the original chunk this one copies

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["clause"] = list(self.clause)
        d["heading"] = list(self.heading)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Chunk":
        known = {f for f in cls.__dataclass_fields__}
        kw = {k: v for k, v in d.items() if k in known}
        kw["clause"] = tuple(kw.get("clause", ()))
        kw["heading"] = tuple(kw.get("heading", ()))
        return cls(**kw)


@dataclass(frozen=True)
class Hit:
    """A search result: a chunk with its score and a readable citation."""

    chunk: Chunk
    score: float
    also_in: tuple[str, ...] = field(default=())  # other files carrying the same clause
    row: int = field(default=-1, compare=False)  # where the index keeps it (-1: unknown)

    @property
    def citation(self) -> str:
        c = self.chunk
        parts = [c.town or "(未知镇街)", f"《{c.title}》" if c.title else c.source]
        if c.date:
            parts.append(c.date)
        if c.clause:
            parts.append(" ".join(c.clause))
        if c.page:
            parts.append(f"第{c.page}页")
        parts.append(f"{c.source}:{c.start}-{c.end}")
        return " · ".join(parts)

    def to_dict(self) -> dict[str, Any]:
        c = self.chunk
        return {
            "source": c.source,
            "start": c.start,
            "end": c.end,
            "clause": list(c.clause),
            "heading": list(c.heading),
            "town": c.town,
            "date": c.date,
            "title": c.title,
            "doc_type": c.doc_type,
            "page": c.page,
            "text": c.text,
            "score": round(float(self.score), 6),
            "citation": self.citation,
            "also_in": list(self.also_in),
        }
