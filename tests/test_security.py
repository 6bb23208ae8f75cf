"""Security (issue 7): an index is data, never code; the page stays on this machine
and reads only its index.

* No module of the package unpickles, evaluates or executes anything it reads;
  every ``np.load`` refuses pickles; an index folder whose arrays were replaced
  by pickled objects is refused, and the objects are never unpickled.
* The page binds to 127.0.0.1 unless told otherwise, and answering a request
  opens no file outside the index folder (the libraries' own data aside).

Escaping on the page and the file routes of the server are tested by the
page's own tests (test_app_render.py, test_app_browser.py).
"""

from __future__ import annotations

import ast
import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from fake_embedder import FakeEmbedder
from govsearch.errors import BadIndexError, GovsearchError
from govsearch.index import Index, build_index

PACKAGE = Path(__file__).resolve().parent.parent / "govsearch"
SOURCES = sorted(PACKAGE.rglob("*.py"))

UNSAFE_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "cloudpickle", "joblib", "jsonpickle"}
UNSAFE_CALLS = {"eval", "exec", "compile", "__import__", "execfile"}


def _calls(tree: ast.AST):
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            f = node.func
            name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
            owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
            yield node, owner, name


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.relative_to(PACKAGE).as_posix())
def test_no_module_unpickles_evaluates_or_executes(path):
    tree = ast.parse(path.read_text("utf-8"), str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            assert not {a.name.split(".")[0] for a in node.names} & UNSAFE_MODULES, ast.unparse(node)
        elif isinstance(node, ast.ImportFrom):
            assert (node.module or "").split(".")[0] not in UNSAFE_MODULES, ast.unparse(node)
    for node, owner, name in _calls(tree):
        where = f"{path.name}:{node.lineno}: {ast.unparse(node)[:80]}"
        assert not (owner == "" and name in UNSAFE_CALLS), where
        assert not (owner == "yaml" and name in ("load", "unsafe_load", "full_load")), where
        assert not (owner == "torch" and name == "load"), where
        if owner in ("np", "numpy") and name == "load":
            kw = {k.arg: k.value for k in node.keywords}
            assert isinstance(kw.get("allow_pickle"), ast.Constant) and kw["allow_pickle"].value is False, where
        for k in node.keywords:
            if k.arg == "shell":
                assert isinstance(k.value, ast.Constant) and k.value.value is False, where
            if k.arg == "allow_pickle":
                assert isinstance(k.value, ast.Constant) and k.value.value is False, where


class Boom:
    """Unpickling this creates the marker file: proof that something was unpickled."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _poison(path: Path, marker: Path) -> None:
    """Replace an .npy/.npz by pickled object arrays of the same names."""
    bomb = np.array([Boom(marker)] * 3, dtype=object)
    if path.suffix == ".npz":
        with np.load(path, allow_pickle=False) as z:
            names = list(z.files)
        with open(path, "wb") as f:
            np.savez(f, **{n: bomb for n in names})
    else:
        with open(path, "wb") as f:
            np.save(f, bomb, allow_pickle=True)


@pytest.fixture()
def small_index(small_corpus, tmp_path) -> Path:
    folder = tmp_path / "idx"
    build_index(small_corpus, folder, embedder=FakeEmbedder())
    return folder


def _arrays(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.suffix in (".npy", ".npz"))


def test_every_array_file_of_an_index_is_one_searched_here(small_index):
    assert {a.split("/")[0] for a in _arrays(small_index)} == {"cache", "lexical", "store"}


@pytest.mark.parametrize("victim", ["lexical/data.csc.index.npy", "lexical/indices.csc.index.npy",
                                    "lexical/indptr.csc.index.npy", "store/offsets.npy", "store/columns.npz"])
def test_an_index_array_holding_pickled_objects_is_refused_unopened(small_index, tmp_path, victim):
    assert victim in _arrays(small_index)
    marker = tmp_path / "unpickled"
    _poison(small_index / victim, marker)
    with pytest.raises(BadIndexError) as err:
        idx = Index.open(small_index, embedder=FakeEmbedder())
        idx.search("桥梁", k=3)
    msg = str(err.value)
    assert "never" in msg and "--rebuild" in msg and "allow_pickle" not in msg, msg
    assert not marker.exists(), "an object in the index was unpickled"


def test_a_poisoned_embedding_cache_is_ignored_not_unpickled(small_index, small_corpus, tmp_path):
    marker = tmp_path / "unpickled"
    for rel in _arrays(small_index):
        if rel.startswith("cache/"):
            _poison(small_index / rel, marker)
    report = build_index(small_corpus, small_index, embedder=FakeEmbedder(), rebuild=True)
    assert report.reused == 0 and report.embedded > 0
    assert not marker.exists()


def test_code_in_the_manifest_is_never_evaluated(small_index, tmp_path):
    marker = tmp_path / "evaluated"
    code = f"__import__('pathlib').Path({str(marker)!r}).touch()"
    m = json.loads((small_index / "manifest.json").read_text("utf-8"))
    m["embedder"] = {"backend": code, "model": code, "dim": 16, "variant": code, "name_or_path": code}
    m["backend"] = {"name": "faiss", "kind": code, "dim": 16}
    m["represent"] = code
    (small_index / "manifest.json").write_text(json.dumps(m), "utf-8")
    with pytest.raises((GovsearchError, ValueError)):
        Index.open(small_index).search("桥梁", k=1)  # the query model comes from the manifest
    assert not marker.exists()


def test_the_shared_index_holds_only_plain_files(built_index_dir):
    for p in built_index_dir.rglob("*"):
        if p.suffix == ".npy":
            assert not np.load(p, allow_pickle=False, mmap_mode="r").dtype.hasobject, p
        elif p.suffix == ".npz":
            with np.load(p, allow_pickle=False) as z:
                assert not any(z[k].dtype.hasobject for k in z.files), p
        elif p.is_file():
            assert p.suffix in (".json", ".jsonl", ".faiss"), p


# ---------------------------------------------------------------- the page


def test_the_page_binds_to_127_0_0_1_unless_told_otherwise(monkeypatch, built_index_dir):
    pytest.importorskip("gradio")
    import inspect

    from govsearch import app

    assert app.DEFAULT_HOST == "127.0.0.1"
    assert inspect.signature(app.launch).parameters["host"].default == "127.0.0.1"
    hosts: list[str] = []
    monkeypatch.setattr(app, "build_app", lambda *a, **k: object())
    monkeypatch.setattr(app, "launch", lambda demo, host, port, **k: hosts.append(host))
    monkeypatch.delenv("GOVSEARCH_HOST", raising=False)
    app.main(["--index", str(built_index_dir), "--corpus", ""])
    app.main(["--index", str(built_index_dir), "--corpus", "", "--host", "0.0.0.0"])
    monkeypatch.setenv("GOVSEARCH_HOST", "192.0.2.1")
    app.main(["--index", str(built_index_dir), "--corpus", ""])
    assert hosts == ["127.0.0.1", "0.0.0.0", "192.0.2.1"]


_opened: list[str] | None = None


def _audit(event: str, args: tuple) -> None:
    if _opened is not None and event == "open" and isinstance(args[0], (str, bytes, os.PathLike)):
        _opened.append(os.fsdecode(args[0]))


def test_answering_page_requests_opens_no_file_outside_the_index(built_index_dir, embedder, corpus_dir):
    """Every file opened while the page answers requests, including requests that
    carry paths, is in the index folder or the installed libraries' own data."""
    global _opened
    pytest.importorskip("gradio")
    from govsearch.app import Handlers, IndexHolder

    holder = IndexHolder(built_index_dir, None, embedder).start()
    assert holder.wait(300), holder.error
    h = Handlers(holder)
    requests = [
        lambda: h.search("飞线充电", 5, "", "", "", ""),
        lambda: h.search("../../../../etc/passwd", 5, "", "", "", ""),
        lambda: h.search(f"{corpus_dir}/sanxiang-2025-09-12-xuncha-zhenggai.txt", 5, "三乡镇", "", "", ""),
        lambda: h.ask("哪些镇处理了飞线充电问题？ file:///etc/shadow"),
        lambda: h.towns("垃圾分类 /root/.ssh/id_rsa"),
        lambda: h.compare("垃圾分类", ["三乡镇", "民众街道"]),
        lambda: holder.context_of("../../../../etc/passwd"),
        lambda: holder.context_of("/etc/passwd"),
    ]
    sys.addaudithook(_audit)
    _opened = []
    try:
        for r in requests:
            try:
                r()
            except GovsearchError:
                pass
        opened = list(_opened)
    finally:
        _opened = None
    allowed = [Path(p).resolve() for p in (built_index_dir, sys.prefix, sys.base_prefix, *sys.path) if p]
    outside = [
        p for p in opened
        if not any(Path(p).resolve().is_relative_to(a) for a in allowed) and not p.startswith("/dev/")
    ]
    assert not outside, outside
    assert not any("passwd" in p or "shadow" in p or "id_rsa" in p or "corpus" in p for p in opened)
