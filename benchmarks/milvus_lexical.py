"""Which lexical search and fusion to use on Milvus: measured on the evaluation questions.

    python benchmarks/milvus_lexical.py --faiss-index DIR [--gold ../shared/eval/dev.jsonl] [--corpus corpus]

``DIR`` is a FAISS index of the corpus (its embedding cache is reused, so
nothing is embedded again). Builds the corpus on Milvus Lite twice in a
temporary folder (full-text BM25 with and without the pinyin of Chinese words
appended to each passage) and once with the local bm25s index forced, then
scores on the questions, against FAISS + bm25s:

- Milvus BM25 fused by govsearch (weighted, the default; and RRF);
- Milvus BM25 queried with the raw question instead of govsearch's words;
- Milvus ``hybrid_search`` (dense and BM25 in one call) with its RRF and
  weighted rankers;
- lexical search alone, bm25s against Milvus BM25.

Prints one Markdown table (recall@1/5/10, MRR@10 over all answerable questions).
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np

from govsearch.backends import milvus_text
from govsearch.backends.milvus import MilvusBackend
from govsearch.evaluate import DEPTH, Judge, hits_as_found, read_questions, score_runs
from govsearch.index import Index, build_index
from govsearch.lexical import Tokenizer
from govsearch.query import prepare
from govsearch.schema import Hit


def _build(faiss_dir: Path, corpus: Path, root: Path, name: str) -> Index:
    folder = root / name
    folder.mkdir(parents=True)
    shutil.copytree(faiss_dir / "cache", folder / "cache")
    build_index(corpus, folder, backend="milvus", uri=str(root / f"{name}.db"))
    return Index.open(folder)


def _milvus_hybrid(idx: Index, ranker: object) -> Callable[[str], list[Hit]]:
    """Dense and BM25 fused inside Milvus by ``hybrid_search``."""
    from pymilvus import AnnSearchRequest

    vb: MilvusBackend = idx.vectors  # type: ignore[assignment]

    def search(question: str) -> list[Hit]:
        q = prepare(question)
        dense = AnnSearchRequest(
            data=[idx.embedder.embed_query(q).tolist()], anns_field="vector", param={"metric_type": "IP"}, limit=100
        )
        text = AnnSearchRequest(
            data=[idx.lexical.tokenizer.query_text(q) or q],
            anns_field=milvus_text.SPARSE_FIELD,
            param={"metric_type": "BM25"},
            limit=100,
        )
        res = vb._client.hybrid_search(vb.collection, [dense, text], ranker, limit=100, output_fields=[])
        keys = np.array([int(h["id"]) for h in res[0]], dtype=np.int64)
        rows = vb._rows_of(keys)
        ranked = [(int(r), float(h["distance"])) for r, h in zip(rows, res[0]) if r >= 0]
        return idx._hits(ranked, DEPTH, None)

    return search


def _raw_query(idx: Index) -> Callable[[str], list[Hit]]:
    """Milvus BM25 on the question as typed (Milvus's jieba alone), fused by govsearch."""
    tok = idx.lexical.tokenizer
    plain = type(tok).query_text

    def search(question: str) -> list[Hit]:
        type(tok).query_text = lambda self, q: q  # type: ignore[method-assign]
        try:
            return idx.search(question, k=DEPTH)
        finally:
            type(tok).query_text = plain  # type: ignore[method-assign]

    return search


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--faiss-index", type=Path, required=True)
    ap.add_argument("--gold", type=Path, default=Path("../shared/eval/dev.jsonl"))
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    a = ap.parse_args()
    from pymilvus import RRFRanker, WeightedRanker

    questions = read_questions(a.gold)
    faiss_idx = Index.open(a.faiss_index)
    root = Path(tempfile.mkdtemp(prefix="milvus-lexical-"))
    try:
        bm25 = _build(a.faiss_index, a.corpus, root, "bm25")
        plain_pinyin = Tokenizer.with_pinyin
        Tokenizer.with_pinyin = lambda self, text: text  # type: ignore[method-assign]
        try:
            no_pinyin = _build(a.faiss_index, a.corpus, root, "nopinyin")
        finally:
            Tokenizer.with_pinyin = plain_pinyin  # type: ignore[method-assign]
        plain_offer = MilvusBackend.offer_lexical
        MilvusBackend.offer_lexical = lambda self, words: False  # type: ignore[method-assign]
        try:
            local = _build(a.faiss_index, a.corpus, root, "local")
        finally:
            MilvusBackend.offer_lexical = plain_offer  # type: ignore[method-assign]
        assert bm25.vectors.indexes_text and not local.vectors.indexes_text
        systems: dict[str, Callable[[str], list[Hit]]] = {
            "FAISS + bm25s, weighted (reference)": lambda q: faiss_idx.search(q, k=DEPTH),
            "Milvus Lite + local bm25s, weighted": lambda q: local.search(q, k=DEPTH),
            "Milvus BM25 + pinyin, govsearch weighted": lambda q: bm25.search(q, k=DEPTH),
            "Milvus BM25 + pinyin, govsearch RRF": lambda q: bm25.search(q, k=DEPTH, fusion_method="rrf"),
            "Milvus BM25 without pinyin, govsearch weighted": lambda q: no_pinyin.search(q, k=DEPTH),
            "Milvus BM25 + pinyin, raw question, weighted": _raw_query(bm25),
            "Milvus hybrid_search, RRFRanker(60)": _milvus_hybrid(bm25, RRFRanker(60)),
            "Milvus hybrid_search, WeightedRanker(0.5, 0.5)": _milvus_hybrid(bm25, WeightedRanker(0.5, 0.5)),
            "lexical only: bm25s": lambda q: faiss_idx.search(q, k=DEPTH, mode="lexical"),
            "lexical only: Milvus BM25 + pinyin": lambda q: bm25.search(q, k=DEPTH, mode="lexical"),
            "lexical only: Milvus BM25 without pinyin": lambda q: no_pinyin.search(q, k=DEPTH, mode="lexical"),
        }
        runs = {name: [hits_as_found(fn(q.question)) for q in questions] for name, fn in systems.items()}
        report = score_runs(questions, runs, Judge(a.corpus))
        print("| system | recall@1 | recall@5 | recall@10 | MRR@10 | missed |")
        print("|---|---|---|---|---|---|")
        for name, by_type in report.systems.items():
            m = by_type["all"]
            missed = ", ".join(report.misses[name]) or "—"
            print(f"| {name} | {m['recall@1']:.3f} | {m['recall@5']:.3f} | {m['recall@10']:.3f} | {m['mrr@10']:.3f} | {missed} |")
        for idx in (bm25, no_pinyin, local, faiss_idx):
            idx.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
