"""The incremental update at scale: one file of a large corpus changes, ``build_index`` runs again.

    python benchmarks/bench_incremental.py --size 100000 --work /tmp/inc     # build once, then update
    python benchmarks/bench_incremental.py --size 100000 --work /tmp/inc --reuse --change 1

The first form writes the synthetic corpus (``synth.py``), builds a flat index
of it with derived vectors (as ``bench.py`` does), changes the figures of a
few clauses of one document and times the update. ``--reuse`` skips the
corpus and the first build and changes another document (``--change``), so
the same update can be timed with another version of govsearch on the same
index. Prints the update's report as JSON; ``--record`` also stores it as the
size's ``incremental`` figures in ``results.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import synth  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--work", type=Path, required=True, help="folder for the corpus and the index")
    ap.add_argument("--reuse", action="store_true", help="keep the corpus and index already in --work")
    ap.add_argument("--change", type=int, default=0, help="which document to change (0: the middle one)")
    ap.add_argument("--record", action="store_true", help="store the figures in results.json")
    args = ap.parse_args(argv)

    from govsearch.embedders import create_embedder
    from govsearch.index import build_index

    real = create_embedder()
    skeletons = synth.load_skeletons()
    vm, _ = synth.vector_model(skeletons, real, seed=args.seed)
    docs = list(synth.generate(args.size, seed=args.seed, skeletons=skeletons))
    table = synth.table_for(docs)
    corpus, folder = args.work / "corpus", args.work / "flat"
    first = None
    if not args.reuse:
        shutil.rmtree(args.work, ignore_errors=True)
        synth.write_corpus(docs, corpus)
        t = time.perf_counter()
        rep = build_index(corpus, folder, embedder=synth.SyntheticEmbedder(real, vm, table), kind="flat")
        first = rep.timings | {"total": time.perf_counter() - t, "chunks": rep.chunks}
    doc = docs[(len(docs) // 2 + args.change * 7) % len(docs)]
    changed = synth.change_one(doc, seed=args.change + 1)
    (corpus / changed.source).write_text(changed.text, "utf-8")
    table.update(synth.table_for([changed]))
    load = os.getloadavg()
    t = time.perf_counter()
    rep = build_index(corpus, folder, embedder=synth.SyntheticEmbedder(real, vm, table), kind="flat")
    changed_passages = len(_lexical_passages(changed, args.work / "one") - _lexical_passages(doc, args.work / "one"))
    out = rep.timings | {"total": time.perf_counter() - t, "embedded": rep.embedded,
                         "tokenised": getattr(rep, "tokenised", None), "changed_passages": changed_passages,
                         "source": changed.source, "load_avg": [round(x, 2) for x in load + os.getloadavg()],
                         "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    if first:
        out["first_build"] = first
    print(json.dumps(out, ensure_ascii=False, indent=1))
    if args.record:
        path = HERE / "results.json"
        results = json.loads(path.read_text())
        r = results["sizes"][str(args.size)]
        r.setdefault("incremental_before_token_cache", r.get("incremental"))
        r["incremental"] = dict(r.get("incremental") or {}, **out)
        path.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    return 0


def _lexical_passages(doc: synth.SynthDoc, scratch: Path) -> set[str]:
    """The keyword-indexed passages of one document as govsearch parses it (a changed
    figure in a heading changes the passages of every clause under it)."""
    from govsearch.chunk import chunk_corpus
    from govsearch.load import load_corpus
    from govsearch.passages import LEXICAL, passage_texts

    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir(parents=True)
    (scratch / doc.source).write_text(doc.text, "utf-8")
    return set(passage_texts(chunk_corpus(load_corpus(scratch).documents), LEXICAL))


if __name__ == "__main__":
    sys.exit(main())
