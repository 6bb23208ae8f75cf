"""The page's HTML helpers: everything from a document or a query is escaped,
and only the query's terms are marked. Fast: no index, no Gradio server."""

from __future__ import annotations

import re

import pytest

from govsearch import render
from govsearch.answer import Answer
from govsearch.compare import Comparison, Measure
from govsearch.schema import Chunk, Hit
from govsearch.towns import TownEvidence, TownsAnswer

EVIL = '<script>alert("x")</script><img src=x onerror=alert(1)> & "飞线充电"'


def chunk(text: str, start: int = 0, cid: str = "c1", **kw) -> Chunk:
    base = dict(
        id=cid,
        source="a-town.txt",
        text=text,
        start=start,
        end=start + len(text),
        clause=("一、", "(一)", "1."),
        heading=("一、整改落实情况", "(一)安全隐患整治"),
        town="甲镇",
        date="2025-01-02",
        title="关于巡察整改进展情况的通报",
        doc_type="巡察整改通报",
    )
    base.update(kw)
    return Chunk(**base)


def tags(html: str) -> set[str]:
    """The element names that occur in ``html``."""
    return {m.lower() for m in re.findall(r"<\s*([a-zA-Z][a-zA-Z0-9]*)", html)}


SAFE_TAGS = {"div", "span", "mark", "details", "summary", "a", "p", "table", "thead", "tbody", "tr", "th", "td"}


def test_highlight_escapes_then_marks():
    out = render.highlight("排查<b>飞线充电</b>隐患12处", ["飞线充电"])
    assert out == "排查&lt;b&gt;<mark>飞线充电</mark>&lt;/b&gt;隐患12处"


def test_highlight_without_terms_only_escapes():
    assert render.highlight(EVIL, []) == render.escape(EVIL)
    assert "<" not in render.highlight(EVIL, []).replace("&lt;", "")


@pytest.mark.parametrize("term", ["script", "<script>", "amp", "quot", "onerror", "&", '"', "lt"])
def test_a_term_cannot_open_markup(term):
    out = render.highlight(EVIL, [term])
    assert tags(out) <= {"mark"}
    # stripping the marks gives back exactly the escaped text
    assert re.sub(r"</?mark>", "", out) == render.escape(EVIL)


def test_longest_term_wins_and_case_is_ignored():
    out = render.highlight("飞线充电 and E-Bike charging", ["飞线", "飞线充电", "bike"])
    assert "<mark>飞线充电</mark>" in out and "<mark>飞线</mark>" not in out
    assert "E-<mark>Bike</mark>" in out


def test_ascii_terms_match_whole_words_only():
    assert "<mark>" not in render.highlight("capital", ["api"])
    assert "<mark>API</mark>" in render.highlight("the API", ["api"])


def test_query_terms_without_tokenizer():
    assert render.query_terms("飞线充电  隐患 a of") == ["飞线充电", "隐患"]
    assert render.query_terms("") == []


def test_hit_html_escapes_every_field():
    c = chunk(EVIL, town="<b>镇</b>", title="<i>t</i>", source="<s>.txt", heading=("<u>h</u>",), clause=("<x>",))
    out = render.hit_html(Hit(c, 0.5, ("<evil>.txt",)), 1, ["飞线充电"], context_of=lambda s: [c])
    assert tags(out) <= SAFE_TAGS
    assert "<script" not in out and "<img" not in out
    assert "&lt;script&gt;" in out and "<mark>飞线充电</mark>" in out
    assert "&lt;b&gt;镇&lt;/b&gt;" in out and "&lt;evil&gt;.txt" in out


def test_hit_html_shows_what_a_citation_needs():
    c = chunk("1.开展电动自行车充电安全检查。一是排查“飞线充电”隐患12处。")
    out = render.hit_html(Hit(c, 0.9), 3, ["飞线充电"])
    for part in ("[3]", "甲镇", "2025-01-02", "《关于巡察整改进展情况的通报》", "一、 (一) 1.", "安全隐患整治"):
        assert part in out


def test_context_shows_neighbours_and_heading_chain():
    texts = ["(一)安全隐患整治。", "1.开展充电安全检查。", "2.推进垃圾分类。", "3.整治桥梁。", "4.其他。"]
    chunks, pos = [], 0
    for i, t in enumerate(texts):
        chunks.append(chunk(t, start=pos, cid=f"c{i}", clause=("一、", "(一)", f"{i}.")))
        pos += len(t) + 1
    out = render.context_html(Hit(chunks[2], 1.0), chunks, ["垃圾分类"], around=1)
    assert "开展充电安全检查" in out and "整治桥梁" in out and "其他" not in out
    assert out.count("gs-current") == 1 and "<mark>垃圾分类</mark>" in out
    assert "一、整改落实情况 › (一)安全隐患整治" in out


def test_answer_html_links_citation_numbers_and_escapes():
    c = chunk(EVIL)
    a = Answer("q", "number", "12处：排查<script>飞线充电</script>隐患12处 [1]", (Hit(c, 1.0),), ("12处",))
    out = render.answer_html(a, ["飞线充电"])
    assert tags(out) <= SAFE_TAGS
    assert '<a class="gs-ref" href="#gs-cite-1">[1]</a>' in out and 'id="gs-cite-1"' in out
    assert "&lt;script&gt;<mark>飞线充电</mark>&lt;/script&gt;" in out


def test_unanswerable_question_lists_nearest_clauses():
    out = render.answer_html(Answer("q", "lookup", None, (Hit(chunk("x"), 0.1),)), [])
    assert "没有找到" in out and "最接近的条款" in out


def test_markdown_comparison_answer_becomes_an_escaped_table():
    md = "| 甲镇 | <b>乙</b> |\n|---|---|\n| 设置投放点 [1] | a\\|b [2] |\n\n[1] 甲镇 · 《x》\n[2] <i>y</i>"
    out = render.markdown_table_html(md)
    assert tags(out) <= SAFE_TAGS
    assert "<th>&lt;b&gt;乙&lt;/b&gt;</th>" in out and "a|b" in out and "&lt;i&gt;y&lt;/i&gt;" in out
    assert out.count("<tr>") == 2


def test_towns_html():
    h = Hit(chunk("茅湾村<script>x</script>排查飞线充电"), 1.0)
    result = TownsAnswer("飞线充电", (TownEvidence("甲镇", "strong", 1.7, villages=("茅湾村",), clauses=(h,)),
                                     TownEvidence("<乙>街道", "weak", 0.9, clauses=(h,))))
    out = render.towns_html(result, ["飞线充电"])
    assert tags(out) <= SAFE_TAGS
    assert "明确处理" in out and "仅提及" in out and "茅湾村" in out and "&lt;乙&gt;街道" in out
    assert render.towns_html(TownsAnswer("<x>"), []).count("&lt;x&gt;") == 1


def test_comparison_html_is_side_by_side():
    h1, h2 = Hit(chunk("设置分类投放点8个。"), 1.0), Hit(chunk("<b>x</b>", cid="c2", town="乙街道"), 0.5)
    cmp = Comparison("垃圾分类", {
        "甲镇": (Measure("甲镇", "设置分类投放点8个", ("8个",), (), h1),),
        "乙街道": (Measure("乙街道", "<b>x</b>", (), (), h2), Measure("乙街道", "第二点", (), (), h2)),
    })
    out = render.comparison_html(cmp, ["垃圾分类"])
    assert tags(out) <= SAFE_TAGS
    assert "<th>甲镇</th><th>乙街道</th>" in out and "&lt;b&gt;x&lt;/b&gt;" in out and "8个" in out
    assert '[3]</a>' in out and 'class="gs-empty"' in out


def test_error_html_is_one_escaped_line():
    out = render.error_html("bad <query>\nTraceback")
    assert "&lt;query&gt;" in out and tags(out) == {"div"}


def test_query_terms_can_leave_out_town_names():
    assert render.query_terms("三乡镇 飞线充电", exclude=["三乡镇", "三乡"]) == ["飞线充电"]


def test_status_line_shows_build_progress(tmp_path):
    pytest.importorskip("gradio", reason="the page needs gradio (pip install -e '.[app]')")
    from govsearch.app import IndexHolder

    h = IndexHolder(tmp_path / "index", tmp_path)
    h.state, h.detail, h.done, h.total = "building", "正在读取语料并嵌入条款…", 128, 596
    out = h.status_html()
    assert "128/596" in out and "21%" in out and "gs-busy" in out
    h.state, h.error = "error", "<b>no index</b>"
    assert "&lt;b&gt;no index&lt;/b&gt;" in h.status_html()
    with pytest.raises(Exception, match="索引不可用"):
        h.get()


def test_a_failing_handler_becomes_an_error_box():
    pytest.importorskip("gradio", reason="the page needs gradio (pip install -e '.[app]')")
    from govsearch.app import _guard
    from govsearch.errors import QueryError

    def bad_query():
        raise QueryError("the query is <empty>")

    def crash():
        raise RuntimeError("secret internals /etc/passwd")

    assert "the query is &lt;empty&gt;" in _guard(bad_query)()
    out = _guard(crash)()
    assert "gs-error" in out and "RuntimeError" in out and "/etc/passwd" not in out
