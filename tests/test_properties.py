"""Property-based tests of loading, parsing and chunking (hypothesis).

Whatever the bytes, reading a file gives a document or a DocumentError, nothing
else; and whatever the document, every clause and every chunk quotes its text
exactly (``doc.text[start:end] == text``), in document order, outside the
skipped furniture, and no text outside the furniture is lost.
"""

from __future__ import annotations

import random
import tempfile
from functools import lru_cache
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formats_util import CORPUS, SMALL, paragraphs, write_docx, write_pdf
from govsearch.chunk import chunk_document
from govsearch.errors import DocumentError
from govsearch.load import load_document
from govsearch.parse import parse
from govsearch.readers.text import normalise_newlines

FEW = settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
SOME = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def check_document(doc) -> None:
    """Every clause and chunk span is exact, ordered, outside ``skip``; nothing is lost."""
    text = doc.text
    clauses = parse(doc)
    last = 0
    covered = [False] * len(text)
    for c in clauses:
        assert c.text and text[c.start : c.end] == c.text and c.text == c.text.strip()
        assert c.start >= last, "clauses overlap or are out of order"
        last = c.end
        for s, e in doc.skip:
            assert c.end <= s or c.start >= e, "a clause quotes skipped furniture"
        covered[c.start : c.end] = [True] * (c.end - c.start)
    skipped = [False] * len(text)
    for s, e in doc.skip:
        skipped[s:e] = [True] * (e - s)
    lost = [i for i, ch in enumerate(text) if not ch.isspace() and not covered[i] and not skipped[i]]
    assert not lost, f"text outside every clause: {text[lost[0]:lost[0] + 20]!r}"
    for ch in chunk_document(doc, clauses):
        assert text[ch.start : ch.end] == ch.text
        assert any(c.start <= ch.start and ch.end <= c.end for c in clauses), "a chunk outside its clause"


def load_bytes(data: bytes, suffix: str):
    """Write ``data`` to a file with ``suffix`` and load it; None when refused."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"随机 文件{suffix}"
        path.write_bytes(data)
        try:
            doc = load_document(path)
        except DocumentError as e:
            assert e.path == str(path) and e.reason and "\n" not in str(e)
            return None
    check_document(doc)
    return doc


# ---------------------------------------------------------------- random bytes and text


@pytest.mark.parametrize("suffix", [".txt", ".md", ".html", ".docx", ".pdf", ".ofd"])
@FEW
@given(data=st.binary(max_size=2000))
def test_random_bytes_give_a_document_or_a_document_error(suffix, data):
    load_bytes(data, suffix)


@pytest.mark.parametrize("suffix", [".pdf", ".docx"])
@FEW
@given(head=st.sampled_from([b"%PDF-1.4\n", b"PK\x03\x04"]), data=st.binary(max_size=2000))
def test_random_bytes_behind_a_plausible_header(suffix, head, data):
    load_bytes(head + data, suffix)


@FEW
@given(text=st.text(max_size=400), encoding=st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "gb18030"]))
def test_random_unicode_text_loads_exactly_or_is_refused(text, encoding):
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    doc = load_bytes(data, ".txt")
    # with a BOM, or valid UTF-8 without NULs, the decoding is certain (b"1\x00" is also UTF-16 for "1")
    certain = encoding in ("utf-8-sig", "utf-16") or (encoding == "utf-8" and "\x00" not in text)
    if doc is not None and certain:
        assert doc.text == normalise_newlines(text)


_MARKERS = list("一二三四五六七八九十是、.．()（）①②第章节条1234567890。；：\n ")


@SOME
@given(text=st.text(alphabet=st.sampled_from(_MARKERS + list("甲乙丙丁的了在附件发布日期:2025-01-02分享")), max_size=300))
def test_marker_soup_parses_with_exact_spans(text):
    load_bytes(text.encode("utf-8"), ".txt")


@FEW
@given(body=st.text(max_size=300))
def test_random_text_in_a_web_page(body):
    page = f"<html><head><title>通报</title></head><body><nav>首页</nav><article><p>{body}</p></article></body></html>"
    load_bytes(page.encode("utf-8"), ".html")


# ---------------------------------------------------------------- mutated corpus documents


def _mangle(line: str, rnd: random.Random) -> str:
    """Damage a line's marker the way OCR, copy-paste and typists do."""
    swaps = [
        ("一、", "一."), ("、", ""), ("(", ""), (")", ""), ("（", "("), ("）", ")"), ("(", "（"),
        (".", "．"), (".", ""), ("一是", "是"), ("二是", "二 是"), ("是", ""), ("1", "l"), ("2", "Z"),
        ("一", "二"), ("二", "一"), ("第", ""), ("条", "条件"),
    ]
    old, new = rnd.choice(swaps)
    at = line.find(old)
    if at < 0 or at > 6:
        prefix = rnd.choice(["一、", "(三)", "4.", "(12)", "三是", "第五条", "5", "是", "①", "（十）", ""])
        return prefix + line
    return line[:at] + new + line[at + len(old) :]


@lru_cache(maxsize=None)
def _corpus_lines(name: str) -> tuple[str, ...]:
    return tuple((CORPUS / name).read_text("utf-8").split("\n"))


CORPUS_FILES = sorted(p.name for p in CORPUS.glob("*.txt"))


@SOME
@given(
    name=st.sampled_from(CORPUS_FILES),
    ops=st.lists(st.tuples(st.sampled_from(["delete", "duplicate", "mangle", "swap", "join", "split"]), st.integers(0, 10**6)), max_size=25),
    seed=st.integers(0, 2**32 - 1),
    newline=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "gb18030"]),
)
def test_mutated_corpus_documents_parse_with_exact_spans(name, ops, seed, newline, encoding):
    lines = list(_corpus_lines(name))
    rnd = random.Random(seed)
    for op, at in ops:
        if not lines:
            break
        i = at % len(lines)
        if op == "delete":
            del lines[i]
        elif op == "duplicate":
            lines.insert(i, lines[i])
        elif op == "mangle":
            lines[i] = _mangle(lines[i], rnd)
        elif op == "swap":
            j = rnd.randrange(len(lines))
            lines[i], lines[j] = lines[j], lines[i]
        elif op == "join" and i + 1 < len(lines):
            lines[i : i + 2] = [lines[i] + lines[i + 1]]
        elif op == "split" and len(lines[i]) > 2:
            k = rnd.randrange(1, len(lines[i]))
            lines[i : i + 1] = [lines[i][:k], lines[i][k:]]
    text = newline.join(lines)
    try:
        data = text.encode(encoding)
    except UnicodeEncodeError:
        return
    doc = load_bytes(data, ".txt")
    if doc is not None and encoding == "utf-8":
        assert doc.text == normalise_newlines(text)


# ---------------------------------------------------------------- mutated .docx and .pdf


@lru_cache(maxsize=None)
def _sample(suffix: str) -> bytes:
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / f"sample{suffix}"
        lines = paragraphs(SMALL)[:12]
        (write_docx if suffix == ".docx" else write_pdf)(lines, out)
        return out.read_bytes()


@pytest.mark.parametrize("suffix", [".docx", ".pdf"])
@FEW
@given(flips=st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=12),
       cut=st.one_of(st.none(), st.floats(0.05, 1)))
def test_damaged_docx_and_pdf_give_a_document_or_a_document_error(suffix, flips, cut):
    pytest.importorskip("reportlab")
    data = bytearray(_sample(suffix))
    for where, value in flips:
        data[int(where * len(data))] = value
    if cut is not None:
        data = data[: max(1, int(len(data) * cut))]
    load_bytes(bytes(data), suffix)
