"""Infer a document's metadata from its text and file name.

Each field has one small function; unknown values stay None. The title is the
``关于…的通报``-type line near the top (or the first heading-like line before
any numbering); the issuing body comes from the title, the 信息来源 line or the
signature; city and town from the issuer, or, for anonymised documents, as
written (``XX乡镇``, ``*镇``) with ``anonymised=True``; the date from the
发布日期 line or a dated signature at the end; the document type from keywords;
the inspection round (``十五届市委第六轮巡察``) where the title states it.
"""

from __future__ import annotations

import logging
import re
from collections import Counter

from .schema import Metadata

logger = logging.getLogger(__name__)

__all__ = ["infer_metadata", "infer_title", "infer_issuer", "infer_place", "infer_date", "infer_doc_type", "infer_round"]

_CJK = r"\u4e00-\u9fff"
_TITLE_ENDINGS = (
    "通报", "报告", "通知", "意见", "决定", "方案", "办法", "规定", "材料", "分析", "总结", "讲话", "条例", "细则", "公告", "函",
)
_ISSUER_ENDINGS = ("工作委员会", "委员会", "人民政府", "办事处", "办公室", "党委", "党工委", "纪委", "政府")
_RE_NUMBERED = re.compile(r"[\s\u3000]*(?:[一二三四五六七八九十]+[、．.]|[(（][一二三四五六七八九十\d]+[)）]|\d+[.．、]|[一二三四五六七八九十]+是|第[一二三四五六七八九十百\d]+[章节条])")
_RE_PUBLISH_DATE = re.compile(r"发布(?:日期|时间)[:：]\s*(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})")
_RE_DATE = re.compile(r"(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日")
_RE_CN_DATE = re.compile(r"([〇零一二三四五六七八九]{4})年([一二三四五六七八九十]{1,2})月([一二三四五六七八九十]{1,3})日")
_RE_SOURCE = re.compile(r"信息来源[:：]\s*(\S+)")
_RE_ANON_TOWN = re.compile(r"(?<![" + _CJK + r"])((?:X|Ｘ|×|\*|＊|某){1,3})\s*(乡镇|街道|镇|乡)")
_RE_ROUND = re.compile(
    r"第?([一二三四五六七八九十]+)届([" + _CJK + r"]{1,3}?委)第([一二三四五六七八九十]+)轮(常规|专项|机动|提级)?(巡察|巡视)"
)

# (document type, [(keyword, weight)]) — the title decides when it names one
_DOC_TYPES: tuple[tuple[str, tuple[tuple[str, int], ...]], ...] = (
    ("巡察整改进展通报", (("巡察整改进展", 5), ("整改进展情况", 5), ("巡察整改", 1))),
    ("巡视整改进展通报", (("巡视整改进展", 5),)),
    ("民主生活会对照检查材料", (("民主生活会", 3), ("对照检查", 3), ("原因剖析", 3), ("查摆", 2))),
    ("两委班子届中分析", (("届中分析", 5),)),
    ("述职报告", (("述职报告", 5),)),
    ("工作总结", (("工作总结", 5),)),
    ("工作方案", (("工作方案", 2), ("实施方案", 2))),
)

_CN_DIGIT = {"〇": 0, "零": 0, "一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _lines(text: str, skip: tuple[tuple[int, int], ...] = ()) -> list[str]:
    """Non-blank lines, stripped, leaving out those inside a skipped span."""
    out: list[str] = []
    pos = 0
    for line in text.split("\n"):
        start, pos = pos, pos + len(line) + 1
        if any(s <= start + len(line) - len(line.lstrip()) < e for s, e in skip):
            continue
        if line.strip():
            out.append(line.strip())
    return out


def infer_title(text: str, skip: tuple[tuple[int, int], ...] = ()) -> str | None:
    """The ``关于…的通报`` line, else the first short heading-like line before any numbering."""
    lines = _lines(text, skip)[:12]
    for line in lines:
        if "关于" in line and line.endswith(_TITLE_ENDINGS) and "。" not in line and len(line) <= 120:
            return line
    for line in lines[:3]:
        if _RE_NUMBERED.match(line):
            return None
        if len(line) <= 60 and not re.search(r"[。，,；;：:]", line) and not _RE_DATE.fullmatch(line):
            return line
    return None


def infer_issuer(text: str, title: str | None, skip: tuple[tuple[int, int], ...] = ()) -> str | None:
    """The issuing body: the title's part before 关于, the 信息来源 line, or the signature."""
    if title and "关于" in title:
        head = title.split("关于", 1)[0].strip()
        if head.endswith(_ISSUER_ENDINGS):
            return head
    m = _RE_SOURCE.search(text[:2000])
    if m and m.group(1).endswith(_ISSUER_ENDINGS):
        return m.group(1)
    tail = [ln for ln in text.rstrip().split("\n")[-6:] if ln.strip()]
    for line in reversed(tail):
        line = line.strip()
        if line.endswith(_ISSUER_ENDINGS) and len(line) <= 40 and "。" not in line:
            return line
    return None


def infer_place(text: str, issuer: str | None, title: str | None) -> tuple[str | None, str | None, bool]:
    """``(city, town, anonymised)`` from the issuer or title, else an anonymised name as written."""
    for source in (issuer, title):
        if not source:
            continue
        name = source.removeprefix("中共")
        for unit in ("街道|镇", "乡"):
            m = re.match(r"([" + _CJK + r"]{2,4}?市)([" + _CJK + r"]{1,5}?(?:" + unit + r"))", name)
            if m:
                return m.group(1), m.group(2), False
            m = re.match(r"([" + _CJK + r"]{1,5}?(?:" + unit + r"))", name)
            if m and not m.group(1).endswith("乡镇"):
                return None, m.group(1), False
    anon = Counter(re.sub(r"\s+", "", m.group(0)) for m in _RE_ANON_TOWN.finditer(text))
    if anon:
        town = anon.most_common(1)[0][0]
        return None, town, True
    named = Counter(
        m.group(1)
        for m in re.finditer(r"([" + _CJK + r"]{2}(?:街道|镇))(?:党委|党工委|人民政府|政府|办事处)", text)
        if not m.group(1).endswith(("乡镇", "全镇", "城镇", "本镇", "我镇"))
    )
    if named:
        return None, named.most_common(1)[0][0], False
    return None, None, False


def _cn_number(s: str) -> int:
    if len(s) >= 2 and all(ch in _CN_DIGIT for ch in s):
        return int("".join(str(_CN_DIGIT[ch]) for ch in s))
    total, num = 0, 0
    for ch in s:
        if ch == "十":
            total += (num or 1) * 10
            num = 0
        else:
            num = _CN_DIGIT.get(ch, 0)
    return total + num


def _iso(y: int, m: int, d: int) -> str | None:
    if 1900 <= y <= 2100 and 1 <= m <= 12 and 1 <= d <= 31:
        return f"{y:04d}-{m:02d}-{d:02d}"
    return None


def infer_date(text: str) -> str | None:
    """YYYY-MM-DD from the 发布日期 line, else from a dated signature at the end."""
    m = _RE_PUBLISH_DATE.search(text)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    tail = text.rstrip()[-80:]
    last = tail.split("\n")[-1].strip()
    m = _RE_DATE.fullmatch(last)
    if m:
        return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3)))
    m = _RE_CN_DATE.fullmatch(last)
    if m:
        return _iso(_cn_number(m.group(1)), _cn_number(m.group(2)), _cn_number(m.group(3)))
    return None


def _date_from_name(filename: str) -> str | None:
    m = re.search(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)", filename)
    return _iso(int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def infer_doc_type(text: str, title: str | None) -> str | None:
    """The document type named by the title, else the one its keywords weigh most."""
    if title:
        for name, keywords in _DOC_TYPES:
            if any(kw in title for kw, _ in keywords if _ >= 2):
                return name
    scores = {name: sum(text.count(kw) * w for kw, w in keywords) for name, keywords in _DOC_TYPES}
    best = max(scores, key=lambda k: scores[k])
    return best if scores[best] >= 3 else None


def infer_round(title: str | None, text: str = "") -> str | None:
    """The inspection round as stated, e.g. ``十五届市委第六轮巡察`` (leading 第 dropped)."""
    for source in (title or "", text[:3000]):
        m = _RE_ROUND.search(source)
        if m:
            return f"{m.group(1)}届{m.group(2)}第{m.group(3)}轮{m.group(4) or ''}{m.group(5)}"
    return None


def infer_metadata(text: str, filename: str = "", skip: tuple[tuple[int, int], ...] = ()) -> Metadata:
    """Everything that can be inferred about one document; the rest is None."""
    title = infer_title(text, skip)
    issuer = infer_issuer(text, title, skip)
    city, town, anonymised = infer_place(text, issuer, title)
    meta = Metadata(
        title=title,
        issuer=issuer,
        city=city,
        town=town,
        anonymised=anonymised,
        date=infer_date(text) or _date_from_name(filename),
        doc_type=infer_doc_type(text, title),
        round=infer_round(title, text if title is None else ""),
    )
    logger.debug("%s: %s", filename, meta)
    return meta
