"""The package's public names, as the README uses them."""

from __future__ import annotations

import govsearch


def test_everything_in_all_is_importable():
    for name in govsearch.__all__:
        assert getattr(govsearch, name) is not None, name


def test_readme_example_runs(built_index_dir, embedder):
    idx = govsearch.open_index(built_index_dir, embedder=embedder)
    hit = idx.search("飞线充电", k=3, town="三乡镇")[0]
    assert hit.citation.startswith("三乡镇 · 《")
    assert idx.ask("三乡镇累计查出多少处飞线充电隐患？").answer.startswith("64处")
    assert idx.towns("飞线充电").names == ["三乡镇"]
    assert idx.compare("垃圾分类", ["三乡镇", "民众街道"]).markdown().startswith("| 三乡镇 | 民众街道 |")
