"""What a chunk is embedded and keyword-indexed as.

The clause alone loses what its headings say (a 一是 point rarely names its
topic), and a heading-only clause such as "(21)推进…流动摊贩规范管理" says
little without the points under it. The evaluation in
``benchmarks/RESULTS.md`` compared the choices:

- ``clause``: the clause text alone;
- ``heading``: its heading chain, then the clause;
- ``full``: town and document title too;
- ``section``: ``heading``, and for a clause that is little more than a
  heading, the opening of the clauses under it.

govsearch embeds ``section`` and keyword-indexes ``heading``.
"""

from __future__ import annotations

from typing import Sequence

from .query import fold
from .schema import Chunk

REPRESENTATIONS = ("clause", "heading", "full", "section")
DENSE = "section"
LEXICAL = "heading"
_MAX_HEADING = 60
SHORT_CLAUSE = 80  # a clause shorter than this is represented with what follows under it
CHILD_CHARS = 100
MAX_CHILDREN = 12
MAX_CHARS = 600


def passage_text(chunk: Chunk, represent: str = LEXICAL) -> str:
    """The text of one chunk alone: the clause, its heading chain, or town and title too."""
    if represent not in REPRESENTATIONS or represent == "section":
        raise ValueError(
            f"unknown representation {represent!r} for one chunk; choose clause, heading or full "
            "(section needs the chunks around it: use passage_texts)"
        )
    parts: list[str] = []
    if represent == "full":
        parts += [p for p in (chunk.town, chunk.title) if p]
    if represent in ("heading", "full"):
        parts += [h[:_MAX_HEADING] for h in chunk.heading if h]
    parts.append(chunk.text)
    return fold(" ".join(parts))


def passage_texts(chunks: Sequence[Chunk], represent: str) -> list[str]:
    """The texts of all chunks (in document order) for one representation."""
    if represent != "section":
        return [passage_text(c, represent) for c in chunks]
    return [_section(chunks, i) for i in range(len(chunks))]


def _section(chunks: Sequence[Chunk], i: int) -> str:
    c = chunks[i]
    parts = [passage_text(c, "heading")]
    if len(c.text) < SHORT_CLAUSE:
        depth = len(c.clause)
        for d in chunks[i + 1 : i + 1 + MAX_CHILDREN]:
            if d.source != c.source or len(d.clause) <= depth or tuple(d.clause[:depth]) != tuple(c.clause):
                break
            parts.append(d.text[:CHILD_CHARS])
    return fold(" ".join(parts))[:MAX_CHARS]
