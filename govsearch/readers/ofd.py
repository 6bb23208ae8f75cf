"""OFD (GB/T 33190), China's fixed-layout format for official documents.

An OFD file is a zip of XML: ``OFD.xml`` names each document's
``Document.xml``, which lists its pages; each page's ``Content.xml`` holds
``TextObject`` elements (a ``Boundary`` box, a ``Size``, an optional ``CTM``)
whose ``TextCode`` children carry the text and its position inside the box.
The package is read with the standard library; XML with a DTD or entity
declarations is refused (no entity expansion, no external fetches). Page
templates (stamps, running heads) are not read. Positioned lines go through the
same paragraph joining as PDF.
"""

from __future__ import annotations

import logging
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

from ..errors import DocumentError
from ..schema import SourceText
from . import register
from .lines import Line, drop_furniture, group_lines, join_pages

logger = logging.getLogger(__name__)

_MAX_MEMBER = 64 * 1024 * 1024  # uncompressed bytes of one XML part


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _children(el: ET.Element, name: str) -> list[ET.Element]:
    return [c for c in el if _local(c.tag) == name]


def _find(el: ET.Element, name: str) -> ET.Element | None:
    for c in el.iter():
        if _local(c.tag) == name:
            return c
    return None


def _floats(s: str | None) -> list[float]:
    """Numbers of an OFD number list; ``g n v`` repeats ``v`` n times."""
    if not s:
        return []
    toks = s.split()
    out: list[float] = []
    i = 0
    while i < len(toks):
        if toks[i] == "g" and i + 2 < len(toks):
            try:
                out.extend([float(toks[i + 2])] * int(toks[i + 1]))
            except ValueError:
                pass
            i += 3
            continue
        try:
            out.append(float(toks[i]))
        except ValueError:
            pass
        i += 1
    return out


class _Package:
    def __init__(self, path: Path, z: zipfile.ZipFile) -> None:
        self.path = path
        self.z = z
        self.names = {n.lstrip("/"): n for n in z.namelist()}

    def xml(self, name: str) -> ET.Element:
        name = posixpath.normpath(name.lstrip("/"))
        real = self.names.get(name)
        if real is None:  # OFD writers differ in the case of part names
            real = next((v for k, v in self.names.items() if k.lower() == name.lower()), None)
        if real is None:
            raise DocumentError(self.path, f"damaged OFD package: part {name} is missing")
        info = self.z.getinfo(real)
        if info.file_size > _MAX_MEMBER:
            raise DocumentError(self.path, f"OFD part {name} is too large ({info.file_size} bytes)")
        data = self.z.read(real)
        if re.search(rb"<!(DOCTYPE|ENTITY)", data[:4096], re.IGNORECASE) or b"<!ENTITY" in data:
            raise DocumentError(self.path, f"OFD part {name} declares a DTD or entities; refused")
        try:
            return ET.fromstring(data)
        except ET.ParseError as e:
            raise DocumentError(self.path, f"damaged OFD part {name} ({e})") from None


def _text_fragments(root: ET.Element) -> list[tuple[float, float, float, float, str]]:
    frags = []
    for obj in root.iter():
        if _local(obj.tag) != "TextObject":
            continue
        box = _floats(obj.get("Boundary")) + [0, 0, 0, 0]
        size = float(obj.get("Size") or 3.5)
        ctm = _floats(obj.get("CTM"))
        a, b, c, d, e, f = ctm if len(ctm) == 6 else (1, 0, 0, 1, 0, 0)
        scale = abs(d) or 1.0
        for code in _children(obj, "TextCode"):
            text = code.text or ""
            if not text.strip():
                continue
            x = float(code.get("X") or 0)
            y = float(code.get("Y") or 0)
            deltas = _floats(code.get("DeltaX"))
            tx, ty = a * x + c * y + e, b * x + d * y + f
            sz = size * scale
            width = (sum(deltas[: len(text) - 1]) * (abs(a) or 1.0)) + sz
            # Y is the baseline; a line's top is one size above it
            frags.append((box[0] + tx, box[1] + ty - sz, sz, width, text))
    return frags


@register(".ofd")
def read_ofd(path: Path) -> SourceText:
    """Read an OFD package's text into paragraphs, one per line, with page starts."""
    if path.stat().st_size == 0:
        raise DocumentError(path, "empty file")
    if not zipfile.is_zipfile(path):
        raise DocumentError(path, "not an OFD package (not a zip archive): damaged, truncated or another format")
    try:
        with zipfile.ZipFile(path) as z:
            pkg = _Package(path, z)
            root = pkg.xml("OFD.xml")
            pages: list[list[Line]] = []
            images = 0
            for body in (c for c in root.iter() if _local(c.tag) == "DocBody"):
                doc_root = _find(body, "DocRoot")
                if doc_root is None or not (doc_root.text or "").strip():
                    continue
                doc_path = doc_root.text.strip().lstrip("/")
                doc = pkg.xml(doc_path)
                base = posixpath.dirname(doc_path)
                pages_el = _find(doc, "Pages")
                for page in _children(pages_el, "Page") if pages_el is not None else []:
                    loc = (page.get("BaseLoc") or "").strip()
                    if not loc:
                        continue
                    part = loc.lstrip("/") if loc.startswith("/") else posixpath.join(base, loc)
                    content = pkg.xml(part)
                    images += sum(1 for el in content.iter() if _local(el.tag) == "ImageObject")
                    pages.append(group_lines(_text_fragments(content)))
    except zipfile.BadZipFile as e:
        raise DocumentError(path, f"damaged or truncated OFD package ({e})") from None
    if not pages:
        raise DocumentError(path, "OFD package without pages")
    if not any(pages):
        if images:
            raise DocumentError(path, "no text layer: the OFD pages are images and need OCR")
        raise DocumentError(path, "no text in the OFD package")
    text, starts = join_pages(drop_furniture(pages))
    return SourceText(text, "ofd", None, starts)
