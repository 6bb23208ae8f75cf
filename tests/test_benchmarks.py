"""The benchmark harness stays runnable: generator, direct chunks, builder, and a tiny run."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import synth  # noqa: E402


@pytest.fixture(scope="module")
def skeletons():
    return synth.load_skeletons()


def test_generator_is_deterministic_and_hits_the_size(skeletons):
    a = list(synth.generate(300, seed=3, skeletons=skeletons))
    b = list(synth.generate(300, seed=3, skeletons=skeletons))
    assert [d.text for d in a] == [d.text for d in b]
    assert sum(len(d.clauses) for d in a) == 300
    assert [d.text for d in a] != [d.text for d in synth.generate(300, seed=4, skeletons=skeletons)]


def test_direct_chunks_are_what_govsearch_cuts(skeletons, tmp_path):
    from govsearch.chunk import chunk_corpus
    from govsearch.load import load_corpus

    docs = list(synth.generate(400, seed=1, skeletons=skeletons))
    synth.write_corpus(docs, tmp_path)
    parsed = chunk_corpus(load_corpus(tmp_path).documents)
    key = lambda c: (c.source, c.start)  # noqa: E731 - load_corpus reads files in name order
    assert sorted(parsed, key=key) == sorted(synth.corpus_chunks(docs), key=key)
    assert {c.clause[-1] for c in parsed if c.clause} >= {"一、", "(一)", "1.", "(1)", "一是"}


def test_changed_document_keeps_exact_spans(skeletons):
    doc = next(synth.generate(200, seed=2, skeletons=skeletons))
    new = synth.change_one(doc)
    assert new.text != doc.text
    assert all(new.text[c.start : c.end].strip() == new.text[c.start : c.end] for c in new.clauses)
    assert sum(a.start != b.start for a, b in zip(doc.clauses, new.clauses)) >= 0


def test_parallel_bm25_matches_lexical_index():
    from build import build_lexical

    from govsearch.lexical import LexicalIndex

    docs = list(synth.generate(200, seed=5))
    texts = [c.text for d in docs for c in d.chunks()]
    one = LexicalIndex.build(texts)
    two = build_lexical(texts, procs=2, batch=40)
    for q in ("飞线充电", "垃圾分类做法", "整改完成率", "village"):
        np.testing.assert_allclose(one.scores(q), two.scores(q), rtol=1e-5)


@pytest.mark.slow
def test_harness_runs_end_to_end(tmp_path):
    env = dict(os.environ, GOVSEARCH_BENCH_WORK=str(tmp_path / "work"))
    out = tmp_path / "results.json"
    report = tmp_path / "RESULTS.md"
    report.write_text("# Benchmark results\n\n## Retrieval quality\n\nkept\n", "utf-8")
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--sizes", "300", "--repeat", "1",
           "--no-real", "--no-plots", "--answer-queries", "1", "--results", str(out), "--report", str(report)]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, timeout=600)
    res = json.loads(out.read_text())
    r = res["sizes"]["300"]
    assert r["chunks"] == 300
    assert {"flat", "hnsw", "ivf"} <= set(r["queries"]) and {"flat", "hnsw", "ivf"} <= set(r["builds"])
    assert r["queries"]["flat"]["latency"]["hybrid"]["n"] > 0
    assert r["queries"]["ivf"]["latency"]["hybrid"]["n"] > 0 and r["queries"]["ivf"]["backend"]["kind"] == "ivf"
    assert r["disk_mb"]["ivf"] > 0
    for kind, param in (("hnsw", "ef_search"), ("ivf", "nprobe")):
        rows = r["recall"][kind]["real_queries"]
        assert [x[param] for x in rows] == sorted(x[param] for x in rows) and len(rows) >= 6
        for x in rows:
            assert 0 <= x["recall_at_10"] <= x["recall_at_10_ties_1e-6"] <= x["recall_at_10_ties"] <= 1
            assert x["ms_per_query_one_thread"] > 0
    text = report.read_text("utf-8")
    assert "## Retrieval quality\n\nkept" in text and "## Scale benchmarks" in text
    assert "#### IVF by nprobe" in text and "| 300 | ivf |" in text

    # --reuse-work: the IVF folder made again from the flat one, BM25 re-timed, merged into the same entry
    shutil.rmtree(tmp_path / "work" / "300" / "ivf")
    del r["builds"]["ivf"], r["queries"]["ivf"], r["recall"]["ivf"]
    out.write_text(json.dumps(res))
    cmd = [sys.executable, str(ROOT / "benchmarks" / "bench.py"), "--quick", "--reuse-work", str(tmp_path / "work" / "300"),
           "--kinds", "ivf", "--rebuild-bm25", "--repeat", "1", "--answer-queries", "1", "--no-plots",
           "--results", str(out), "--report", str(report)]
    subprocess.run(cmd, check=True, env=env, cwd=ROOT, timeout=600)
    r = json.loads(out.read_text())["sizes"]["300"]
    assert r["builds"]["ivf"][0]["vectors"] > 0 and r["queries"]["ivf"]["latency"]["hybrid"]["n"] > 0
    assert r["recall"]["ivf"]["real_queries"] and r["recall"]["hnsw"]["real_queries"]
    assert r["bm25_rebuild"]["passages"] == 300 and r["bm25_rebuild"]["max_abs_score_diff_vs_run"] < 1e-5
    assert [x["what"] for x in r["reuse"]] == ["build ivf", "recall of hnsw, ivf", "BM25 rebuild", "query worker ivf"]
    assert json.loads((tmp_path / "work" / "300" / "ivf" / "manifest.json").read_text())["backend"]["kind"] == "ivf"
    assert "## Retrieval quality\n\nkept" in report.read_text("utf-8")
