"""Readers turn a file of any supported format into a :class:`SourceText`.

One module per format; each registers the file endings it reads. ``read(path)``
picks the reader by ending and raises :class:`DocumentError` naming the file
and the reason when it cannot.

Files larger than :func:`max_file_bytes` (50 MB unless the environment variable
``GOVSEARCH_MAX_FILE_MB`` says otherwise) are refused before any reader opens
them: a governance document is rarely above a few MB, and reading a huge file
would hold the whole build (and its memory) for one file.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from ..errors import DocumentError
from ..schema import SourceText

Reader = Callable[[Path], SourceText]

DEFAULT_MAX_FILE_MB = 50
MAX_FILE_ENV = "GOVSEARCH_MAX_FILE_MB"

_READERS: dict[str, Reader] = {}


def register(*suffixes: str) -> Callable[[Reader], Reader]:
    """Register a reader function for the given file endings (``".txt"``…)."""

    def deco(fn: Reader) -> Reader:
        for s in suffixes:
            _READERS[s.lower()] = fn
        return fn

    return deco


def supported_suffixes() -> list[str]:
    """File endings govsearch can read."""
    _load_builtin()
    return sorted(_READERS)


def max_file_bytes() -> int:
    """The largest file :func:`read` opens: ``GOVSEARCH_MAX_FILE_MB`` megabytes, default 50."""
    raw = os.environ.get(MAX_FILE_ENV, "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MAX_FILE_MB
    except ValueError:
        mb = DEFAULT_MAX_FILE_MB
    return int(max(mb, 0) * 1024 * 1024)


def read(path: str | Path) -> SourceText:
    """Read one file into decoded text, choosing the reader by its ending."""
    _load_builtin()
    p = Path(path)
    reader = _READERS.get(p.suffix.lower())
    if reader is None:
        raise DocumentError(
            p, f"unsupported file type {p.suffix or '(none)'}; supported: {', '.join(sorted(_READERS))}"
        )
    if not p.exists():
        raise DocumentError(p, "file not found")
    if not p.is_file():
        raise DocumentError(p, "not a regular file")
    try:
        size, limit = p.stat().st_size, max_file_bytes()
    except OSError as e:
        raise DocumentError(p, f"cannot be read ({e.strerror or e})") from None
    if size > limit:
        raise DocumentError(
            p,
            f"file of {size / 2**20:.1f} MB is larger than the {limit / 2**20:.0f} MB govsearch reads; "
            f"split it, or set {MAX_FILE_ENV} to raise the limit",
        )
    try:
        return reader(p)
    except DocumentError:
        raise
    except PermissionError:
        raise DocumentError(p, "permission denied") from None
    except Exception as e:  # a reader library failing on a damaged file
        raise DocumentError(p, f"could not be read ({type(e).__name__}: {e})") from e


_loaded = False


def _load_builtin() -> None:
    global _loaded
    if _loaded:
        return
    _loaded = True
    import importlib

    for name in ("text", "html", "docx", "pdf", "ofd", "legacy"):
        try:
            importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as e:
            if e.name and e.name.startswith(__name__):
                continue  # that format is not written yet
            raise
