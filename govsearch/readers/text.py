"""Read ``.txt`` and ``.md`` files into exact decoded text.

Decoding is decided, not guessed by hand: a byte-order mark wins (UTF-8-BOM,
UTF-16, UTF-32; the mark itself is dropped), then strict UTF-8, then
charset-normalizer, which tells GB18030/GBK from UTF-16 without a mark. NUL
bytes that do not follow the UTF-16 pattern, control characters or bytes no
codec accepts make the file "binary file, not text".

The decoded text is kept exactly, with one deliberate change: ``"\\r\\n"`` and
lone ``"\\r"`` become ``"\\n"``. Offsets then count one character per line
break whatever the file's origin, so a GBK file saved on Windows and the same
document in UTF-8 with Unix line ends give the same text and the same clause
spans. Markdown is read as plain text (its ``#`` marks stay in the text).
"""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

from charset_normalizer import from_bytes

from ..errors import DocumentError
from ..schema import SourceText
from . import register

logger = logging.getLogger(__name__)

_BOMS: tuple[tuple[bytes, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)

_ALLOWED_CONTROLS = {"\t", "\n", "\r", "\f", "\v"}


def normalise_newlines(text: str) -> str:
    """Turn ``\\r\\n`` and lone ``\\r`` into ``\\n`` (the only change made to decoded text)."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def decode_bytes(data: bytes, path: Path | str = "<bytes>") -> tuple[str, str]:
    """Decode file bytes to ``(text, encoding)``; raise DocumentError when it is not text."""
    if not data:
        raise DocumentError(path, "empty file")
    text: str | None = None
    encoding: str | None = None
    for bom, enc in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(enc.replace("-sig", ""))
                encoding = enc
            except UnicodeDecodeError:
                raise DocumentError(path, f"binary file, not text (bad {enc} after its byte-order mark)") from None
            break
    if text is None:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            pass
    if text is None or ("\x00" in text and encoding == "utf-8"):  # NULs in UTF-8: perhaps UTF-16 without a mark
        text, encoding = _detect(data, path)
    if _looks_binary(text):
        raise DocumentError(path, "binary file, not text")
    return normalise_newlines(text), encoding or "utf-8"


def _detect(data: bytes, path: Path | str) -> tuple[str, str]:
    """charset-normalizer's verdict, refusing NUL-laden bytes that are not UTF-16."""
    if b"\x00" in data and not _utf16_shaped(data):
        raise DocumentError(path, "binary file, not text")
    best = from_bytes(data).best()
    if best is None:
        raise DocumentError(path, "binary file, not text (no text encoding fits)")
    logger.debug("%s: detected encoding %s", path, best.encoding)
    return str(best), best.encoding


def _utf16_shaped(data: bytes) -> bool:
    """True when every NUL byte sits on the same parity, as in BOM-less UTF-16."""
    if len(data) % 2:
        return False
    even = data[0::2].count(0)
    odd = data[1::2].count(0)
    return (even == 0) != (odd == 0)


def _looks_binary(text: str) -> bool:
    if "\x00" in text:
        return True
    bad = sum(1 for ch in text if ord(ch) < 32 and ch not in _ALLOWED_CONTROLS)
    return bad > max(2, len(text) // 200)


@register(".txt", ".md")
def read_text(path: Path) -> SourceText:
    """Read a plain-text or Markdown file in any common encoding."""
    text, encoding = decode_bytes(Path(path).read_bytes(), path)
    if not text.strip():
        raise DocumentError(path, "empty file")
    fmt = "md" if Path(path).suffix.lower() == ".md" else "txt"
    return SourceText(text=text, format=fmt, encoding=encoding)
