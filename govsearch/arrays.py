"""Arrays saved in an index folder: read without pickle, damage reported plainly.

numpy refuses an object array when ``allow_pickle=False``, but its message
suggests loading the file "unsafely"; govsearch never does, and a damaged,
truncated or foreign file becomes a :class:`BadIndexError` that says to
rebuild, never a raw numpy, zipfile or EOF error.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Iterable

import numpy as np

from .errors import BadIndexError

REBUILD = "rebuild the index with `govsearch index CORPUS --index FOLDER --rebuild`"


def _refusal(path: Path, e: BaseException) -> BadIndexError:
    msg = str(e)
    if "pickle" in msg or "Python objects" in msg:
        return BadIndexError(
            f"{path}: not a plain array (reading it would mean unpickling, which govsearch never does); {REBUILD}"
        )
    if isinstance(e, FileNotFoundError):
        return BadIndexError(f"{path}: missing; {REBUILD}")
    return BadIndexError(f"{path}: damaged or truncated ({type(e).__name__}: {msg}); {REBUILD}")


def load_npy(path: Path) -> np.ndarray:
    """A plain (non-object) array from an ``.npy`` file."""
    try:
        arr = np.load(path, allow_pickle=False)
    except (OSError, EOFError, ValueError) as e:
        raise _refusal(path, e) from None
    if not isinstance(arr, np.ndarray) or arr.dtype.hasobject:
        raise _refusal(path, ValueError("Python objects"))
    return arr


def check_npy(path: Path) -> None:
    """Refuse an ``.npy`` that is damaged, shorter than its header says, or holds objects
    (reads the header and maps the data; nothing is loaded)."""
    try:
        arr = np.load(path, allow_pickle=False, mmap_mode="r")
    except (OSError, EOFError, ValueError) as e:
        raise _refusal(path, e) from None
    del arr


def load_npz(path: Path, keys: Iterable[str]) -> dict[str, np.ndarray]:
    """The named plain arrays of an ``.npz`` file."""
    try:
        with np.load(path, allow_pickle=False) as z:
            out = {k: z[k] for k in keys}
    except (OSError, EOFError, ValueError, KeyError, zipfile.BadZipFile) as e:
        raise _refusal(path, e) from None
    for arr in out.values():
        if arr.dtype.hasobject:
            raise _refusal(path, ValueError("Python objects"))
    return out


__all__ = ["REBUILD", "check_npy", "load_npy", "load_npz"]
