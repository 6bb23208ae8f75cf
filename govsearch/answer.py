"""Answering a question from the clauses, always with the clauses that support it.

The answer is extractive: the sentence(s) of the best clauses that answer the
question (for a figure, the sentence holding the number), each followed by
its citation number. When nothing in the corpus bears on the question the
answer is None, and the nearest clauses are still listed for the reader.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .evidence import bearing, coverage, crosslingual, dates, figures, key_terms, relevance, sentences
from .schema import Hit

if TYPE_CHECKING:
    from .generate import LLMSettings
    from .index import Index

KINDS = ("number", "which_towns", "compare", "how", "lookup")

_NUMBER = re.compile(
    r"多少|几[个处间家座次项条名人年月天批所户万亿]|何时|什么时候|哪一?年|哪个月|几月|比例|数量|占比|"
    r"\bhow (?:many|much|long)\b|\bwhen\b|\bwhat (?:year|date|ratio|percentage|number)\b",
    re.I,
)
_HOW_MANY = re.compile(r"\bhow (?:many|much)\s+(.+?)(?:\s+(?:were|was|did|do|does|are|is|have|has|had|in|of|for|at)\b|[?？]|$)", re.I)
_WHEN = re.compile(r"何时|什么时候|哪一?年|几月|哪个月|\bwhen\b|\bwhat (?:year|date)\b", re.I)
_TOWNS = re.compile(
    r"哪些(?:镇|街|乡|镇街|乡镇|地方|地区)|哪个(?:镇|街道|乡镇|镇街)|哪里|哪儿|什么地方|"
    r"\bwhich (?:towns?|streets?|townships?|places?)\b|\bwhere\b",
    re.I,
)
_COMPARE = re.compile(r"对比|比较|有何不同|有什么不同|区别|差异|异同|不同之处|\bcompare\b|\bdiffer|\bversus\b|\bvs\.?\b", re.I)
_HOW = re.compile(r"怎么|如何|怎样|采取了?(?:哪些|什么)|做法|措施|\bhow (?:did|do|does|were|was|is|are)\b|\bwhat did\b", re.I)

CANDIDATES = 8
CITED = 3
MAX_SENTENCES = 10  # candidate sentences embedded to pick the answer from


@dataclass(frozen=True)
class Answer:
    """An answer with its numbered citations (``[1]`` is ``citations[0]``)."""

    question: str
    kind: str
    answer: str | None
    citations: tuple[Hit, ...] = ()
    figures: tuple[str, ...] = ()  # the figures of the answer sentence, those that answer the question first
    towns: tuple[str, ...] = ()  # for which-towns questions: the towns named, strongest first
    unsupported: tuple[str, ...] = field(default=())  # generative mode: sentences without valid support

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "question": self.question,
            "kind": self.kind,
            "answer": self.answer,
            "citations": [h.to_dict() for h in self.citations],
        }
        if self.figures:
            d["figures"] = list(self.figures)
        if self.towns:
            d["towns"] = list(self.towns)
        if self.unsupported:
            d["unsupported"] = list(self.unsupported)
        return d

    def text(self) -> str:
        """The answer and its numbered citations, as plain lines."""
        head = self.answer if self.answer is not None else "语料中没有找到能回答这个问题的条款。"
        lines = [head, ""]
        if self.unsupported:
            lines += ["未获条款支持的句子:"] + [f"  ! {u}" for u in self.unsupported] + [""]
        label = "引用" if self.answer is not None else "最接近的条款（不足以回答）"
        if self.citations:
            lines.append(label + ":")
            lines += [f"[{i}] {h.citation}" for i, h in enumerate(self.citations, 1)]
        return "\n".join(lines).rstrip()


def question_kind(question: str, towns: list[str] | tuple[str, ...] = ()) -> str:
    """number, which_towns, compare, how or lookup."""
    named = [t for t in towns if t and (t in question or t.rstrip("镇街道乡") in question)]
    if _COMPARE.search(question) and (len(named) >= 2 or not named):
        return "compare"
    if _NUMBER.search(question):
        return "number"
    if _TOWNS.search(question) and not named:
        return "which_towns"
    if _HOW.search(question):
        return "how"
    return "lookup"


def named_towns(question: str, towns: list[str]) -> list[str]:
    """The towns of the index that a question names (三乡 names 三乡镇)."""
    out = []
    for t in towns:
        short = t[:-2] if t.endswith("街道") else t.rstrip("镇乡")
        if t in question or (len(short) >= 2 and short in question):
            out.append(t)
    return out


def ask(index: "Index", question: str, llm: "LLMSettings | None" = None) -> Answer:
    """Answer ``question`` from the index, citing the clauses it comes from.

    With ``llm`` (an OpenAI-compatible endpoint), the model writes the answer
    from the same clauses, and sentences it cannot support are flagged.
    """
    towns = index.town_names
    kind = question_kind(question, towns)
    named = named_towns(question, towns)
    if kind == "which_towns":
        return _which_towns(index, question)
    if kind == "compare" and len(named) >= 2:
        return _compare(index, question, named)
    hits = index.search(question, k=CANDIDATES, town=named[0] if len(named) == 1 else None)
    if not hits and len(named) == 1:
        hits = index.search(question, k=CANDIDATES)
    if not hits:
        return Answer(question, kind, None)
    terms = key_terms(index.lexical.tokenizer, question, towns)
    qv = index.embedder.embed_query(question)
    pvs = index.passage_vectors(hits)
    rels = [relevance(h, terms, qv, pv) for h, pv in zip(hits, pvs)]
    sims = np.array([r.similarity for r in rels])
    covs = np.array([r.coverage for r in rels])
    xl = crosslingual(terms)
    if not any(bearing(r, xl) for r in rels):
        # nothing in the corpus bears on the question: say so, and show the nearest clauses
        return Answer(question, kind, None, tuple(hits[:CITED]))
    if llm is not None:
        from .generate import generate

        given = tuple(hits[: CITED + 2])
        text, unsupported = generate(question, given, llm)
        return Answer(question, kind, text, given, unsupported=tuple(unsupported))
    translations = index.translate(question)
    if translations:
        # an English question: pick clauses and sentences as search ranks them, by its Chinese words too
        terms = terms + [w for t in translations for w in t.terms]
        qv = index.query_vector(question)
        sims = pvs @ qv
        covs = np.array([relevance(h, terms, None, None).coverage for h in hits])
    return _extract(index, question, kind, hits, terms, qv, sims, covs)


def _extract(
    index: "Index",
    question: str,
    kind: str,
    hits: list[Hit],
    terms: list[str],
    qv: np.ndarray,
    sims: np.ndarray,
    covs: np.ndarray,
) -> Answer:
    """The best sentences of the best clauses, each with its citation number."""
    order = np.argsort(-(sims + 0.1 * covs), kind="stable")
    cited = [hits[i] for i in order[:CITED]]
    candidates: list[tuple[int, str]] = []  # (citation number, sentence)
    for n, hit in enumerate(cited, 1):
        text = hit.chunk.text
        for s, e in sentences(text):
            candidates.append((n, text[s:e].strip()))
    if kind == "number":
        numeric = [(n, s) for n, s in candidates if figures(s) or dates(s)]
        candidates = numeric or candidates
    covs_s = np.array([coverage(terms, s) for _, s in candidates])
    if len(candidates) > MAX_SENTENCES:
        # embedding the sentences is most of ask's time: embed only those most likely to answer
        keep = np.argsort(-covs_s + 0.01 * np.array([n for n, _ in candidates]), kind="stable")[:MAX_SENTENCES]
        keep.sort()
        candidates = [candidates[i] for i in keep]
        covs_s = covs_s[keep]
    sv = index.embedder.embed_passages([s for _, s in candidates])
    score = sv @ qv + 0.15 * covs_s
    score -= 0.02 * (np.array([n for n, _ in candidates]) - 1)  # prefer the better clause on ties
    best = int(np.argmax(score))
    n, sentence = candidates[best]
    parts = [f"{sentence} [{n}]"]
    if kind in ("how", "lookup"):
        # one more sentence when it adds to the answer from another clause
        for j in np.argsort(-score)[1:3]:
            n2, s2 = candidates[int(j)]
            if n2 != n and score[int(j)] >= score[best] - 0.03:
                parts.append(f"{s2} [{n2}]")
                break
    figs: tuple[str, ...] = ()
    answer = " ".join(parts)
    if kind == "number":
        asks_when = bool(_WHEN.search(question))
        figs = tuple(dates(sentence)) if asks_when else tuple(figures(sentence))
        figs = figs or tuple(figures(sentence) + dates(sentence))
        if figs:
            main = _main_figures(figs, question, sentence, index)
            figs = (*main, *(f for f in figs if f not in main))  # those that answer it first
            answer = f"{'、'.join(main)}：{answer}"
    return Answer(question, kind, answer, tuple(cited), figs)


def _main_figures(figs: tuple[str, ...], question: str, sentence: str = "", index: "Index | None" = None) -> list[str]:
    """The figures that answer the question: those with the unit asked for, else all.

    For an English "how many X", those written next to the corpus's word for X
    (隐患64处 for "how many hazards").
    """
    counted = _HOW_MANY.search(question)
    if counted and index is not None and sentence:
        counted_words = re.findall(r"[a-z]+", counted.group(1).lower())
        translations = index.translate(question)
        # the thing counted is the last word ("hazards" in "flying-wire charging hazards"), then the rest
        for nouns in (set(counted_words[-1:]), set(counted_words)):
            words = [w for t in translations if nouns & set(t.phrase.split()) for w in t.terms]
            near = [f for f in figs if _next_to(sentence, f, words)]
            if near:
                return near[:2]
    unit = re.search(r"多少([\u4e00-\u9fff])|几([\u4e00-\u9fff])", question)
    if unit:
        u = unit.group(1) or unit.group(2)
        with_unit = [f for f in figs if f.endswith(u) or f.rstrip("余多").endswith(u)]
        if with_unit:
            return with_unit[:2]
    return list(figs[:2])


def _which_towns(index: "Index", question: str) -> Answer:
    from .towns import find_towns

    result = find_towns(index, question)
    if not result.towns:
        return Answer(question, "which_towns", None)
    cites: list[Hit] = []
    parts = []
    for t in result.towns:
        cites.append(t.clauses[0])
        tag = "" if t.strength == "strong" else "（仅提及）"
        parts.append(f"{t.town}{tag} [{len(cites)}]")
    return Answer(question, "which_towns", "、".join(parts), tuple(cites), towns=tuple(result.names))


def _compare(index: "Index", question: str, towns: list[str]) -> Answer:
    from .compare import compare_towns

    topic = question
    for t in towns:
        topic = topic.replace(t, " ")
    cmp = compare_towns(index, topic, towns)
    cites = tuple(m.hit for ms in cmp.towns.values() for m in ms)
    if not cites:
        return Answer(question, "compare", None)
    return Answer(question, "compare", cmp.markdown(), cites)


def _next_to(sentence: str, figure: str, words: list[str], gap: int = 4) -> bool:
    """True when ``figure`` is written within ``gap`` characters of one of ``words`` in ``sentence``."""
    for m in re.finditer(re.escape(figure), sentence):
        for w in words:
            for n in re.finditer(re.escape(w), sentence):
                if n.start() - gap <= m.end() and m.start() <= n.end() + gap:
                    return True
    return False
