"""What a chunk is embedded and keyword-indexed as.

The clause alone loses what its headings say (a 一是 point rarely names its
topic); the evaluation in ``benchmarks/RESULTS.md`` compares the choices.
"""

from __future__ import annotations

from .query import fold
from .schema import Chunk

REPRESENTATIONS = ("clause", "heading", "full")
DEFAULT = "heading"
_MAX_HEADING = 60


def passage_text(chunk: Chunk, represent: str = DEFAULT) -> str:
    """The text embedded for ``chunk``: the clause, its heading chain, or town and title too."""
    if represent not in REPRESENTATIONS:
        raise ValueError(f"unknown representation {represent!r}; choose one of {', '.join(REPRESENTATIONS)}")
    parts: list[str] = []
    if represent == "full":
        parts += [p for p in (chunk.town, chunk.title) if p]
    if represent in ("heading", "full"):
        parts += [h[:_MAX_HEADING] for h in chunk.heading if h]
    parts.append(chunk.text)
    return fold(" ".join(parts))
