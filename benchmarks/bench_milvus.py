"""FAISS, Milvus Lite and a real Milvus server, side by side on the same synthetic clauses.

    python benchmarks/bench_milvus.py --sizes 100000 [--queries 200] [--kind auto|flat|hnsw]
        [--consistency Bounded Strong] [--write]

For each size: ingest throughput (vectors already computed: embedding excluded),
query latency p50/p95 for k=10 with no filter, a town filter and a date range,
and recall@10 against exact search (numpy over the same vectors and filter).
All three run through govsearch's own backend classes (``create_backend``,
``add_rows``/``publish``, ``search``), at the kind govsearch picks for the size
(exact up to 200k rows, HNSW above) or the one ``--kind`` names. Milvus
searches are timed at each ``--consistency`` level (default: Bounded, what
govsearch reads at once an index is more than a few seconds old).

Clauses and metadata come from ``benchmarks/synth.py`` (``generate``,
``corpus_chunks``); vectors from its derived-vector model, whose skeleton
embeddings are cached in ``benchmarks/.cache/skeletons-*.npz`` (random
skeletons if that cache is missing, said in the output). Queries are the
vectors of random clauses with the same noise model on top, so each has a
true near neighbour. The Milvus server is the PyPI ``milvus`` package (2.3.x)
on a free loopback port with a temporary data folder.

``--write`` puts the figures in the "## Milvus" section of
``benchmarks/RESULTS.md`` (other sections are left as they are) and the raw
data in ``benchmarks/results-milvus.json``.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import synth  # noqa: E402

from govsearch.backends import create_backend  # noqa: E402

K = 10


def machine() -> dict[str, Any]:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
    get = lambda key: next((ln.split(":", 1)[1].strip() for ln in lscpu.splitlines() if ln.startswith(key + ":")), "?")  # noqa: E731
    import pymilvus

    try:
        import milvus

        server = milvus.__version__
    except ImportError:
        server = None
    return {
        "cpu": get("Model name"),
        "cores": os.cpu_count(),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "load_avg_start": [round(x, 1) for x in os.getloadavg()],
        "pymilvus": pymilvus.__version__,
        "milvus_server": server,
        "python": sys.version.split()[0],
    }


def data(n: int, seed: int = 0) -> tuple[list, np.ndarray, str]:
    skeletons = synth.load_skeletons()
    docs = list(synth.generate(n, seed=seed, skeletons=skeletons))
    chunks = synth.corpus_chunks(docs)[:n]
    skel = np.array([c.skeleton for d in docs for c in d.clauses], dtype=np.int64)[: len(chunks)]
    cached = sorted(glob.glob(str(synth.CACHE / "skeletons-*.npz")))
    if cached:
        z = np.load(cached[0], allow_pickle=False)
        vm = synth.VectorModel(z["vectors"], json.loads(str(z["info"]))["sigma"], seed)
        how = f"derived from real skeleton embeddings ({Path(cached[0]).name})"
    else:
        rng = np.random.default_rng(seed)
        S = rng.standard_normal((len(skeletons), 384)).astype(np.float32)
        vm = synth.VectorModel(S / np.linalg.norm(S, axis=1, keepdims=True), 0.265, seed)
        how = "derived from RANDOM skeletons (no skeleton cache)"
    vecs = vm.vectors(skel, [c.text for c in chunks])
    return chunks, vecs, how


def queries(vecs: np.ndarray, chunks: list, n: int, seed: int = 1) -> tuple[np.ndarray, list[dict[str, Any]]]:
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(vecs), n, replace=False)
    q = vecs[picks] + 0.25 * rng.standard_normal((n, vecs.shape[1])).astype(np.float32) / np.sqrt(vecs.shape[1])
    q /= np.linalg.norm(q, axis=1, keepdims=True)
    towns = [chunks[i].town for i in picks]
    years = [(chunks[i].date or "2024")[:4] for i in picks]
    conds = [{"town": [t]} for t in towns]
    dates = [{"date_from": int(y + "0101"), "date_to": int(y + "0630")} for y in years]
    return q.astype(np.float32), [{"none": None, "town": c, "date": d} for c, d in zip(conds, dates)]


def allowed_rows(cols: dict[str, np.ndarray], cond: dict[str, Any] | None) -> np.ndarray | None:
    """What govsearch's Filters do for FAISS: row ids from metadata arrays."""
    if cond is None:
        return None
    mask = np.ones(len(cols["date"]), bool)
    if "town" in cond:
        mask &= cols["town"] == cond["town"][0]
    if "date_from" in cond:
        mask &= (cols["date"] >= cond["date_from"]) & (cols["date"] <= cond["date_to"]) & (cols["date"] > 0)
    return np.flatnonzero(mask)


def exact(vecs: np.ndarray, q: np.ndarray, allowed: np.ndarray | None) -> tuple[int, float, np.ndarray] | None:
    """(how many true neighbours, the k-th exact score, the query) or None when nothing passes the filter.

    Recall is tie-aware: a returned row counts when its exact score reaches the k-th exact score
    (synthetic clauses repeated in several files have identical vectors, so sets of ids would differ by ties)."""
    s = vecs @ q if allowed is None else vecs[allowed] @ q
    if len(s) == 0:
        return None
    m = min(K, len(s))
    kth = float(np.partition(-s, m - 1)[m - 1]) * -1
    return m, kth, q


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn()
    return time.perf_counter() - t, out


def run_queries(search: Callable, vecs, cols, qs, conds, truth) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for kind in ("none", "town", "date"):
        lat, rec = [], []
        for i, q in enumerate(qs):
            dt, rows = timed(lambda: search(q, conds[i][kind]))
            lat.append(dt * 1000)
            want = truth[kind][i]
            if want:
                m, kth, qv = want
                got = np.asarray(rows[:K], dtype=np.int64)
                rec.append(int(((vecs[got] @ qv) >= kth - 1e-5).sum()) / m if len(got) else 0.0)
        out[kind] = {
            "p50_ms": round(float(np.percentile(lat, 50)), 2),
            "p95_ms": round(float(np.percentile(lat, 95)), 2),
            "recall@10": round(float(np.mean(rec)), 4) if rec else None,
        }
    return out


class Server:
    def __init__(self, base: Path) -> None:
        import milvus

        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.s = milvus.MilvusServer()
        self.s.set_base_dir(str(base))
        self.s.listen_port = self.port

    def __enter__(self) -> "Server":
        t = time.perf_counter()
        self.s.start()
        self.startup = time.perf_counter() - t
        return self

    def __exit__(self, *exc) -> None:
        self.s.stop()

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def bench_size(
    n: int, n_queries: int, work: Path, server_uri: str | None, kind: str = "auto", levels: tuple[str, ...] = ("Bounded",)
) -> dict[str, Any]:
    t = time.perf_counter()
    chunks, vecs, how = data(n)
    print(f"[{n}] data: {len(chunks)} clauses, vectors {how}, {time.perf_counter() - t:.0f}s", flush=True)
    cols = {
        "town": np.array([c.town or "" for c in chunks], dtype=object),
        "date": np.array([int((c.date or "0").replace("-", "")[:8] or 0) for c in chunks], dtype=np.int64),
    }
    qs, conds = queries(vecs, chunks, n_queries)
    allowed = {kind: [allowed_rows(cols, c[kind]) for c in conds] for kind in ("none", "town", "date")}
    truth = {kind: [exact(vecs, q, a) for q, a in zip(qs, allowed[kind])] for kind in allowed}
    sel = {kind: float(np.mean([len(a) if a is not None else n for a in allowed[kind]])) for kind in allowed}
    res: dict[str, Any] = {"clauses": len(chunks), "vectors": how, "mean_rows_passing": sel, "backends": {}}

    # FAISS: filters become row ids (as govsearch.Filters does), FAISS searches those
    fb = create_backend("faiss", vecs.shape[1], n, kind=kind)
    dt, _ = timed(lambda: (fb.add(vecs), fb.save(work / "faiss")))
    faiss_search = lambda q, c: fb.search(q, K, allowed_rows(cols, c))[0]  # noqa: E731
    res["backends"]["FAISS"] = {"kind": fb.kind, "ingest_s": round(dt, 2), "ingest_per_s": round(n / dt)}
    res["backends"]["FAISS"] |= run_queries(faiss_search, vecs, cols, qs, conds, truth)
    print(f"[{n}] FAISS: {res['backends']['FAISS']}", flush=True)

    places = [("Milvus Lite", str(work / "lite.db"))]
    if server_uri:
        places.append(("Milvus server 2.3", server_uri))
    for label, uri in places:
        mb = create_backend("milvus", vecs.shape[1], n, uri=uri, collection="bench", kind=kind)
        dt, _ = timed(lambda: (mb.add_rows(vecs, chunks), mb.publish()))
        search = lambda q, c: mb.search(q, K, conditions=c)[0]  # noqa: E731
        for level in levels:
            mb.read_consistency = level
            r = {"kind": mb.kind, "ingest_s": round(dt, 2), "ingest_per_s": round(n / dt)}
            r |= run_queries(search, vecs, cols, qs, conds, truth)
            name = f"{label}, {level}" if len(levels) > 1 or level != "Bounded" else label
            res["backends"][name] = r
            print(f"[{n}] {name}: {r}", flush=True)
        try:
            mb._client.drop_collection(mb.collection)
        except Exception:
            pass
    return res


def table(results: dict[str, Any]) -> str:
    lines = []
    for size in results["sizes"]:
        lines.append(
            f"\n**{size['clauses']:,} clauses** (mean rows passing: town filter {size['mean_rows_passing']['town']:.0f}, "
            f"date filter {size['mean_rows_passing']['date']:.0f}; vectors {size['vectors']})\n"
        )
        lines.append("| backend | index | ingest (clauses/s) | no filter p50/p95 ms | town p50/p95 ms | date p50/p95 ms "
                     "| recall@10 none / town / date |")
        lines.append("|---|---|---|---|---|---|---|")
        for name, r in size["backends"].items():
            rec = " / ".join(f"{r[k]['recall@10']:.3f}" if r[k]["recall@10"] is not None else "–"
                             for k in ("none", "town", "date"))
            lines.append(
                f"| {name} | {r['kind']} | {r['ingest_per_s']:,} ({r['ingest_s']:.1f} s) | "
                + " | ".join(f"{r[k]['p50_ms']:.1f} / {r[k]['p95_ms']:.1f}" for k in ("none", "town", "date"))
                + f" | {rec} |"
            )
    return "\n".join(lines)


def write_section(results: dict[str, Any], notes: str) -> None:
    path = HERE / "RESULTS.md"
    m = results["machine"]
    body = (
        "## Milvus\n\n"
        f"Machine: {m['cpu']}, {m['cores']} cores (lscpu); run {m['date']}; load average at the start "
        f"{', '.join(map(str, m['load_avg_start']))} (shared machine). pymilvus {m['pymilvus']}, Milvus server "
        f"{m['milvus_server']} (PyPI `milvus`, standalone, loopback gRPC), Python {m['python']}. Command: "
        f"`python benchmarks/bench_milvus.py {' '.join(results['argv'])}`. Raw data: `benchmarks/results-milvus.json`.\n\n"
        "Ingest excludes embedding (vectors are computed before the clock starts) and includes everything the "
        "backend does to make the vectors searchable: for FAISS `add` + write the file; for Milvus create the "
        "collection, batched inserts of vectors with every scalar field (text, town, date, type, path, heading), "
        "flush, build the index and load it, and switch the alias. Latency is one query at a time, k = 10, "
        "through govsearch's backend `search` (FAISS: filter as row ids from the metadata arrays, as `Filters` "
        "does; Milvus: filter expression run inside Milvus). Recall@10 is against exact inner-product search "
        "with the same filter, in numpy.\n"
        + table(results)
        + "\n\n"
        + notes
        + "\n"
    )
    text = path.read_text("utf-8")  # re-read right before editing: other sections belong to others
    pat = re.compile(r"^## Milvus\n.*?(?=^## |\Z)", re.S | re.M)
    text = pat.sub(lambda _: body + "\n", text) if pat.search(text) else text.rstrip("\n") + "\n\n" + body
    path.write_text(text, "utf-8")


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[100_000])
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--no-server", action="store_true")
    ap.add_argument("--kind", default="auto", choices=["auto", "flat", "hnsw"])
    ap.add_argument("--consistency", nargs="+", default=["Bounded"], choices=["Strong", "Bounded", "Session", "Eventually"])
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--notes", default="")
    args = ap.parse_args(argv)
    results: dict[str, Any] = {"machine": machine(), "argv": argv, "sizes": []}
    work = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    try:
        server = None if args.no_server else Server(work / "server")
        if server:
            server.__enter__()
            results["server_startup_s"] = round(server.startup, 1)
            print(f"milvus server up in {server.startup:.1f}s on {server.uri}", flush=True)
        try:
            for n in args.sizes:
                results["sizes"].append(
                    bench_size(n, args.queries, work, server.uri if server else None, args.kind, tuple(args.consistency))
                )
        finally:
            if server:
                server.__exit__()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["load_avg_end"] = [round(x, 1) for x in os.getloadavg()]
    (HERE / "results-milvus.json").write_text(json.dumps(results, ensure_ascii=False, indent=1), "utf-8")
    print(table(results))
    if args.write:
        write_section(results, args.notes)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
