"""The numbered-clause parser: the 三乡镇 report's tree, damaged markers, encodings, spans."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from govsearch.load import load_document
from govsearch.metadata import infer_metadata
from govsearch.parse import parse
from govsearch.schema import Clause, Document

SANXIANG = "sanxiang-2025-09-12-xuncha-zhenggai.txt"
MINZHONG = "minzhong-2025-04-27-xuncha-zhenggai.txt"


def make_doc(text: str, source: str = "inline.txt", skip: tuple[tuple[int, int], ...] = ()) -> Document:
    return Document(source=source, text=text, metadata=infer_metadata(text, source), skip=skip)


def paths(clauses: list[Clause]) -> list[tuple[str, ...]]:
    return [c.path for c in clauses]


def containing(clauses: list[Clause], needle: str) -> Clause:
    found = [c for c in clauses if needle in c.text]
    assert len(found) == 1, f"{needle!r} in {len(found)} clauses"
    return found[0]


@pytest.fixture(scope="module")
def sanxiang(corpus_dir: Path) -> tuple[Document, list[Clause]]:
    doc = load_document(corpus_dir / SANXIANG, corpus_dir)
    return doc, parse(doc)


def test_sanxiang_fire_hazard_clause_path(sanxiang):
    _, clauses = sanxiang
    c = containing(clauses, "累计查出“飞线充电”隐患64处")
    assert c.path == ("二、", "(二)", "7.", "(19)", "一是")
    assert c.level == 5
    assert c.heading == (
        "巡察反馈重点事项整改落实情况",
        "履行职能责任,推动高质量发展和“百千万工程”各项任务方面的整改情况",
        "提升网格化治理水平",
        "做好水井安全防护,规范居民楼出租屋充电管理,全力保障群众安全",
    )
    assert c.text.startswith("一是坚持“隐患就是事故”理念")


def test_sanxiang_tree_shape(sanxiang):
    _, clauses = sanxiang
    ps = paths(clauses)
    assert ("一、",) in ps and ("四、",) in ps
    assert ("二、", "(一)", "1.", "(1)") in ps
    assert ("二、", "(一)", "1.", "(1)", "三是") in ps
    assert ("二、", "(四)", "13.", "(36)", "四是") in ps
    # levels may be skipped: 三、(一) holds 一是 items directly, 四、 too
    assert ("三、", "(一)", "一是") in ps
    assert ("四、", "四是") in ps
    heading_1 = next(c for c in clauses if c.path == ("二、", "(一)", "1.", "(1)"))
    assert heading_1.text == "(1)认真落实“第一议题”制度。"
    assert heading_1.has_children and heading_1.level == 4


def test_sanxiang_preamble_and_furniture(sanxiang):
    doc, clauses = sanxiang
    assert clauses[0].path == () and clauses[0].text == doc.metadata.title
    everything = "".join(c.text for c in clauses)
    for furniture in ("无障碍版", "您当前的位置", "信息来源", "附件:", "圩仔社区委员会关于十五届"):
        assert furniture not in everything
    # the closing paragraph after 四是 continues 四、, it is not part of 四是
    last = clauses[-1]
    assert last.path == ("四、",) and last.text.startswith("欢迎广大干部群众")


@pytest.mark.parametrize("name,n", [(SANXIANG, 36), (MINZHONG, 48)])
def test_level4_items_are_contiguous(corpus_dir, name, n):
    clauses = parse(load_document(corpus_dir / name, corpus_dir))
    numbers: list[int] = []
    for c in clauses:
        if c.level == 4 and (not numbers or c.path[-1] != f"({numbers[-1]})"):
            numbers.append(int(c.path[-1].strip("()")))
    assert numbers == list(range(1, n + 1))


def test_minzhong_damage_recovered(corpus_dir):
    clauses = parse(load_document(corpus_dir / MINZHONG, corpus_dir))
    assert containing(clauses, "5发挥资源优势").path[-1] == "(5)"
    assert containing(clauses, "15\xa0全力破解土地碎片化难题").path[-1] == "(15)"
    assert containing(clauses, "是强化日常督导检查").path[-2:] == ("(1)", "三是")
    assert containing(clauses, "是做好普法宣传").path[-2:] == ("(12)", "三是")
    # first item right under its heading: certainly 一是
    assert containing(clauses, "是分类处置、推进整改").path[-2:] == ("(十四)", "一是")
    # after an unmarked paragraph nothing is certain: the bare marker stays
    assert containing(clauses, "是积极引入社会力量参与").path[-2:] == ("(十)", "是")
    # a paragraph that lost its whole marker is not given one
    lost = containing(clauses, "推动形实统一火炬高新区")
    assert lost.path == ("二、", "(一)", "2.", "(7)")


def test_damaged_markers_small_document():
    text = (
        "一、总体情况\n"
        "(1)第一项。\n"
        "一是做了甲。\n"
        "是做了乙。\n"
        "三是做了丙。\n"
        "2第二项丢了括号。\n"
        "(3)第三项。\n"
    )
    clauses = parse(make_doc(text))
    assert paths(clauses) == [
        ("一、",),
        ("一、", "(1)"),
        ("一、", "(1)", "一是"),
        ("一、", "(1)", "二是"),
        ("一、", "(1)", "三是"),
        ("一、", "(2)"),
        ("一、", "(3)"),
    ]


def test_bare_number_without_sequence_is_not_a_marker():
    text = "一、情况\n(1)第一项。\n2025年完成了任务。\n5G基站建设。\n(2)第二项。\n"
    clauses = parse(make_doc(text))
    assert paths(clauses) == [("一、",), ("一、", "(1)"), ("一、", "(2)")]
    assert "2025年完成了任务" in clauses[1].text


def test_full_width_and_circled_markers_normalise():
    text = "第一章　总则\n第一条　目的。\n（一）第一款\n1．要点\n①细目\n② 细目二\n1、另一个要点\n"
    clauses = parse(make_doc(text))
    assert paths(clauses) == [
        ("第一章",),
        ("第一章", "第一条"),
        ("第一章", "第一条", "(一)"),
        ("第一章", "第一条", "(一)", "1."),
        ("第一章", "第一条", "(一)", "1.", "(1)"),
        ("第一章", "第一条", "(一)", "1.", "(2)"),
        ("第一章", "第一条", "(一)", "1."),
    ]
    assert [c.level for c in clauses[:3]] == [-3, -1, 2]


def test_inline_items_split_a_paragraph():
    text = "二、原因\n(一)思想认识不到位 。 一是 站位不高。说明。 二是 学习不够。 三是 宗旨淡化。\n(二)下一条\n"
    clauses = parse(make_doc(text))
    assert paths(clauses) == [
        ("二、",),
        ("二、", "(一)"),
        ("二、", "(一)", "一是"),
        ("二、", "(一)", "二是"),
        ("二、", "(一)", "三是"),
        ("二、", "(二)"),
    ]
    assert clauses[1].text == "(一)思想认识不到位 。"
    assert clauses[2].text == "一是 站位不高。说明。"
    # "统一是" in running text is not a marker
    assert len(parse(make_doc("(一)坚持标准统一是关键。\n"))) == 1


def test_numbering_restarts_under_each_parent():
    text = "一、甲\n(一)子\n1.项\n2.项\n(二)子\n1.项\n二、乙\n(一)子\n"
    assert paths(parse(make_doc(text))) == [
        ("一、",), ("一、", "(一)"), ("一、", "(一)", "1."), ("一、", "(一)", "2."),
        ("一、", "(二)"), ("一、", "(二)", "1."), ("二、",), ("二、", "(一)"),
    ]


def test_heading_with_body_and_following_paragraph():
    text = "(一)提前摸底。按照安排开展。\n补充说明段落。\n(二)坚持调研。\n"
    clauses = parse(make_doc(text))
    assert clauses[0].text == "(一)提前摸底。按照安排开展。\n补充说明段落。"
    assert clauses[1].heading == ()


def test_no_numbering_gives_one_clause_per_paragraph():
    text = "这是第一段。\n\n这是第二段,没有编号。\n第三段。\n"
    clauses = parse(make_doc(text))
    assert [c.text for c in clauses] == ["这是第一段。", "这是第二段,没有编号。", "第三段。"]
    assert all(c.path == () and c.level == 0 for c in clauses)


def test_skip_spans_are_left_out():
    text = "一、甲\n导航 登录\n正文继续。\n"
    s = text.index("导航")
    clauses = parse(make_doc(text, skip=((s, s + 5),)))
    assert [c.text for c in clauses] == ["一、甲", "正文继续。"]
    assert clauses[1].path == ("一、",)


def test_gbk_crlf_gives_same_tree_as_utf8(corpus_dir, tmp_path):
    original = (corpus_dir / SANXIANG).read_text(encoding="utf-8")
    utf8 = tmp_path / "a.txt"
    utf8.write_bytes(original.encode("utf-8"))
    gbk = tmp_path / "b.txt"
    gbk.write_bytes(original.replace("\n", "\r\n").encode("gb18030"))
    a, b = load_document(utf8), load_document(gbk)
    assert b.text == a.text
    ca, cb = parse(a), parse(b)
    assert [(c.path, c.text, c.start, c.end) for c in ca] == [(c.path, c.text, c.start, c.end) for c in cb]


def test_span_invariant_every_corpus_clause(corpus_dir):
    for path in sorted(corpus_dir.glob("*.txt")):
        doc = load_document(path, corpus_dir)
        clauses = parse(doc)
        assert clauses, path.name
        last = -1
        for c in clauses:
            assert doc.text[c.start : c.end] == c.text
            assert c.text == c.text.strip()
            assert c.start >= last  # document order, no overlap
            last = c.end
            for s, e in doc.skip:
                assert c.end <= s or c.start >= e


_alphabet = st.sampled_from(
    list("一二三四五六七八九十是、.．()（）①②第章节条1234567890 \n\r\t。；,甲乙丙丁的了和在\u3000\xa0")
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(alphabet=_alphabet, max_size=200))
def test_parse_never_crashes_and_spans_hold(text):
    doc = make_doc(text)
    for c in parse(doc):
        assert doc.text[c.start : c.end] == c.text
        assert c.text and c.text == c.text.strip()


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(["一、甲", "(一)乙。丙", "1.丁", "(2)戊", "一是己。二是庚", "是辛", "3壬", "无编号段落", ""]), max_size=25))
def test_parse_structured_lines_spans_hold(lines):
    doc = make_doc("\n".join(lines))
    clauses = parse(doc)
    for c in clauses:
        assert doc.text[c.start : c.end] == c.text
    covered = "".join(c.text for c in clauses).replace("\n", "")
    assert covered == "".join(lines)  # nothing lost, nothing duplicated
