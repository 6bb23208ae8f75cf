"""The lexical index: BM25 (bm25s) over Chinese words cut by jieba.

bm25s's own tokenizer keeps a run of Chinese characters as one token, which
finds nothing in Chinese text, so govsearch brings its own: jieba in search
mode, with a user dictionary of governance terms (飞线充电, 百千万工程, 第一议题,
强村公司 …) that users extend with a ``userdict.txt`` in the corpus folder.

Where the vector backend keyword-indexes the passages itself (Milvus's
full-text BM25), the folder keeps only the dictionary (``words.json``): the
tokenizer still picks the key terms of questions for answers and the page.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import re
import unicodedata
from importlib import resources
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from .arrays import REBUILD, check_npy
from .errors import BadIndexError
from .tokencache import Cut, TokenCache, TokenIds

log = logging.getLogger(__name__)

# Words that carry no topic: question words and the most common particles.
STOPWORDS = frozenset(
    """的 了 和 与 及 或 是 在 对 把 被 为 以 等 中 上 下 其 之 于 也 都 而 并 将 已 有
    哪些 哪个 哪里 哪 多少 什么 怎么 怎样 如何 是否 有何 为何 何时 几 吗 呢 呀 啊 吧
    做法 情况 方面 问题 不同 对比 比较 处理 开展 工作""".split()
)
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
# Bump when passage_tokens cuts the same text differently with the same dictionary
# (pinyin, normalisation, filtering): saved token caches are then cut again.
TOKENS_VERSION = 1


def builtin_words() -> list[str]:
    """The governance terms shipped with govsearch."""
    text = resources.files("govsearch").joinpath("data/userdict.txt").read_text("utf-8")
    return [line.split()[0] for line in text.splitlines() if line.strip()]


def read_user_dict(path: Path) -> list[str]:
    """Words of a jieba-style user dictionary (one word a line, frequency optional)."""
    return [line.split()[0] for line in path.read_text("utf-8").splitlines() if line.strip()]


class Tokenizer:
    """jieba (search mode) with govsearch's dictionary, lower-cased, width-folded."""

    def __init__(self, words: Iterable[str] = ()) -> None:
        import jieba

        self._jieba = jieba.Tokenizer()
        self.words = sorted(set(builtin_words()) | set(words))
        for w in self.words:
            self._jieba.add_word(w, freq=50000)

    @functools.cached_property
    def identity(self) -> str:
        """What decides how a passage is cut: the words, stopwords, versions (the token cache's tag)."""
        import jieba
        import pypinyin

        spec = {"version": TOKENS_VERSION, "words": self.words, "stopwords": sorted(STOPWORDS),
                "jieba": jieba.__version__, "pypinyin": pypinyin.__version__}
        return hashlib.sha256(json.dumps(spec, ensure_ascii=False).encode("utf-8")).hexdigest()

    def tokens(self, text: str) -> list[str]:
        """The searchable words of ``text`` (a query)."""
        text = unicodedata.normalize("NFKC", text).lower()
        return [
            t
            for t in (w.strip() for w in self._jieba.cut_for_search(text))
            if t and t not in STOPWORDS and not _PUNCT.match(t)
        ]

    def passage_tokens(self, text: str) -> list[str]:
        """The indexed words of ``text``: its words, and the pinyin of its Chinese words.

        English questions name places in pinyin (Maowan village, Sanxiang), so
        茅湾 is also indexed as ``maowan``.
        """
        words = self.tokens(text)
        return words + [p for p in map(_pinyin, words) if p]

    def tokens_many(self, texts: Sequence[str]) -> list[list[str]]:
        """The indexed words of each passage."""
        return [self.passage_tokens(t) for t in texts]

    def with_pinyin(self, text: str) -> str:
        """``text`` followed by the pinyin of its Chinese words, for an engine that cuts words itself."""
        extra = [p for p in map(_pinyin, self.tokens(text)) if p]
        return f"{text} {' '.join(extra)}" if extra else text

    def query_text(self, query: str) -> str:
        """The searchable words of ``query`` joined by spaces (stopwords and punctuation dropped)."""
        return " ".join(self.tokens(query))


_HAN = re.compile(r"^[\u4e00-\u9fff]{2,4}$")


@functools.lru_cache(maxsize=200_000)
def _pinyin(word: str) -> str | None:
    """Toneless pinyin of a Chinese word of two to four characters (茅湾 → maowan)."""
    if not _HAN.match(word):
        return None
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(word))


def bm25_from_ids(tokens: TokenIds):
    """A bm25s index of passages given as token ids, as ``bm25s.BM25().index`` builds it
    (Lucene BM25 with bm25s's k1 and b) but in whole-array steps instead of a loop per passage."""
    import bm25s
    import scipy.sparse as sp

    bm25 = bm25s.BM25(method="lucene")
    n_docs, n_words = len(tokens), len(tokens.vocab)
    lengths = np.diff(tokens.offsets)
    # passages × words, a 1 per occurrence; summing duplicates gives term frequencies,
    # and the CSC form is what bm25s scores from (rows in passage order within each word)
    tf = sp.csr_matrix((np.ones(len(tokens.ids), np.float32), tokens.ids, tokens.offsets), shape=(n_docs, n_words))
    tf.sum_duplicates()
    tf = tf.tocsc()
    tf.sort_indices()
    df = np.diff(tf.indptr)
    doc = tf.indices
    word = np.repeat(np.arange(n_words), df)
    idf = np.log(1 + (n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
    avg = lengths.mean() if n_docs else 0.0
    freq = tf.data.astype(np.float64)
    tfc = freq / (bm25.k1 * ((1 - bm25.b) + bm25.b * lengths[doc] / avg) + freq)
    bm25.scores = {"data": (idf[word] * tfc).astype(np.float32), "indices": doc.astype(np.int32),
                   "indptr": tf.indptr.astype(np.int64), "num_docs": n_docs}
    bm25.vocab_dict = {w: i for i, w in enumerate(tokens.vocab)}
    bm25.vocab_dict.setdefault("", n_words)  # bm25s's empty token
    bm25.unique_token_ids_set = set(bm25.vocab_dict.values())
    bm25.nonoccurrence_array = None  # Lucene BM25 has none
    return bm25


class LexicalIndex:
    """BM25 scores of every chunk for a query (or, with ``bm25=None``, only the tokenizer)."""

    def __init__(self, tokenizer: Tokenizer, bm25=None) -> None:
        self.tokenizer = tokenizer
        self._bm25 = bm25

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        words: Iterable[str] = (),
        *,
        cache: TokenCache | None = None,
        cut: Cut | None = None,
        tokenizer: Tokenizer | None = None,
    ) -> "LexicalIndex":
        """The BM25 index of ``texts``, with ``words`` added to the dictionary.

        With a ``cache`` only passages it does not hold are cut (and it is left
        holding these passages, to be saved); ``cut`` replaces the tokenizer's
        own :meth:`Tokenizer.tokens_many` (the benchmarks cut in several processes).
        A ``tokenizer`` already made with these words is used instead of a new one
        (each loads jieba's dictionary).
        """
        tok = tokenizer or Tokenizer(words)
        cache = cache if cache is not None else TokenCache()
        tokens = cache.token_ids(texts, tok.identity, cut or tok.tokens_many)
        return cls(tok, bm25_from_ids(tokens))

    @property
    def has_bm25(self) -> bool:
        """False: the passages are keyword-indexed by the vector backend, not here."""
        return self._bm25 is not None

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk (0 where no query word occurs)."""
        if self._bm25 is None:
            raise RuntimeError("this lexical index holds only its dictionary; search the vector backend's text index")
        q = self.tokenizer.tokens(query)
        if not q:
            return np.zeros(self._bm25.scores["num_docs"], np.float32)
        return np.asarray(self._bm25.get_scores(q), dtype=np.float32)

    def scores_any(self, groups: Sequence[Sequence[str]]) -> np.ndarray:
        """BM25 of alternatives: each group adds the score of its best-scoring word in a chunk.

        A translated phrase counts once however many Chinese words it has
        (a structured query), so a phrase with many translations does not
        outweigh one with a single exact word.
        """
        total = np.zeros(self._bm25.scores["num_docs"], np.float32)
        vocab = self._bm25.vocab_dict
        for group in groups:
            words = [w for w in group if w in vocab]
            if words:
                total += np.max([np.asarray(self._bm25.get_scores([w]), np.float32) for w in words], axis=0)
        return total

    def vocabulary(self) -> list[str]:
        """Every indexed word."""
        return list(self._bm25.vocab_dict)

    def top(
        self,
        query: str,
        k: int,
        allowed: np.ndarray | None = None,
        alternatives: Sequence[Sequence[str]] = (),
    ) -> tuple[np.ndarray, np.ndarray]:
        """The k best-scoring rows with a score above 0 (only ``allowed`` rows where given), as (rows, scores).

        ``alternatives`` (an English question's translated phrases) add :meth:`scores_any`.
        """
        scores = self.scores(query)
        if alternatives:
            scores = scores + self.scores_any(alternatives)
        rows = np.flatnonzero(scores > 0)  # most queries match far fewer rows than there are
        if allowed is not None:
            keep = np.zeros(len(scores), bool)
            keep[allowed] = True
            rows = rows[keep[rows]]
        if len(rows) > k:
            rows = rows[np.argpartition(-scores[rows], k - 1)[:k]]
        rows = rows[np.lexsort((rows, -scores[rows]))]  # best first, ties by row
        return rows.astype(np.int64), scores[rows]

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self._bm25 is not None:
            self._bm25.save(str(folder), show_progress=False)
        (folder / "words.json").write_text(json.dumps(self.tokenizer.words, ensure_ascii=False), "utf-8")

    @classmethod
    def load(cls, folder: Path, bm25: bool = True) -> "LexicalIndex":
        """Open what :meth:`save` wrote (``bm25=False``: the dictionary only);
        a damaged or foreign file is a BadIndexError."""
        import bm25s

        for npy in sorted(folder.glob("*.npy")):
            check_npy(npy)  # bm25s would otherwise meet truncated or object arrays itself
        try:
            words = json.loads((folder / "words.json").read_text("utf-8"))
            model = bm25s.BM25.load(str(folder), mmap=False, show_progress=False) if bm25 else None
            ok = isinstance(words, list) and all(isinstance(w, str) for w in words)
        except (OSError, EOFError, ValueError, KeyError, TypeError, AttributeError) as e:
            raise BadIndexError(f"{folder}: damaged lexical index ({type(e).__name__}: {e}); {REBUILD}") from e
        if not ok:
            raise BadIndexError(f"{folder}: the lexical index is not what govsearch wrote; {REBUILD}")
        return cls(Tokenizer(words), model)
