"""govsearch's exceptions: one base class, a few that say what went wrong.

The command line turns each into one line naming the file or value and the fix.
"""

from __future__ import annotations


class GovsearchError(Exception):
    """Base class of every error govsearch raises on purpose."""


class DocumentError(GovsearchError):
    """A file could not be read as a document (empty, binary, unsupported, needs OCR…)."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class BadIndexError(GovsearchError):
    """The index folder is missing, corrupt, locked or was built differently."""


class IndexMismatchError(BadIndexError):
    """The index was built with another model, dimension or format version."""


class QueryError(GovsearchError):
    """A query or a filter value cannot be searched."""
