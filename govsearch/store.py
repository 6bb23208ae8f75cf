"""The chunk store: every indexed chunk as one JSON line, plus filter columns.

``chunks.jsonl`` holds the chunks in row order and ``offsets.npy`` the byte
offset of each line, so a chunk is read on demand without loading them all.
``columns.json`` and ``columns.npz`` hold what filters need (source, town,
document type as category codes; date as YYYYMMDD integers) and the
duplicate groups that collapse a clause copied into several files.
"""

from __future__ import annotations

import json
import mmap
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import numpy as np

from .arrays import REBUILD, load_npy, load_npz
from .errors import BadIndexError
from .schema import Chunk

CATEGORIES = ("source", "town", "doc_type")


def _date_int(date: str | None) -> int:
    if not date:
        return 0
    try:
        return int(date.replace("-", "")[:8])
    except ValueError:
        return 0


@dataclass
class Columns:
    """Filterable values of every row, as arrays."""

    vocab: dict[str, list[str]]  # category -> values; code i means vocab[i]
    codes: dict[str, np.ndarray]  # category -> int32 code per row (-1: unknown)
    date: np.ndarray  # int32 YYYYMMDD per row, 0 unknown
    group: np.ndarray  # int32: row of the clause this row duplicates (itself if original)

    @classmethod
    def from_chunks(cls, chunks: Sequence[Chunk]) -> "Columns":
        vocab: dict[str, list[str]] = {}
        codes: dict[str, np.ndarray] = {}
        for cat in CATEGORIES:
            values = [getattr(c, cat) for c in chunks]
            names = sorted({v for v in values if v})
            index = {v: i for i, v in enumerate(names)}
            vocab[cat] = names
            codes[cat] = np.array([index.get(v, -1) if v else -1 for v in values], dtype=np.int32)
        date = np.array([_date_int(c.date) for c in chunks], dtype=np.int32)
        row_of = {c.id: i for i, c in enumerate(chunks)}
        group = np.array(
            [row_of.get(c.duplicate_of, i) if c.duplicate_of else i for i, c in enumerate(chunks)],
            dtype=np.int32,
        )
        return cls(vocab, codes, date, group)

    def values(self, category: str) -> list[str]:
        """The distinct values of a category (e.g. every town), sorted."""
        return list(self.vocab[category])


class ChunkStore:
    """Chunks by row, read lazily from ``chunks.jsonl``."""

    def __init__(self, folder: Path, columns: Columns, offsets: np.ndarray) -> None:
        self.folder = folder
        self.columns = columns
        self._offsets = offsets
        self._file = open(folder / "chunks.jsonl", "rb")
        self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if offsets.size else None
        self._cache: dict[int, Chunk] = {}

    def __len__(self) -> int:
        return int(len(self._offsets))

    def get(self, row: int) -> Chunk:
        """The chunk at ``row``."""
        hit = self._cache.get(row)
        if hit is None:
            if not 0 <= row < len(self):
                raise IndexError(row)
            start = int(self._offsets[row])
            end = int(self._offsets[row + 1]) if row + 1 < len(self) else len(self._map)  # type: ignore[arg-type]
            try:
                hit = Chunk.from_dict(json.loads(self._map[start:end]))  # type: ignore[index]
            except (ValueError, TypeError, AttributeError) as e:  # bytes that are not a chunk line
                raise BadIndexError(
                    f"{self.folder / 'chunks.jsonl'}: damaged at chunk {row} ({type(e).__name__}: {e}); {REBUILD}"
                ) from None
            if len(self._cache) < 100_000:
                self._cache[row] = hit
        return hit

    def __iter__(self):
        return (self.get(i) for i in range(len(self)))

    def close(self) -> None:
        if self._map is not None:
            self._map.close()
        self._file.close()

    @staticmethod
    def write(folder: Path, chunks: Sequence[Chunk]) -> None:
        """Write ``chunks`` (in row order) and their columns into ``folder``."""
        folder.mkdir(parents=True, exist_ok=True)
        offsets = np.zeros(len(chunks), dtype=np.int64)
        pos = 0
        with open(folder / "chunks.jsonl", "wb") as f:
            for i, c in enumerate(chunks):
                line = (json.dumps(c.to_dict(), ensure_ascii=False) + "\n").encode("utf-8")
                offsets[i] = pos
                pos += len(line)
                f.write(line)
        np.save(folder / "offsets.npy", offsets, allow_pickle=False)
        cols = Columns.from_chunks(chunks)
        (folder / "columns.json").write_text(json.dumps(cols.vocab, ensure_ascii=False), "utf-8")
        np.savez(
            folder / "columns.npz",
            date=cols.date,
            group=cols.group,
            **{f"code_{k}": v for k, v in cols.codes.items()},
        )

    @classmethod
    def open(cls, folder: Path) -> "ChunkStore":
        """Open a written store; a missing, damaged or truncated file is a BadIndexError."""
        offsets = load_npy(folder / "offsets.npy")
        arrays = load_npz(folder / "columns.npz", ["date", "group", *(f"code_{k}" for k in CATEGORIES)])
        codes = {k: arrays[f"code_{k}"] for k in CATEGORIES}
        date, group = arrays["date"], arrays["group"]
        try:
            vocab = json.loads((folder / "columns.json").read_text("utf-8"))
        except (OSError, ValueError) as e:
            raise BadIndexError(f"{folder}: damaged chunk store ({e}); {REBUILD}") from e
        if not (
            isinstance(vocab, dict)
            and all(isinstance(vocab.get(k), list) for k in CATEGORIES)
            and offsets.ndim == 1
            and all(a.ndim == 1 and a.dtype.kind in "iu" for a in (offsets, *codes.values(), date, group))
        ):
            raise BadIndexError(f"{folder}: chunk store columns are not what govsearch wrote; {REBUILD}")
        if not all(len(a) == len(offsets) for a in (*codes.values(), date, group)):
            raise BadIndexError(f"{folder}: chunk store columns disagree in length; {REBUILD}")
        n = len(offsets)
        if n and (
            group.min() < 0
            or group.max() >= n
            or any(c.min() < -1 or c.max() >= len(vocab[k]) for k, c in codes.items())
            or (np.diff(offsets) <= 0).any()
            or offsets[0] != 0
        ):
            raise BadIndexError(f"{folder}: chunk store columns point outside the store; {REBUILD}")
        _check_lines(folder / "chunks.jsonl", offsets)
        return cls(folder, Columns(vocab, codes, date, group), offsets)


def _check_lines(path: Path, offsets: np.ndarray) -> None:
    """Refuse a chunks.jsonl that is missing, cut short or longer than its offsets say."""
    try:
        size = path.stat().st_size
        with open(path, "rb") as f:
            if size:
                f.seek(size - 1)
            last = f.read(1)
    except OSError as e:
        raise BadIndexError(f"{path}: unreadable ({e}); {REBUILD}") from e
    if len(offsets) == 0:
        if size:
            raise BadIndexError(f"{path}: holds lines the store does not list; {REBUILD}")
        return
    if size <= int(offsets[-1]) or last != b"\n":
        raise BadIndexError(f"{path}: truncated ({size} bytes; the store lists {len(offsets)} chunks); {REBUILD}")
