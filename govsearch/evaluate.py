"""Measuring retrieval against questions with gold evidence.

Questions are JSON lines as in ``shared/eval`` (id, question, type, gold
[{file, quote}], towns, answer). A hit finds a piece of evidence when it comes
from that file and its span covers at least half of the quote's span; a
clause copied word for word into another file counts from either. Any one
piece of evidence found counts. Metrics are computed by ``ranx``.

The baseline is what most users try first: fixed-size chunks
(RecursiveCharacterTextSplitter, 300 characters, overlap 50) embedded by the
same model in an exact FAISS index.
"""

from __future__ import annotations

import json
import logging
import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np

from .errors import GovsearchError
from .schema import Hit

log = logging.getLogger(__name__)

METRICS = ("recall@1", "recall@5", "recall@10", "mrr@10")
DEPTH = 10


@dataclass(frozen=True)
class Question:
    id: str
    question: str
    type: str
    gold: tuple[tuple[str, str], ...]  # (file, quote)
    towns: tuple[str, ...] = ()
    answer: str = ""


def read_questions(path: str | Path) -> list[Question]:
    """The questions of a JSON-lines gold file."""
    out = []
    for n, line in enumerate(Path(path).read_text("utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            out.append(
                Question(
                    d["id"],
                    d["question"],
                    d.get("type", "lookup"),
                    tuple((g["file"], g["quote"]) for g in d.get("gold", [])),
                    tuple(d.get("towns", [])),
                    d.get("answer", ""),
                )
            )
        except (ValueError, KeyError, TypeError) as e:
            raise GovsearchError(f"{path}:{n}: not a question line ({e})") from e
    return out


@dataclass(frozen=True)
class Found:
    """Where one retrieved passage lies: file name, span and text."""

    source: str
    start: int
    end: int
    text: str
    also_in: tuple[str, ...] = ()


class Judge:
    """Decides whether a retrieved passage holds a question's evidence."""

    def __init__(self, corpus: str | Path) -> None:
        self.corpus = Path(corpus)
        self._texts: dict[str, str] = {}

    def text(self, source: str) -> str:
        if source not in self._texts:
            from .readers import read

            self._texts[source] = read(self.corpus / source).text
        return self._texts[source]

    def quote_span(self, source: str, quote: str) -> tuple[int, int] | None:
        i = self.text(source).find(quote)
        return None if i < 0 else (i, i + len(quote))

    def finds(self, found: Found, gold: Sequence[tuple[str, str]]) -> bool:
        for file, quote in gold:
            span = self.quote_span(file, quote)
            if span is None:
                continue
            for place in self._places(found, file):
                overlap = min(place[1], span[1]) - max(place[0], span[0])
                if overlap * 2 >= span[1] - span[0]:
                    return True
        return False

    def _places(self, found: Found, file: str) -> list[tuple[int, int]]:
        if found.source == file:
            return [(found.start, found.end)]
        if file in found.also_in:
            i = self.text(file).find(found.text)
            if i >= 0:
                return [(i, i + len(found.text))]
        return []


@dataclass
class Report:
    """Metrics overall and by question type, for each system."""

    systems: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    misses: dict[str, list[str]] = field(default_factory=dict)
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"systems": self.systems, "counts": self.counts, "misses": self.misses, **self.extra}

    def answers_markdown(self) -> str:
        """The answer metrics as a small table."""
        a = self.extra.get("answers")
        if not a:
            return ""
        rows = [
            ("number: answer holds the reference figure", a["number_figure_share"], a["number_n"]),
            ("which_towns: precision of named towns", a["towns_precision"], a["towns_n"]),
            ("which_towns: recall of named towns", a["towns_recall"], a["towns_n"]),
            ("negative: abstained", a["negative_abstention"], a["negative_n"]),
            ("answerable: abstained wrongly", a["false_abstention"], a["answerable_n"]),
        ]
        out = ["| answer metric | value | n |", "|---|---|---|"]
        out += [f"| {name} | {'—' if v is None else f'{v:.3f}'} | {n} |" for name, v, n in rows]
        return "\n".join(out)

    def markdown(self) -> str:
        """One table a system: rows are question types, columns the metrics."""
        out = []
        for name, by_type in self.systems.items():
            out.append(f"**{name}**\n")
            out.append("| questions | n | " + " | ".join(METRICS) + " |")
            out.append("|---|---|" + "---|" * len(METRICS))
            for t, m in by_type.items():
                out.append(
                    f"| {t} | {self.counts.get(t, 0)} | " + " | ".join(f"{m[x]:.3f}" for x in METRICS) + " |"
                )
            out.append("")
        return "\n".join(out)


def score_runs(
    questions: Sequence[Question], runs: dict[str, list[list[Found]]], judge: Judge
) -> Report:
    """Metrics of each system's ranked passages (one list per question, in order)."""
    from ranx import Qrels, Run, evaluate

    answerable = [i for i, q in enumerate(questions) if q.gold]
    report = Report()
    types = sorted({questions[i].type for i in answerable})
    report.counts = {"all": len(answerable), **{t: sum(questions[i].type == t for i in answerable) for t in types}}
    for name, ranked in runs.items():
        run_dict: dict[str, dict[str, float]] = {}
        missed = []
        for i in answerable:
            q = questions[i]
            docs: dict[str, float] = {}
            matched = False
            for rank, found in enumerate(ranked[i][:DEPTH]):
                doc = f"r{rank}"
                if not matched and judge.finds(found, q.gold):
                    doc, matched = "gold", True
                docs[doc] = float(DEPTH - rank)
            if not matched:
                missed.append(q.id)
            run_dict[q.id] = docs or {"none": 0.0}
        by_type: dict[str, dict[str, float]] = {}
        groups: dict[str, list[str]] = defaultdict(list)
        for i in answerable:
            groups[questions[i].type].append(questions[i].id)
        for t, ids in [("all", [questions[i].id for i in answerable])] + sorted(groups.items()):
            sub_q = Qrels({qid: {"gold": 1} for qid in ids})
            sub_r = Run({qid: run_dict[qid] for qid in ids})
            res = evaluate(sub_q, sub_r, list(METRICS), make_comparable=True)
            by_type[t] = {m: float(res[m]) for m in METRICS}
        report.systems[name] = by_type
        report.misses[name] = missed
    return report


def hits_as_found(hits: Sequence[Hit]) -> list[Found]:
    return [Found(h.chunk.source, h.chunk.start, h.chunk.end, h.chunk.text, h.also_in) for h in hits]


def baseline_runs(
    questions: Sequence[Question], corpus: str | Path, embedder, cache_dir: Path | None = None
) -> list[list[Found]]:
    """The fixed-size-chunk baseline: 300-character chunks, overlap 50, same model, exact FAISS."""
    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from .embedders.cache import EmbeddingCache
    from .load import load_corpus

    splitter = RecursiveCharacterTextSplitter(chunk_size=300, chunk_overlap=50, add_start_index=True)
    pieces: list[Found] = []
    for doc in load_corpus(corpus).documents:
        for d in splitter.create_documents([doc.text]):
            start = int(d.metadata["start_index"])
            pieces.append(Found(doc.source, start, start + len(d.page_content), d.page_content))
    model = f"baseline:{embedder.name}"
    cache = EmbeddingCache.load(cache_dir, model, embedder.dim) if cache_dir else EmbeddingCache(model, embedder.dim)
    vecs, _ = cache.embed([p.text for p in pieces], embedder.embed_passages)
    if cache_dir:
        cache.save(cache_dir)
    index = faiss.IndexFlatIP(embedder.dim)
    index.add(np.ascontiguousarray(vecs, dtype=np.float32))
    qv = embedder.embed_queries([q.question for q in questions])
    _, rows = index.search(qv, DEPTH)
    return [[pieces[r] for r in row if r >= 0] for row in rows]


def evaluate_index(
    index,
    questions: Sequence[Question],
    corpus: str | Path | None = None,
    baseline: bool = True,
    variants: dict[str, Callable[[str], list[Hit]]] | None = None,
) -> Report:
    """Retrieval metrics of ``index`` (and the baseline) on ``questions``."""
    corpus = Path(corpus or index.manifest.corpus or "corpus")
    judge = Judge(corpus)
    systems: dict[str, Callable[[str], list[Hit]]] = {"govsearch (hybrid)": lambda q: index.search(q, k=DEPTH)}
    systems.update(variants or {})
    runs = {name: [hits_as_found(fn(q.question)) for q in questions] for name, fn in systems.items()}
    if baseline:
        runs["baseline: 300-char chunks + FAISS"] = baseline_runs(
            questions, corpus, index.embedder, cache_dir=index.folder / "cache" / "baseline"
        )
    return score_runs(questions, runs, judge)


_NUM = re.compile(r"\d+(?:[.:：]\d+)*")


def holds_figure(answer: str | None, reference: str) -> bool:
    """Does the answer contain every number of the reference figure, each as a whole number
    (spaces ignored; 25 is not found in 2025)?"""
    if not answer:
        return False
    nums = _NUM.findall(reference)
    flat = re.sub(r"\s+", "", answer).replace("：", ":")
    return bool(nums) and all(
        re.search(rf"(?<![\d.:]){re.escape(n.replace('：', ':'))}(?![\d]|[.:]\d)", flat) for n in nums
    )


def evaluate_answers(index, questions: Sequence[Question]) -> dict[str, Any]:
    """Answer metrics: figures found, towns named, abstention right and wrong."""
    from .towns import is_anonymised

    fig_ok = fig_n = 0
    tp = fp = fn = 0
    towns_n = 0
    neg_abst = neg_n = 0
    false_abst = answerable_n = 0
    per_question = {}
    for q in questions:
        a = index.ask(q.question)
        per_question[q.id] = {"kind": a.kind, "answer": a.answer}
        if q.type == "negative":
            neg_n += 1
            neg_abst += a.answer is None
            continue
        answerable_n += 1
        false_abst += a.answer is None
        if q.type == "number":
            fig_n += 1
            fig_ok += holds_figure(a.answer, q.answer)
        if q.type == "which_towns":
            towns_n += 1
            named = {t for t in a.towns if not is_anonymised(t)}
            gold = set(q.towns)
            tp += len(named & gold)
            fp += len(named - gold)
            fn += len(gold - named)
    return {
        "number_figure_share": fig_ok / fig_n if fig_n else None,
        "number_n": fig_n,
        "towns_precision": tp / (tp + fp) if tp + fp else None,
        "towns_recall": tp / (tp + fn) if tp + fn else None,
        "towns_n": towns_n,
        "negative_abstention": neg_abst / neg_n if neg_n else None,
        "negative_n": neg_n,
        "false_abstention": false_abst / answerable_n if answerable_n else None,
        "answerable_n": answerable_n,
        "per_question": per_question,
    }
