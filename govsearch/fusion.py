"""Merging dense and lexical rankings into one.

Two ways, both measured in ``benchmarks/RESULTS.md``: reciprocal rank fusion
(scores ignored, ranks only) and a weighted sum of min-max normalised scores.
"""

from __future__ import annotations

import numpy as np

RRF_K = 60


def rrf(rankings: list[np.ndarray], k: int = RRF_K, weights: list[float] | None = None) -> dict[int, float]:
    """Reciprocal rank fusion of ranked row-id lists."""
    weights = weights or [1.0] * len(rankings)
    fused: dict[int, float] = {}
    for w, ranking in zip(weights, rankings):
        for rank, row in enumerate(ranking.tolist()):
            fused[row] = fused.get(row, 0.0) + w / (k + rank + 1)
    return fused


def weighted(
    candidates: list[tuple[np.ndarray, np.ndarray]], weights: list[float]
) -> dict[int, float]:
    """Weighted sum of min-max normalised scores; each candidate list is (rows, scores)."""
    fused: dict[int, float] = {}
    for w, (rows, scores) in zip(weights, candidates):
        if len(rows) == 0:
            continue
        s = np.asarray(scores, dtype=np.float64)
        lo, hi = float(s.min()), float(s.max())
        norm = (s - lo) / (hi - lo) if hi > lo else np.ones_like(s)
        for row, v in zip(rows.tolist(), norm.tolist()):
            fused[row] = fused.get(row, 0.0) + w * v
    return fused


def top(fused: dict[int, float], k: int) -> list[tuple[int, float]]:
    """The k best (row, score) pairs, best first."""
    return sorted(fused.items(), key=lambda kv: (-kv[1], kv[0]))[:k]


def add(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Two score lists of the same kind summed row by row (a row missing from one scores 0 there), best first."""
    total: dict[int, float] = {}
    for rows, scores in (a, b):
        for row, s in zip(rows.tolist(), np.asarray(scores, dtype=np.float64).tolist()):
            total[row] = total.get(row, 0.0) + s
    ranked = top(total, len(total))
    return np.array([r for r, _ in ranked], np.int64), np.array([s for _, s in ranked], np.float32)
