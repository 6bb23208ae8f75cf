"""Saved web pages (.html/.htm): the article body only, one paragraph per line.

trafilatura finds the article and drops navigation, share bars, footers and
scripts. Two things it does not do are added here: the title and the
发布日期/来源 line just above the article are kept when the page shows them (the
metadata of a document is read from them), and tables are taken from the page
itself, where merged cells (rowspan/colspan) can be repeated into the rows they
cover, so that a ledger becomes one line per row. When trafilatura finds no
article, the page's blocks are read without the usual furniture elements.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from lxml import etree
from lxml import html as lxml_html

from ..errors import DocumentError
from ..schema import SourceText
from . import register
from .ledger import last_marker_level, table_lines

logger = logging.getLogger(__name__)

_BLOCKS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "li", "div", "section", "article", "blockquote",
           "pre", "dd", "dt", "td", "th", "tr", "br", "center", "font"}
_DROP = ("script", "style", "noscript", "template", "iframe", "svg", "button", "select", "input", "textarea")
_FURNITURE_TAGS = ("nav", "header", "footer", "aside", "form", "menu")
_FURNITURE_ATTR = re.compile(
    r"(^|[\s_-])(nav|menu|footer|header|breadcrumb|crumb|share|sidebar|copyright|toolbar|topbar|login|search|banner)",
    re.IGNORECASE,
)
_DATE_LINE = re.compile(r"(发布日期|发布时间|成文日期|日期\s*[:：]|来源\s*[:：]|信息来源|发文机关|索引号)")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.IGNORECASE)


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    m = _META_CHARSET.search(data[:4096])
    if m:
        enc = m.group(1).decode("ascii").lower()
        if enc in ("gb2312", "gbk"):
            enc = "gb18030"  # a superset; pages labelled gb2312 often hold GBK characters
        try:
            return data.decode(enc), enc
        except (LookupError, UnicodeDecodeError):
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is not None:
        return str(best), best.encoding
    return data.decode("gb18030", errors="replace"), "gb18030"


def _norm(s: str) -> str:
    return re.sub(r"\s+", "", s)


def _clean_tree(root: etree._Element) -> None:
    for el in list(root.iter(*_DROP)):
        el.drop_tree()
    for el in list(root.iter(etree.Comment)):
        el.drop_tree()


def _is_furniture(el: etree._Element) -> bool:
    if el.tag in _FURNITURE_TAGS:
        return True
    attr = f"{el.get('class', '')} {el.get('id', '')} {el.get('role', '')}"
    return bool(attr.strip()) and bool(_FURNITURE_ATTR.search(attr))


def _grid(table: etree._Element) -> list[list[str]]:
    """An HTML table as rows of cell texts; rowspan/colspan cells repeated."""
    rows: list[list[str]] = []
    pending: dict[int, tuple[int, str]] = {}  # column -> (rows left, text)
    for tr in table.iter("tr"):
        if tr.getparent() is not None and _ancestor_table(tr) is not table:
            continue  # a row of a nested table
        row: list[str] = []
        cells = [c for c in tr if c.tag in ("td", "th")]
        ci = 0
        col = 0
        while ci < len(cells) or col in pending:
            if col in pending:
                left, text = pending[col]
                row.append(text)
                if left > 1:
                    pending[col] = (left - 1, text)
                else:
                    del pending[col]
                col += 1
                continue
            cell = cells[ci]
            ci += 1
            text = re.sub(r"\s+", " ", cell.text_content()).strip()
            try:
                cs = max(1, min(50, int(cell.get("colspan", "1"))))
                rs = max(1, min(500, int(cell.get("rowspan", "1"))))
            except ValueError:
                cs, rs = 1, 1
            for k in range(cs):
                row.append(text)
                if rs > 1:
                    pending[col + k] = (rs - 1, text)
            col += cs
        rows.append(row)
    return rows


def _ancestor_table(el: etree._Element) -> etree._Element | None:
    p = el.getparent()
    while p is not None and p.tag != "table":
        p = p.getparent()
    return p


def _block_lines(root: etree._Element, skip_furniture: bool) -> list[tuple[str, etree._Element | None]]:
    """The page's text, one entry per block (tables as ``("", table)``)."""
    out: list[tuple[str, etree._Element | None]] = []
    buf: list[str] = []

    def flush() -> None:
        text = re.sub(r"[ \t\r\n\u00a0]+", " ", "".join(buf)).strip()
        if text:
            out.append((text, None))
        buf.clear()

    def walk(el: etree._Element) -> None:
        if not isinstance(el.tag, str):
            if el.tail:
                buf.append(el.tail)
            return
        if skip_furniture and _is_furniture(el):
            if el.tail:
                buf.append(el.tail)
            return
        if el.tag == "table":
            flush()
            out.append(("", el))
        else:
            block = el.tag in _BLOCKS
            if block:
                flush()
            if el.tag == "br":
                flush()
            if el.text:
                buf.append(el.text)
            for child in el:
                walk(child)
            if block:
                flush()
        if el.tail:
            buf.append(el.tail)

    body = root.find("body")
    walk(body if body is not None else root)
    flush()
    return out


def _render(blocks: list[tuple[str, etree._Element | None]]) -> list[str]:
    lines: list[str] = []
    for text, table in blocks:
        if table is not None:
            lines.extend(table_lines(_grid(table), last_marker_level(lines)))
        else:
            lines.append(text)
    return lines


def _extract(text: str) -> list[str] | None:
    """The article's blocks as trafilatura finds them, or None."""
    import trafilatura

    xml = trafilatura.extract(
        text, output_format="xml", include_tables=True, include_comments=False,
        include_images=False, favor_recall=True, deduplicate=False,
    )
    if not xml:
        return None
    try:
        doc = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(resolve_entities=False, no_network=True))
    except etree.XMLSyntaxError:
        return None
    main = doc.find("main")
    if main is None:
        return None
    items: list[str] = []
    for el in main:
        if el.tag == "table":
            first = el.find("row")
            key = _norm("".join(first.itertext())) if first is not None else ""
            items.append("\x00table:" + key)
        elif el.tag == "list":
            items.extend(re.sub(r"\s+", " ", "".join(i.itertext())).strip() for i in el.iter("item"))
        else:
            items.append(re.sub(r"\s+", " ", "".join(el.itertext())).strip())
    return [i for i in items if i]


def _split_merged(found: list[str], page_text: list[str], clean: set[str]) -> list[str]:
    """Undo trafilatura's merging of several page blocks into one paragraph: an
    item that is not a block of the page but the run of blocks ``i..j`` becomes
    those blocks, less the ones that are page furniture."""
    norms = [_norm(t) for t in page_text]
    known = set(norms)
    out: list[str] = []
    for item in found:
        n = _norm(item)
        if item.startswith("\x00") or n in known:
            out.append(item)
            continue
        run = None
        for i, b in enumerate(norms):
            if not b or not n.startswith(b):
                continue
            acc, j = "", i
            while j < len(norms) and len(acc) < len(n) and n.startswith(acc + norms[j]):
                acc += norms[j]
                j += 1
            if acc == n:
                run = (i, j)
                break
        if run is None:
            out.append(item)
        else:
            out.extend(t for t in page_text[run[0]:run[1]] if _norm(t) in clean)
    return out


@register(".html", ".htm", ".xhtml", ".shtml")
def read_html(path: Path) -> SourceText:
    """Read the article of a saved web page into one line per paragraph."""
    data = path.read_bytes()
    if not data.strip():
        raise DocumentError(path, "empty file")
    if b"\x00" in data[:2048] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise DocumentError(path, "binary data, not a web page")
    text, encoding = _decode(data)
    try:
        root = lxml_html.document_fromstring(text.encode("utf-8"), parser=lxml_html.HTMLParser(encoding="utf-8"))
    except (etree.ParserError, ValueError) as e:
        raise DocumentError(path, f"not a readable web page ({e})") from None
    _clean_tree(root)
    page = _block_lines(root, skip_furniture=False)
    page_text = [t for t, _ in page if t]
    tables_by_first_row = {}
    for _, tb in page:
        if tb is not None:
            g = _grid(tb)
            if g:
                tables_by_first_row[_norm("".join(g[0]))] = tb

    found = _extract(text)
    if found:
        found = _split_merged(found, page_text, {_norm(t) for t, tb in _block_lines(root, True) if t})
        blocks: list[tuple[str, etree._Element | None]] = []
        for item in found:
            if item.startswith("\x00table:"):
                key = item[len("\x00table:"):]
                tb = next((t for k, t in tables_by_first_row.items() if k == key or (key and key in k)), None)
                if tb is not None:
                    blocks.append(("", tb))
                continue
            blocks.append((item, None))
        # the title and date lines just above the article, when trafilatura left them out
        first = next((t for t, tb in blocks if tb is None), None)
        if first is not None:
            norm_page = [_norm(t) for t in page_text]
            try:
                i = norm_page.index(_norm(first))
            except ValueError:
                i = -1
            have = {_norm(t) for t, _ in blocks}
            title_el = root.find(".//title")
            title = _norm(title_el.text_content()) if title_el is not None else ""
            before = []
            for t in page_text[max(0, i - 6): i] if i > 0 else []:
                n = _norm(t)
                if n in have or len(n) > 200:
                    continue
                if _DATE_LINE.search(t) or (len(n) >= 6 and title and (n in title or title.startswith(n[:12]))):
                    before.append(t)
            blocks = [(t, None) for t in before] + blocks
        lines = _render(blocks)
    else:
        lines = _render(_block_lines(root, skip_furniture=True))
    lines = [ln for ln in lines if ln.strip()]
    if not lines:
        raise DocumentError(path, "no article text found in the web page")
    return SourceText("\n".join(lines), "html", encoding, ())
