"""Metadata of each corpus document, and of documents without a header."""

from __future__ import annotations

import pytest

from govsearch.load import load_corpus
from govsearch.metadata import infer_metadata

EXPECTED = {
    "sanxiang-2025-09-12-xuncha-zhenggai.txt": dict(
        title="中共中山市三乡镇委员会关于十五届市委第六轮巡察整改进展情况的通报",
        issuer="中共中山市三乡镇委员会",
        city="中山市",
        town="三乡镇",
        anonymised=False,
        date="2025-09-12",
        doc_type="巡察整改进展通报",
        round="十五届市委第六轮巡察",
        duplicate_of=None,
    ),
    "minzhong-2025-04-27-xuncha-zhenggai.txt": dict(
        issuer="中共中山市民众街道工作委员会",
        city="中山市",
        town="民众街道",
        anonymised=False,
        date="2025-04-27",
        doc_type="巡察整改进展通报",
        round="十五届市委第五轮常规巡察",
        duplicate_of=None,
    ),
    "anon-town-minzhu-shenghuohui.txt": dict(
        title=None, issuer=None, city=None, town="XX乡镇", anonymised=True, date=None,
        doc_type="民主生活会对照检查材料", round=None, duplicate_of=None,
    ),
    "anon-town-liangwei-jiezhong-fenxi.txt": dict(
        title=None, issuer=None, town="*镇", anonymised=True, date=None,
        doc_type="两委班子届中分析", round=None, duplicate_of=None,
    ),
    "excerpt-untitled.txt": dict(
        title=None, town="三乡镇", city="中山市", issuer="中共中山市三乡镇委员会", anonymised=False,
        date=None, duplicate_of="sanxiang-2025-09-12-xuncha-zhenggai.txt",
    ),
}


@pytest.fixture(scope="module")
def metadata(corpus_dir):
    return {d.source: d.metadata for d in load_corpus(corpus_dir).documents}


@pytest.mark.parametrize("source", sorted(EXPECTED))
def test_corpus_metadata(metadata, source):
    meta = metadata[source].to_dict()
    for key, value in EXPECTED[source].items():
        assert meta[key] == value, key


def test_minzhong_title(metadata):
    title = metadata["minzhong-2025-04-27-xuncha-zhenggai.txt"].title
    assert title.startswith("中共中山市民众街道工作委员会关于第十五届市委第五轮常规巡察")
    assert title.endswith("巡察整改进展情况的通报")


def test_document_without_header_gets_nulls():
    meta = infer_metadata("一是做了一些工作。\n二是还有一些问题。\n")
    assert meta.to_dict() == {
        "title": None, "issuer": None, "city": None, "town": None, "anonymised": False,
        "date": None, "doc_type": None, "round": None, "duplicate_of": None,
    }


def test_signature_date_and_chinese_numeral_date():
    assert infer_metadata("正文。\n\n中共某某县委员会\n2024年3月5日\n").date == "2024-03-05"
    assert infer_metadata("正文。\n二〇二三年十二月一日\n").date == "2023-12-01"


def test_date_from_publish_line_wins():
    text = "信息来源:本网 发布日期:2025-04-27 分享:\n正文。\n2025年4月20日\n"
    assert infer_metadata(text).date == "2025-04-27"
