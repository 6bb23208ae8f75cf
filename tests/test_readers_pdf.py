"""The .pdf reader: reading order, paragraphs, furniture, pages, bad files."""

from __future__ import annotations

import pytest

from formats_util import SANXIANG, SMALL, clause_paths, fold, paragraphs, write_pdf, write_scanned_pdf
from govsearch import readers
from govsearch.errors import DocumentError

pytest.importorskip("reportlab")
pytest.importorskip("pypdf")


@pytest.fixture(scope="module")
def sanxiang_pdf(tmp_path_factory):
    return write_pdf(paragraphs(SANXIANG), tmp_path_factory.mktemp("pdf") / "三乡 巡察整改.pdf")


def test_sanxiang_pdf_gives_the_txt_paragraphs_and_clause_tree(sanxiang_pdf):
    src = readers.read(sanxiang_pdf)
    assert [fold(s) for s in src.text.split("\n")] == [fold(s) for s in paragraphs(SANXIANG)]
    assert clause_paths(sanxiang_pdf) == clause_paths(SANXIANG)


def test_running_header_and_page_numbers_are_dropped(sanxiang_pdf):
    text = readers.read(sanxiang_pdf).text
    assert "三乡镇巡察整改通报" not in text and "— 2 —" not in text


def test_pages_are_start_offsets(sanxiang_pdf):
    from pypdf import PdfReader

    src = readers.read(sanxiang_pdf)
    n = len(PdfReader(str(sanxiang_pdf)).pages)
    assert len(src.pages) == n > 3 and src.pages[0] == 0
    assert list(src.pages) == sorted(src.pages) and src.pages[-1] < len(src.text)
    # the text of page 2 begins with what was typeset first on page 2
    first_on_2 = PdfReader(str(sanxiang_pdf)).pages[1].extract_text().split("\n")
    first_line = next(s for s in first_on_2 if s.strip() and "通报" not in s and "—" not in s).strip()
    assert src.text[src.pages[1]:].startswith(first_line)
    assert src.page_at(src.pages[2]) == 3


def test_small_pdf(tmp_path):
    path = write_pdf(paragraphs(SMALL), tmp_path / "small.pdf")
    assert clause_paths(path) == clause_paths(SMALL)


def test_scanned_pdf_needs_ocr(tmp_path):
    path = write_scanned_pdf(tmp_path / "扫描件.pdf")
    with pytest.raises(DocumentError, match="needs OCR") as err:
        readers.read(path)
    assert err.value.path == str(path)


def test_password_protected_pdf(tmp_path):
    pytest.importorskip("cryptography")
    path = write_pdf(paragraphs(SMALL)[:5], tmp_path / "locked.pdf", password="secret")
    with pytest.raises(DocumentError, match="password"):
        readers.read(path)


@pytest.mark.parametrize("cut", [0.5, 0.05])
def test_truncated_pdf(tmp_path, cut):
    good = write_pdf(paragraphs(SMALL), tmp_path / "good.pdf")
    bad = tmp_path / "bad.pdf"
    data = good.read_bytes()
    bad.write_bytes(data[: int(len(data) * cut)])
    try:
        src = readers.read(bad)
    except DocumentError as e:
        assert e.path == str(bad)
    else:  # pypdf may recover the pages before the cut: then they read as text
        assert src.text.strip()


@pytest.mark.parametrize("content", [b"", b"\x00\x01binary" * 100, b"%PDF-1.4\n%%EOF"])
def test_empty_and_binary_pdf(tmp_path, content):
    path = tmp_path / "x.pdf"
    path.write_bytes(content)
    with pytest.raises(DocumentError):
        readers.read(path)
