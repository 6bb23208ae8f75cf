"""Word .docx: paragraphs and tables in body order, with the markers of Word's
automatic numbering drawn in, and ledger tables as one line per row.

python-docx opens the package; the text of each paragraph is read from its XML
so that deleted revisions, field codes and the fallback copies of drawings are
left out and tracked insertions kept. The result has one paragraph per line,
like the .txt of the same document.
"""

from __future__ import annotations

import logging
import zipfile
from pathlib import Path

from lxml import etree

from ..errors import DocumentError
from ..schema import SourceText
from . import register
from .ledger import last_marker_level, table_lines
from .lines import marker_level
from .wordnum import W, Numbering

logger = logging.getLogger(__name__)

_MC = "http://schemas.openxmlformats.org/markup-compatibility/2006"
_SKIP = {
    f"{{{W}}}del", f"{{{W}}}delText", f"{{{W}}}instrText", f"{{{W}}}moveFrom",
    f"{{{W}}}txbxContent", f"{{{W}}}footnoteReference", f"{{{W}}}endnoteReference",
    f"{{{W}}}pPr", f"{{{W}}}rPr", f"{{{_MC}}}Fallback",
}
MAX_UNPACKED = 512 * 1024 * 1024  # bytes of all parts together, unpacked
_T, _TAB, _BR, _CR, _P, _TBL, _SDT = (f"{{{W}}}{t}" for t in ("t", "tab", "br", "cr", "p", "tbl", "sdt"))


def _para_text(p: etree._Element) -> str:
    out: list[str] = []

    def walk(el: etree._Element) -> None:
        for child in el:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIP:
                continue
            if tag == _T:
                out.append(child.text or "")
            elif tag == _TAB:
                out.append("\t")
            elif tag in (_BR, _CR):
                if child.get(f"{{{W}}}type") not in ("page", "column"):
                    out.append("\n")
            else:
                walk(child)

    walk(p)
    return "".join(out)


def _grid(tbl: etree._Element) -> list[list[str]]:
    """A table as rows of cell texts, merged cells repeated where they span."""
    rows: list[list[str]] = []
    above: dict[int, str] = {}  # column -> text of the cell a vMerge continues
    for tr in tbl.findall(f"{{{W}}}tr"):
        row: list[str] = []
        for tc in tr.findall(f"{{{W}}}tc"):
            tcpr = tc.find(f"{{{W}}}tcPr")
            span = 1
            vmerge = None
            if tcpr is not None:
                gs = tcpr.find(f"{{{W}}}gridSpan")
                if gs is not None:
                    try:
                        span = max(1, int(gs.get(f"{{{W}}}val", "1")))
                    except ValueError:
                        span = 1
                vm = tcpr.find(f"{{{W}}}vMerge")
                if vm is not None:
                    vmerge = vm.get(f"{{{W}}}val", "continue")
            col = len(row)
            if vmerge == "continue":
                text = above.get(col, "")
            else:
                # nested tables and paragraphs of the cell, one space apart
                paras = [_para_text(p) for p in tc.iter(_P)]
                text = " ".join(t.strip() for t in paras if t.strip())
            for k in range(span):
                above[col + k] = text
                row.append(text)
        rows.append(row)
    return rows


@register(".docx")
def read_docx(path: Path) -> SourceText:
    """Read a .docx into one line per paragraph (and per table row)."""
    import docx  # python-docx
    from docx.opc.exceptions import PackageNotFoundError

    if path.stat().st_size == 0:
        raise DocumentError(path, "empty file")
    if not zipfile.is_zipfile(path):
        with open(path, "rb") as f:
            head = f.read(8)
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise DocumentError(
                path,
                "not a .docx package: an encrypted (password-protected) or legacy Word file; "
                "remove the password or save it as .docx",
            )
        raise DocumentError(path, "not a .docx package (damaged, truncated or another format)")
    try:
        with zipfile.ZipFile(path) as z:
            unpacked = sum(i.file_size for i in z.infolist())
    except (zipfile.BadZipFile, OSError) as e:
        raise DocumentError(path, f"damaged .docx package ({e})") from None
    if unpacked > MAX_UNPACKED:
        raise DocumentError(
            path, f"the .docx unpacks to {unpacked / 2**20:.0f} MB, more than the {MAX_UNPACKED // 2**20} MB "
            "a Word document needs (a zip bomb?); refused"
        )
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, KeyError, zipfile.BadZipFile, etree.XMLSyntaxError) as e:
        raise DocumentError(path, f"damaged .docx package ({e})") from None

    numbering_xml = None
    try:
        numbering_xml = document.part.numbering_part.element
    except (NotImplementedError, KeyError):
        pass
    try:
        styles_xml = document.styles.element
    except (NotImplementedError, KeyError):
        styles_xml = None
    numbering = Numbering(numbering_xml, styles_xml)

    lines: list[str] = []

    def visit(container: etree._Element) -> None:
        for el in container:
            if el.tag == _P:
                text = _para_text(el)
                drawn = numbering.marker(el)
                body = text.strip()
                if not body:
                    continue
                if drawn and marker_level(body) is None:
                    # a typed marker wins over a drawn one: never both
                    body = drawn + body
                lines.extend(s.strip() for s in body.split("\n") if s.strip())
            elif el.tag == _TBL:
                lines.extend(table_lines(_grid(el), last_marker_level(lines)))
            elif el.tag == _SDT:
                content = el.find(f"{{{W}}}sdtContent")
                if content is not None:
                    visit(content)

    visit(document.element.body)
    return SourceText("\n".join(lines), "docx", None, ())
