"""Preparing what the user typed for search.

Full-width and half-width letters and digits are folded (NFKC), Traditional
Chinese is converted to Simplified (OpenCC) so that either finds the other,
and an absurdly long query is cut to what the model reads.
"""

from __future__ import annotations

import functools
import logging
import re
import unicodedata

from .errors import QueryError

log = logging.getLogger(__name__)

MAX_QUERY_CHARS = 512
_SPACE = re.compile(r"\s+")
# lone surrogates (from undecodable bytes on a command line, or a JSON escape) and
# control characters: no encoder or model takes them; they become spaces
_UNSAFE = re.compile(r"[\ud800-\udfff\x00-\x08\x0b\x0e-\x1f\x7f]")


@functools.lru_cache(maxsize=1)
def _t2s():
    try:
        import opencc
    except ImportError:  # pragma: no cover - a core dependency
        return None
    try:
        return opencc.OpenCC("t2s")
    except Exception:  # pragma: no cover
        return opencc.OpenCC("t2s.json")


def to_simplified(text: str) -> str:
    """Traditional Chinese characters replaced by Simplified ones."""
    conv = _t2s()
    if conv is None:
        return text
    try:
        return conv.convert(text)
    except UnicodeEncodeError:  # lone surrogates: each becomes "?", so offsets stay the same
        return conv.convert(text.encode("utf-8", "replace").decode("utf-8"))


def fold(text: str) -> str:
    """Width-folded (NFKC) Simplified text, as indexed and searched."""
    return to_simplified(unicodedata.normalize("NFKC", text))


def prepare(query: str) -> str:
    """The query as searched: folded, whitespace collapsed, at most MAX_QUERY_CHARS.

    Raises :class:`QueryError` for a query with nothing to search for.
    """
    if not isinstance(query, str):
        raise QueryError(f"a query must be text, not {type(query).__name__}")
    # folding a pasted book would cost seconds only to be cut: fold a generous head of it
    head = query.strip()[: MAX_QUERY_CHARS * 8]
    q = _SPACE.sub(" ", fold(_UNSAFE.sub(" ", head))).strip()
    if not q or not any(ch.isalnum() for ch in q):
        raise QueryError("the query is empty: type words to search for")
    if len(q) > MAX_QUERY_CHARS:
        log.info("query of %d characters cut to %d", len(q), MAX_QUERY_CHARS)
        q = q[:MAX_QUERY_CHARS]
    return q
