"""The Gradio search page: search, 问答, 哪些镇 and 对比 over one index.

    python app_gradio.py                      # index/ from corpus/, on 127.0.0.1:7860
    python app_gradio.py --port 8080 --index /data/index --corpus /data/corpus

The page opens at once; the index is built (or brought up to date) from the
corpus in a background thread while a status line shows how far it has got.
Requests only ever carry query text and filter values: no path from a request
reaches the file system, and the page reads nothing outside the index folder
(and the corpus folder, when it builds).
"""

from __future__ import annotations

import argparse
import functools
import logging
import os
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402
import numpy as np  # noqa: E402

from . import render  # noqa: E402
from .errors import GovsearchError  # noqa: E402
from .index import BuildReport, Index, build_index  # noqa: E402

log = logging.getLogger(__name__)

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
ALL = ""  # the "no filter" choice of a dropdown

SEARCH_EXAMPLES = ["飞线充电", "垃圾分类", "强村公司", "idle collective assets"]
ASK_EXAMPLES = [
    "哪些镇处理了飞线充电问题？",
    "三乡镇和民众街道在垃圾分类上的做法有何不同？",
    "强村公司是怎么运作的？",
    "How did the towns follow up on idle collective assets?",
]
TOWNS_EXAMPLES = ["飞线充电", "垃圾分类", "强村公司", "闲置资产"]
COMPARE_EXAMPLE = ("垃圾分类", ["三乡镇", "民众街道"])


# ---- the index, built or opened in the background --------------------------------
class _ProgressEmbedder:
    """The embedder, reporting how many passages it has embedded (for the status line)."""

    STEP = 64

    def __init__(self, inner: Any, report: Callable[[int, int], None]) -> None:
        self._inner = inner
        self._report = report

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        texts = list(texts)
        if len(texts) <= self.STEP:
            return self._inner.embed_passages(texts)
        parts = []
        for i in range(0, len(texts), self.STEP):
            parts.append(self._inner.embed_passages(texts[i : i + self.STEP]))
            self._report(min(i + self.STEP, len(texts)), len(texts))
        return np.vstack(parts)


class IndexHolder:
    """Opens the index (building it from the corpus first when asked) in a thread.

    ``state`` is one of starting, building, opening, ready, error. Queries wait
    on ``lock``: the index, its tokenizer and the embedder are used by one
    request at a time, while Gradio's queue keeps every user's request in line.
    """

    def __init__(self, index_dir: str | Path, corpus_dir: str | Path | None = None, embedder: Any = None) -> None:
        self.index_dir = Path(index_dir)
        self.corpus_dir = Path(corpus_dir) if corpus_dir else None
        self._embedder = embedder
        self.state = "starting"
        self.detail = ""
        self.done = self.total = 0
        self.report: BuildReport | None = None
        self.index: Index | None = None
        self.error: str | None = None
        self.started = time.monotonic()
        self.ready_after: float | None = None
        self.lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._context: dict[str, list] = {}

    def start(self) -> "IndexHolder":
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="govsearch-index", daemon=True)
            self._thread.start()
        return self

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the index is ready or failed; True when ready."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self.state == "ready"

    def _progress(self, done: int, total: int) -> None:
        self.done, self.total = done, total

    def _run(self) -> None:
        try:
            emb = self._embedder
            if self.corpus_dir is not None:
                self.state, self.detail = "building", "正在检查语料是否有变化…"
                if emb is None:
                    from .embedders import create_embedder

                    emb = create_embedder()
                self.detail = "正在读取语料并嵌入条款…"
                self.report = build_index(
                    self.corpus_dir, self.index_dir, embedder=_ProgressEmbedder(emb, self._progress)
                )
                log.info("%s", self.report.summary())
            self.state, self.detail = "opening", "正在打开索引…"
            idx = Index.open(self.index_dir, embedder=emb)
            idx.embedder  # load the query model now, not on the first query
            self.index = idx
            self.ready_after = time.monotonic() - self.started
            self.state = "ready"
        except GovsearchError as e:
            self.error, self.state = str(e), "error"
        except Exception as e:  # the page must say what happened, not hang
            log.exception("could not open the index %s", self.index_dir)
            self.error, self.state = f"{type(e).__name__}: {e}", "error"

    def get(self) -> Index:
        if self.state == "ready" and self.index is not None:
            return self.index
        if self.state == "error":
            raise GovsearchError(f"索引不可用：{self.error}")
        raise GovsearchError("索引仍在准备中，请稍候再试（页面顶部显示进度）。")

    def context_of(self, source: str) -> list:
        """Every chunk of a source of the index, in document order (cached)."""
        if source not in self._context:
            self._context[source] = self.get().chunks_of(source)
        return self._context[source]

    def status_html(self) -> str:
        elapsed = time.monotonic() - self.started
        if self.state == "ready":
            idx = self.index
            assert idx is not None
            built = ""
            if self.report is not None and not self.report.up_to_date:
                built = f"；刚刚构建（嵌入 {self.report.embedded} 条，复用 {self.report.reused} 条）"
            return (
                f'<div class="gs-status"><span class="gs-dot gs-ok"></span>索引就绪：{len(idx)} 个条款，{len(idx.sources)} 份文件，'
                f"{len(idx.town_names)} 个镇街{render.escape(built)}</div>"
            )
        if self.state == "error":
            return render.error_html(f"索引不可用：{self.error}")
        pct = ""
        if self.total:
            pct = f"（已嵌入 {self.done}/{self.total} 个条款，{100 * self.done // self.total}%）"
        return (
            f'<div class="gs-status"><span class="gs-dot gs-busy"></span>{render.escape(self.detail or "正在准备索引…")}{pct}'
            f" 已用时 {elapsed:.0f} 秒。首次构建约需 1–2 分钟，完成后即可查询。</div>"
        )


# ---- request handlers ------------------------------------------------------------------
def _guard(fn: Callable[..., str]) -> Callable[..., str]:
    """Any failure becomes an error box on the page; the page keeps working."""

    @functools.wraps(fn)
    def wrapper(*args: Any) -> str:
        try:
            return fn(*args)
        except GovsearchError as e:
            return render.error_html(str(e))
        except Exception as e:
            log.exception("request failed")
            return render.error_html(f"查询出错（{type(e).__name__}）；请换个说法再试，详情见服务器日志。")

    return wrapper


MAX_K = 50  # hits rendered per search (the slider's range; the API gets no more)
MAX_INPUT = 2000  # characters of a query read at all (the search itself reads 512)


def _text(value: Any) -> str:
    return str(value or "")[:MAX_INPUT]


def _opt(value: Any) -> str | None:
    if value is None:
        return None
    v = str(value).strip()
    return v or None


class Handlers:
    """What each button does, over one :class:`IndexHolder`."""

    def __init__(self, holder: IndexHolder) -> None:
        self.holder = holder

    def _terms(self, idx: Index, text: str, towns: bool = False) -> list[str]:
        """The words to highlight; with ``towns``, without the towns the text names
        (三乡镇 in a question is a filter, not a term to look for)."""
        exclude: list[str] = []
        if towns:
            for t in idx.town_names:
                short = t[:-2] if t.endswith("街道") else t.rstrip("镇乡")
                exclude += [t, short] if len(short) >= 2 else [t]
        return render.query_terms(text, idx.lexical.tokenizer, exclude)

    def search(self, query: str, k: float, town: str, date_from: str, date_to: str, doc_type: str) -> str:
        idx = self.holder.get()
        query = _text(query)
        with self.holder.lock:
            hits = idx.search(
                query,
                k=max(1, min(int(k or 10), MAX_K)),
                town=_opt(town),
                date_from=_opt(date_from),
                date_to=_opt(date_to),
                doc_type=_opt(doc_type),
            )
            terms = self._terms(idx, query)
            return render.hits_html(hits, terms, self.holder.context_of, query=query)

    def ask(self, question: str) -> str:
        idx = self.holder.get()
        question = _text(question)
        with self.holder.lock:
            from .query import prepare

            prepare(question)  # a clean message for an empty question
            answer = idx.ask(question)
            terms = self._terms(idx, question, towns=True)
            return render.answer_html(answer, terms, self.holder.context_of)

    def towns(self, topic: str) -> str:
        idx = self.holder.get()
        topic = _text(topic)
        with self.holder.lock:
            result = idx.towns(topic)
            return render.towns_html(result, self._terms(idx, topic, towns=True), self.holder.context_of)

    def compare(self, topic: str, towns: list[str] | None) -> str:
        idx = self.holder.get()
        topic = _text(topic)
        names = [t for t in (towns or []) if t]
        if len(names) < 2:
            raise GovsearchError("请选择至少两个镇街进行对比。")
        with self.holder.lock:
            from .query import prepare

            prepare(topic)
            cmp = idx.compare(topic, towns=names)
            return render.comparison_html(cmp, self._terms(idx, topic, towns=True), self.holder.context_of)


# ---- the page ------------------------------------------------------------------------
def _choices(values: Sequence[str], all_label: str) -> list[tuple[str, str]]:
    return [(all_label, ALL)] + [(v, v) for v in values]


def build_app(
    index_dir: str | Path = "index",
    corpus_dir: str | Path | None = "corpus",
    *,
    embedder: Any = None,
    holder: IndexHolder | None = None,
) -> gr.Blocks:
    """The page over ``index_dir``; with ``corpus_dir``, the index is built or
    updated from it first (in the background, with progress on the page)."""
    holder = (holder or IndexHolder(index_dir, corpus_dir, embedder)).start()
    h = Handlers(holder)
    do_search, do_ask, do_towns, do_compare = (_guard(f) for f in (h.search, h.ask, h.towns, h.compare))
    run = dict(concurrency_limit=None)  # the holder's lock orders index use; rendering runs in parallel

    with gr.Blocks(title="govsearch · 基层治理文件检索", analytics_enabled=False) as demo:
        gr.Markdown("## govsearch · 基层治理文件检索与问答\n按条款编号引用原文：镇街、日期、文件、条款路径。")
        status = gr.HTML(holder.status_html(), elem_id="gs-status")
        timer = gr.Timer(1.0, active=holder.state not in ("ready", "error"))

        with gr.Tabs():
            with gr.Tab("搜索", id="search"):
                with gr.Row(equal_height=True):
                    q = gr.Textbox(label="查询", placeholder="例如：飞线充电、垃圾分类、强村公司", scale=4,
                                   elem_id="gs-query", max_lines=2, min_width=260)
                    k = gr.Slider(1, 50, value=10, step=1, label="结果数 k", scale=1, min_width=200)
                with gr.Row():
                    town = gr.Dropdown(_choices([], "全部镇街"), value=ALL, label="镇街", elem_id="gs-town",
                                       min_width=140)
                    date_from = gr.Textbox(label="起始日期", placeholder="YYYY-MM-DD", min_width=120)
                    date_to = gr.Textbox(label="截止日期", placeholder="YYYY-MM-DD", min_width=120)
                    doc_type = gr.Dropdown(_choices([], "全部类型"), value=ALL, label="文件类型", min_width=140)
                with gr.Row():
                    search_btn = gr.Button("搜索", variant="primary", elem_id="gs-search-btn", min_width=100)
                    ex_search = [gr.Button(e, size="sm", min_width=80) for e in SEARCH_EXAMPLES]
                search_out = gr.HTML(elem_id="gs-search-out")
            with gr.Tab("问答", id="ask"):
                question = gr.Textbox(label="问题", placeholder="例如：三乡镇排查出多少处飞线充电隐患？",
                                      elem_id="gs-question", max_lines=3)
                with gr.Row():
                    ask_btn = gr.Button("提问", variant="primary", elem_id="gs-ask-btn", min_width=100)
                with gr.Row():
                    ex_ask = [gr.Button(e, size="sm", min_width=120) for e in ASK_EXAMPLES]
                ask_out = gr.HTML(elem_id="gs-ask-out")
            with gr.Tab("哪些镇", id="towns"):
                with gr.Row(equal_height=True):
                    topic = gr.Textbox(label="议题", placeholder="例如：飞线充电", scale=4, elem_id="gs-topic")
                    towns_btn = gr.Button("查找镇街", variant="primary", scale=1, elem_id="gs-towns-btn",
                                          min_width=100)
                with gr.Row():
                    ex_towns = [gr.Button(e, size="sm", min_width=80) for e in TOWNS_EXAMPLES]
                towns_out = gr.HTML(elem_id="gs-towns-out")
            with gr.Tab("对比", id="compare"):
                with gr.Row():
                    cmp_topic = gr.Textbox(label="议题", value=COMPARE_EXAMPLE[0], scale=2, elem_id="gs-cmp-topic",
                                           min_width=160)
                    cmp_towns = gr.Dropdown([], value=[], multiselect=True, label="镇街（两个或以上）", scale=3,
                                            elem_id="gs-cmp-towns", min_width=200)
                with gr.Row():
                    cmp_btn = gr.Button("对比", variant="primary", elem_id="gs-cmp-btn", min_width=100)
                cmp_out = gr.HTML(elem_id="gs-cmp-out")

        # ---- wiring
        search_in = [q, k, town, date_from, date_to, doc_type]
        for trigger in (search_btn.click, q.submit):
            trigger(do_search, search_in, search_out, **run)
        for b, e in zip(ex_search, SEARCH_EXAMPLES):
            b.click(lambda e=e: e, None, q, queue=False).then(do_search, search_in, search_out, **run)
        for trigger in (ask_btn.click, question.submit):
            trigger(do_ask, question, ask_out, **run)
        for b, e in zip(ex_ask, ASK_EXAMPLES):
            b.click(lambda e=e: e, None, question, queue=False).then(do_ask, question, ask_out, **run)
        for trigger in (towns_btn.click, topic.submit):
            trigger(do_towns, topic, towns_out, **run)
        for b, e in zip(ex_towns, TOWNS_EXAMPLES):
            b.click(lambda e=e: e, None, topic, queue=False).then(do_towns, topic, towns_out, **run)
        for trigger in (cmp_btn.click, cmp_topic.submit):
            trigger(do_compare, [cmp_topic, cmp_towns], cmp_out, **run)

        def refresh():
            """The status line; the filter choices once the index is ready."""
            if holder.state != "ready":
                keep = gr.skip()
                return holder.status_html(), keep, keep, keep, gr.Timer(active=holder.state != "error")
            idx = holder.index
            assert idx is not None
            towns = idx.town_names
            default = [t for t in COMPARE_EXAMPLE[1] if t in towns] or towns[:2]
            return (
                holder.status_html(),
                gr.Dropdown(choices=_choices(towns, "全部镇街")),
                gr.Dropdown(choices=_choices(idx.doc_types, "全部类型")),
                gr.Dropdown(choices=towns, value=default),
                gr.Timer(active=False),
            )

        outs = [status, town, doc_type, cmp_towns, timer]
        timer.tick(refresh, None, outs, queue=False, show_progress="hidden")
        demo.load(refresh, None, outs, queue=False, show_progress="hidden")

    demo.queue(default_concurrency_limit=8, max_size=128)
    demo.govsearch_holder = holder  # type: ignore[attr-defined]
    return demo


def theme() -> gr.themes.Base:
    """Local CJK fonts only: the page never fetches fonts from the network."""
    return gr.themes.Default(
        font=["Noto Sans CJK SC", "Noto Sans SC", "PingFang SC", "Microsoft YaHei", "sans-serif"],
        font_mono=["Noto Sans Mono CJK SC", "DejaVu Sans Mono", "monospace"],
    )


def launch(demo: gr.Blocks, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, **kwargs: Any):
    """Start the server (``prevent_thread_lock=True`` in kwargs returns at once)."""
    return demo.launch(
        server_name=host,
        server_port=port,
        theme=theme(),
        css=render.CSS,
        ssr_mode=False,
        show_error=False,
        inbrowser=False,
        share=False,
        **kwargs,
    )


def main(argv: Sequence[str] | None = None, root: str | Path | None = None) -> None:
    """``python app_gradio.py [--host H] [--port P] [--index DIR] [--corpus DIR]``."""
    base = Path(root) if root else Path.cwd()
    p = argparse.ArgumentParser(prog="app_gradio.py", description="govsearch search page (Gradio)")
    p.add_argument("--host", default=os.environ.get("GOVSEARCH_HOST", DEFAULT_HOST),
                   help="address to bind (env GOVSEARCH_HOST; default 127.0.0.1)")
    p.add_argument("--port", type=int, default=int(os.environ.get("GOVSEARCH_PORT", DEFAULT_PORT)),
                   help="port (env GOVSEARCH_PORT; default 7860)")
    p.add_argument("--index", default=str(base / "index"), help="index folder (default: index/)")
    p.add_argument("--corpus", default=str(base / "corpus"),
                   help="corpus folder to build the index from when it is missing or stale; "
                        "'' to open the index as it is")
    args = p.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    corpus = args.corpus or None
    if corpus is not None and not Path(corpus).is_dir():
        if (Path(args.index) / "manifest.json").exists():
            log.warning("no corpus folder %s; opening %s as it is", corpus, args.index)
            corpus = None
        else:
            raise SystemExit(f"error: no corpus folder {corpus} and no index in {args.index}")
    demo = build_app(args.index, corpus)
    launch(demo, args.host, args.port)


__all__ = ["IndexHolder", "build_app", "launch", "main"]
