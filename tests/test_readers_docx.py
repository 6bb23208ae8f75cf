"""The .docx reader: typed markers, Word's automatic numbering, tables, bad files."""

from __future__ import annotations

from pathlib import Path

import pytest

from formats_util import (
    SANXIANG, SMALL, add_numbering, clause_paths, fold, paragraphs, set_numpr, write_docx,
)
from govsearch import readers
from govsearch.errors import DocumentError
from govsearch.readers.wordnum import chinese_counting, format_number

docx = pytest.importorskip("docx")


@pytest.fixture(scope="module")
def sanxiang_paths() -> list[tuple[str, ...]]:
    return clause_paths(SANXIANG)


@pytest.mark.parametrize("autonumber", [False, True], ids=["typed", "word-numbering"])
def test_sanxiang_docx_gives_the_txt_clause_tree(tmp_path, sanxiang_paths, autonumber):
    path = write_docx(paragraphs(SANXIANG), tmp_path / "三乡 整改 通报.docx", autonumber=autonumber)
    src = readers.read(path)
    assert [fold(s) for s in src.text.split("\n")] == [fold(s) for s in paragraphs(SANXIANG)]
    assert clause_paths(path) == sanxiang_paths


def test_small_docx_gives_the_txt_clause_tree(tmp_path):
    path = write_docx(paragraphs(SMALL), tmp_path / "small.docx")
    assert clause_paths(path) == clause_paths(SMALL)


def test_word_numbering_runs_level_4_through_the_report(tmp_path):
    path = write_docx(paragraphs(SANXIANG), tmp_path / "auto.docx", autonumber=True)
    lines = readers.read(path).text.split("\n")
    l4 = [s.split(")")[0] + ")" for s in lines if s.startswith("(") and s[1].isdigit()]
    assert l4 == [f"({n})" for n in range(1, 37)]  # lvlRestart=0: never restarts
    l3 = [s.split(".")[0] for s in lines if s[:1].isdigit() and "." in s[:3]]
    assert l3[:13] == [str(n) for n in range(1, 14)]  # lvlRestart=1: 1.…13. run on within 二、


@pytest.mark.parametrize(
    "n, fmt, shown",
    [
        (1, "chineseCounting", "一"), (10, "chineseCounting", "十"), (11, "chineseCounting", "十一"),
        (20, "chineseCounting", "二十"), (36, "chineseCounting", "三十六"), (105, "chineseCounting", "一百〇五"),
        (12, "chineseCountingThousand", "十二"), (110, "chineseCountingThousand", "一百一十"),
        (3, "ideographTraditional", "丙"), (12, "decimalFullWidth", "１２"), (3, "decimalEnclosedCircle", "③"),
        (21, "decimalEnclosedCircle", "㉑"), (25, "decimalEnclosedParen", "(25)"), (4, "upperRoman", "IV"),
        (28, "lowerLetter", "bb"), (7, "decimal", "7"),
    ],
)
def test_number_formats(n, fmt, shown):
    assert format_number(n, fmt) == shown


def test_chinese_counting_is_consistent():
    assert [chinese_counting(i) for i in (1, 2, 9, 19, 99)] == ["一", "二", "九", "十九", "九十九"]


def _numbered_doc(tmp_path: Path, levels: list[dict], items: list[tuple[int, str]], overrides=None, name="n.docx") -> list[str]:
    document = docx.Document()
    add_numbering(document, 77, 77, levels, overrides)
    for ilvl, text in items:
        p = document.add_paragraph(text)
        if ilvl >= 0:
            set_numpr(p, 77, ilvl)
    path = tmp_path / name
    document.save(str(path))
    return readers.read(path).text.split("\n")


def test_deeper_levels_restart_unless_told_not_to(tmp_path):
    levels = [
        {"fmt": "chineseCounting", "text": "%1、"},
        {"fmt": "chineseCounting", "text": "（%2）"},
        {"fmt": "decimalEnclosedCircle", "text": "%3", "restart": 0},
    ]
    items = [(0, "甲"), (1, "乙"), (2, "丙"), (1, "丁"), (2, "戊"), (0, "己"), (1, "庚"), (2, "辛")]
    assert _numbered_doc(tmp_path, levels, items) == [
        "一、甲", "（一）乙", "①丙", "（二）丁", "②戊", "二、己", "（一）庚", "③辛",
    ]


def test_start_start_override_and_suffixes(tmp_path):
    levels = [
        {"fmt": "decimal", "text": "%1.", "start": 3, "suff": "tab"},
        {"fmt": "decimalFullWidth", "text": "%1.%2", "suff": "space"},
    ]
    assert _numbered_doc(tmp_path, levels, [(0, "a"), (1, "b"), (0, "c")]) == ["3.\ta", "3.１ b", "4.\tc"]
    lines = _numbered_doc(tmp_path, levels, [(0, "a"), (0, "b")], overrides={0: 7}, name="o.docx")
    assert lines == ["7.\ta", "8.\tb"]


def test_typed_and_drawn_marker_are_not_doubled(tmp_path):
    levels = [{"fmt": "chineseCounting", "text": "%1、"}]
    lines = _numbered_doc(tmp_path, levels, [(0, "一、总体情况"), (0, "问题"), (-1, "正文")])
    assert lines == ["一、总体情况", "二、问题", "正文"]


def test_numbering_through_the_style_chain(tmp_path):
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    document = docx.Document()
    add_numbering(document, 55, 55, [{"fmt": "chineseCounting", "text": "%1、"}, {"fmt": "chineseCounting", "text": "（%2）"}])
    base = document.styles.add_style("GovL1", WD_STYLE_TYPE.PARAGRAPH)
    numpr = OxmlElement("w:numPr")
    for tag, val in (("w:ilvl", "1"), ("w:numId", "55")):
        el = OxmlElement(tag)
        el.set(qn("w:val"), val)
        numpr.append(el)
    base.element.get_or_add_pPr().append(numpr)
    derived = document.styles.add_style("GovL1b", WD_STYLE_TYPE.PARAGRAPH)
    derived.base_style = base
    document.add_paragraph("总体", style=derived)
    document.add_paragraph("具体", style=derived)
    p = document.add_paragraph("不编号", style=derived)
    set_numpr(p, 0, None)  # numId 0 takes the style's numbering away
    path = tmp_path / "style.docx"
    document.save(str(path))
    assert readers.read(path).text.split("\n") == ["（一）总体", "（二）具体", "不编号"]


def _merge_down(table, col: int, top: int, bottom: int) -> None:
    table.cell(top, col).merge(table.cell(bottom, col))


def test_ledger_table_becomes_one_clause_per_row(tmp_path):
    document = docx.Document()
    document.add_paragraph("一、整改落实情况")
    document.add_paragraph("（一）问题整改台账")
    header = ["序号", "问题", "整改措施", "责任单位", "完成时限", "进展情况"]
    rows = [
        ["1", "部分村民飞线充电", "开展排查，安装充电桩", "安监办", "2025年6月", "已完成"],
        ["2", "垃圾分类不到位", "督导检查", "", "2025年8月", "已完成"],
        ["3", "集体资产闲置", "盘活资产", "农办", "长期坚持", "持续推进"],
    ]
    table = document.add_table(rows=1 + len(rows), cols=len(header))
    for j, h in enumerate(header):
        table.cell(0, j).text = h
    for i, row in enumerate(rows, 1):
        for j, v in enumerate(row):
            if v:
                table.cell(i, j).text = v
    _merge_down(table, 3, 1, 2)  # 安监办 is responsible for rows 1 and 2
    document.add_paragraph("二、下一步工作打算")
    path = tmp_path / "台账.docx"
    document.save(str(path))
    lines = readers.read(path).text.split("\n")
    assert lines[2] == "1.问题: 部分村民飞线充电 整改措施: 开展排查，安装充电桩 责任单位: 安监办 完成时限: 2025年6月 进展情况: 已完成"
    assert lines[3].startswith("2.问题: 垃圾分类不到位") and "责任单位: 安监办" in lines[3]
    assert lines[4].endswith("进展情况: 持续推进") and lines[5] == "二、下一步工作打算"
    paths = clause_paths(path)
    assert ("一、", "(一)", "1.") in paths and ("一、", "(一)", "3.") in paths


def test_other_tables_join_their_cells(tmp_path):
    document = docx.Document()
    table = document.add_table(rows=2, cols=3)
    for i, row in enumerate([["姓名", "职务", "分工"], ["张三", "书记", "全面工作"]]):
        for j, v in enumerate(row):
            table.cell(i, j).text = v
    table.cell(0, 1).merge(table.cell(0, 2))
    path = tmp_path / "t.docx"
    document.save(str(path))
    assert readers.read(path).text.split("\n") == ["姓名 | 职务 分工", "张三 | 书记 | 全面工作"]


@pytest.mark.parametrize(
    "name, content, reason",
    [
        ("empty.docx", b"", "empty"),
        ("binary.docx", bytes(range(256)) * 8, "not a .docx"),
        ("protected.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "password"),
    ],
)
def test_bad_docx_files_name_the_file(tmp_path, name, content, reason):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(DocumentError) as err:
        readers.read(path)
    assert err.value.path == str(path) and reason in err.value.reason


def test_truncated_docx(tmp_path):
    good = write_docx(paragraphs(SMALL), tmp_path / "good.docx")
    bad = tmp_path / "截断 的文件.docx"
    bad.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(DocumentError) as err:
        readers.read(bad)
    assert "截断 的文件.docx" in str(err.value)
