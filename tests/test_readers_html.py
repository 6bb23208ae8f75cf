"""The web-page reader: the article only, title and date lines kept, ledgers."""

from __future__ import annotations

import pytest

from formats_util import SANXIANG, SMALL, clause_paths, fold, paragraphs, write_html
from govsearch import readers
from govsearch.errors import DocumentError

pytest.importorskip("trafilatura")


@pytest.mark.parametrize("encoding", ["utf-8", "gbk"])
@pytest.mark.parametrize("src", [SANXIANG, SMALL], ids=["sanxiang", "small"])
def test_saved_page_gives_the_txt_clause_tree(tmp_path, src, encoding):
    path = write_html(paragraphs(src), tmp_path / f"{src.stem} 页面.html", encoding=encoding)
    text = readers.read(path)
    assert [fold(s) for s in text.text.split("\n")] == [fold(s) for s in paragraphs(src)]
    assert clause_paths(path) == clause_paths(src)


def test_navigation_footer_and_scripts_are_dropped(tmp_path):
    text = readers.read(write_html(paragraphs(SMALL), tmp_path / "p.htm")).text
    for furniture in ("网站首页", "政务公开", "版权所有", "trackPage", "统计代码", "打印本页", "color: red"):
        assert furniture not in text


PAGE = """<html><head><meta charset="utf-8"><title>某镇关于巡察整改进展情况的通报_某镇人民政府</title>
<script>alert(1)</script></head><body>
<div class="topbar"><a href="/">首页</a> 无障碍版</div>
<div id="breadcrumb">您当前的位置:首页 > 公告公示</div>
<div class="content">
<h1>某镇关于巡察整改进展情况的通报</h1>
<div class="info">发布日期:2025-09-12 来源:某镇人民政府</div>
<p>根据市委统一部署，市委巡察组对某镇开展了巡察，现将整改进展情况予以公布。整改工作取得阶段性成效。</p>
<p>一、整改落实情况</p>
<p>（一）问题整改台账</p>
<table border="1">
<tr><th>序号</th><th>问题</th><th>整改措施</th><th>责任单位</th><th>进展情况</th></tr>
<tr><td>1</td><td>飞线充电隐患</td><td>全面排查，安装充电桩</td><td rowspan="2">安监办</td><td>已完成</td></tr>
<tr><td>2</td><td>垃圾分类不到位</td><td>督导检查</td><td>已完成</td></tr>
<tr><td>3</td><td>集体资产闲置</td><td>盘活资产</td><td>农办</td><td>持续推进</td></tr>
</table>
<p>二、下一步工作打算</p>
<p>镇党委将持续巩固整改成果，坚持目标不变、标准不降、力度不减，推动整改工作走深走实。</p>
</div>
<div class="footer">主办单位:某镇人民政府 版权所有</div>
</body></html>"""


def test_title_date_and_ledger_rows(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(PAGE, encoding="utf-8")
    lines = readers.read(path).text.split("\n")
    assert lines[0] == "某镇关于巡察整改进展情况的通报"
    assert lines[1].startswith("发布日期:2025-09-12")
    assert "1.问题: 飞线充电隐患 整改措施: 全面排查，安装充电桩 责任单位: 安监办 进展情况: 已完成" in lines
    row2 = next(s for s in lines if s.startswith("2."))
    assert "责任单位: 安监办" in row2  # the rowspan cell repeated into the row it covers
    assert not any("首页" in s or "版权所有" in s or "alert" in s for s in lines)
    assert ("一、", "(一)", "3.") in clause_paths(path)


def test_page_without_an_article_falls_back_to_its_blocks(tmp_path):
    path = tmp_path / "short.html"
    path.write_text(
        '<html><body><nav><a href="/">首页</a></nav><p>一、总体情况</p><p>很好。</p>'
        '<footer>版权所有</footer></body></html>', encoding="utf-8")
    text = readers.read(path).text
    assert "一、总体情况" in text and "首页" not in text and "版权所有" not in text


@pytest.mark.parametrize("content", [b"", b"   \n", b"\x00\x01\x02binary\x00" * 50])
def test_bad_pages(tmp_path, content):
    path = tmp_path / "bad.html"
    path.write_bytes(content)
    with pytest.raises(DocumentError) as err:
        readers.read(path)
    assert err.value.path == str(path)
