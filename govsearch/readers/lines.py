"""Shared helpers of the readers: clause markers at a line start, and turning
the positioned lines of a fixed-layout page (PDF, OFD) into paragraphs.

Fixed-layout formats break a paragraph into lines wherever the page ends, and
Chinese text carries no space to show where a line was broken. A line ends a
paragraph when it stops short of the right margin; a line starts one when it
is indented or begins with a clause marker. Running headers, footers and page
numbers sit at the top or bottom of a page and repeat (or count) from page to
page; they are dropped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

# Markers of the structural levels 1-4 and of laws, at the start of a line.
_CN_NUM = "一二三四五六七八九十百零〇两"
_MARKER_RES: tuple[tuple[int, re.Pattern[str]], ...] = (
    (1, re.compile(rf"[{_CN_NUM}]+[、.．]")),
    (2, re.compile(rf"[（(][{_CN_NUM}]+[)）]")),
    (3, re.compile(r"[0-9０-９]{1,3}(?:[.．](?![0-9０-９])|、)")),
    (4, re.compile(r"[（(][0-9０-９]{1,3}[)）]|[①-⑳㉑-㉟㊱-㊿⑴-⒇]")),
    (0, re.compile(rf"第[{_CN_NUM}0-9]+[章节条]")),
)


def marker_level(line: str) -> int | None:
    """The level (1-4, 0 for 第…章/条) of the clause marker a line starts with, or None.

    Inline markers (一是, 二是…) are not counted: they also occur mid-paragraph.
    """
    s = line.lstrip(" \t\u3000")
    for level, rx in _MARKER_RES:
        if rx.match(s):
            return level
    return None


@dataclass(frozen=True)
class Line:
    """One line of text on a fixed-layout page. Coordinates grow rightwards and
    downwards (``top`` is the distance from the top of the page)."""

    text: str
    x0: float
    x1: float
    top: float
    size: float


def text_width(text: str, size: float) -> float:
    """Approximate advance of ``text`` set at ``size``: CJK and full-width
    characters are one em, others half an em."""
    w = 0.0
    for ch in text:
        o = ord(ch)
        w += 1.0 if o >= 0x2E80 or 0x2014 <= o <= 0x2026 else 0.5
    return w * size


_PAGE_NUMBER = re.compile(
    r"^[\s\-—–－_·•]*(?:"
    r"\d{1,4}"
    r"|第\s*\d{1,4}\s*页(?:\s*[,，/]?\s*共\s*\d{1,4}\s*页)?"
    r"|\d{1,4}\s*/\s*\d{1,4}"
    r"|(?:page|p\.)\s*\d{1,4}(?:\s*of\s*\d{1,4})?"
    r"|[ivxlcdm]{1,6}"
    r")[\s\-—–－_·•]*$",
    re.IGNORECASE,
)


def is_page_number(text: str) -> bool:
    """True for a line that is only a page number: 3, — 3 —, - 3 -, 第3页, 第3页 共9页, 3/9."""
    return bool(_PAGE_NUMBER.match(text.strip()))


def _shape(text: str) -> str:
    return re.sub(r"\d+", "#", re.sub(r"\s+", "", text))


def drop_furniture(pages: list[list[Line]], zone: int = 2) -> list[list[Line]]:
    """Remove page numbers and running headers/footers.

    Only the first and last ``zone`` lines of a page are candidates. A candidate
    goes when it is a page number, or when the same text (digits folded) is a
    candidate on at least half of the pages, and on two or more.
    """
    if not pages:
        return pages
    counts: Counter[str] = Counter()
    for lines in pages:
        cands = {_shape(ln.text) for ln in lines[:zone] + lines[-zone:]}
        counts.update(cands)
    need = max(2, (len(pages) + 1) // 2)
    repeated = {s for s, n in counts.items() if n >= need and s}
    out = []
    for lines in pages:
        keep = []
        n = len(lines)
        for i, ln in enumerate(lines):
            edge = i < zone or i >= n - zone
            if edge and (is_page_number(ln.text) or _shape(ln.text) in repeated):
                continue
            keep.append(ln)
        out.append(keep)
    return out


_ENDS_PARAGRAPH = tuple("。！？!?：:；;…”’」』）)")


def join_pages(pages: list[list[Line]]) -> tuple[str, tuple[int, ...]]:
    """Join the lines of each page (in reading order) into paragraphs.

    Returns the text (one paragraph per line, ``\\n`` between them) and the
    offset at which each page's text begins. A page with no text begins where
    the next text begins.
    """
    all_lines = [ln for lines in pages for ln in lines]
    if not all_lines:
        return "", tuple(0 for _ in pages)
    # The text block's margins: the most common left edge and a high right edge.
    lefts = Counter(round(ln.x0) for ln in all_lines)
    left = min(x for x, n in lefts.items() if n >= max(1, lefts.most_common(1)[0][1] // 3))
    rights = sorted(ln.x1 for ln in all_lines)
    right = rights[int(0.9 * (len(rights) - 1))]

    # the usual distance between the lines of a paragraph; a wider gap ends one
    gaps = sorted(
        b.top - a.top for lines in pages for a, b in zip(lines, lines[1:]) if b.top - a.top > 0.5 * (a.size or 1)
    )
    pitch = gaps[len(gaps) // 2] if gaps else 0.0

    parts: list[str] = []  # pieces of the output text
    length = 0
    starts: list[int] = []
    prev: Line | None = None
    for lines in pages:
        page_start: int | None = None
        for ln in lines:
            text = ln.text.strip()
            if not text:
                continue
            em = ln.size or 10.0
            sep = ""
            if prev is not None:
                new_para = (
                    ln.x0 > left + 1.2 * em  # indented (first line, centred title)
                    or marker_level(text) is not None
                    or prev.x1 < right - 3 * em  # previous line stopped short
                    or (page_start is not None and pitch and ln.top - prev.top > 1.35 * pitch)
                    or (prev.x0 > left + 1.2 * em and prev.text.strip().endswith(_ENDS_PARAGRAPH) and prev.x1 < right - 0.5 * em)
                )
                if new_para:
                    sep = "\n"
                elif re.search(r"[A-Za-z0-9,.;]$", prev.text.strip()) and re.match(r"[A-Za-z0-9]", text):
                    sep = " "
            if page_start is None:
                page_start = length + len(sep)
            parts.append(sep + text)
            length += len(sep) + len(text)
            prev = ln
        starts.append(page_start if page_start is not None else -1)
    # empty pages begin where the following text begins
    nxt = length
    for i in range(len(starts) - 1, -1, -1):
        if starts[i] < 0:
            starts[i] = nxt
        nxt = starts[i]
    return "".join(parts), tuple(starts)


def group_lines(fragments: list[tuple[float, float, float, float, str]]) -> list[Line]:
    """Group text fragments ``(x, top, size, width, text)`` into lines, sorted
    top to bottom, then left to right; fragments whose tops differ by less than
    half their size share a line."""
    frags = sorted((f for f in fragments if f[4].strip()), key=lambda f: (f[1], f[0]))
    lines: list[list[tuple[float, float, float, float, str]]] = []
    for f in frags:
        if lines:
            last = lines[-1]
            ref = last[0]
            if abs(f[1] - ref[1]) < 0.5 * max(f[2], ref[2], 1.0):
                last.append(f)
                continue
        lines.append([f])
    out = []
    for group in lines:
        group.sort(key=lambda f: f[0])
        text = ""
        end = None
        for x, _top, size, width, t in group:
            if end is not None and x - end > 0.8 * size and text and not text.endswith(" "):
                # a visible gap between fragments: keep words apart (not CJK)
                if re.search(r"[A-Za-z0-9]$", text) and re.match(r"[A-Za-z0-9]", t):
                    text += " "
            text += t
            end = x + width
        size = max(f[2] for f in group)
        out.append(Line(text, group[0][0], end if end is not None else group[0][0], group[0][1], size))
    return out
