"""The .ofd reader: packages built from text give the .txt clause tree."""

from __future__ import annotations

import zipfile

import pytest

from formats_util import SANXIANG, SMALL, clause_paths, fold, paragraphs, write_ofd
from govsearch import readers
from govsearch.errors import DocumentError


@pytest.mark.parametrize("src", [SANXIANG, SMALL], ids=["sanxiang", "small"])
def test_ofd_gives_the_txt_clause_tree(tmp_path, src):
    path = write_ofd(paragraphs(src), tmp_path / f"{src.stem} 副本.ofd")
    text = readers.read(path)
    assert [fold(s) for s in text.text.split("\n")] == [fold(s) for s in paragraphs(src)]
    assert clause_paths(path) == clause_paths(src)


def test_ofd_pages_and_furniture(tmp_path):
    path = write_ofd(paragraphs(SANXIANG), tmp_path / "s.ofd")
    src = readers.read(path)
    with zipfile.ZipFile(path) as z:
        n = sum(1 for name in z.namelist() if name.endswith("Content.xml"))
    assert len(src.pages) == n > 3 and src.pages[0] == 0 and list(src.pages) == sorted(src.pages)
    assert "三乡镇巡察整改通报" not in src.text and "— 2 —" not in src.text


def test_image_only_ofd_needs_ocr(tmp_path):
    path = write_ofd([], tmp_path / "scan.ofd", image_only=True)
    with pytest.raises(DocumentError, match="need OCR"):
        readers.read(path)


def test_ofd_with_entities_is_refused(tmp_path):
    path = write_ofd(paragraphs(SMALL)[:3], tmp_path / "e.ofd")
    evil = tmp_path / "evil.ofd"
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(evil, "w") as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "OFD.xml":
                data = data.replace(b"?>", b'?><!DOCTYPE x [<!ENTITY a "aaaa">]>', 1)
            zout.writestr(name, data)
    with pytest.raises(DocumentError, match="entities"):
        readers.read(evil)


@pytest.mark.parametrize("content", [b"", b"not a zip at all", b"PK\x03\x04truncated"])
def test_bad_ofd(tmp_path, content):
    path = tmp_path / "bad.ofd"
    path.write_bytes(content)
    with pytest.raises(DocumentError) as err:
        readers.read(path)
    assert err.value.path == str(path)


def test_truncated_ofd(tmp_path):
    good = write_ofd(paragraphs(SMALL), tmp_path / "good.ofd")
    bad = tmp_path / "bad.ofd"
    bad.write_bytes(good.read_bytes()[:-200])
    with pytest.raises(DocumentError):
        readers.read(bad)
