"""`govsearch parse`: readable tree, exact JSON shape, clean one-line errors."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from govsearch.cli import app

runner = CliRunner()
SANXIANG = "sanxiang-2025-09-12-xuncha-zhenggai.txt"


def test_parse_json_shape(corpus_dir):
    result = runner.invoke(app, ["parse", str(corpus_dir / SANXIANG), "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert set(out) == {"metadata", "clauses"}
    assert set(out["metadata"]) == {
        "title", "issuer", "city", "town", "anonymised", "date", "doc_type", "round", "duplicate_of",
    }
    assert out["metadata"]["town"] == "三乡镇" and out["metadata"]["date"] == "2025-09-12"
    text = (corpus_dir / SANXIANG).read_text(encoding="utf-8")
    for c in out["clauses"]:
        assert set(c) == {"path", "heading", "text", "start", "end"}
        assert text[c["start"] : c["end"]] == c["text"]
    assert ["二、", "(二)", "7.", "(19)", "一是"] in [c["path"] for c in out["clauses"]]
    assert "三乡镇" in result.stdout  # ensure_ascii=False


def test_parse_readable_tree(corpus_dir):
    result = runner.invoke(app, ["parse", str(corpus_dir / SANXIANG)])
    assert result.exit_code == 0
    assert "town:         三乡镇" in result.stdout
    assert "\n      (19) 做好水井安全防护" in result.stdout


def test_parse_excerpt_knows_its_original(corpus_dir):
    result = runner.invoke(app, ["parse", str(corpus_dir / "excerpt-untitled.txt"), "--json"])
    meta = json.loads(result.stdout)["metadata"]
    assert meta["duplicate_of"] == SANXIANG and meta["town"] == "三乡镇"


def test_errors_are_one_clean_line(tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    result = runner.invoke(app, ["parse", str(empty)])
    assert result.exit_code == 1
    assert result.stderr.strip() == f"error: {empty}: empty file"
    assert "Traceback" not in result.output
    missing = runner.invoke(app, ["parse", str(tmp_path / "missing.txt")])
    assert missing.exit_code == 1 and "file not found" in missing.stderr
