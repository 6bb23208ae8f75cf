"""Builders of test documents in the formats govsearch reads: each takes the
paragraphs of a corpus .txt and writes the same document as .docx (typed or
Word-numbered markers), .html, .pdf or .ofd."""

from __future__ import annotations

import re
import shutil
import subprocess
import zipfile
from pathlib import Path
from xml.sax.saxutils import escape

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
SANXIANG = CORPUS / "sanxiang-2025-09-12-xuncha-zhenggai.txt"
SMALL = CORPUS / "anon-town-liangwei-jiezhong-fenxi.txt"

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"

# level (0-3) and the marker of a typed line
_LEVELS = (
    (0, re.compile(r"^[一二三四五六七八九十]+、")),
    (1, re.compile(r"^[（(][一二三四五六七八九十]+[)）]")),
    (2, re.compile(r"^\d+[.．]")),
    (3, re.compile(r"^[（(]\d+[)）]")),
)


def paragraphs(path: Path) -> list[str]:
    """The non-empty lines of a .txt, stripped."""
    return [s.strip() for s in path.read_text(encoding="utf-8").splitlines() if s.strip()]


def fold(s: str) -> str:
    """Brackets and dots to one width, whitespace out: for comparing lines."""
    return re.sub(r"\s+", "", s.replace("（", "(").replace("）", ")").replace("．", "."))


def split_marker(line: str) -> tuple[int | None, str]:
    for level, rx in _LEVELS:
        m = rx.match(line)
        if m:
            return level, line[m.end():]
    return None, line


# ------------------------------------------------------------------ .docx


def _numbering_xml(abstract_id: int, levels: list[dict]) -> str:
    lv = []
    for i, d in enumerate(levels):
        restart = f'<w:lvlRestart w:val="{d["restart"]}"/>' if "restart" in d else ""
        lv.append(
            f'<w:lvl w:ilvl="{i}"><w:start w:val="{d.get("start", 1)}"/>'
            f'<w:numFmt w:val="{d["fmt"]}"/>{restart}'
            f'<w:suff w:val="{d.get("suff", "nothing")}"/>'
            f'<w:lvlText w:val="{d["text"]}"/><w:lvlJc w:val="left"/></w:lvl>'
        )
    return (
        f'<w:abstractNum xmlns:w="{W_NS}" w:abstractNumId="{abstract_id}">'
        f'<w:multiLevelType w:val="multilevel"/>{"".join(lv)}</w:abstractNum>'
    )


GOV_LEVELS = [
    {"fmt": "chineseCounting", "text": "%1、"},
    {"fmt": "chineseCounting", "text": "（%2）"},
    {"fmt": "decimal", "text": "%3.", "restart": 1},  # 1. 2. … run on through 二、
    {"fmt": "decimalEnclosedParen", "text": "%4", "restart": 0},  # (1)…(36) never restart
]


def add_numbering(document, abstract_id: int, num_id: int, levels: list[dict], overrides: dict[int, int] | None = None) -> None:
    """Add an abstract numbering and a num pointing to it to a python-docx Document."""
    from lxml import etree

    numbering = document.part.numbering_part.element
    abstract = etree.fromstring(_numbering_xml(abstract_id, levels))
    first_num = numbering.find(f"{{{W_NS}}}num")
    if first_num is not None:
        first_num.addprevious(abstract)
    else:
        numbering.append(abstract)
    ov = "".join(
        f'<w:lvlOverride w:ilvl="{il}"><w:startOverride w:val="{v}"/></w:lvlOverride>'
        for il, v in (overrides or {}).items()
    )
    numbering.append(
        etree.fromstring(f'<w:num xmlns:w="{W_NS}" w:numId="{num_id}"><w:abstractNumId w:val="{abstract_id}"/>{ov}</w:num>')
    )


def set_numpr(paragraph, num_id: int | None, ilvl: int | None) -> None:
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    ppr = paragraph._p.get_or_add_pPr()
    numpr = OxmlElement("w:numPr")
    if ilvl is not None:
        il = OxmlElement("w:ilvl")
        il.set(qn("w:val"), str(ilvl))
        numpr.append(il)
    if num_id is not None:
        ni = OxmlElement("w:numId")
        ni.set(qn("w:val"), str(num_id))
        numpr.append(ni)
    ppr.append(numpr)


def write_docx(lines: list[str], out: Path, autonumber: bool = False) -> Path:
    """Write ``lines`` as a .docx; with ``autonumber`` the markers 一、 (一) 1. (1)
    are taken out of the text and drawn by Word's numbering instead."""
    import docx

    document = docx.Document()
    if autonumber:
        add_numbering(document, 90, 90, GOV_LEVELS)
    for line in lines:
        level, rest = split_marker(line)
        if autonumber and level is not None:
            p = document.add_paragraph(rest)
            set_numpr(p, 90, level)
        else:
            document.add_paragraph(line)
    document.save(str(out))
    return out


# ------------------------------------------------------------------ .html


def write_html(lines: list[str], out: Path, encoding: str = "utf-8") -> Path:
    """A saved-page-like wrapper: navigation, the article, a footer and scripts."""
    title = next((s for s in lines if "关于" in s or "分析" in s), lines[0])
    body = "\n".join(f"<p>{escape(s)}</p>" for s in lines)
    page = f"""<!DOCTYPE html>
<html lang="zh-CN"><head><meta charset="{encoding}"><title>{escape(title)} - 中山市人民政府门户网站</title>
<script>var _hmt = _hmt || []; window.trackPage("首页");</script>
<style>.nav {{ color: red }}</style></head>
<body>
<div class="header"><a href="/">首页</a> <a href="/zwgk">政务公开</a> <a href="/hdjl">互动交流</a> 无障碍版 长者助手 登录</div>
<nav class="nav"><ul><li><a href="/">网站首页</a></li><li><a href="/xxgk">信息公开</a></li><li><a href="/gsgg">公告公示</a></li></ul></nav>
<div class="main"><div class="article">
<article>
{body}
</article>
</div>
<div class="share">分享到: 微信 微博 <a href="javascript:window.print()">打印本页</a> <a href="#">关闭窗口</a></div>
</div>
<footer><p>主办单位:中山市人民政府办公室 版权所有 粤ICP备05015270号 网站标识码:4420000001</p>
<p>联系我们 | 网站地图 | 隐私声明</p></footer>
<script>document.write("统计代码");</script>
</body></html>"""
    out.write_bytes(page.encode(encoding))
    return out


# ------------------------------------------------------------------ .pdf


def write_pdf(lines: list[str], out: Path, header: str = "三乡镇巡察整改通报", password: str | None = None) -> Path:
    """Typeset ``lines`` with reportlab's built-in Chinese font (STSong-Light):
    first lines indented two characters, a running header, and "— N —" footers."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    kw = {}
    if password:
        from reportlab.lib import pdfencrypt

        kw["encrypt"] = pdfencrypt.StandardEncryption(password, canPrint=0)
    c = canvas.Canvas(str(out), pagesize=A4, **kw)
    width, height = A4
    size = 12
    left, right, top, bottom = 72, width - 72, height - 80, 80
    chars_per_line = int((right - left) // size)
    page = 1

    def furniture():
        c.setFont("STSong-Light", 9)
        c.drawCentredString(width / 2, height - 50, header)
        c.drawCentredString(width / 2, 45, f"— {page} —")

    def width_of(s: str) -> float:
        return pdfmetrics.stringWidth(s, "STSong-Light", size)

    furniture()
    y = top
    for line in lines:
        indent = 2 * size
        rest = line
        first = True
        while rest:
            avail = right - left - (indent if first else 0)
            n = 1
            while n < len(rest) and width_of(rest[: n + 1]) <= avail:
                n += 1
            piece, rest = rest[:n], rest[n:]
            if y < bottom:
                c.showPage()
                page += 1
                furniture()
                y = top
            c.setFont("STSong-Light", size)
            c.drawString(left + (indent if first else 0), y, piece)
            y -= size * 1.6
            first = False
    c.showPage()
    c.save()
    del chars_per_line
    return out


def write_scanned_pdf(out: Path) -> Path:
    """A PDF whose only page is an image (no text layer)."""
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (600, 800), "white")
    ImageDraw.Draw(img).rectangle((50, 50, 550, 120), fill="black")
    img.save(str(out), "PDF", resolution=72)
    return out


# ------------------------------------------------------------------ .ofd

_OFD_NS = "http://www.ofdspec.org/2016"


def write_ofd(lines: list[str], out: Path, image_only: bool = False, header: str = "三乡镇巡察整改通报") -> Path:
    """A minimal OFD package (GB/T 33190): one TextObject per typeset line, a
    running header and a page number on each page. Units are millimetres."""
    size = 4.2333  # 12 pt
    left, right, top, bottom = 25.0, 185.0, 30.0, 270.0
    per_line = int((right - left) // size)
    pages: list[list[str]] = [[]]
    y = top
    oid = 100

    def text_object(x: float, yy: float, text: str, sz: float = size) -> str:
        nonlocal oid
        oid += 1
        deltas = " ".join([f"{sz:.4f}"] * (len(text) - 1))
        dx = f' DeltaX="{deltas}"' if deltas else ""
        w = sz * len(text)
        return (
            f'<ofd:TextObject ID="{oid}" Boundary="{x:.3f} {yy - sz:.3f} {w:.3f} {sz * 1.2:.3f}" Font="3" Size="{sz:.4f}">'
            f'<ofd:TextCode X="0" Y="{sz:.4f}"{dx}>{escape(text)}</ofd:TextCode></ofd:TextObject>'
        )

    if image_only:
        pages = [['<ofd:ImageObject ID="50" Boundary="0 0 210 297" ResourceID="60"/>']]
    else:
        for line in lines:
            rest, first = line, True
            while rest:
                n = per_line - (2 if first else 0)
                piece, rest = rest[:n], rest[n:]
                if y > bottom:
                    pages.append([])
                    y = top
                pages[-1].append(text_object(left + (2 * size if first else 0), y, piece))
                y += size * 1.6
                first = False
        for i, objs in enumerate(pages, 1):
            objs.insert(0, text_object(105 - len(header) * 1.6, 15, header, 3.2))
            num = f"— {i} —"
            objs.append(text_object(100, 285, num, 3.2))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr(
            "OFD.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD xmlns:ofd="{_OFD_NS}" Version="1.0" DocType="OFD">'
            "<ofd:DocBody><ofd:DocInfo><ofd:DocID>0</ofd:DocID></ofd:DocInfo>"
            "<ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>",
        )
        page_refs = "".join(
            f'<ofd:Page ID="{i + 1}" BaseLoc="Pages/Page_{i}/Content.xml"/>' for i in range(len(pages))
        )
        z.writestr(
            "Doc_0/Document.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document xmlns:ofd="{_OFD_NS}">'
            '<ofd:CommonData><ofd:MaxUnitID>999</ofd:MaxUnitID><ofd:PageArea><ofd:PhysicalBox>0 0 210 297</ofd:PhysicalBox></ofd:PageArea>'
            "<ofd:PublicRes>PublicRes.xml</ofd:PublicRes></ofd:CommonData>"
            f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>",
        )
        z.writestr(
            "Doc_0/PublicRes.xml",
            f'<?xml version="1.0" encoding="UTF-8"?><ofd:Res xmlns:ofd="{_OFD_NS}" BaseLoc="Res">'
            '<ofd:Fonts><ofd:Font ID="3" FontName="宋体" FamilyName="宋体"/></ofd:Fonts></ofd:Res>',
        )
        # pages are written in reverse order of their objects' vertical position
        # on purpose: the reader must sort by position, not trust the file order
        for i, objs in enumerate(pages):
            z.writestr(
                f"Doc_0/Pages/Page_{i}/Content.xml",
                f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page xmlns:ofd="{_OFD_NS}">'
                f'<ofd:Content><ofd:Layer ID="{i + 2}">{"".join(reversed(objs))}</ofd:Layer></ofd:Content></ofd:Page>',
            )
    return out


# ------------------------------------------------------------------ .doc


def soffice() -> str | None:
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert_with_soffice(src: Path, fmt: str, outdir: Path) -> Path:
    """Convert with LibreOffice (for building .doc and .pdf test files)."""
    exe = soffice()
    assert exe
    subprocess.run(
        [exe, f"-env:UserInstallation=file://{outdir}/lo-profile", "--headless", "--convert-to", fmt,
         "--outdir", str(outdir), str(src)],
        check=True, capture_output=True, timeout=120,
    )
    return outdir / (src.stem + "." + fmt.split(":")[0])


# ------------------------------------------------------------------ clause trees


def clause_paths(path: Path) -> list[tuple[str, ...]]:
    """The clause paths of a file as govsearch reads and parses it (through
    govsearch.load when that exists, else straight from the reader)."""
    from govsearch.parse import parse

    try:
        from govsearch.load import load_document
    except ImportError:
        load_document = None
    if load_document is not None:
        doc = load_document(path)
    else:
        from govsearch import readers
        from govsearch.schema import Document, Metadata

        src = readers.read(path)
        doc = Document(source=path.name, text=src.text, metadata=Metadata(), format=src.format, pages=src.pages)
    return [c.path for c in parse(doc)]
