"""govsearch at scale: build throughput, query latency, memory, against the alternatives.

    python benchmarks/bench.py --sizes 10000 100000 1000000 --repeat 5

Writes ``benchmarks/results.json``, the plots ``benchmarks/*.png`` and the
"## Scale benchmarks" section of ``benchmarks/RESULTS.md`` (other sections of
that file are left as they are). Each corpus size runs in its own process, and
each opened index is queried in a fresh process, so resident memory is that
of one index. What is measured and how is written into the section itself
(``report.py``). Every size builds, queries and measures three FAISS kinds:
flat (exact), hnsw and ivf; the recall table compares each approximate kind
with exact search over its own parameter (efSearch for HNSW, nprobe for IVF).

Adding a kind to an existing run (``--reuse-work``), without re-running the size:

    python benchmarks/bench.py --reuse-work benchmarks/.cache/work/1000000 --kinds ivf --repeat 3 [--rebuild-bm25]

reads the run's ``flat/`` folder (its vectors, BM25 index, store and manifest),
builds ``<kind>/`` beside it with govsearch's ``FaissBackend`` (``build.write_kind``:
timed, ``lexical/`` and ``store/`` hard-linked, manifest as ``build.py`` writes it),
measures recall of every approximate kind present in the folder against the flat
index, optionally times the BM25 build again with the current builder
(``--rebuild-bm25``: ``build.build_lexical`` over the store's passages, ``--procs``
processes; written to a scratch folder, compared with the run's BM25 scores, deleted),
runs the query worker on each new kind last, and merges all of it into that size's
entry of ``--results`` (then re-renders RESULTS.md). Load averages are recorded
with every step. To re-take only the query latencies, e.g. on a quiet machine:

    python benchmarks/bench.py --reuse-work benchmarks/.cache/work/1000000 --kinds ivf --repeat 3 --query-only

(``--no-query`` skips the query worker instead.)
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, Callable

import numpy as np

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))

import synth  # noqa: E402

WORK = Path(os.environ.get("GOVSEARCH_BENCH_WORK", synth.CACHE / "work"))
QUICK = os.environ.get("GOVSEARCH_BENCH_QUICK") == "1"  # smoke test: few queries, random skeleton vectors
MFLOP_PER_TOKEN = 42.0
KINDS = ("flat", "hnsw", "ivf")  # the FAISS kinds built and queried at every size
LENGTHS = (50, 200, 400)

# ~50 realistic queries, Chinese and English (the town-filtered ones get a town of the corpus)
QUERIES = [
    "飞线充电", "哪些镇处理了飞线充电问题", "电动自行车充电安全隐患排查", "垃圾分类做法", "生活垃圾收运处置",
    "闲置集体资产盘活", "村级财务管理不规范", "小微权力监督", "“第一议题”制度落实", "三会一课执行不规范",
    "百千万工程任务清单", "河涌黑臭水体整治", "村集体经济发展", "两委干部队伍结构", "后备力量储备",
    "巡察整改主体责任", "整改完成率", "形式主义官僚主义", "基层减负表格精简", "党建引领乡村振兴",
    "道路破损修复", "工程车超限治理", "消防安全检查", "安全生产隐患", "村（社区）党组织书记",
    "专题民主生活会批评与自我批评", "理论学习中心组", "违规吃喝问题", "惠民政策综合窗口", "农村人居环境整治",
    "排查出多少处隐患", "投入资金多少万元", "约谈提醒多少人次", "建立问题台账", "长效机制建设",
    "How did the towns follow up on idle collective assets?",
    "which towns addressed illegal charging of electric bikes",
    "waste sorting measures", "village finance supervision", "rectification progress of the inspection",
    "training of village cadres", "road repair after the inspection", "fire safety checks in villages",
    "collective economy income", "party branch secretary accountability", "formalism and bureaucratism",
    "democratic life meeting self-criticism", "water pollution in rivers", "rural living environment",
    "how many problems were rectified",
]
if QUICK:
    QUERIES = QUERIES[:4] + QUERIES[35:37]
TOWN_QUERIES = ["飞线充电", "垃圾分类", "村级财务管理", "整改完成率", "百千万工程", "How did the town rectify problems?"]
ASK = ["哪些镇处理了飞线充电问题？", "{t0}排查出多少处隐患？", "{t0}和{t1}在垃圾分类上的做法有何不同？",
       "How did the towns follow up on idle collective assets?", "如何规范村级财务管理？", "{t1}建立了多少本问题台账？"]
TOWNS = ["飞线充电", "垃圾分类", "闲置集体资产盘活", "village finance supervision"]
COMPARE = ["垃圾分类", "村级财务管理", "百千万工程", "road repair"]


# ---------------------------------------------------------------- helpers
def spread(xs: list[float]) -> dict[str, float]:
    """median, IQR and min-max of a list of numbers."""
    a = np.asarray(xs, dtype=float)
    if a.size == 0:
        return {}
    q1, q3 = np.percentile(a, [25, 75])
    return {"median": float(np.median(a)), "q1": float(q1), "q3": float(q3), "min": float(a.min()),
            "max": float(a.max()), "n": int(a.size)}


def pct(xs: list[float]) -> dict[str, float]:
    a = np.asarray(xs, dtype=float) * 1000
    return {"p50_ms": float(np.percentile(a, 50)), "p95_ms": float(np.percentile(a, 95)), "mean_ms": float(a.mean()),
            "n": int(a.size)}


def rss_mb() -> float:
    import psutil

    return psutil.Process().memory_info().rss / 2**20


def peak_rss_mb() -> float:
    """This process's peak resident memory. Linux's ru_maxrss survives fork + exec (a query
    worker would report the builder's peak), so the mm's own high-water mark is read first."""
    try:
        for line in open("/proc/self/status"):
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def du_mb(path: Path, exclude: tuple[str, ...] = ()) -> float:
    total = 0
    for p in path.rglob("*"):
        if p.is_file() and not any(part in exclude for part in p.relative_to(path).parts):
            total += p.stat().st_size
    return total / 2**20


def repeated(fn: Callable[[], Any], repeat: int, budget: float) -> list[float]:
    """Seconds of ``fn`` over up to ``repeat`` runs, fewer when a run is slow (at least one)."""
    times: list[float] = []
    start = time.perf_counter()
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
        if time.perf_counter() - start + times[-1] > budget:
            break
    return times


def machine() -> dict[str, Any]:
    out: dict[str, Any] = {"python": platform.python_version(), "date": time.strftime("%Y-%m-%d %H:%M:%S %Z")}
    try:
        lscpu = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        for line in lscpu.splitlines():
            k, _, v = line.partition(":")
            if k.strip() in ("Model name", "CPU(s)", "CPU family", "Model", "Thread(s) per core", "BogoMIPS"):
                out[k.strip()] = v.strip()
        out["avx512f"] = "avx512f" in lscpu
        out["avx2"] = "avx2" in lscpu
    except OSError:
        pass
    import psutil

    out["ram_gib"] = round(psutil.virtual_memory().total / 2**30, 1)
    out["cores"] = os.cpu_count()
    try:
        mhz = [float(line.split(":")[1]) for line in open("/proc/cpuinfo") if line.startswith("cpu MHz")]
        out["ghz"] = round(statistics.mean(mhz) / 1000, 3)
    except (OSError, ValueError):
        out["ghz"] = None
    # Zen 4 (family 25, model 17 = EPYC Genoa): 2 FMA pipes of 256 bits (AVX-512 runs double-pumped),
    # i.e. 16 FP32 FMA = 32 FP32 FLOP per cycle and core.
    out["flop_per_cycle"] = 32
    out["peak_gflops"] = round((out["cores"] or 1) * (out["ghz"] or 0) * out["flop_per_cycle"], 1)
    out["load_avg_start"] = os.getloadavg()
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "govsearch"], capture_output=True, text=True,
                               cwd=HERE).stdout.strip()
        out["govsearch_commit"] = head + (" + uncommitted changes in govsearch/" if dirty else "")
    except OSError:
        pass
    return out


# ---------------------------------------------------------------- embedding throughput
def bench_embedding(embedder, repeat: int, n: int = 4 if QUICK else 32) -> dict[str, Any]:
    """Passages/s and GFLOP/s of the default embedder on real text cut to 50/200/400 characters."""
    from govsearch.load import load_corpus

    text = "".join(d.text for d in load_corpus(synth.CORPUS).documents)
    body = "".join(ch for ch in text if not ch.isspace())
    model = embedder._model
    out: dict[str, Any] = {}
    for length in LENGTHS:
        step = max(1, (len(body) - length) // n)
        passages = [body[i * step : i * step + length] for i in range(n)]
        tokens = sum(model.token_count(p) for p in passages)
        embedder.embed_passages(passages[:4])  # warm
        times = repeated(lambda: embedder.embed_passages(passages), repeat, budget=120)
        s = spread(times)
        out[str(length)] = {
            "passages": n,
            "tokens_per_passage": tokens / n,
            "seconds": s,
            "passages_per_s": n / s["median"],
            "passages_per_s_range": [n / s["max"], n / s["min"]],
            "tokens_per_s": tokens / s["median"],
            "gflops": tokens / s["median"] * MFLOP_PER_TOKEN / 1000,
            "gflops_range": [tokens / s["max"] * MFLOP_PER_TOKEN / 1000, tokens / s["min"] * MFLOP_PER_TOKEN / 1000],
        }
    q = [embedder.embed_query("飞线充电隐患排查整治") for _ in range(3)]
    del q
    times = repeated(lambda: embedder.embed_query("哪些镇处理了飞线充电问题"), max(repeat * 4, 10), 30)
    out["query_embed"] = pct(times)
    return out


def seconds_per_passage(emb: dict[str, Any], chars: float) -> float:
    """Interpolated embedding seconds for one passage of ``chars`` characters."""
    xs = [float(k) for k in LENGTHS]
    ys = [1.0 / emb[str(k)]["passages_per_s"] for k in LENGTHS]
    return float(np.interp(chars, xs, ys, left=ys[0] * chars / xs[0], right=ys[-1] * chars / xs[-1]))


def embed_estimate(emb: dict[str, Any], texts: list[str]) -> float:
    lens = np.array([len(t) for t in texts])
    return float(sum(seconds_per_passage(emb, c) * n for c, n in zip(*np.unique(np.minimum(lens // 10 * 10 + 5, 600), return_counts=True))))


# ---------------------------------------------------------------- real corpus build
def bench_real_build(embedder, repeat: int, out_dir: Path) -> dict[str, Any]:
    """build_index on corpus/ with the real model; then one file changed, rebuilt incrementally."""
    from govsearch.index import build_index

    corpus = out_dir / "real-corpus"
    shutil.rmtree(out_dir / "real", ignore_errors=True)
    shutil.rmtree(corpus, ignore_errors=True)
    shutil.copytree(synth.CORPUS, corpus)
    runs = []
    for i in range(repeat):
        folder = out_dir / "real" / f"run{i}"
        t = time.perf_counter()
        rep = build_index(corpus, folder, embedder=embedder, kind="flat")
        runs.append(rep.timings | {"total": time.perf_counter() - t, "chunks": rep.chunks, "embedded": rep.embedded})
        if time.perf_counter() - t > 200:
            break
    f = corpus / "sanxiang-2025-09-12-xuncha-zhenggai.txt"
    f.chmod(0o644)
    text = f.read_text("utf-8")
    f.write_text(text.replace("64处", "65处", 1).replace("2025年3月", "2025年4月", 1), "utf-8")
    t = time.perf_counter()
    rep = build_index(corpus, out_dir / "real" / "run0", embedder=embedder, kind="flat")
    inc = rep.timings | {"total": time.perf_counter() - t, "embedded": rep.embedded, "reused": rep.reused}
    return {"builds": runs, "incremental": inc}


# ---------------------------------------------------------------- one corpus size (own process)
def size_worker(args) -> dict[str, Any]:
    from govsearch.embedders import create_embedder
    from govsearch.passages import passage_text

    n, seed = args.size, args.seed
    work = WORK / str(n)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    emb = json.loads(Path(args.emb_json).read_text())
    real = create_embedder()
    skeletons = synth.load_skeletons()
    vm, calib = _vector_model(skeletons, real, seed)
    res: dict[str, Any] = {"size": n, "calibration": calib}
    t = time.perf_counter()
    docs = list(synth.generate(n, seed=seed, skeletons=skeletons))
    res["generate_s"] = time.perf_counter() - t
    res["documents"] = len(docs)
    res["towns"] = len({d.meta.town for d in docs})
    towns = sorted({d.meta.town for d in docs})
    via_txt = n <= args.txt_limit
    res["via_txt"] = via_txt
    folders: dict[str, Path] = {}
    if via_txt:
        corpus = work / "corpus"
        synth.write_corpus(docs, corpus)
        res["corpus_mb"] = du_mb(corpus)
        from govsearch.chunk import chunk_corpus
        from govsearch.load import load_corpus

        holder: dict[str, Any] = {}

        def parse_chunk():
            holder["chunks"] = chunk_corpus(load_corpus(corpus).documents)

        times = repeated(parse_chunk, args.repeat, budget=args.budget)
        chunks = holder.pop("chunks")
        res["parse_chunk"] = {"seconds": spread(times), "clauses": len(chunks),
                              "clauses_per_s": len(chunks) / statistics.median(times),
                              "clauses_per_s_range": [len(chunks) / max(times), len(chunks) / min(times)]}
        table = synth.table_for(docs)
        from govsearch.index import build_index

        builds: dict[str, list[dict[str, float]]] = {}
        for kind in KINDS:
            folder = work / kind
            runs = []
            start = time.perf_counter()
            for _ in range(args.repeat):
                shutil.rmtree(folder, ignore_errors=True)
                se = synth.SyntheticEmbedder(real, vm, table)
                t = time.perf_counter()
                rep = build_index(corpus, folder, embedder=se, kind=kind)
                runs.append(rep.timings | {"total": time.perf_counter() - t})
                if se.misses:
                    raise RuntimeError(f"{se.misses} passages had no skeleton: synth.table_for is out of date")
                if time.perf_counter() - start + runs[-1]["total"] > args.budget:
                    break
            builds[kind] = runs
            folders[kind] = folder
        res["builds"] = builds
        # incremental update after one file changes (flat index)
        changed = synth.change_one(docs[len(docs) // 2])
        (corpus / changed.source).write_text(changed.text, "utf-8")
        table.update(synth.table_for([changed]))
        se = synth.SyntheticEmbedder(real, vm, table)
        t = time.perf_counter()
        rep = build_index(corpus, folders["flat"], embedder=se, kind="flat")
        new_texts = [passage_text(c, "heading") for c in changed.chunks()]
        res["incremental"] = rep.timings | {"total": time.perf_counter() - t, "embedded": rep.embedded,
                                            "embed_estimate_s": embed_estimate(emb, new_texts[: rep.embedded])}
        texts = [passage_text(c, "heading") for c in chunks]
    else:
        from build import write_index

        t = time.perf_counter()
        chunks = synth.corpus_chunks(docs)
        res["parse_chunk"] = {"note": "chunks produced by the generator, not parsed (see the 10k/100k rows)",
                              "generate_chunks_s": time.perf_counter() - t}
        texts = [passage_text(c, "heading") for c in chunks]
        sk = np.array([c.skeleton for d in docs for c in d.clauses], dtype=np.int64)
        t = time.perf_counter()
        vectors = vm.vectors(sk, texts)
        res["derive_vectors_s"] = time.perf_counter() - t
        timings = write_index(work, chunks, texts, vectors, real, kinds=KINDS, procs=args.procs)
        res["builds"] = {k: [v] for k, v in timings.items()}
        res["bm25_procs"] = args.procs
        folders = {k: work / k for k in timings}
        del vectors
    res["chunks"] = len(chunks)
    res["mean_chars"] = float(np.mean([len(t) for t in texts]))
    res["embed_estimate_s"] = embed_estimate(emb, texts)
    res["disk_mb"] = {k: du_mb(f) for k, f in folders.items()}
    res["disk_mb_without_cache"] = {k: du_mb(f, exclude=("cache",)) for k, f in folders.items()}
    res["build_peak_rss_mb"] = peak_rss_mb()
    # the LangChain baseline and approximate-index recall are measured here; queries in fresh processes
    baseline_docs = docs
    del chunks, texts
    gc.collect()
    res["recall"] = approx_recall(folders, real, vm, skeletons)
    res["baseline"] = baseline(baseline_docs, vm, real, args)
    del docs, baseline_docs
    gc.collect()
    res["queries"] = {}
    for kind, folder in folders.items():
        res["queries"][kind] = run_query_worker(folder, work / f"query-{kind}.json", args.repeat, args.answer_queries,
                                                towns[:2])
    return res


def run_query_worker(folder: Path, out: Path, repeat: int, answer_queries: int, towns: list[str] | None) -> dict[str, Any]:
    """``query_worker`` on ``folder`` in a fresh process (so its memory is that of one opened index)."""
    cmd = [sys.executable, __file__, "--worker", "query", "--folder", str(folder), "--out", str(out),
           "--repeat", str(repeat), "--answer-queries", str(answer_queries)]
    if towns:
        cmd += ["--towns", json.dumps(towns, ensure_ascii=False)]
    subprocess.run(cmd, check=True)
    return json.loads(out.read_text())


def _vector_model(skeletons, real, seed: int):
    if not QUICK:
        return synth.vector_model(skeletons, real, seed=seed)
    rng = np.random.default_rng(seed)
    S = rng.standard_normal((len(skeletons), real.dim)).astype(np.float32)
    S /= np.linalg.norm(S, axis=1, keepdims=True)
    calib = {"sigma": 0.3, "sample": 0, "cos_real_median": 0.0, "cos_real_p10_p90": [0.0, 0.0],
             "cos_derived_median": 0.0, "skeletons": len(skeletons), "model": "random (quick)"}
    return synth.VectorModel(S, 0.3, seed), calib


def _sweeps() -> dict[str, tuple[str, tuple[int, ...]]]:
    """The approximate kinds and the values of the parameter each is swept over (govsearch's own included)."""
    from govsearch.backends.faiss import HNSW_EF_SEARCH, IVF_NPROBE

    return {"hnsw": ("ef_search", tuple(sorted({16, 32, 64, 128, 256, 512, HNSW_EF_SEARCH}))),
            "ivf": ("nprobe", tuple(sorted({4, 8, 16, 32, 64, 128, 256, IVF_NPROBE})))}


SWEEPS = _sweeps()
TIES = {"recall_at_10_ties_1e-6": 1e-6, "recall_at_10_ties": 1e-3}  # key: a result this close to the exact 10th score counts


def _search_params(kind: str, value: int):
    import faiss

    if kind == "hnsw":
        return faiss.SearchParametersHNSW(efSearch=value)
    return faiss.SearchParametersIVF(nprobe=value)


def approx_recall(folders: dict[str, Path], real, vm, skeletons) -> dict[str, Any]:
    """recall@10 of each approximate kind (HNSW over efSearch, IVF over nprobe) against exact
    search, for real query vectors and in-corpus-like vectors.

    Each row: recall by row id; tie-aware recall, where a result scoring within 1e-6 (float
    rounding: duplicate vectors) or 1e-3 of the exact 10th score counts as found (the scores
    HNSW-Flat and IVF-Flat return are exact inner products); ms a query in one batch (all
    threads) and one query at a time on one thread (as ``FaissBackend.search`` runs).
    """
    import faiss

    kinds = [k for k in SWEEPS if k in folders]
    if "flat" not in folders or not kinds:
        return {}
    flat = faiss.read_index(str(folders["flat"] / "vectors" / "vectors.faiss"), faiss.IO_FLAG_MMAP)
    qv = np.ascontiguousarray(real.embed_queries(QUERIES), dtype=np.float32)
    rng = np.random.default_rng(5)
    ids = rng.integers(0, len(skeletons), 500)
    synthetic = vm.vectors(ids, [f"held-out query {i}" for i in range(500)])
    sets = {"real_queries": qv, "passage_like": synthetic}
    out: dict[str, Any] = {"load_avg_start": os.getloadavg()}
    truth: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for name, q in sets.items():
        exact_scores, exact = flat.search(q, 11)
        truth[name] = (exact[:, :10], exact_scores[:, 9:10])
        out[name + "_gap_1_10"] = float(np.median(exact_scores[:, 0] - exact_scores[:, 9]))
        out[name + "_gap_10_11"] = float(np.median(exact_scores[:, 9] - exact_scores[:, 10]))
    threads = faiss.omp_get_max_threads()
    for kind in kinds:
        index = faiss.read_index(str(folders[kind] / "vectors" / "vectors.faiss"), faiss.IO_FLAG_MMAP if kind == "ivf" else 0)
        param, values = SWEEPS[kind]
        res: dict[str, Any] = {"param": param, "rows": int(index.ntotal)}
        if kind == "ivf":
            res["lists"] = int(index.nlist)
        for name, q in sets.items():
            exact, tenth = truth[name]
            rows = []
            for value in values:
                params = _search_params(kind, value)
                index.search(q[:5], 10, params=params)
                t = time.perf_counter()
                scores, got = index.search(q, 10, params=params)
                batched = (time.perf_counter() - t) / len(q)
                faiss.omp_set_num_threads(1)
                try:
                    t = time.perf_counter()
                    for v in q:
                        index.search(v[None], 10, params=params)
                    single = (time.perf_counter() - t) / len(q)
                finally:
                    faiss.omp_set_num_threads(threads)
                row = {param: value,
                       "recall_at_10": float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(got.tolist(), exact.tolist())]))}
                for key, tol in TIES.items():
                    row[key] = float(np.mean(np.sum(scores >= tenth - tol, axis=1) / 10))
                row |= {"ms_per_query_batched": batched * 1000, "ms_per_query_one_thread": single * 1000}
                rows.append(row)
            res[name] = rows
        out[kind] = res
        del index
    faiss.omp_set_num_threads(1)
    try:
        t = time.perf_counter()
        for v in qv:
            flat.search(v[None], 10)
        out["flat_ms_per_query"] = (time.perf_counter() - t) / len(qv) * 1000
    finally:
        faiss.omp_set_num_threads(threads)
    out["load_avg_end"] = os.getloadavg()
    return out


def baseline(docs, vm, real, args) -> dict[str, Any]:
    """The fixed-size-chunk pipeline most users try first (govsearch.evaluate.baseline_runs):
    RecursiveCharacterTextSplitter(300, 50) over each document + exact FAISS, same (derived) vectors."""
    import bisect

    import faiss
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    rss0 = rss_mb()
    splitter = RecursiveCharacterTextSplitter(chunk_size=300, chunk_overlap=50, add_start_index=True)
    limit = args.baseline_docs
    sample = docs if len(docs) <= limit else docs[:: max(1, len(docs) // limit)][:limit]
    t = time.perf_counter()
    pieces, skel = [], []
    for doc in sample:
        starts = [c.start for c in doc.clauses]
        for d in splitter.create_documents([doc.text]):
            s = int(d.metadata["start_index"])
            i = max(0, bisect.bisect_right(starts, s + len(d.page_content) // 2) - 1)
            pieces.append(d.page_content)
            skel.append(doc.clauses[i].skeleton if doc.clauses else 0)
    split_s = time.perf_counter() - t
    scale = len(docs) / len(sample)
    vecs = vm.vectors(np.array(skel), pieces)
    if scale > 1:  # a sample was split; the index holds as many vectors as the whole corpus would give
        reps = int(np.ceil(scale))
        vecs = np.concatenate([vm.vectors(np.array(skel), [f"{p}#{r}" for p in pieces]) for r in range(reps)])[
            : int(len(pieces) * scale)
        ]
    t = time.perf_counter()
    index = faiss.IndexFlatIP(real.dim)
    index.add(np.ascontiguousarray(vecs))
    faiss_s = time.perf_counter() - t
    lat, raw = [], []
    for q in QUERIES[:5]:
        index.search(real.embed_query(q)[None], 10)
    for _ in range(args.repeat):
        for q in QUERIES:
            t = time.perf_counter()
            v = real.embed_query(q)
            t2 = time.perf_counter()
            index.search(v[None], 10)
            lat.append(time.perf_counter() - t)
            raw.append(time.perf_counter() - t2)
    return {
        "pieces": int(len(vecs)),
        "split_s": split_s * scale,
        "split_sampled": scale > 1,
        "faiss_build_s": faiss_s,
        "embed_estimate_s": None,
        "mean_piece_chars": float(np.mean([len(p) for p in pieces])),
        "query": pct(lat),
        "faiss_only": pct(raw),
        "rss_delta_mb": rss_mb() - rss0,
        "memory_mb": (vecs.nbytes + sum(len(p.encode("utf-8")) for p in pieces) * scale) / 2**20,
    }


# ---------------------------------------------------------------- queries (own process)
def query_worker(args) -> dict[str, Any]:
    from govsearch.embedders import create_embedder
    from govsearch.index import Index

    load_start = os.getloadavg()
    rss_start = rss_mb()
    emb = create_embedder()
    rss_model = rss_mb()
    t = time.perf_counter()
    idx = Index.open(args.folder, embedder=emb)
    open_s = time.perf_counter() - t
    rss_open = rss_mb()
    towns = json.loads(args.towns) if args.towns else idx.town_names[:2]
    out: dict[str, Any] = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "backend": idx.manifest.backend,
                           "load_avg_start": load_start, "open_s": open_s,
                           "rss_mb": {"python+libs": rss_start, "model": rss_model - rss_start, "after_open": rss_open}}
    for q in QUERIES[:3]:  # warm: jieba dictionary, FAISS pages, OpenCC
        idx.search(q, 10)
    lat: dict[str, list[float]] = {m: [] for m in ("dense", "lexical", "hybrid", "hybrid_town", "faiss_floor",
                                                    "faiss_only", "embed_only")}
    for _ in range(args.repeat):
        for q in QUERIES:
            for mode in ("dense", "lexical", "hybrid"):
                idx._last_vector = None  # the index keeps the last query's vector: time the embedding every time
                t = time.perf_counter()
                idx.search(q, 10, mode=mode)
                lat[mode].append(time.perf_counter() - t)
            t = time.perf_counter()
            v = emb.embed_query(q)
            t2 = time.perf_counter()
            idx.vectors.search(v, 10)
            t3 = time.perf_counter()
            lat["faiss_floor"].append(t3 - t)
            lat["faiss_only"].append(t3 - t2)
            lat["embed_only"].append(t2 - t)
        for i, q in enumerate(TOWN_QUERIES):
            idx._last_vector = None
            t = time.perf_counter()
            idx.search(q, 10, town=towns[i % len(towns)])
            lat["hybrid_town"].append(time.perf_counter() - t)
    out["latency"] = {k: pct(v) for k, v in lat.items()}
    k = args.answer_queries
    fmt = {"t0": towns[0], "t1": towns[-1]}
    ops = {
        "ask": [lambda q=q: idx.ask(q.format(**fmt)) for q in ASK[:k]],
        "towns": [lambda q=q: idx.towns(q) for q in TOWNS[:k]],
        "compare": [lambda q=q: idx.compare(q, towns) for q in COMPARE[:k]],
    }
    for name, calls in ops.items():
        times = []
        for call in calls:
            t = time.perf_counter()
            call()
            times.append(time.perf_counter() - t)
        out["latency"][name] = pct(times)
    out["rss_mb"]["after_queries"] = rss_mb()
    out["rss_mb"]["peak"] = peak_rss_mb()
    out["load_avg_end"] = os.getloadavg()
    idx.close()
    return out


# ---------------------------------------------------------------- a kind added to an existing run
def _store_texts(folder: Path) -> list[str]:
    """The BM25 passages of a written index: the stored chunks in the representation
    ``size_worker`` gives ``build_lexical`` (heading chain + clause, folded)."""
    from govsearch.passages import passage_text
    from govsearch.schema import Chunk

    with open(folder / "store" / "chunks.jsonl", "rb") as f:
        return [passage_text(Chunk.from_dict(json.loads(line)), "heading") for line in f]


def _cpu_s() -> dict[str, float]:
    """CPU seconds of this process and of its finished children (a pool's workers once it has closed)."""
    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"self": me.ru_utime + me.ru_stime, "children": kids.ru_utime + kids.ru_stime}


def reuse_work(args) -> int:
    """``--reuse-work``: see the module docstring."""
    import faiss

    from govsearch.manifest import Manifest

    work = Path(args.reuse_work).resolve()
    flat = work / "flat"
    man = Manifest.load(flat)
    n = man.chunks
    kinds = [k for k in args.kinds if k != "flat"]
    command = "python benchmarks/bench.py " + " ".join(sys.argv[1:])
    commit = machine().get("govsearch_commit")
    results = json.loads(args.results.read_text()) if args.results.exists() else {"sizes": {}}
    r = results.setdefault("sizes", {}).setdefault(str(n), {"size": n})
    steps = r.setdefault("reuse", [])

    def step(what: str, load_start, **extra) -> dict[str, Any]:
        rec = {"what": what, "date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "command": command,
               "govsearch_commit": commit, "load_avg_start": load_start, "load_avg_end": os.getloadavg()} | extra
        steps.append(rec)
        print(json.dumps(rec, ensure_ascii=False), flush=True)
        return rec

    def save() -> None:
        args.results.write_text(json.dumps(results, ensure_ascii=False, indent=1))

    if not args.query_only:
        from build import write_kind

        flat_index = faiss.read_index(str(flat / "vectors" / "vectors.faiss"), faiss.IO_FLAG_MMAP)
        load = os.getloadavg()
        t = time.perf_counter()
        vectors = flat_index.reconstruct_n(0, flat_index.ntotal)
        read_s = time.perf_counter() - t
        del flat_index
        for kind in kinds:
            load = os.getloadavg()
            cpu0 = _cpu_s()["self"]
            secs = write_kind(work / kind, kind, vectors, flat, man.embedder, man.represent,
                              {k: v for k, v in man.timings.items() if k in ("lexical", "store")})
            secs["vectors_cpu_s"] = _cpu_s()["self"] - cpu0
            built = Manifest.load(work / kind)
            rec = step(f"build {kind}", load, seconds=secs, backend=built.backend,
                       vectors_read_s=read_s, threads=faiss.omp_get_max_threads())
            r.setdefault("builds", {})[kind] = [secs | {k: v for k, v in man.timings.items() if k in ("lexical", "store")}
                                                | {"load_avg_start": rec["load_avg_start"], "load_avg_end": rec["load_avg_end"],
                                                   "note": "added with --reuse-work from the flat index's vectors"}]
            r.setdefault("disk_mb", {})[kind] = du_mb(work / kind)
            r.setdefault("disk_mb_without_cache", {})[kind] = du_mb(work / kind, exclude=("cache",))
            save()
        del vectors
        gc.collect()
        from govsearch.embedders import create_embedder

        real = create_embedder()
        skeletons = synth.load_skeletons()
        vm, _ = _vector_model(skeletons, real, results.get("args", {}).get("seed", args.seed))
        folders = {k: work / k for k in ("flat", *SWEEPS) if (work / k / "vectors").is_dir()}
        load = os.getloadavg()
        rec_new = approx_recall(folders, real, vm, skeletons)
        old = r.get("recall", {})
        kept = {k: v for k, v in old.items() if k.endswith(("_high_ef", "_m48_efc200"))}  # extra HNSW experiments
        r["recall"] = rec_new | kept
        if "real_queries" in old and "hnsw" not in old:
            r["recall_before"] = {k: v for k, v in old.items() if k not in kept}  # the run's own (HNSW-only) table
        step("recall of " + ", ".join(k for k in folders if k != "flat"), load)
        del real, vm
        gc.collect()
        save()
    if args.rebuild_bm25:
        from build import build_lexical

        from govsearch.lexical import LexicalIndex

        t = time.perf_counter()
        texts = _store_texts(flat)
        texts_s = time.perf_counter() - t
        load = os.getloadavg()
        cpu0 = _cpu_s()
        t = time.perf_counter()
        lex = build_lexical(texts, (), args.procs)
        build_s = time.perf_counter() - t
        cpu = {k: _cpu_s()[k] - cpu0[k] for k in cpu0}
        scratch = work / "_bm25_rebuild"
        shutil.rmtree(scratch, ignore_errors=True)
        t = time.perf_counter()
        lex.save(scratch / "lexical")
        save_s = time.perf_counter() - t
        peak = peak_rss_mb()
        old_lex = LexicalIndex.load(flat / "lexical")
        diffs = [float(np.max(np.abs(old_lex.scores(q) - lex.scores(q)))) for q in QUERIES[:10]]
        rec = step("BM25 rebuild", load, procs=args.procs)
        r["bm25_rebuild"] = {"passages": len(texts), "procs": args.procs, "build_s": build_s, "save_s": save_s,
                             "build_cpu_s": cpu,
                             "total_s": build_s + save_s, "texts_from_store_s": texts_s, "peak_rss_mb": peak,
                             "max_abs_score_diff_vs_run": max(diffs), "queries_compared": len(diffs),
                             "load_avg_start": rec["load_avg_start"], "load_avg_end": rec["load_avg_end"],
                             "date": rec["date"], "govsearch_commit": commit,
                             "builder": "build.build_lexical: LexicalIndex.build (token cache + bm25_from_ids), "
                                        "jieba cutting in --procs processes"}
        del lex, old_lex, texts
        shutil.rmtree(scratch, ignore_errors=True)
        gc.collect()
        save()
    if not args.no_query:
        for kind in kinds:
            load = os.getloadavg()
            q = run_query_worker(work / kind, work / f"query-{kind}.json", args.repeat, args.answer_queries, None)
            r.setdefault("queries", {})[kind] = q
            step(f"query worker {kind}", load, repeat=args.repeat)
            save()
    save()
    import report

    if not args.no_plots:
        report.plots(results, HERE)
    report.write_section(results, args.report, plots=not args.no_plots)
    print(f"wrote {args.results} and {args.report}")
    return 0


# ---------------------------------------------------------------- main
def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--budget", type=float, default=240.0, help="seconds a repeated stage may take before repeats stop")
    ap.add_argument("--txt-limit", type=int, default=100_000, help="sizes up to this go through .txt files and build_index")
    ap.add_argument("--procs", type=int, default=2, help="processes cutting BM25 tokens in the direct (1M) builder")
    ap.add_argument("--answer-queries", type=int, default=4, help="questions per ask/towns/compare")
    ap.add_argument("--baseline-docs", type=int, default=2000, help="documents split for the LangChain baseline (more: sampled)")
    ap.add_argument("--no-real", action="store_true", help="skip the embedding throughput and real-corpus build")
    ap.add_argument("--no-plots", action="store_true")
    ap.add_argument("--quick", action="store_true", help="smoke test: few queries and passages, random skeleton vectors")
    ap.add_argument("--results", type=Path, default=HERE / "results.json")
    ap.add_argument("--report", type=Path, default=HERE / "RESULTS.md")
    ap.add_argument("--reuse-work", type=Path, metavar="DIR",
                    help="add --kinds to an existing size's work folder (DIR/flat) instead of running sizes")
    ap.add_argument("--kinds", nargs="+", default=["ivf"], choices=KINDS, help="with --reuse-work: the kinds to add")
    ap.add_argument("--rebuild-bm25", action="store_true", help="with --reuse-work: time the BM25 build again")
    ap.add_argument("--query-only", action="store_true", help="with --reuse-work: only run the query worker on --kinds")
    ap.add_argument("--no-query", action="store_true", help="with --reuse-work: skip the query worker")
    ap.add_argument("--worker", choices=("size", "query"), help=argparse.SUPPRESS)
    ap.add_argument("--size", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--emb-json", help=argparse.SUPPRESS)
    ap.add_argument("--towns", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.quick and not QUICK:  # the flag reaches the worker processes through the environment
        os.environ["GOVSEARCH_BENCH_QUICK"] = "1"
        return subprocess.run([sys.executable, __file__, *(argv if argv is not None else sys.argv[1:])]).returncode
    if args.worker == "size":
        Path(args.out).write_text(json.dumps(size_worker(args), ensure_ascii=False, indent=1))
        return 0
    if args.worker == "query":
        Path(args.out).write_text(json.dumps(query_worker(args), ensure_ascii=False, indent=1))
        return 0
    if args.reuse_work:
        return reuse_work(args)

    from govsearch.embedders import create_embedder

    WORK.mkdir(parents=True, exist_ok=True)
    results: dict[str, Any] = {"machine": machine(), "args": {k: v for k, v in vars(args).items() if k in (
        "sizes", "repeat", "seed", "budget", "txt_limit", "procs", "answer_queries", "baseline_docs")}}
    old = json.loads(args.results.read_text()) if args.results.exists() else {}
    emb = create_embedder()
    if args.no_real and "embedding" in old:
        results["embedding"], results["real_build"] = old["embedding"], old.get("real_build")
    else:
        print("embedding throughput …", flush=True)
        results["embedding"] = bench_embedding(emb, args.repeat)
        if not args.no_real:
            print("real corpus build …", flush=True)
            results["real_build"] = bench_real_build(emb, min(args.repeat, 2), WORK)
    emb_json = WORK / "embedding.json"
    emb_json.write_text(json.dumps(results["embedding"]))
    del emb
    results["sizes"] = dict(old.get("sizes", {})) if old.get("args", {}).get("seed") == args.seed else {}
    for n in args.sizes:
        print(f"size {n} …", flush=True)
        out = WORK / f"size-{n}.json"
        t = time.perf_counter()
        run = {"date": time.strftime("%Y-%m-%d %H:%M:%S %Z"), "load_avg_start": os.getloadavg(),
               "command": "python benchmarks/bench.py " + " ".join(argv if argv is not None else sys.argv[1:]),
               "govsearch_commit": results["machine"].get("govsearch_commit")}
        cmd = [sys.executable, __file__, "--worker", "size", "--size", str(n), "--out", str(out),
               "--emb-json", str(emb_json)] + _pass(args)
        subprocess.run(cmd, check=True)
        r = json.loads(out.read_text())
        r["wall_s"] = time.perf_counter() - t
        r["run"] = run | {"load_avg_end": os.getloadavg()}
        results["sizes"][str(n)] = r
        results["machine"]["load_avg_end"] = os.getloadavg()
        args.results.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    args.results.write_text(json.dumps(results, ensure_ascii=False, indent=1))
    import report

    if not args.no_plots:
        report.plots(results, HERE)
    report.write_section(results, args.report, plots=not args.no_plots)
    print(f"wrote {args.results} and {args.report}")
    return 0


def _pass(args) -> list[str]:
    return ["--repeat", str(args.repeat), "--seed", str(args.seed), "--budget", str(args.budget),
            "--txt-limit", str(args.txt_limit), "--procs", str(args.procs),
            "--answer-queries", str(args.answer_queries), "--baseline-docs", str(args.baseline_docs)]


if __name__ == "__main__":
    sys.exit(main())
