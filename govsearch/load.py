"""Load files into :class:`Document` records, one file or a whole corpus folder.

A document keeps its decoded text exactly. Web-page furniture saved with a page
(无障碍版 长者助手 登录, 您当前的位置, 信息来源…发布日期…分享, an attachment
list after 附件:, the signature block at the very end) is *found*, not removed:
its spans go into ``Document.skip`` so nothing after it changes offset, and the
parser and chunker leave them out.

``corpus/manifest.toml`` (optional) holds one table per file name whose keys are
:class:`Metadata` fields; its values override whatever was inferred::

    ["excerpt-untitled.txt"]
    town = "三乡镇"
    date = "2025-09-12"
"""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import os
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import readers
from .errors import DocumentError, GovsearchError
from .metadata import infer_metadata
from .schema import Document, Metadata

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

logger = logging.getLogger(__name__)

__all__ = ["CorpusLoad", "load_document", "load_corpus", "read_manifest", "find_furniture", "MANIFEST", "IGNORED_FILES"]

MANIFEST = "manifest.toml"
IGNORED_FILES = frozenset({"README.md", "readme.md", MANIFEST, "userdict.txt"})  # userdict.txt: words for the tokenizer
_META_FIELDS = {f.name for f in dataclasses.fields(Metadata)}

# whole lines that are page furniture
_FURNITURE_LINE = re.compile(
    r"(?:无障碍版?|长者助手|登录|注册|English|繁體|简体|网站地图|设为首页|加入收藏|\s)+"
    r"|您(?:当前)?的?(?:位置|所在位置)[:：].*"
    r"|当前位置[:：].*"
    r"|(?:信息来源|来源|发布日期|发布时间|发布机构|浏览次数|访问量|字号|字体)[:：].*(?:分享[:：]?|发布日期[:：].*|\d{4}-\d{1,2}-\d{1,2}.*)"
    r"|分享(?:到)?(?:[:：].{0,30})?"
    r"|【?(?:打印本页|打印|关闭窗口|关闭|返回顶部|收藏)】?(?:\s*【?(?:打印本页|打印|关闭窗口|关闭|返回顶部|收藏)】?)*"
    r"|(?:扫一扫|上一篇|下一篇)[:：]?.*"
)
_ATTACHMENT = re.compile(r"附\s*件(?:[:：]|\s*$)")
_ATTACHMENT_ITEM = re.compile(r"(?:附\s*件[:：]?\s*)?(?:\d+[.．、]|[(（]\d+[)）])?[^。]{2,}")
_DATE_LINE = re.compile(r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日|[〇零一二三四五六七八九]{4}年[一二三四五六七八九十]{1,2}月[一二三四五六七八九十]{1,3}日")
_SIGNER_ENDINGS = ("委员会", "人民政府", "办事处", "办公室", "党委", "党工委", "纪委", "政府", "党支部", "总支部")


@dataclass
class CorpusLoad:
    """The documents of a corpus folder and the files that could not be loaded."""

    documents: list[Document] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of every line's stripped content; blank lines give (s, s)."""
    spans = []
    pos = 0
    for line in text.split("\n"):
        s, e = pos, pos + len(line)
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        spans.append((s, e))
        pos += len(line) + 1
    return spans


def find_furniture(text: str) -> tuple[tuple[int, int], ...]:
    """Spans of web-page furniture, the attachment list and the closing signature."""
    lines = _line_spans(text)
    skip: list[tuple[int, int]] = []
    n = len(lines)
    i = 0
    while i < n:
        s, e = lines[i]
        line = text[s:e]
        if not line:
            i += 1
            continue
        if len(line) <= 80 and _FURNITURE_LINE.fullmatch(line):
            skip.append((s, e))
        elif _ATTACHMENT.match(line) and (len(line) <= 4 or _ATTACHMENT_ITEM.fullmatch(line)):
            end, j = e, i + 1
            while j < n:
                js, je = lines[j]
                item = text[js:je]
                if item and not (re.match(r"(?:\d+[.．、]|[(（]\d+[)）])", item) and "。" not in item[:-1]):
                    break
                if item:
                    end = je
                j += 1
            skip.append((s, end))
            i = j
            continue
        i += 1
    sig = _signature(text, lines)
    if sig:
        skip.append(sig)
    return tuple(_merge(skip))


def _signature(text: str, lines: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The signer line and date line closing a document, if it ends that way."""
    content = [(s, e) for s, e in lines if e > s]
    if not content:
        return None
    ds, de = content[-1]
    if not _DATE_LINE.fullmatch(text[ds:de]):
        return None
    start = ds
    if len(content) >= 2:
        ss, se = content[-2]
        signer = text[ss:se]
        if len(signer) <= 40 and signer.endswith(_SIGNER_ENDINGS):
            start = ss
    return (start, de)


def _merge(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for s, e in sorted(spans):
        if out and s <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], e))
        else:
            out.append((s, e))
    return out


def read_manifest(corpus_dir: str | Path) -> dict[str, dict[str, Any]]:
    """``{file name: {field: value}}`` from ``corpus_dir/manifest.toml`` (empty when absent)."""
    path = Path(corpus_dir) / MANIFEST
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as e:
        raise DocumentError(path, f"not valid TOML ({e})") from e
    out: dict[str, dict[str, Any]] = {}
    for name, table in data.items():
        if not isinstance(table, dict):
            raise DocumentError(path, f"[{name}] must be a table of metadata fields")
        unknown = set(table) - _META_FIELDS
        if unknown:
            raise DocumentError(
                path, f"[{name}] has unknown field(s) {', '.join(sorted(unknown))}; valid: {', '.join(sorted(_META_FIELDS))}"
            )
        out[name] = table
    return out


def _apply_overrides(meta: Metadata, overrides: dict[str, Any] | None) -> Metadata:
    if not overrides:
        return meta
    unknown = set(overrides) - _META_FIELDS
    if unknown:
        raise GovsearchError(f"unknown metadata field(s) {', '.join(sorted(unknown))}; valid: {', '.join(sorted(_META_FIELDS))}")
    return dataclasses.replace(meta, **overrides)


def load_document(
    path: str | Path, corpus_dir: str | Path | None = None, overrides: dict[str, Any] | None = None
) -> Document:
    """Read one file into a :class:`Document` with inferred (then overridden) metadata."""
    p = Path(path)
    source_text = readers.read(p)
    try:
        raw = p.read_bytes()
    except OSError as e:  # changed or removed since the reader opened it
        raise DocumentError(p, f"cannot be read ({e.strerror or e})") from None
    if corpus_dir is not None:
        try:
            source = p.resolve().relative_to(Path(corpus_dir).resolve()).as_posix()
        except ValueError:
            source = p.name
    else:
        source = p.name
    skip = find_furniture(source_text.text)
    meta = infer_metadata(source_text.text, p.name, skip)
    meta = _apply_overrides(meta, overrides)
    return Document(
        source=source,
        text=source_text.text,
        metadata=meta,
        format=source_text.format,
        encoding=source_text.encoding,
        pages=source_text.pages,
        skip=skip,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _corpus_files(root: Path) -> tuple[list[Path], list[tuple[str, str]]]:
    """Every candidate file under ``root`` (hidden ones and README/manifest left out),
    and the folders that could not be listed, with the reason."""
    files: list[Path] = []
    unlisted: list[tuple[str, str]] = []

    def failed(e: OSError) -> None:
        where = Path(e.filename) if e.filename else root
        rel = _display(where.relative_to(root).as_posix() if where != root else ".")
        unlisted.append((rel + "/", f"folder cannot be listed ({e.strerror or e}); nothing in it was loaded"))

    for folder, dirs, names in os.walk(root, onerror=failed):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            p = Path(folder) / name
            if name.startswith(".") or name in IGNORED_FILES or not p.is_file():
                continue
            files.append(p)
    return sorted(files), sorted(unlisted)


def _display(name: str) -> str:
    """A file name as text: bytes that are not UTF-8 (a GBK name from an archive
    made on Windows) are shown as GB18030, so a report can name the file."""
    if not any("\udc80" <= ch <= "\udcff" for ch in name):
        return name
    return os.fsencode(name).decode("gb18030", errors="replace")


def load_corpus(corpus_dir: str | Path) -> CorpusLoad:
    """Load every supported file under ``corpus_dir`` (subfolders too); bad files are
    reported in ``skipped`` and never stop the rest. Copies are marked with
    ``duplicate_of`` (see :mod:`govsearch.duplicates`)."""
    from .duplicates import mark_duplicates

    root = Path(corpus_dir)
    if not root.is_dir():
        raise DocumentError(root, "corpus folder not found")
    manifest = read_manifest(root)
    files, unlisted = _corpus_files(root)
    result = CorpusLoad(skipped=unlisted)
    for p in files:
        rel = p.relative_to(root).as_posix()
        shown = _display(rel)
        if shown != rel:
            reason = "file name is not UTF-8 (probably GBK, from an archive made on Windows); rename it, e.g. `convmv -f gbk -t utf-8`"
            logger.warning("skipping %s: %s", shown, reason)
            result.skipped.append((shown, reason))
            continue
        try:
            doc = load_document(p, root, manifest.get(rel) or manifest.get(p.name))
        except GovsearchError as e:
            reason = e.reason if isinstance(e, DocumentError) else str(e)
            logger.warning("skipping %s: %s", rel, reason)
            result.skipped.append((rel, reason))
            continue
        result.documents.append(doc)
    result.documents = mark_duplicates(result.documents)
    return result
