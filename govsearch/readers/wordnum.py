"""Word's automatic numbering: the markers Word draws but does not store in the text.

A paragraph is numbered when it has ``w:numPr`` (or its style has, through the
``w:basedOn`` chain). ``numId`` points to a ``w:num`` in numbering.xml, which
points to a ``w:abstractNum`` whose ``w:lvl`` elements give, per level, the
number format (``chineseCounting``, ``decimal``…), the text around the numbers
(``lvlText`` such as ``%1、`` or ``（%2）``), the start value, when the level
restarts (``lvlRestart``; 0 = never) and what follows the marker (``suff``).

Counters are kept per abstract numbering, as Word does for lists that share
one: numbering a paragraph at level L advances L and restarts every deeper
level whose ``lvlRestart`` allows it. A ``w:num`` may override a level's start
(``startOverride``), which takes effect the first time that num is used.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from lxml import etree

logger = logging.getLogger(__name__)

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"


def _q(tag: str) -> str:
    return f"{{{W}}}{tag}"


def _val(el: etree._Element | None, tag: str) -> str | None:
    if el is None:
        return None
    child = el.find(_q(tag))
    if child is None:
        return None
    return child.get(_q("val"))


# ---------------------------------------------------------------- number formats

_DIGITS = "〇一二三四五六七八九"
_TRAD_DIGITS = "零壹贰叁肆伍陆柒捌玖"


def chinese_counting(n: int, thousand: bool = False) -> str:
    """一 二 … 十 十一 … 二十 … 一百 一百零一 …, as Word's chineseCounting(Thousand)."""
    if n == 0:
        return "〇"
    if n < 0:
        return str(n)
    if n < 10:
        return _DIGITS[n]
    if n < 20 and not thousand:
        return "十" + (_DIGITS[n % 10] if n % 10 else "")
    if n < 100:
        tens, ones = divmod(n, 10)
        head = "十" if (tens == 1 and thousand) else _DIGITS[tens] + "十"
        return head + (_DIGITS[ones] if ones else "")
    units = [(10000, "万"), (1000, "千"), (100, "百"), (10, "十"), (1, "")]
    out = ""
    zero = False
    rest = n
    for value, name in units:
        d, rest = divmod(rest, value)
        if value == 10000:
            if d:
                out += chinese_counting(d, thousand) + "万"
            continue
        if d:
            if zero and out:
                out += "〇" if not thousand else "零"
            out += _DIGITS[d] + name
            zero = False
        elif out:
            zero = True
    return out


def _enclosed_circle(n: int) -> str:
    if 1 <= n <= 20:
        return chr(0x2460 + n - 1)
    if 21 <= n <= 35:
        return chr(0x3251 + n - 21)
    if 36 <= n <= 50:
        return chr(0x32B1 + n - 36)
    return str(n)


def _letters(n: int, upper: bool) -> str:
    if n <= 0:
        return str(n)
    base = "ABCDEFGHIJKLMNOPQRSTUVWXYZ" if upper else "abcdefghijklmnopqrstuvwxyz"
    # Word repeats the letter: a … z, aa … zz
    return base[(n - 1) % 26] * ((n - 1) // 26 + 1)


def _roman(n: int, upper: bool) -> str:
    if n <= 0 or n >= 4000:
        return str(n)
    vals = [(1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"),
            (50, "l"), (40, "xl"), (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i")]
    out = ""
    for v, s in vals:
        while n >= v:
            out += s
            n -= v
    return out.upper() if upper else out


def format_number(n: int, fmt: str) -> str:
    """Render ``n`` in a Word ``numFmt``.

    ``decimalEnclosedParen`` is drawn by Word as the glyphs ⑴…⒇; it is written
    here as ``(1)``, which is what those glyphs fold to (NFKC) and what the
    clause parser reads, and which also covers numbers past 20.
    """
    if fmt in ("decimal", "decimalZero") or not fmt:
        return f"{n:02d}" if fmt == "decimalZero" and n < 10 else str(n)
    if fmt == "chineseCounting" or fmt == "japaneseCounting" or fmt == "taiwaneseCounting":
        return chinese_counting(n)
    if fmt in ("chineseCountingThousand", "taiwaneseCountingThousand", "japaneseDigitalTenThousand"):
        return chinese_counting(n, thousand=True)
    if fmt in ("chineseLegalSimplified",):
        return "".join(_TRAD_DIGITS[int(d)] for d in str(n)) if n >= 10 else _TRAD_DIGITS[n]
    if fmt in ("ideographDigital", "taiwaneseDigital"):
        return "".join(_DIGITS[int(d)] for d in str(n))
    if fmt == "ideographTraditional":
        return "甲乙丙丁戊己庚辛壬癸"[(n - 1) % 10] if n > 0 else str(n)
    if fmt == "ideographZodiac":
        return "子丑寅卯辰巳午未申酉戌亥"[(n - 1) % 12] if n > 0 else str(n)
    if fmt == "decimalFullWidth" or fmt == "decimalFullWidth2":
        return "".join(chr(0xFF10 + int(d)) for d in str(n))
    if fmt == "decimalHalfWidth":
        return str(n)
    if fmt == "decimalEnclosedCircle" or fmt == "decimalEnclosedCircleChinese":
        return _enclosed_circle(n)
    if fmt == "decimalEnclosedParen":
        return f"({n})"
    if fmt == "decimalEnclosedFullstop":
        return chr(0x2488 + n - 1) if 1 <= n <= 20 else f"{n}."
    if fmt in ("lowerLetter", "upperLetter"):
        return _letters(n, fmt == "upperLetter")
    if fmt in ("lowerRoman", "upperRoman"):
        return _roman(n, fmt == "upperRoman")
    if fmt in ("none", "bullet"):
        return ""
    logger.debug("numFmt %s is not known; writing the number in digits", fmt)
    return str(n)


# ---------------------------------------------------------------- definitions


@dataclass
class Level:
    fmt: str = "decimal"
    text: str = "%1."
    start: int = 1
    restart: int | None = None  # lvlRestart; None = after any shallower level
    suffix: str = "\t"
    legal: bool = False  # isLgl: show every level's number in decimal
    style: str | None = None  # w:pStyle linking a paragraph style to this level


def _parse_level(el: etree._Element) -> Level:
    lv = Level()
    lv.fmt = _val(el, "numFmt") or "decimal"
    t = el.find(_q("lvlText"))
    lv.text = t.get(_q("val"), "") if t is not None else ""
    try:
        lv.start = int(_val(el, "start") or 1)
    except ValueError:
        lv.start = 1
    r = _val(el, "lvlRestart")
    if r is not None:
        try:
            lv.restart = int(r)
        except ValueError:
            pass
    suff = _val(el, "suff")
    lv.suffix = {"space": " ", "nothing": ""}.get(suff or "tab", "\t")
    lg = el.find(_q("isLgl"))
    lv.legal = lg is not None and lg.get(_q("val"), "1") not in ("0", "false")
    lv.style = _val(el, "pStyle")
    return lv


@dataclass
class _Num:
    abstract: str
    overrides: dict[int, int] = field(default_factory=dict)  # ilvl -> startOverride
    levels: dict[int, Level] = field(default_factory=dict)  # full w:lvl overrides


class Numbering:
    """The numbering definitions of one document and the running counters."""

    def __init__(self, numbering_xml: etree._Element | None, styles_xml: etree._Element | None) -> None:
        self.abstracts: dict[str, dict[int, Level]] = {}
        self.num_style_links: dict[str, str] = {}  # abstractNumId -> numbering style id
        self.nums: dict[str, _Num] = {}
        self.styles: dict[str, tuple[str | None, str | None, str | None]] = {}  # id -> (basedOn, numId, ilvl)
        self.counters: dict[str, dict[int, int]] = {}
        self._started_nums: set[str] = set()
        if numbering_xml is not None:
            for an in numbering_xml.iter(_q("abstractNum")):
                aid = an.get(_q("abstractNumId"))
                if aid is None:
                    continue
                self.abstracts[aid] = {
                    int(lvl.get(_q("ilvl"), "0")): _parse_level(lvl) for lvl in an.findall(_q("lvl"))
                }
                link = _val(an, "numStyleLink")
                if link:
                    self.num_style_links[aid] = link
            for num in numbering_xml.iter(_q("num")):
                nid = num.get(_q("numId"))
                aid = _val(num, "abstractNumId")
                if nid is None or aid is None:
                    continue
                n = _Num(aid)
                for ov in num.findall(_q("lvlOverride")):
                    il = int(ov.get(_q("ilvl"), "0"))
                    so = _val(ov, "startOverride")
                    if so is not None:
                        try:
                            n.overrides[il] = int(so)
                        except ValueError:
                            pass
                    lvl = ov.find(_q("lvl"))
                    if lvl is not None:
                        n.levels[il] = _parse_level(lvl)
                self.nums[nid] = n
        if styles_xml is not None:
            for st in styles_xml.iter(_q("style")):
                sid = st.get(_q("styleId"))
                if sid is None:
                    continue
                ppr = st.find(_q("pPr"))
                numpr = ppr.find(_q("numPr")) if ppr is not None else None
                self.styles[sid] = (_val(st, "basedOn"), _val(numpr, "numId"), _val(numpr, "ilvl"))

    # -- resolving a paragraph's numbering

    def _style_numpr(self, style_id: str | None) -> tuple[str | None, str | None]:
        num_id = ilvl = None
        seen: set[str] = set()
        while style_id and style_id not in seen:
            seen.add(style_id)
            based, nid, il = self.styles.get(style_id, (None, None, None))
            num_id = num_id if num_id is not None else nid
            ilvl = ilvl if ilvl is not None else il
            if num_id is not None and ilvl is not None:
                break
            style_id = based
        return num_id, ilvl

    def _abstract_of(self, num: _Num) -> str:
        aid = num.abstract
        link = self.num_style_links.get(aid)
        if link:  # the abstract numbering defers to a numbering style's list
            nid, _ = self._style_numpr(link)
            if nid and nid in self.nums and self.nums[nid].abstract != aid:
                return self.nums[nid].abstract
        return aid

    def _level(self, num: _Num, aid: str, ilvl: int) -> Level | None:
        if ilvl in num.levels:
            return num.levels[ilvl]
        return self.abstracts.get(aid, {}).get(ilvl)

    def marker(self, paragraph: etree._Element) -> str | None:
        """Advance the counters for a paragraph and return the marker Word draws
        for it (with its suffix), or None when it is not numbered."""
        ppr = paragraph.find(_q("pPr"))
        style_id = _val(ppr, "pStyle")
        numpr = ppr.find(_q("numPr")) if ppr is not None else None
        num_id = _val(numpr, "numId")
        ilvl_s = _val(numpr, "ilvl")
        s_num, s_ilvl = self._style_numpr(style_id)
        if num_id is None:
            num_id = s_num
        if ilvl_s is None:
            ilvl_s = s_ilvl
        if num_id is None or num_id == "0" or num_id not in self.nums:
            return None
        num = self.nums[num_id]
        aid = self._abstract_of(num)
        if ilvl_s is None and style_id:
            # a level may name the style it belongs to
            ilvl_s = next(
                (str(i) for i, lv in self.abstracts.get(aid, {}).items() if lv.style == style_id), None
            )
        try:
            ilvl = max(0, min(8, int(ilvl_s or 0)))
        except ValueError:
            ilvl = 0
        level = self._level(num, aid, ilvl)
        if level is None:
            return None
        counters = self.counters.setdefault(aid, {})
        if num_id not in self._started_nums:
            self._started_nums.add(num_id)
            for il, value in num.overrides.items():
                counters[il] = value - 1  # the next use of that level shows ``value``
        counters[ilvl] = counters[ilvl] + 1 if ilvl in counters else level.start
        # deeper levels restart unless their lvlRestart says otherwise
        for deeper in list(counters):
            if deeper <= ilvl:
                continue
            dl = self._level(num, aid, deeper)
            restart = dl.restart if dl is not None else None
            if restart is None or (restart != 0 and ilvl < restart):
                del counters[deeper]
        if level.fmt == "none" or level.fmt == "bullet":
            return None  # bullets are not clause markers
        return self._render(num, aid, level) + level.suffix if level.text else None

    def _render(self, num: _Num, aid: str, level: Level) -> str:
        counters = self.counters.get(aid, {})
        out = []
        text = level.text
        i = 0
        while i < len(text):
            ch = text[i]
            if ch == "%" and i + 1 < len(text) and text[i + 1].isdigit():
                k = int(text[i + 1]) - 1
                lv = self._level(num, aid, k) or Level()
                value = counters.get(k, lv.start)
                fmt = "decimal" if level.legal and lv.fmt not in ("decimalZero",) else lv.fmt
                out.append(format_number(value, fmt))
                i += 2
                continue
            out.append(ch)
            i += 1
        return "".join(out)
