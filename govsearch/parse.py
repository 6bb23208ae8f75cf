"""Parse a document into its numbered clauses.

Levels (DESIGN.md): 1 ``一、`` · 2 ``(一)`` · 3 ``1.`` · 4 ``(1)``/``①`` ·
5 ``一是`` (inline, each running to the next ``一是``-type marker or the end of
its paragraph). Rules and regulations use ``第X章`` (level -3), ``第X节`` (-2)
and ``第X条`` (-1), outside the 一、 hierarchy. Unnumbered text at the top (a
title, a preamble, a document with no numbering at all) gives one clause per
paragraph with an empty path and level 0.

A paragraph is a line of the decoded text. Block markers (levels -3…4) are
recognised at the start of a paragraph; ``一是``-type markers also inside a
paragraph, after a sentence end, when their number continues the sequence.

A clause's own text runs from its marker to the next clause or the end of its
paragraph run; unmarked paragraphs after a block clause belong to it. Unmarked
paragraphs after an ``一是`` item (which ends with its paragraph) or after a
skipped span (web-page furniture, ``Document.skip``) become a *continuation*
clause: same path and level as the clause they continue, with that clause's
heading appended to their heading chain.

Damaged markers are recovered only where the sequence makes them certain:

* a bare number ``5发挥…`` between ``(4)`` and ``(6)`` becomes ``(5)`` (the same
  for ``1.``-level items between their neighbours);
* ``是强化…`` (``二是`` that lost its numeral) takes the number after its
  previous ``一是``-type sibling, or the one before the next; when neither is
  known it keeps the bare marker ``是``.

Every clause satisfies ``doc.text[c.start:c.end] == c.text`` and its text is
stripped of surrounding whitespace.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field

from .schema import Clause, Document

logger = logging.getLogger(__name__)

__all__ = ["parse", "strip_marker", "cn_to_int", "int_to_cn", "heading_of"]

_CN = "零〇一二三四五六七八九十百两"
_CN_VAL = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_DIGITS = "0-9０-９"
_CIRCLED = {chr(0x2460 + i): i + 1 for i in range(20)}  # ①…⑳
_CIRCLED.update({chr(0x2474 + i): i + 1 for i in range(20)})  # ⑴…⒇
_WS = " \t\u3000\xa0\u2002\u2003\u2009\ufeff"

LEVEL_CHAPTER, LEVEL_SECTION, LEVEL_ARTICLE = -3, -2, -1
LEVEL_NONE = 0
LEVEL_INLINE = 5

_RE_LAW = re.compile(rf"第([{_CN}千]+|[{_DIGITS}]+)(章|节|条)(?!件)")
_RE_L1 = re.compile(rf"([{_CN}]+)[、．.]")
_RE_L2 = re.compile(rf"[(（]([{_CN}]+)[)）]")
_RE_L3 = re.compile(rf"([{_DIGITS}]{{1,3}})(?:[.．](?![{_DIGITS}])|、)")
_RE_L4 = re.compile(rf"[(（]([{_DIGITS}]{{1,3}})[)）]|([{''.join(_CIRCLED)}])")
_RE_L5 = re.compile(r"([一二三四五六七八九十]{1,3})是")
# a number that lost its brackets or dot: "5发挥…", "15\xa0全力…" (units excluded)
_RE_BARE = re.compile(
    rf"([{_DIGITS}]{{1,3}})(?=[{_WS}]*[\u4e00-\u9fff“])(?![{_WS}]*[年月日号时分秒个家处名人万亿元余多项条次间座亩米户批所天周岁倍株只台辆份类种级期])"
)
# "是强化…": an 一是-type marker that lost its numeral
_RE_FRAG5 = re.compile(r"是(?![否指])(?=[\u4e00-\u9fff“])")
# where an inline 一是 may begin: after a sentence end (or a colon), spaces allowed
_RE_INLINE5 = re.compile(rf"(?<=[。；;！？!?：:])[{_WS}]*([一二三四五六七八九十]{{1,3}})是")
_SENTENCE_END = re.compile(r"[。；;！？!?\n]")
_HEADING_MAX = 100


def cn_to_int(s: str) -> int | None:
    """``"十五"`` → 15, ``"二十"`` → 20, ``"一百零二"`` → 102; None for anything else."""
    if not s:
        return None
    if s.isdigit():
        return int(s)
    total, num = 0, 0
    for ch in s:
        if ch in _CN_VAL:
            num = _CN_VAL[ch]
        elif ch == "十":
            total += (num or 1) * 10
            num = 0
        elif ch == "百":
            total += (num or 1) * 100
            num = 0
        elif ch == "千":
            total += (num or 1) * 1000
            num = 0
        else:
            return None
    return total + num


def int_to_cn(n: int) -> str:
    """15 → ``"十五"`` (1…99)."""
    digits = "零一二三四五六七八九"
    if n < 10:
        return digits[n]
    tens, ones = divmod(n, 10)
    return ("" if tens == 1 else digits[tens]) + "十" + (digits[ones] if ones else "")


def _ascii_digits(s: str) -> str:
    return s.translate(str.maketrans("０１２３４５６７８９", "0123456789"))


@dataclass
class _Marker:
    level: int
    number: int | None
    marker: str  # normalised
    end: int  # offset just after the marker in the document
    kind: str = "clear"  # clear | bare | frag


def _block_marker(text: str, pos: int, end: int) -> _Marker | None:
    """The marker a paragraph starting at ``pos`` opens with, if any."""
    m = _RE_LAW.match(text, pos, end)
    if m:
        level = {"章": LEVEL_CHAPTER, "节": LEVEL_SECTION, "条": LEVEL_ARTICLE}[m.group(2)]
        return _Marker(level, cn_to_int(_ascii_digits(m.group(1))), m.group(0), m.end())
    m = _RE_L1.match(text, pos, end)
    if m and cn_to_int(m.group(1)):
        return _Marker(1, cn_to_int(m.group(1)), f"{m.group(1)}、", m.end())
    m = _RE_L2.match(text, pos, end)
    if m and cn_to_int(m.group(1)):
        return _Marker(2, cn_to_int(m.group(1)), f"({m.group(1)})", m.end())
    m = _RE_L4.match(text, pos, end)
    if m:
        n = int(_ascii_digits(m.group(1))) if m.group(1) else _CIRCLED[m.group(2)]
        return _Marker(4, n, f"({n})", m.end())
    m = _RE_L3.match(text, pos, end)
    if m:
        n = int(_ascii_digits(m.group(1)))
        return _Marker(3, n, f"{n}.", m.end())
    m = _RE_L5.match(text, pos, end)
    if m:
        return _Marker(LEVEL_INLINE, cn_to_int(m.group(1)), f"{m.group(1)}是", m.end())
    m = _RE_BARE.match(text, pos, end)
    if m:
        return _Marker(0, int(_ascii_digits(m.group(1))), m.group(1), m.end(), kind="bare")
    m = _RE_FRAG5.match(text, pos, end)
    if m:
        return _Marker(LEVEL_INLINE, None, "是", m.start() + 1, kind="frag")
    return None


def strip_marker(text: str) -> str:
    """A clause's text without its leading marker (``"(3)强化…"`` → ``"强化…"``)."""
    m = _block_marker(text, 0, len(text))
    return text[m.end :] if m else text


def heading_of(text: str) -> str:
    """The heading of a clause: the first sentence (or line) after its marker."""
    body = strip_marker(text).strip(_WS)
    cut = _SENTENCE_END.search(body)
    head = body[: cut.start()] if cut else body
    head = head.strip(_WS + "。；;，,：:")
    return head[:_HEADING_MAX]


# ---------------------------------------------------------------- paragraphs


@dataclass
class _Para:
    start: int
    end: int
    after_break: bool
    marker: _Marker | None = None


def _paragraphs(doc: Document) -> list[_Para]:
    """Non-blank lines outside ``doc.skip``, trimmed, marking those after a skipped span."""
    text = doc.text
    regions: list[tuple[int, int, bool]] = []
    pos = 0
    for s, e in sorted(doc.skip):
        s, e = max(s, 0), min(e, len(text))
        if s > pos:
            regions.append((pos, s, pos > 0))
        pos = max(pos, e)
    if pos < len(text):
        regions.append((pos, len(text), pos > 0))
    paras: list[_Para] = []
    for rs, re_, broken in regions:
        line_start = rs
        first = True
        while line_start < re_:
            nl = text.find("\n", line_start, re_)
            line_end = re_ if nl < 0 else nl
            s, e = line_start, line_end
            while s < e and text[s].isspace():
                s += 1
            while e > s and text[e - 1].isspace():
                e -= 1
            if e > s:
                paras.append(_Para(s, e, broken and first))
                first = False
            line_start = line_end + 1
    return paras


def _resolve_bare(text: str, paras: list[_Para]) -> None:
    """Give a bracket- or dot-less number its level when its neighbours make it certain."""
    for i, p in enumerate(paras):
        m = p.marker
        if m is None or m.kind != "bare":
            continue
        n = m.number or 0
        prev4 = _neighbour(paras, i, 4, -1)
        next4 = _neighbour(paras, i, 4, +1)
        prev3 = _neighbour(paras, i, 3, -1, stop_above=True)
        next3 = _neighbour(paras, i, 3, +1, stop_above=True)
        if prev4 is not None and prev4 == n - 1 and n > 1 and next4 in (None, n + 1):
            p.marker = _Marker(4, n, f"({n})", m.end, kind="recovered")
        elif prev3 == n - 1 and next3 == n + 1:
            p.marker = _Marker(3, n, f"{n}.", m.end, kind="recovered")
        else:
            p.marker = None
            continue
        logger.debug("recovered marker %s at %d: %r", p.marker.marker, p.start, text[p.start : p.start + 20])


def _neighbour(paras: list[_Para], i: int, level: int, step: int, stop_above: bool = False) -> int | None:
    """Number of the nearest marker of ``level`` before (step -1) or after (+1) paragraph ``i``."""
    j = i + step
    while 0 <= j < len(paras):
        m = paras[j].marker
        if m is not None and m.kind in ("clear", "recovered"):
            if m.level == level:
                return m.number
            if stop_above and 0 < m.level < level or (stop_above and m.level < 0):
                return 0 if step < 0 else None
        j += step
    return 0 if (stop_above and step < 0) else None


# ---------------------------------------------------------------- the tree


@dataclass
class _Node:
    path: tuple[str, ...]
    heading: tuple[str, ...]
    level: int
    start: int
    end: int
    absorbs: bool  # further unmarked paragraphs extend this clause
    container: "_Node | None" = None  # the block clause whose children sit under it
    last5: int | None = 0  # number of its last 一是-type child (None: unknown)
    has5: bool = False
    children: int = 0
    head_text: str = ""


@dataclass
class _State:
    text: str
    nodes: list[_Node] = field(default_factory=list)
    stack: list[_Node] = field(default_factory=list)
    root: _Node = field(default_factory=lambda: _Node((), (), LEVEL_NONE, 0, 0, False))
    current: _Node | None = None

    def chain(self, parent: _Node | None) -> tuple[tuple[str, ...], tuple[str, ...]]:
        if parent is None or parent is self.root:
            return (), ()
        return parent.path, parent.heading + (parent.head_text,)

    def open(self, parent: _Node | None, marker: str, level: int, start: int, end: int, absorbs: bool) -> _Node:
        path, heading = self.chain(parent)
        node = _Node(path + (marker,), heading, level, start, end, absorbs)
        node.head_text = heading_of(self.text[start:end])
        if parent is not None:
            parent.children += 1
        self.nodes.append(node)
        self.current = node
        return node


def parse(doc: Document) -> list[Clause]:
    """The clauses of ``doc`` in document order, each with its exact span."""
    text = doc.text
    paras = _paragraphs(doc)
    for p in paras:
        p.marker = _block_marker(text, p.start, p.end)
    _resolve_bare(text, paras)
    st = _State(text)

    for i, p in enumerate(paras):
        m = p.marker
        owner: _Node  # whose 一是-type children inline markers become
        if m is not None and m.kind == "frag":
            m = _resolve_fragment(st, paras, i)
        if m is not None and m.level != LEVEL_INLINE:
            while st.stack and st.stack[-1].level >= m.level:
                st.stack.pop()
            parent = st.stack[-1] if st.stack else None
            node = st.open(parent, m.marker, m.level, p.start, p.end, absorbs=True)
            st.stack.append(node)
            owner = node
        elif m is not None:  # 一是-type at the start of the paragraph
            owner = st.stack[-1] if st.stack else st.root
            _open5(st, owner, m, p.start, p.end)
        else:
            cur = st.current
            if cur is not None and cur.absorbs and not p.after_break:
                cur.end = p.end
                owner = cur.container or cur
            elif st.stack:
                ctx = st.stack[-1]
                path, heading = st.chain(ctx)
                node = _Node(path, heading + (ctx.head_text,), ctx.level, p.start, p.end, True, container=ctx)
                node.head_text = ctx.head_text
                st.nodes.append(node)
                st.current = node
                owner = ctx
            else:
                node = _Node((), (), LEVEL_NONE, p.start, p.end, False)
                st.nodes.append(node)
                st.current = node
                owner = st.root
        _split_inline(st, owner, p)
        # an 一是-type item ends with its paragraph
    return _finish(st)


def _open5(st: _State, owner: _Node, m: _Marker, start: int, end: int) -> _Node:
    parent = None if owner is st.root else owner
    node = st.open(parent, m.marker, LEVEL_INLINE, start, end, absorbs=False)
    owner.has5 = True
    owner.last5 = m.number
    if owner is st.root:
        st.root.children += 1
    return node


def _resolve_fragment(st: _State, paras: list[_Para], i: int) -> _Marker | None:
    """Number a ``是…`` paragraph from its siblings, or drop the marker when it is not one."""
    p = paras[i]
    m = p.marker
    assert m is not None
    owner = st.stack[-1] if st.stack else st.root
    nxt = paras[i + 1].marker if i + 1 < len(paras) else None
    next_is5 = nxt is not None and nxt.level == LEVEL_INLINE
    if owner.has5:
        if owner.last5 is not None:
            n = owner.last5 + 1
            return _Marker(LEVEL_INLINE, n, f"{int_to_cn(n)}是", m.end, "recovered")
        return _Marker(LEVEL_INLINE, None, "是", m.end, "recovered")
    if not next_is5:
        return None  # nothing around it says it is a list item
    assert nxt is not None
    if nxt.number and nxt.number > 1 and nxt.kind == "clear":
        n = nxt.number - 1
        return _Marker(LEVEL_INLINE, n, f"{int_to_cn(n)}是", m.end, "recovered")
    cur = st.current
    if owner is not st.root and cur is owner and owner.end <= p.start and _only_heading_before(st, owner):
        return _Marker(LEVEL_INLINE, 1, "一是", m.end, "recovered")
    return _Marker(LEVEL_INLINE, None, "是", m.end, "recovered")


def _only_heading_before(st: _State, owner: _Node) -> bool:
    """True when the owner clause is a single line (its heading), nothing absorbed yet."""
    return "\n" not in st.text[owner.start : owner.end]


def _split_inline(st: _State, owner: _Node, p: _Para) -> None:
    """Cut a paragraph at inline 一是-type markers that continue the sequence."""
    text = st.text
    cur = st.current
    assert cur is not None
    pos = max(p.start, cur.start)
    for m in _RE_INLINE5.finditer(text, pos, p.end):
        n = cn_to_int(m.group(1))
        if n is None:
            continue
        expected_ok = (owner.last5 is not None and n == owner.last5 + 1) or (owner.last5 is None and n > 1)
        if not expected_ok or m.start(1) <= cur.start:
            continue
        # close the clause running so far just before the marker
        cut = m.start(1)
        prev = st.current
        assert prev is not None
        prev.end = _rstrip(text, prev.start, cut)
        prev.absorbs = False if prev.level == LEVEL_INLINE else prev.absorbs
        _open5(st, owner, _Marker(LEVEL_INLINE, n, f"{m.group(1)}是", m.end()), cut, p.end)
    if st.current is not None and st.current.level == LEVEL_INLINE:
        st.current.absorbs = False
    if st.current is not None and st.current is not cur and cur.absorbs:
        # the block clause was cut by its first inline child: later unmarked text
        # is a continuation, not part of its heading
        cur.absorbs = False


def _rstrip(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _finish(st: _State) -> list[Clause]:
    text = st.text
    out: list[Clause] = []
    for n in st.nodes:
        s, e = n.start, _rstrip(text, n.start, n.end)
        while s < e and text[s].isspace():
            s += 1
        if e <= s:
            continue
        out.append(
            Clause(
                path=n.path,
                heading=n.heading,
                text=text[s:e],
                start=s,
                end=e,
                level=n.level,
                has_children=n.children > 0,
            )
        )
    return out
