"""PDF with a text layer (pypdf): text in reading order, lines joined into
paragraphs, running headers/footers and page numbers dropped, page starts kept.

pypdf reports each piece of text with its position; pieces are grouped into
lines by their height on the page, lines are sorted top to bottom, and
:mod:`.lines` decides where paragraphs end.
"""

from __future__ import annotations

import logging
import math
from pathlib import Path

from ..errors import DocumentError
from ..schema import SourceText
from . import register
from .lines import Line, drop_furniture, group_lines, join_pages, text_width

logger = logging.getLogger(__name__)


def _page_lines(page) -> list[Line]:
    frags: list[tuple[float, float, float, float, str]] = []
    box = page.mediabox
    top_edge = float(box.top)

    def visit(text, cm, tm, font_dict, font_size):
        if not text or not text.strip():
            return
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        scale = math.hypot(tm[2], tm[3]) * math.hypot(cm[2], cm[3]) or 1.0
        size = float(font_size or 10.0) * scale
        for k, piece in enumerate(text.split("\n")):
            if piece.strip():
                frags.append((x, top_edge - y + k * size * 1.2, size, text_width(piece, size), piece))

    page.extract_text(visitor_text=visit)
    return group_lines(frags)


def _has_images(page) -> bool:
    try:
        res = page.get("/Resources") or {}
        xobj = res.get_object().get("/XObject") if hasattr(res, "get_object") else res.get("/XObject")
        if not xobj:
            return False
        xobj = xobj.get_object()
        return any(xobj[k].get_object().get("/Subtype") == "/Image" for k in xobj)
    except Exception:  # a damaged resource dictionary: no opinion
        return False


@register(".pdf")
def read_pdf(path: Path) -> SourceText:
    """Read a PDF's text layer into paragraphs, one per line, with page starts."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PdfReadError

    size = path.stat().st_size
    if size == 0:
        raise DocumentError(path, "empty file")
    with open(path, "rb") as f:
        head = f.read(1024)
    if b"%PDF-" not in head:
        raise DocumentError(path, "not a PDF (no %PDF header): damaged or another format")
    try:
        reader = PdfReader(str(path), strict=False)
        if reader.is_encrypted:
            try:
                ok = reader.decrypt("")  # documents with only an owner password open without one
            except DependencyError:
                raise DocumentError(
                    path, "encrypted PDF (AES): install the 'cryptography' package to open it"
                ) from None
            if not ok:
                raise DocumentError(
                    path, "password-protected PDF: save a copy without the password and add that"
                )
        pages = [_page_lines(p) for p in reader.pages]
        images = any(_has_images(p) for p in reader.pages)
    except FileNotDecryptedError:
        raise DocumentError(path, "password-protected PDF: save a copy without the password and add that") from None
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as e:
        raise DocumentError(path, f"damaged or truncated PDF ({type(e).__name__}: {e})") from None
    if not any(pages):
        if images:
            raise DocumentError(path, "no text layer: the PDF is scanned images and needs OCR")
        raise DocumentError(path, "no text in the PDF")
    text, starts = join_pages(drop_furniture(pages))
    if not text.strip():
        raise DocumentError(path, "no text in the PDF besides page numbers and headers")
    return SourceText(text, "pdf", None, starts)
