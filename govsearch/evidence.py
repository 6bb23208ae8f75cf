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
_VILLAGE = re.compile(r"([\u4e00-\u9fff]{2,4}?)(村|社区)(?![委民务级集（(两组干庄落])")
_NOT_VILLAGE = set(
    "农村 乡村 行政村 自然村 全村 各村 本村 该村 每村 多村 个村 等村 新村 两委 村居 驻村 "
    "对村 到村 在村 和村 及村 与村 下辖 镇村 街村 涉村 强村 村社区".split()
)
_NOT_VILLAGE_START = tuple("各全本该每个等对到在和及与镇街的了是为把将由下有无即所其此已")


@dataclass(frozen=True)
class Relevance:
    """How well a clause bears on a query: share of key terms it holds, and the
    model's similarity."""

    coverage: float  # key terms found in the clause with its headings, town and title
    lead_coverage: float  # key terms found in the clause's heading or first sentence
    similarity: float  # cosine between the query and the clause


def key_terms(tokenizer: Tokenizer, query: str, towns: Sequence[str] = ()) -> list[str]:
    """The content words of a query, longest first, without the towns it names."""
    q = fold(query)
    for t in towns:
        q = q.replace(t, " ")
    terms = {t for t in tokenizer.tokens(q) if len(t) >= 2 or not t.isascii()}
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
    lead = re.sub(r"^\s*(?:[一二三四五六七八九十]+是|[(（]?[一二三四五六七八九十\d]+[)）、.．]?)\s*", "", lead)
    return lead if len(lead) <= limit else lead[: limit - 1] + "…"


def figures(text: str) -> list[str]:
    """Numbers with their units (64处, 1:1.02, 300余份) in ``text``, in order."""
    out = []
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
        name = m.group(1) + m.group(2)
        if m.group(1) in _NOT_VILLAGE or name in _NOT_VILLAGE or name.startswith(_NOT_VILLAGE_START):
            continue
        if any(ch in m.group(1) for ch in "的和及与、"):
            continue
        if name not in out:
            out.append(name)
    return out


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
