"""Reading evidence out of clauses: key terms, sentences, figures, villages,
and how strongly a clause bears on a question.

Shared by ``answer`` (ask), ``towns`` and ``compare``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import numpy as np

from .lexical import Tokenizer
from .query import fold
from .schema import Hit

_SENTENCE = re.compile(r"[^。；;！!？?\n]+[。；;！!？?]?")
_UNITS = (
    "万元|亿元|元|%|％|个百分点|人次|户次|个|处|间|家|座|人|名|次|条|项|株|棵|亩|平方米|㎡|米|公里|千米|"
    "宗|份|场|户|批|所|套|台|辆|栋|幢|吨|天|小时|期|轮|场次|篇|件|笔|平方公里"
)
FIGURE = re.compile(
    rf"(?:\d+(?:[.,]\d+)*(?:\s*[:：]\s*\d+(?:\.\d+)?)?\s*(?:{_UNITS})?(?:余|多)?(?:{_UNITS})?)"
)
DATE = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月\s*\d{1,2}\s*日")
_VILLAGE = re.compile(
    r"(?:(?<![\u4e00-\u9fff])([\u4e00-\u9fff]{2})(村|社区)|(?<=[、对在与和及赴到])([\u4e00-\u9fff]{2})(村|社区))"
    r"(?![(（]社区|[级民委务容庄落组干集医居两公])"
)
# Characters that occur in ordinary words before 村/社区 but not in village names.
_NOT_IN_NAME = set("村的了和与及或是在对把被为以等中上下其之于也都而并将已有个各全本该每级关千万乡镇街区市县省驻涉辖所属两委")
_COMMON_WORD = 600  # a stem this frequent in jieba's dictionary is an ordinary word (指导村), not a name


# Words every document uses: they say nothing about whether a clause bears on a question.
_GENERIC = frozenset("镇街 乡镇 街道 社区 村居 哪些 多少 什么 怎么 如何 情况 工作 做法 方面 问题 开展 进行 时候".split())


@dataclass(frozen=True)
class Relevance:
    """How well a clause bears on a query: share of key terms it holds, and the
    model's similarity."""

    coverage: float  # key terms found in the clause with its headings, town and title
    lead_coverage: float  # key terms found in the clause's heading or first sentence
    similarity: float  # cosine between the query and the clause


# Calibrated on the evaluation questions (benchmarks/RESULTS.md): a clause bears on a
# question when it holds enough of its key terms and the model finds it close enough.
# e5's similarities between English questions and Chinese text sit lower, and key terms
# cannot match, so a question with no Chinese key term is judged on similarity alone.
BEARS = ((0.5, 0.85), (0.3, 0.88))  # (coverage, similarity) pairs, either suffices
STRONG_COVERAGE = 0.99
STRONG_LEAD = 0.6
STRONG_SIMILARITY = 0.895
MENTION_SIMILARITY = 0.80
CROSSLINGUAL_BEARS = 0.76
CROSSLINGUAL_STRONG = 0.80


def crosslingual(terms: Sequence[str]) -> bool:
    """True when no key term is Chinese (an English question over Chinese text)."""
    return not any(not t.isascii() for t in terms)


def bearing(r: "Relevance", is_crosslingual: bool) -> str | None:
    """"strong" (the clause is about it), "weak" (it only touches it) or None."""
    if is_crosslingual:
        if r.similarity >= CROSSLINGUAL_STRONG:
            return "strong"
        return "weak" if r.similarity >= CROSSLINGUAL_BEARS else None
    if not any(r.coverage >= c and r.similarity >= s for c, s in BEARS):
        # every key term is there, but the clause is about something else: a mention
        return "weak" if r.coverage >= STRONG_COVERAGE and r.similarity >= MENTION_SIMILARITY else None
    about = r.coverage >= STRONG_COVERAGE or r.lead_coverage >= STRONG_LEAD or r.similarity >= STRONG_SIMILARITY
    return "strong" if about else "weak"


def key_terms(tokenizer: Tokenizer, query: str, towns: Sequence[str] = ()) -> list[str]:
    """The content words of a query, longest first, without the towns it names."""
    q = fold(query)
    for t in towns:
        q = q.replace(t, " ")
    terms = {t for t in tokenizer.tokens(q) if len(t) >= 2 and t not in _GENERIC}
    # search mode yields sub-words too; keep the longest forms only
    longest = [t for t in terms if not any(t != u and t in u for u in terms)]
    return sorted(longest, key=lambda t: (-len(t), t))


def coverage(terms: Sequence[str], text: str) -> float:
    """Share of the terms (weighted by length) that occur in ``text``."""
    if not terms:
        return 0.0
    t = fold(text).lower()
    total = sum(len(x) for x in terms)
    return sum(len(x) for x in terms if x in t) / total


def sentences(text: str) -> list[tuple[int, int]]:
    """Sentence spans of ``text`` (relative offsets), ending at 。；！？ or a line end."""
    out = []
    for m in _SENTENCE.finditer(text):
        s, e = m.start(), m.end()
        while s < e and text[s].isspace():
            s += 1
        if e - s >= 2:
            out.append((s, e))
    return out


def lead_sentence(text: str, limit: int = 120) -> str:
    """The first sentence of a clause, without its marker, at most ``limit`` characters."""
    spans = sentences(text)
    lead = text[spans[0][0] : spans[0][1]] if spans else text
    lead = re.sub(r"^\s*(?:[一二三四五六七八九十]*是|[(（]?[一二三四五六七八九十\d]+[)）、.．]?)\s*", "", lead)
    return lead if len(lead) <= limit else lead[: limit - 1] + "…"


def figures(text: str) -> list[str]:
    """Numbers with their units (64处, 1:1.02, 300余份) in ``text``, in order; dates are not figures."""
    out = []
    text = DATE.sub(lambda m: " " * len(m.group(0)), text)
    for m in FIGURE.finditer(text):
        f = m.group(0).strip()
        if any(ch.isdigit() for ch in f) and f not in out:
            out.append(f)
    return out


def dates(text: str) -> list[str]:
    """Dates written in ``text`` (2025年1月, 12月20日), in order."""
    out = []
    for m in DATE.finditer(text):
        d = re.sub(r"\s+", "", m.group(0))
        if d not in out:
            out.append(d)
    return out


def villages(text: str) -> list[str]:
    """Village and community names (茅湾村, 圩仔社区) named in ``text``."""
    out = []
    for m in _VILLAGE.finditer(text):
        stem, kind = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        if any(ch in _NOT_IN_NAME for ch in stem) or _word_frequency(stem) >= _COMMON_WORD:
            continue
        if stem + kind not in out:
            out.append(stem + kind)
    return out


def _word_frequency(word: str) -> int:
    import jieba

    if not jieba.dt.initialized:
        jieba.initialize()
    return int(jieba.get_FREQ(word) or 0)


def context_text(hit: Hit) -> str:
    """A clause with the words around it that say what it is about."""
    c = hit.chunk
    return " ".join([*(x for x in (c.town, c.title) if x), *c.heading, c.text])


def relevance(
    hit: Hit, terms: Sequence[str], query_vector: np.ndarray | None, passage_vector: np.ndarray | None
) -> Relevance:
    """How strongly ``hit`` bears on a query with these key terms."""
    c = hit.chunk
    spans = sentences(c.text)
    lead = " ".join([c.heading[-1] if c.heading else "", c.text[spans[0][0] : spans[0][1]] if spans else c.text])
    sim = float(passage_vector @ query_vector) if query_vector is not None and passage_vector is not None else 0.0
    return Relevance(coverage(terms, context_text(hit)), coverage(terms, lead), sim)
