"""Passages already cut into words, kept beside the index so that an update
cuts only the passages that changed.

Cutting with jieba is most of a lexical build (about a thousand passages a
second). The token ids of every keyword-indexed passage are saved in the
index's ``cache/`` folder, keyed by the SHA-1 of the passage text and tagged
with the tokenizer that cut them (:attr:`Tokenizer.identity
<govsearch.lexical.Tokenizer.identity>`: its dictionary, stopwords, versions).
A cache cut by another tokenizer (say, after ``userdict.txt`` changed) or a
damaged one is ignored, and every passage is cut again, as the embedding
cache does.

Plain files, nothing pickled: ``tokens.keys.npy`` (sorted SHA-1 hex digests),
``tokens.offsets.npy`` and ``tokens.ids.npy`` (each passage's token ids, one
after another) and ``tokens.json`` (the tokenizer and the vocabulary).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .embedders.cache import text_key

log = logging.getLogger(__name__)

Cut = Callable[[list[str]], list[list[str]]]
BATCH = 20_000  # passages cut at a time
_FILES = ("tokens.keys.npy", "tokens.offsets.npy", "tokens.ids.npy", "tokens.json")


@dataclass(frozen=True)
class TokenIds:
    """The words of a list of passages as ids: passage ``i`` is ``ids[offsets[i]:offsets[i + 1]]``."""

    ids: np.ndarray  # int32 indices into vocab
    offsets: np.ndarray  # int64, one more than there are passages
    vocab: list[str]  # every word that occurs, once

    def __len__(self) -> int:
        return len(self.offsets) - 1


class TokenCache:
    """Token ids of passages, looked up by text, for one tokenizer."""

    def __init__(self, tokenizer: str = "") -> None:
        self.cut = 0  # passages cut by the last call of token_ids
        self._empty(tokenizer)

    def _empty(self, tokenizer: str) -> None:
        self.tokenizer = tokenizer
        self._keys = np.zeros(0, "S40")  # sorted
        self._offsets = np.zeros(1, np.int64)
        self._ids = np.zeros(0, np.int32)
        self._vocab: list[str] = []

    def __len__(self) -> int:
        return len(self._keys)

    def token_ids(self, texts: Sequence[str], tokenizer: str, cut: Cut) -> TokenIds:
        """The token ids of ``texts``, cutting with ``cut`` only those not cached for ``tokenizer``.

        Afterwards the cache holds exactly these texts (so it does not grow without bound).
        """
        if tokenizer != self.tokenizer:
            if len(self):
                log.info("the token cache was cut by another tokenizer (dictionary changed?): cutting every passage")
            self._empty(tokenizer)
        keys = np.array([text_key(t) for t in texts], dtype="S40")
        uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        pos = np.searchsorted(self._keys, uniq)
        hit = pos < len(self._keys)
        hit[hit] = self._keys[pos[hit]] == uniq[hit]
        miss = np.flatnonzero(~hit)

        index = {w: i for i, w in enumerate(self._vocab)}
        todo = first[miss].tolist()
        parts, part_lens = [np.zeros(0, np.int32)], [np.zeros(0, np.int64)]
        for b in range(0, len(todo), BATCH):  # words become ids batch by batch: millions of str are GBs
            new = cut([texts[i] for i in todo[b : b + BATCH]])
            parts.append(np.fromiter((index.setdefault(w, len(index)) for words in new for w in words), np.int32))
            part_lens.append(np.fromiter((len(words) for words in new), np.int64, count=len(new)))
        new_ids, new_lens = np.concatenate(parts), np.concatenate(part_lens)
        self.cut = len(todo)

        starts = np.empty(len(uniq), np.int64)
        lens = np.empty(len(uniq), np.int64)
        old = pos[hit]
        starts[hit] = self._offsets[old]
        lens[hit] = self._offsets[old + 1] - self._offsets[old]
        starts[miss] = len(self._ids) + np.cumsum(new_lens) - new_lens
        lens[miss] = new_lens
        ids, offsets = _gather(np.concatenate([self._ids, new_ids]), starts, lens)

        used = np.flatnonzero(np.bincount(ids, minlength=len(index)))  # words of passages gone are dropped
        renumber = np.zeros(len(index), np.int32)
        renumber[used] = np.arange(len(used), dtype=np.int32)
        words = list(index)
        self._keys, self._offsets, self._ids = uniq, offsets, renumber[ids]
        self._vocab = [words[i] for i in used.tolist()]

        doc_ids, doc_offsets = _gather(self._ids, offsets[:-1][inverse], lens[inverse])
        return TokenIds(doc_ids, doc_offsets, self._vocab)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        keys, offsets, ids, meta = (folder / f for f in _FILES)
        np.save(keys, self._keys, allow_pickle=False)
        np.save(offsets, self._offsets, allow_pickle=False)
        np.save(ids, self._ids, allow_pickle=False)
        meta.write_text(json.dumps({"tokenizer": self.tokenizer, "vocab": self._vocab}, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, folder: Path) -> TokenCache:
        """The cache saved in ``folder``, or an empty one (a damaged cache is ignored)."""
        cache = cls()
        paths = [folder / f for f in _FILES]
        if not all(p.exists() for p in paths):
            return cache
        try:
            keys, offsets, ids = (np.load(p, allow_pickle=False) for p in paths[:3])
            meta = json.loads(paths[3].read_text("utf-8"))
            tokenizer, vocab = meta["tokenizer"], meta["vocab"]
            ok = _consistent(keys, offsets, ids, vocab) and isinstance(tokenizer, str)
        except (ValueError, OSError, EOFError, KeyError, TypeError) as e:  # damaged, truncated or object arrays
            log.warning("ignoring unreadable token cache in %s: %s", folder, e)
            return cache
        if not ok:
            log.warning("ignoring token cache in %s: its arrays do not fit together", folder)
            return cache
        cache.tokenizer, cache._vocab = tokenizer, vocab
        cache._keys, cache._offsets, cache._ids = keys, offsets.astype(np.int64), ids.astype(np.int32)
        return cache


def _consistent(keys: np.ndarray, offsets: np.ndarray, ids: np.ndarray, vocab: object) -> bool:
    """Do the saved arrays describe passages whose ids are all in the vocabulary?"""
    if not (isinstance(vocab, list) and all(isinstance(w, str) for w in vocab)):
        return False
    if keys.dtype != np.dtype("S40") or keys.ndim != 1 or offsets.ndim != 1 or ids.ndim != 1:
        return False
    if offsets.dtype.kind not in "iu" or ids.dtype.kind not in "iu" or len(offsets) != len(keys) + 1:
        return False
    return bool(
        offsets[0] == 0
        and offsets[-1] == len(ids)
        and (np.diff(offsets) >= 0).all()
        and (keys[1:] > keys[:-1]).all()
        and (len(ids) == 0 or (ids.min() >= 0 and ids.max() < len(vocab)))
    )


def _gather(pool: np.ndarray, starts: np.ndarray, lens: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The slices ``pool[start:start + len]`` one after another, and their offsets."""
    offsets = np.zeros(len(lens) + 1, np.int64)
    np.cumsum(lens, out=offsets[1:])
    index = np.repeat(starts - offsets[:-1], lens) + np.arange(offsets[-1], dtype=np.int64)
    return pool[index], offsets


__all__ = ["TokenCache", "TokenIds"]
