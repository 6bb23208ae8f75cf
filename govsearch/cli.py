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


if __name__ == "__main__":  # pragma: no cover
    app()
