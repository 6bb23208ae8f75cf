"""Legacy .doc/.wps through LibreOffice (skipped where it is not installed)."""

from __future__ import annotations

import pytest

from formats_util import (
    GOV_LEVELS, SANXIANG, clause_paths, convert_with_soffice, fold, paragraphs, soffice, write_docx,
)
from govsearch import readers
from govsearch.errors import DocumentError
from govsearch.readers import legacy

needs_soffice = pytest.mark.skipif(soffice() is None, reason=legacy.INSTALL_HINT)


@pytest.fixture(scope="module")
def sanxiang_doc(tmp_path_factory):
    if soffice() is None:
        pytest.skip(legacy.INSTALL_HINT)
    d = tmp_path_factory.mktemp("doc")
    return convert_with_soffice(write_docx(paragraphs(SANXIANG), d / "sanxiang.docx"), "doc", d)


@needs_soffice
def test_doc_gives_the_txt_clause_tree(sanxiang_doc, tmp_path):
    named = tmp_path / "三乡 整改通报（旧版）.doc"
    named.write_bytes(sanxiang_doc.read_bytes())
    src = readers.read(named)
    assert src.format == "doc"
    assert [fold(s) for s in src.text.split("\n")] == [fold(s) for s in paragraphs(SANXIANG)]
    assert clause_paths(named) == clause_paths(SANXIANG)


@needs_soffice
def test_wps_ending_reads_the_same(sanxiang_doc, tmp_path):
    wps = tmp_path / "sanxiang.wps"
    wps.write_bytes(sanxiang_doc.read_bytes())  # Kingsoft WPS saves Word-compatible binaries
    assert readers.read(wps).text == readers.read(sanxiang_doc).text


@needs_soffice
def test_doc_keeps_word_numbering(tmp_path, monkeypatch):
    # LibreOffice keeps formats, texts and starts, but has no "never restart"
    # (lvlRestart) and no ⑴-style format: use numbering it can carry over.
    import formats_util

    levels = [dict(GOV_LEVELS[0]), dict(GOV_LEVELS[1]), {"fmt": "decimal", "text": "%3."},
              {"fmt": "decimal", "text": "（%4）"}]
    monkeypatch.setattr(formats_util, "GOV_LEVELS", levels)
    lines = paragraphs(SANXIANG)
    part = lines[: next(i for i, s in enumerate(lines) if s.startswith("2.贯彻落实"))]
    docx_path = write_docx(part, tmp_path / "auto.docx", autonumber=True)
    doc = convert_with_soffice(docx_path, "doc", tmp_path)
    assert [fold(s) for s in readers.read(doc).text.split("\n")] == [fold(s) for s in part]


@needs_soffice
def test_damaged_doc(tmp_path):
    bad = tmp_path / "bad.doc"
    bad.write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100)
    with pytest.raises(DocumentError) as err:
        readers.read(bad)
    assert err.value.path == str(bad)


def test_without_libreoffice_the_reason_names_the_package(tmp_path, monkeypatch):
    monkeypatch.setattr(legacy, "soffice_path", lambda: None)
    path = tmp_path / "old.doc"
    path.write_bytes(b"\xd0\xcf\x11\xe0" + b"\x00" * 100)
    with pytest.raises(DocumentError, match="libreoffice-writer-nogui") as err:
        readers.read(path)
    assert err.value.path == str(path)
