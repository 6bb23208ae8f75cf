"""FAISS, Milvus Lite and a real Milvus server, side by side on the same synthetic clauses.

    python benchmarks/bench_milvus.py --sizes 100000 [--queries 200] [--kind auto|flat|ivf|hnsw ...]
        [--skip lite:hnsw ...] [--consistency Bounded Strong] [--wait-index] [--approximate] [--crossover]
        [--out results-milvus-1m.json] [--write]

For each size: ingest throughput (vectors already computed: embedding excluded),
query latency p50/p95 for k=10 with no filter, a town filter and a date range,
and recall@10 against exact search (numpy over the same vectors and filter).
All three run through govsearch's own backend classes (``create_backend``,
``add_rows``/``publish``, ``search_filtered``), at the kind govsearch picks for
the size (``auto``) or the ones ``--kind`` names: with several kinds (``--kind ivf hnsw``)
every backend is built and searched at each kind in the same run, on the same
vectors and queries (``--skip server:hnsw`` leaves one backend/kind pair out;
backends are ``faiss``, ``lite``, ``server``). Milvus searches are timed at
each ``--consistency`` level (default: Bounded, what govsearch reads at once an
index is more than a few seconds old), after SETTLE_S seconds of untimed
searches of each new collection.

A search runs as govsearch's ``Index`` runs it, inside the timed call: the
filter's rows (and values, for Milvus) from ``Filters`` over the clauses'
columns, then ``search_filtered``, which scores the passing rows exactly when a
filter lets at most the backend's ``exact_rows`` through. ``--approximate``
also times every backend with that switched off (``exact_rows = 0``: each
filtered search goes to the index, as before govsearch had it).
``--crossover`` times both routes over date ranges from a day to a year, by
how many rows pass: the measurement behind ``exact_rows``.

Besides time and recall each backend records what it cheaply can of memory and
disk: the resident size of this process after the backend was built and
searched (FAISS and Milvus Lite run in it), the server process's resident size
(psutil), and the size on disk of the FAISS file, the Lite database folder and
the server's data folder. The raw data is rewritten after every backend, so a
run stopped midway keeps what it measured. ``--wait-index`` times searches only
once Milvus reports every row indexed (the 2.3 server indexes its last sealed
segment after govsearch's build has returned) and records that wait apart.

Clauses and metadata come from ``benchmarks/synth.py`` (``generate``,
``corpus_chunks``); vectors from its derived-vector model, whose skeleton
embeddings are cached in ``benchmarks/.cache/skeletons-*.npz`` (random
skeletons if that cache is missing, said in the output). Queries are the
vectors of random clauses with the same noise model on top, so each has a
true near neighbour. The Milvus server is the PyPI ``milvus`` package (2.3.x)
on a free loopback port with a temporary data folder.

``--write`` puts the figures in the "## Milvus" section of
``benchmarks/RESULTS.md`` (other sections are left as they are); the raw data
goes to ``benchmarks/results-milvus.json`` or the file ``--out`` names.
"""

from __future__ import annotations

import argparse
import functools
import glob
import json
import logging
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
from govsearch.filters import Filters  # noqa: E402
from govsearch.store import Columns  # noqa: E402

K = 10
CROSSOVER_DAYS = (1, 3, 7, 14, 30, 61, 122, 183, 365)  # rows passing from ~100 to ~33k at 100k clauses
CROSSOVER_QUERIES = 40
WARM_UP = 5  # untimed searches before each timed series
SETTLE_S = 90.0  # untimed searches before a new Milvus collection is timed (see settle)


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


def as_filters(cond: dict[str, Any] | None) -> Filters:
    """A query's conditions as govsearch's Filters (dates YYYYMMDD -> YYYY-MM-DD)."""
    cond = cond or {}
    d_from, d_to = (f"{d // 10000:04d}-{d // 100 % 100:02d}-{d % 100:02d}" if d else None
                    for d in (cond.get("date_from"), cond.get("date_to")))
    return Filters(town=(cond.get("town") or [None])[0], date_from=d_from, date_to=d_to)


def allowed_rows(cols: Columns, cond: dict[str, Any] | None) -> np.ndarray | None:
    """The rows govsearch's Filters let through, from the clauses' columns."""
    return as_filters(cond).allowed_rows(cols)


def search_as_index(backend: Any, cols: Columns, q: np.ndarray, cond: dict[str, Any] | None) -> np.ndarray:
    """A dense search as govsearch's Index runs it: the filter's rows (and values, for a backend that
    filters itself) from the columns, then ``search_filtered``."""
    f = as_filters(cond)
    allowed = f.allowed_rows(cols)
    conditions = f.conditions(cols) if backend.supports_filters and allowed is not None else None
    return backend.search_filtered(q, K, allowed, conditions)[0]


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


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    t = time.perf_counter()
    out = fn(*args)
    return time.perf_counter() - t, out


def run_queries(search: Callable, vecs, cols, qs, conds, truth, kinds=("none", "town", "date")) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for q in qs[:WARM_UP]:
        search(q, None)
    for kind in kinds:
        lat, rec = [], []
        for i, q in enumerate(qs):
            dt, rows = timed(search, q, conds[i][kind])
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


def settle(search: Callable, qs: np.ndarray, seconds: float = SETTLE_S) -> None:
    """Untimed unfiltered searches for ``seconds``: Milvus Lite answers them in ~0.5 s for about a
    minute after a 100k build (its index already reported built), then in ~70 ms."""
    t0, i = time.perf_counter(), 0
    while time.perf_counter() - t0 < seconds:
        search(qs[i % len(qs)], None)
        i += 1


def approximate_only(backend: Any, search: Callable, *args: Any) -> dict[str, Any]:
    """``run_queries`` with exact scoring of narrow filters switched off (every filter goes to the index)."""
    keep, backend.exact_rows = backend.exact_rows, 0
    try:
        return {"exact_rows": 0} | run_queries(search, *args)
    finally:
        backend.exact_rows = keep


def crossover(backend: Any, vecs: np.ndarray, chunks: list, cols: Columns, seed: int = 2) -> list[dict[str, Any]]:
    """Latency and recall@10 of the index's filtered search and of exact scoring, by how many rows pass
    (date ranges of CROSSOVER_DAYS days from a random clause's date)."""
    rng = np.random.default_rng(seed)
    keep, out = backend.exact_rows, []
    for days in CROSSOVER_DAYS:
        picks = rng.choice(len(vecs), CROSSOVER_QUERIES, replace=False)
        qs = vecs[picks] + 0.25 * rng.standard_normal((len(picks), vecs.shape[1])).astype(np.float32) / np.sqrt(vecs.shape[1])
        qs = (qs / np.linalg.norm(qs, axis=1, keepdims=True)).astype(np.float32)
        conds = []
        for i in picks:
            start = np.datetime64(chunks[i].date or "2024-01-01")
            ints = [int(str(d).replace("-", "")) for d in (start, start + np.timedelta64(days - 1, "D"))]
            conds.append({"date": {"date_from": ints[0], "date_to": ints[1]}})
        passing = [allowed_rows(cols, c["date"]) for c in conds]
        truth = {"date": [exact(vecs, q, a) for q, a in zip(qs, passing)]}
        row: dict[str, Any] = {"days": days, "mean_rows_passing": round(float(np.mean([len(a) for a in passing])))}
        search = functools.partial(search_as_index, backend, cols)
        for route, rows in (("index", 0), ("exact", len(vecs))):
            backend.exact_rows = rows
            row[route] = run_queries(search, vecs, cols, qs, conds, truth, kinds=("date",))["date"]
        backend.exact_rows = keep
        out.append(row)
        print(f"  crossover {days} d: {row}", flush=True)
    return out


def crossover_table(name: str, rows: list[dict[str, Any]]) -> str:
    lines = [
        (f"\n{name}: filtered search by rows passing (date ranges; index: the index's own filtered search, "
         "exact: the passing rows read and scored)\n"),
        "| date range (days) | rows passing (mean) | index p50 / p95 ms | index recall@10 | exact p50 / p95 ms | exact recall@10 |",
        "|---|---|---|---|---|---|",
    ]
    for c in rows:
        i, e = c["index"], c["exact"]
        lines.append(
            f"| {c['days']} | {c['mean_rows_passing']:,} | {i['p50_ms']:.1f} / {i['p95_ms']:.1f} | {i['recall@10']:.3f} "
            f"| {e['p50_ms']:.1f} / {e['p95_ms']:.1f} | {e['recall@10']:.3f} |"
        )
    return "\n".join(lines)


def disk_bytes(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) if path.exists() else 0


def rss_gib(pid: int | None = None) -> float | None:
    try:
        import psutil

        return round(psutil.Process(pid).memory_info().rss / 2**30, 2)
    except Exception:
        return None


def peak_rss_gib() -> float:
    import resource

    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20, 2)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """The PyPI ``milvus`` server on free loopback ports, its embedded etcd included.

    The package picks free ports for every Milvus component but leaves the embedded etcd on
    its defaults (2379 and peer 2380), so a second server on the same machine waits for ever
    for an etcd it cannot start (or reaches the other server's). Here etcd gets its own ports
    through an etcd config file (``ETCD_CONFIG_PATH``, read by Milvus 2.3)."""

    def __init__(self, base: Path) -> None:
        import milvus

        self.base = base
        self.port = free_port()
        self.s = milvus.MilvusServer()
        self.s.set_base_dir(str(base))
        self.s.listen_port = self.port
        etcd, peer = free_port(), free_port()
        self.s.config.set("etcd_port", etcd)
        self.etcd_config = base.parent / "embed-etcd.yaml"
        self.etcd_config.parent.mkdir(parents=True, exist_ok=True)
        self.etcd_config.write_text(
            f"listen-client-urls: http://127.0.0.1:{etcd}\nadvertise-client-urls: http://127.0.0.1:{etcd}\n"
            f"listen-peer-urls: http://127.0.0.1:{peer}\ninitial-advertise-peer-urls: http://127.0.0.1:{peer}\n"
            f"initial-cluster: default=http://127.0.0.1:{peer}\n",
            "utf-8",
        )
        os.environ["ETCD_CONFIG_PATH"] = str(self.etcd_config)

    def __enter__(self) -> "Server":
        t = time.perf_counter()
        try:
            self.s.start()
        except Exception:
            self.s.stop()
            self.keep_logs()
            raise
        self.startup = time.perf_counter() - t
        resolved = self.s.config.get("etcd_port")
        if f":{resolved}\n" not in self.etcd_config.read_text("utf-8"):
            print(f"warning: Milvus was given etcd port {resolved}, the etcd config another", flush=True)
        return self

    def __exit__(self, *exc) -> None:
        self.s.stop()
        self.keep_logs()

    def keep_logs(self) -> None:
        """Copy the server's logs out of the temporary folder (benchmarks/.cache/milvus-server-logs)."""
        keep = HERE / ".cache" / "milvus-server-logs" / time.strftime("%Y%m%d-%H%M%S")
        shutil.copytree(self.base / "logs", keep, dirs_exist_ok=True, ignore_dangling_symlinks=True)
        print(f"milvus server logs kept in {keep}", flush=True)

    def alive(self) -> bool:
        proc = getattr(self.s, "server_proc", None)
        return proc is not None and proc.poll() is None

    def ensure(self) -> None:
        """Restart the server (same data folder) if it died, saying so."""
        if self.alive():
            return
        print(f"milvus server (pid {self.pid}) is gone: exit code "
              f"{getattr(self.s.server_proc, 'returncode', None)}; restarting", flush=True)
        try:
            self.keep_logs()
        except Exception as e:
            print(f"keeping its logs failed: {e}", flush=True)
        self.s.stop()
        self.__enter__()
        self.restarts = getattr(self, "restarts", 0) + 1
        print(f"milvus server up again in {self.startup:.1f}s (pid {self.pid})", flush=True)

    @property
    def uri(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        proc = getattr(self.s, "server_proc", None)
        return proc.pid if proc is not None else None


def bench_size(
    n: int,
    n_queries: int,
    work: Path,
    server: "Server | None",
    kinds: tuple[str, ...] = ("auto",),
    levels: tuple[str, ...] = ("Bounded",),
    skip: tuple[str, ...] = (),
    saved: Callable[[dict[str, Any]], None] = lambda res: None,
    wait_index: bool = False,
    approximate: bool = False,
    cross: bool = False,
) -> dict[str, Any]:
    t = time.perf_counter()
    chunks, vecs, how = data(n)
    print(f"[{n}] data: {len(chunks)} clauses, vectors {how}, {time.perf_counter() - t:.0f}s", flush=True)
    cols = Columns.from_chunks(chunks)
    qs, conds = queries(vecs, chunks, n_queries)
    allowed = {kind: [allowed_rows(cols, c[kind]) for c in conds] for kind in ("none", "town", "date")}
    truth = {kind: [exact(vecs, q, a) for q, a in zip(qs, allowed[kind])] for kind in allowed}
    sel = {kind: float(np.mean([len(a) if a is not None else n for a in allowed[kind]])) for kind in allowed}
    res: dict[str, Any] = {"clauses": len(chunks), "vectors": how, "mean_rows_passing": sel, "backends": {},
                           "rss_gib_after_data": rss_gib()}
    print(f"[{n}] queries and exact truth ready, {time.perf_counter() - t:.0f}s; rss {rss_gib()} GiB", flush=True)

    def name(label: str, kind: str, level: str | None = None) -> str:
        parts = [label] + ([kind] if len(kinds) > 1 else []) + ([level] if level and (len(levels) > 1 or level != "Bounded") else [])
        return ", ".join(parts)

    def also(key: str, backend: Any, search: Callable, r: dict[str, Any]) -> None:
        """With ``--approximate``, the same queries without exact scoring; with ``--crossover``, both routes by rows passing."""
        if approximate:
            label = {"label": f"{r['label']}, approximate only"}
            res["backends"][f"{key}, approximate only"] = r | label | approximate_only(backend, search, vecs, cols, qs, conds, truth)
            print(f"[{n}] {key}, approximate only: {res['backends'][f'{key}, approximate only']}", flush=True)
        if cross:
            res.setdefault("crossover", {})[key] = crossover(backend, vecs, chunks, cols)

    for kind in kinds:
        if "faiss:" + kind not in skip:
            # FAISS: filters become row ids (as govsearch.Filters does), FAISS searches those
            fb = create_backend("faiss", vecs.shape[1], n, kind=kind)
            folder = work / f"faiss-{kind}"
            dt, _ = timed(lambda: (fb.add(vecs), fb.save(folder)))
            faiss_search = functools.partial(search_as_index, fb, cols)
            r = {"label": "FAISS", "kind": fb.kind, "settings": fb.describe(), "ingest_s": round(dt, 2),
                 "ingest_per_s": round(n / dt), "exact_rows": fb.exact_rows}
            r |= run_queries(faiss_search, vecs, cols, qs, conds, truth)
            r |= {"disk_gib": round(disk_bytes(folder) / 2**30, 2), "client_rss_gib": rss_gib()}
            res["backends"][name("FAISS", kind)] = r
            print(f"[{n}] FAISS {kind}: {r}", flush=True)
            also(name("FAISS", kind), fb, faiss_search, r)
            saved(res)
            del fb
            shutil.rmtree(folder, ignore_errors=True)

        places = []
        if server is not None and "server:" + kind not in skip:
            places.append(("Milvus server 2.3", server.uri, work / "server"))
        if "lite:" + kind not in skip:
            places.append(("Milvus Lite", str(work / f"lite-{kind}.db"), work / f"lite-{kind}.db"))
        for label, uri, where in places:
            if server is not None and uri == server.uri:
                server.ensure()
            before = rss_gib()
            mb = create_backend("milvus", vecs.shape[1], n, uri=uri, collection=f"bench_{kind}", kind=kind)
            t0 = time.perf_counter()
            mb.add_rows(vecs, chunks)
            t_insert = time.perf_counter() - t0  # inserts, flush, index build, load
            mb.publish()
            dt = time.perf_counter() - t0
            waited = index_wait(mb) if wait_index else None
            search = functools.partial(search_as_index, mb, cols)
            settle(search, qs)
            for level in levels:
                mb.read_consistency = level
                r = {"label": label, "kind": mb.kind, "settings": {k: v for k, v in mb.describe().items() if k in ("kind", "lists", "nprobe")},
                     "ingest_s": round(dt, 2), "ingest_per_s": round(n / dt), "add_rows_s": round(t_insert, 2),
                     "exact_rows": mb.exact_rows}
                if waited is not None:  # the rest of the index build, after govsearch's build returned
                    r |= {"index_wait_s": round(waited, 2), "ingest_indexed_per_s": round(n / (dt + waited))}
                r |= run_queries(search, vecs, cols, qs, conds, truth)
                r |= {"disk_gib": round(disk_bytes(where) / 2**30, 2), "client_rss_gib": rss_gib(),
                      "client_rss_before_gib": before}
                if server is not None and uri == server.uri:
                    r["server_rss_gib"] = rss_gib(server.pid)
                res["backends"][name(label, kind, level)] = r
                print(f"[{n}] {name(label, kind, level)}: {r}", flush=True)
                also(name(label, kind, level), mb, search, r)
                saved(res)
            try:
                mb._client.drop_alias(mb.alias)
                mb._client.drop_collection(mb.collection)
            except Exception as e:
                print(f"[{n}] dropping {mb.collection} failed: {e}", flush=True)
            if not str(uri).startswith("http"):
                try:
                    mb._client.close()
                except Exception:
                    pass
                shutil.rmtree(where, ignore_errors=True)
            del mb
    return res


def index_wait(mb: Any) -> float:
    """Seconds until Milvus has indexed every row, waited as a govsearch build waits
    (``MilvusBackend._wait_for_index``; builds now do this before they publish, so after one it is ~0)."""
    t = time.perf_counter()
    try:
        mb._wait_for_index(len(mb))
    except Exception as e:
        print(f"describe_index failed: {e}", flush=True)
    return time.perf_counter() - t


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
            name = r.get("label", name)
            rec = " / ".join(f"{r[k]['recall@10']:.3f}" if r[k]["recall@10"] is not None else "–"
                             for k in ("none", "town", "date"))
            lines.append(
                f"| {name} | {r['kind']} | {r['ingest_per_s']:,} ({r['ingest_s']:.1f} s) | "
                + " | ".join(f"{r[k]['p50_ms']:.1f} / {r[k]['p95_ms']:.1f}" for k in ("none", "town", "date"))
                + f" | {rec} |"
            )
        lines += [crossover_table(name, rows) for name, rows in size.get("crossover", {}).items()]
    return "\n".join(lines)


def write_section(results: dict[str, Any], notes: str, raw: str = "results-milvus.json") -> None:
    path = HERE / "RESULTS.md"
    m = results["machine"]
    body = (
        "## Milvus\n\n"
        f"Machine: {m['cpu']}, {m['cores']} cores (lscpu); run {m['date']}; load average at the start "
        f"{', '.join(map(str, m['load_avg_start']))} (shared machine). pymilvus {m['pymilvus']}, Milvus server "
        f"{m['milvus_server']} (PyPI `milvus`, standalone, loopback gRPC), Python {m['python']}. Command: "
        f"`python benchmarks/bench_milvus.py {' '.join(results['argv'])}`. Raw data: `benchmarks/{raw}`.\n\n"
        "Ingest excludes embedding (vectors are computed before the clock starts) and includes everything the "
        "backend does to make the vectors searchable: for FAISS `add` + write the file; for Milvus create the "
        "collection, batched inserts of vectors with every scalar field (text, town, date, type, path, heading), "
        "flush, build the index and load it, and switch the alias. Latency is one query at a time, k = 10, "
        "as govsearch's `Index` searches: `Filters` over the clauses' columns, then the backend's "
        "`search_filtered`, which reads and scores the passing rows exactly when a filter lets at most the "
        "backend's `exact_rows` through, and otherwise searches the index (FAISS: the passing row ids; Milvus: "
        "a filter expression run inside Milvus); \"approximate only\": the same with `exact_rows = 0`. "
        "Recall@10 is against exact inner-product search with the same filter, in numpy.\n"
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
    ap.add_argument("--kind", nargs="+", default=["auto"], choices=["auto", "flat", "ivf", "hnsw"])
    ap.add_argument("--skip", nargs="*", default=[], help="backend:kind pairs to leave out, e.g. lite:hnsw faiss:hnsw")
    ap.add_argument("--wait-index", action="store_true",
                    help="after each Milvus build, wait until the server reports every row indexed before timing searches")
    ap.add_argument("--out", default="results-milvus.json", help="raw data file (in benchmarks/)")
    ap.add_argument("--consistency", nargs="+", default=["Bounded"], choices=["Strong", "Bounded", "Session", "Eventually"])
    ap.add_argument("--approximate", action="store_true", help="also time every backend without exact scoring")
    ap.add_argument("--crossover", action="store_true", help="time exact scoring and the index by rows passing")
    ap.add_argument("--write", action="store_true")
    ap.add_argument("--notes", default="")
    args = ap.parse_args(argv)
    import pymilvus  # noqa: F401  (its logging config first, then quieten it)

    logging.getLogger("pymilvus").setLevel(logging.CRITICAL)  # "alias not found" of every new build's alias lookup
    results: dict[str, Any] = {"machine": machine(), "argv": argv, "sizes": []}
    out = HERE / args.out

    def save(partial: dict[str, Any] | None = None) -> None:
        sizes = results["sizes"] + ([partial] if partial is not None else [])
        out.write_text(json.dumps(results | {"sizes": sizes}, ensure_ascii=False, indent=1), "utf-8")

    work = Path(tempfile.mkdtemp(prefix="bench-milvus-"))
    try:
        server = None if args.no_server else Server(work / "server")
        if server:
            server.__enter__()
            results["server_startup_s"] = round(server.startup, 1)
            print(f"milvus server up in {server.startup:.1f}s on {server.uri} (pid {server.pid})", flush=True)
        try:
            for n in args.sizes:
                results["sizes"].append(
                    bench_size(n, args.queries, work, server, tuple(args.kind), tuple(args.consistency),
                               tuple(args.skip), save, args.wait_index, args.approximate, args.crossover)
                )
        finally:
            if server:
                server.__exit__()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["load_avg_end"] = [round(x, 1) for x in os.getloadavg()]
    results["machine"]["date_end"] = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
    results["peak_rss_gib"] = peak_rss_gib()
    save()
    print(table(results))
    if args.write:
        write_section(results, args.notes, args.out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
