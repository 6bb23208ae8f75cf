"""Readers turn a file of any supported format into a :class:`SourceText`.

One module per format; each registers the file endings it reads. ``read(path)``
picks the reader by ending and raises :class:`DocumentError` naming the file
and the reason when it cannot.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from ..errors import DocumentError
from ..schema import SourceText

Reader = Callable[[Path], SourceText]

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
