"""Search filters: town, date range, document type and source file."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from .errors import QueryError
from .store import Columns

_DATE = re.compile(r"^\d{4}(-\d{2}){0,2}$")


@dataclass(frozen=True)
class Filters:
    """What a search is limited to; None means no limit.

    ``town`` matches a town exactly or by its leading characters (三乡 finds
    三乡镇); dates are inclusive YYYY-MM-DD (or YYYY, YYYY-MM) strings.
    """

    town: str | None = None
    date_from: str | None = None
    date_to: str | None = None
    doc_type: str | None = None
    source: str | None = None

    def __post_init__(self) -> None:
        for name in ("date_from", "date_to"):
            v = getattr(self, name)
            if v is not None and not _DATE.match(v):
                raise QueryError(f"{name}={v!r} is not a date; write YYYY-MM-DD, YYYY-MM or YYYY")

    @property
    def empty(self) -> bool:
        return not any((self.town, self.date_from, self.date_to, self.doc_type, self.source))

    def allowed_rows(self, cols: Columns) -> np.ndarray | None:
        """Row ids that pass every filter (None when nothing is filtered)."""
        if self.empty:
            return None
        n = len(cols.date)
        mask = np.ones(n, dtype=bool)
        for cat, value in (("town", self.town), ("doc_type", self.doc_type), ("source", self.source)):
            if value:
                mask &= np.isin(cols.codes[cat], _matching_codes(cols.vocab[cat], value, prefix=cat == "town"))
        if self.date_from:
            mask &= cols.date >= _bound(self.date_from, low=True)
        if self.date_to:
            mask &= (cols.date <= _bound(self.date_to, low=False)) & (cols.date > 0)
        return np.flatnonzero(mask).astype(np.int64)

    def conditions(self, cols: Columns) -> dict[str, list[str] | int] | None:
        """The filters as plain values for an engine that filters itself (Milvus):
        town, doc_type, source as the exact index values they match (三乡 -> [三乡镇]),
        date_from/date_to as inclusive YYYYMMDD integers. None when nothing is filtered."""
        if self.empty:
            return None
        out: dict[str, list[str] | int] = {}
        for cat, value in (("town", self.town), ("doc_type", self.doc_type), ("source", self.source)):
            if value:
                vocab = cols.vocab[cat]
                out[cat] = [vocab[i] for i in _matching_codes(vocab, value, prefix=cat == "town").tolist()]
        if self.date_from:
            out["date_from"] = _bound(self.date_from, low=True)
        if self.date_to:
            out["date_to"] = _bound(self.date_to, low=False)
        return out


def _matching_codes(vocab: list[str], value: str, prefix: bool) -> np.ndarray:
    value = value.strip()
    hits = [i for i, v in enumerate(vocab) if v == value or (prefix and len(value) >= 2 and v.startswith(value))]
    return np.array(hits, dtype=np.int32)


def _bound(date: str, low: bool) -> int:
    parts = date.split("-")
    y = int(parts[0])
    m = int(parts[1]) if len(parts) > 1 else (1 if low else 12)
    d = int(parts[2]) if len(parts) > 2 else (1 if low else 31)
    return y * 10000 + m * 100 + d
