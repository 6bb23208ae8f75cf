"""Loading files: encodings, refusals that name the file, furniture spans, corpora, manifests."""

from __future__ import annotations

import hashlib

import pytest

from govsearch.errors import DocumentError
from govsearch.load import find_furniture, load_corpus, load_document, read_manifest

TEXT = "一、总体情况\n(一)提前谋划。按照方案开展。\n1.具体措施\n"


@pytest.mark.parametrize(
    "encoding,newline",
    [("utf-8", "\n"), ("utf-8-sig", "\n"), ("gb18030", "\n"), ("gbk", "\r\n"), ("utf-16", "\n"), ("utf-8", "\r")],
)
def test_encodings_and_line_ends_decode_to_the_same_text(tmp_path, encoding, newline):
    p = tmp_path / "doc.txt"
    p.write_bytes(TEXT.replace("\n", newline).encode(encoding))
    doc = load_document(p)
    assert doc.text == TEXT  # BOM dropped, line ends normalised to \n
    assert doc.sha256 == hashlib.sha256(p.read_bytes()).hexdigest()


def test_markdown_is_read_as_text(tmp_path):
    p = tmp_path / "note.md"
    p.write_text("# 标题\n\n一、内容\n", encoding="utf-8")
    doc = load_document(p)
    assert doc.format == "md" and doc.text.startswith("# 标题")


def test_empty_file_is_refused_naming_it(tmp_path):
    p = tmp_path / "empty.txt"
    p.write_bytes(b"")
    with pytest.raises(DocumentError) as e:
        load_document(p)
    assert e.value.reason == "empty file" and "empty.txt" in str(e.value)


def test_binary_file_is_refused_naming_it(tmp_path):
    p = tmp_path / "blob.txt"
    p.write_bytes(bytes(range(256)) * 8)
    with pytest.raises(DocumentError) as e:
        load_document(p)
    assert "binary file, not text" in e.value.reason and "blob.txt" in str(e.value)


def test_missing_file_is_refused(tmp_path):
    with pytest.raises(DocumentError, match="nope.txt"):
        load_document(tmp_path / "nope.txt")


def test_furniture_is_found_not_removed(corpus_dir):
    doc = load_document(corpus_dir / "sanxiang-2025-09-12-xuncha-zhenggai.txt", corpus_dir)
    assert doc.text == (corpus_dir / "sanxiang-2025-09-12-xuncha-zhenggai.txt").read_text(encoding="utf-8")
    skipped = [doc.text[s:e] for s, e in doc.skip]
    assert skipped[0] == "无障碍版 长者助手 登录"
    assert skipped[1].startswith("您当前的位置")
    assert skipped[2].startswith("信息来源:") and skipped[2].endswith("分享:")
    assert skipped[3].startswith("附件:") and skipped[3].endswith("通报台账")
    assert skipped[4].startswith("中共中山市三乡镇委员会") and skipped[4].endswith("2025年9月12日")


def test_furniture_leaves_content_alone():
    text = "分享经验做法,推动工作。\n附件材料已归档。\n一、正文\n"
    assert find_furniture(text) == ()


def test_load_corpus_reads_all_five(corpus_dir):
    loaded = load_corpus(corpus_dir)
    assert loaded.skipped == []
    assert sorted(d.source for d in loaded.documents) == sorted(p.name for p in corpus_dir.glob("*.txt"))


def test_one_bad_file_never_stops_the_rest(tmp_path):
    (tmp_path / "good.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "deep.txt").write_text(TEXT, encoding="gbk")
    (tmp_path / ".hidden.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "README.md").write_text("# about", encoding="utf-8")
    loaded = load_corpus(tmp_path)
    assert sorted(d.source for d in loaded.documents) == ["good.txt", "sub/deep.txt"]
    assert loaded.skipped == [("empty.txt", "empty file")]


def test_manifest_overrides_inferred_metadata(tmp_path):
    (tmp_path / "a.txt").write_text(TEXT, encoding="utf-8")
    (tmp_path / "manifest.toml").write_text('["a.txt"]\ntown = "三乡镇"\ndate = "2025-01-02"\n', encoding="utf-8")
    assert read_manifest(tmp_path) == {"a.txt": {"town": "三乡镇", "date": "2025-01-02"}}
    doc = load_corpus(tmp_path).documents[0]
    assert doc.metadata.town == "三乡镇" and doc.metadata.date == "2025-01-02"


def test_manifest_with_unknown_field_is_refused(tmp_path):
    (tmp_path / "manifest.toml").write_text('["a.txt"]\ntwon = "x"\n', encoding="utf-8")
    with pytest.raises(DocumentError, match="twon"):
        read_manifest(tmp_path)
