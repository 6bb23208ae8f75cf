"""Bad input, with a clear error and nothing lost (issue 7).

Files: every bad file gives a result or one line naming the file and the
reason, and never stops the rest of a build, whose summary lists it.
Queries: an answer or a QueryError, never a crash. The index: a damaged file
anywhere in index/ is a BadIndexError that says what to do, and a build that
fails or dies at any point leaves the previous index usable.

Index builds here use a fake embedder (tests/fake_embedder.py): no model runs.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import tempfile
import time
from pathlib import Path

import pytest

from fake_embedder import FakeEmbedder
from formats_util import SMALL, paragraphs, write_docx, write_pdf, write_scanned_pdf
from govsearch.chunk import chunk_document
from govsearch.errors import BadIndexError, DocumentError, GovsearchError, QueryError
from govsearch.index import Index, build_index
from govsearch.load import load_corpus, load_document
from govsearch.parse import parse
from govsearch.readers import DEFAULT_MAX_FILE_MB, MAX_FILE_ENV

GOOD = (
    "中共中山市甲镇委员会关于巡察整改进展情况的通报\n"
    "一、整改落实情况\n"
    "(一)安全隐患整治。\n"
    "1.开展电动自行车充电安全检查。一是排查“飞线充电”隐患12处。二是新建充电桩30个。\n"
)
NO_NUMBERING = (
    "关于村级集体经济发展的调研报告\n"
    "今年以来，全镇围绕盘活闲置集体资产开展调研，走访了十二个村。\n"
    "调研发现，部分村的闲置厂房长期无人租用，租金收入逐年下降。\n"
    "下一步将引入强村公司统一运营，提高资产使用效率。\n"
)


def _one_line(e: GovsearchError) -> str:
    msg = str(e)
    assert "\n" not in msg and "Traceback" not in msg, msg
    return msg


# ---------------------------------------------------------------- files one by one


def _truncated(builder):
    def make(path: Path) -> Path:
        full = builder(path.with_name("full-" + path.name))
        data = full.read_bytes()
        path.write_bytes(data[: len(data) // 2])
        full.unlink()
        return path

    return make


def _bytes(data: bytes):
    def make(path: Path) -> Path:
        path.write_bytes(data)
        return path

    return make


BAD_FILES = {
    # name: (how to make it, words the reason must contain)
    "空文件.txt": (_bytes(b""), "empty"),
    "blank lines.md": (_bytes(b"\n \n\t\n"), "empty"),
    "程序 blob.txt": (_bytes(bytes(range(256)) * 64), "binary"),
    "empty.docx": (_bytes(b""), "empty"),
    "random.docx": (_bytes(os.urandom(4096)), "not a .docx"),
    "截断 一半.docx": (_truncated(lambda p: write_docx(paragraphs(SMALL), p)), "not a .docx"),
    "加密 文档.docx": (_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000), "password"),
    "empty.pdf": (_bytes(b""), "empty"),
    "random.pdf": (_bytes(os.urandom(4096)), "not a PDF"),
    "截断 一半.pdf": (_truncated(lambda p: write_pdf(paragraphs(SMALL), p)), "PDF"),
    "加密 通报.pdf": (lambda p: write_pdf(paragraphs(SMALL)[:5], p, password="secret"), "password"),
    "扫描件 无文字.pdf": (write_scanned_pdf, "needs OCR"),
    "notes.xyz": (_bytes(GOOD.encode()), "unsupported file type"),
}


@pytest.mark.parametrize("name", sorted(BAD_FILES))
def test_each_bad_file_is_one_line_naming_the_file_and_the_reason(tmp_path, name):
    make, reason = BAD_FILES[name]
    path = make(tmp_path / name)
    with pytest.raises(DocumentError) as err:
        load_document(path)
    assert err.value.path == str(path)
    msg = _one_line(err.value)
    assert name in msg and reason in err.value.reason, msg


def test_a_100_mb_file_is_refused_at_once_by_size(tmp_path):
    big = tmp_path / "巨大 文件.txt"
    with open(big, "wb") as f:
        f.truncate(100 * 1024 * 1024)  # sparse: no time or disk spent writing it
    t = time.perf_counter()
    with pytest.raises(DocumentError) as err:
        load_document(big)
    assert time.perf_counter() - t < 1.0
    msg = _one_line(err.value)
    assert "巨大 文件.txt" in msg and "100.0 MB" in msg and f"{DEFAULT_MAX_FILE_MB} MB" in msg and MAX_FILE_ENV in msg


def test_the_size_limit_can_be_raised_and_a_100_mb_file_is_then_read_without_hanging(tmp_path, monkeypatch):
    monkeypatch.setenv(MAX_FILE_ENV, "200")
    big = tmp_path / "big.txt"
    with open(big, "wb") as f:
        f.truncate(100 * 1024 * 1024)  # 100 MB of NUL bytes
    t = time.perf_counter()
    with pytest.raises(DocumentError, match="binary file"):
        load_document(big)
    assert time.perf_counter() - t < 15


def test_a_document_without_numbering_is_indexed_paragraph_by_paragraph(tmp_path):
    path = tmp_path / "调研 报告.txt"
    path.write_text(NO_NUMBERING, "utf-8")
    doc = load_document(path)
    clauses = parse(doc)
    assert [c.path for c in clauses] == [()] * 4
    chunks = chunk_document(doc, clauses)
    assert any("强村公司" in c.text for c in chunks)
    assert all(doc.text[c.start : c.end] == c.text for c in chunks)


def test_chinese_names_with_spaces_load_and_are_cited_by_name(tmp_path):
    corpus = tmp_path / "语料 库"
    (corpus / "民众 街道").mkdir(parents=True)
    (corpus / "三乡镇 2025年 巡察整改.txt").write_text(GOOD, "utf-8")
    other = GOOD.replace("甲镇", "民众街道").replace("12处", "45处").replace("30个", "8个")
    write_docx(other.splitlines(), corpus / "民众 街道" / "整改 通报（第二批）.docx")
    loaded = load_corpus(corpus)
    assert loaded.skipped == []
    assert sorted(d.source for d in loaded.documents) == ["三乡镇 2025年 巡察整改.txt", "民众 街道/整改 通报（第二批）.docx"]
    build_index(corpus, tmp_path / "索引 目录", embedder=FakeEmbedder())
    hits = Index.open(tmp_path / "索引 目录", embedder=FakeEmbedder()).search("飞线充电", k=5, mode="lexical")
    assert {h.chunk.source for h in hits} == {"三乡镇 2025年 巡察整改.txt", "民众 街道/整改 通报（第二批）.docx"}
    assert all(h.chunk.source in h.citation for h in hits)


def test_a_file_name_that_is_not_utf8_is_skipped_naming_it_not_a_crash(tmp_path):
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    gbk_name = os.fsdecode(b"gbk-" + "三乡镇 通报.txt".encode("gbk"))  # as unzipped from a Windows archive
    (tmp_path / gbk_name).write_text(GOOD, "utf-8")
    loaded = load_corpus(tmp_path)
    assert [d.source for d in loaded.documents] == ["good.txt"]
    [(name, reason)] = loaded.skipped
    assert name == "gbk-三乡镇 通报.txt" and "not UTF-8" in reason and "rename" in reason
    report = build_index(tmp_path, tmp_path.parent / "idx", embedder=FakeEmbedder())  # writes names as UTF-8
    assert "gbk-三乡镇 通报.txt: file name is not UTF-8" in report.summary()


# ---------------------------------------------------------------- permissions

def _load_as_nobody(corpus: str, conn) -> None:
    """In a forked child: drop root for user nobody, then load the corpus."""
    try:
        load_corpus(Path(corpus).parent / "warm-up")  # imports whatever loading needs, while still root
        os.setgid(65534)
        os.setuid(65534)
        loaded = load_corpus(corpus)
        conn.send(([d.source for d in loaded.documents], loaded.skipped))
    except BaseException as e:  # report, never hang the parent
        conn.send(e)
    finally:
        conn.close()


def _permission_corpus(root: Path) -> Path:
    corpus = root / "corpus"
    (corpus / "锁住的目录").mkdir(parents=True)
    (corpus / "good.txt").write_text(GOOD, "utf-8")
    (corpus / "无权限 文件.txt").write_text(GOOD, "utf-8")
    (corpus / "锁住的目录" / "inside.txt").write_text(GOOD, "utf-8")
    os.chmod(corpus / "无权限 文件.txt", 0o000)
    os.chmod(corpus / "锁住的目录", 0o000)
    return corpus


def _check_permission_result(documents: list[str], skipped: list) -> None:
    assert documents == ["good.txt"]
    reasons = dict(map(tuple, skipped))
    assert reasons["无权限 文件.txt"] == "permission denied"
    assert reasons["锁住的目录/"].startswith("folder cannot be listed (Permission denied)")


def test_unreadable_file_and_folder_are_skipped_naming_them():
    """chmod 000 does not stop root: as root the check runs in a forked child that became user nobody."""
    root = Path(tempfile.mkdtemp(prefix="govsearch-perm-"))
    try:
        os.chmod(root, 0o755)
        corpus = _permission_corpus(root)
        (root / "warm-up").mkdir()
        (root / "warm-up" / "a.txt").write_text(GOOD, "utf-8")
        if os.geteuid() != 0:
            loaded = load_corpus(corpus)
            _check_permission_result([d.source for d in loaded.documents], loaded.skipped)
            return
        if not hasattr(os, "fork"):
            pytest.skip("tests run as root, where chmod 000 does not block reads, and there is no fork to drop root in")
        ctx = multiprocessing.get_context("fork")
        receive, send = ctx.Pipe(duplex=False)
        child = ctx.Process(target=_load_as_nobody, args=(str(corpus), send))
        child.start()
        if not receive.poll(120):
            child.kill()
            pytest.fail("the unprivileged child did not answer")
        result = receive.recv()
        child.join()
        if isinstance(result, PermissionError) and child.exitcode is not None:
            pytest.skip(f"tests run as root, where chmod 000 does not block reads, and root could not be dropped ({result})")
        assert not isinstance(result, BaseException), result
        _check_permission_result(*result)
    finally:
        for p in root.rglob("*"):
            os.chmod(p, 0o755)
        shutil.rmtree(root, ignore_errors=True)


def test_permission_denied_while_reading_is_one_line(tmp_path, monkeypatch):
    """The same refusal, simulated (works as root too): the reader's open fails."""
    (tmp_path / "good.txt").write_text(GOOD, "utf-8")
    locked = tmp_path / "无权限 文件.txt"
    locked.write_text(GOOD, "utf-8")
    real = Path.read_bytes

    def read_bytes(self):
        if self.name == locked.name:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    monkeypatch.setattr(Path, "read_bytes", read_bytes)
    loaded = load_corpus(tmp_path)
    assert [d.source for d in loaded.documents] == ["good.txt"]
    assert loaded.skipped == [("无权限 文件.txt", "permission denied")]


# ---------------------------------------------------------------- a build over all of it


@pytest.fixture()
def zoo(tmp_path) -> Path:
    """A corpus folder holding two good documents and every kind of bad file."""
    corpus = tmp_path / "zoo"
    corpus.mkdir()
    (corpus / "甲镇 通报.txt").write_text(GOOD, "utf-8")
    (corpus / "调研 报告（无编号）.txt").write_text(NO_NUMBERING, "gb18030")
    for name, (make, _) in BAD_FILES.items():
        make(corpus / name)
    with open(corpus / "巨大 文件.txt", "wb") as f:
        f.truncate(100 * 1024 * 1024)
    return corpus


def test_bad_files_never_stop_a_build_and_its_summary_lists_each_with_its_reason(zoo, tmp_path):
    report = build_index(zoo, tmp_path / "index", embedder=FakeEmbedder())
    assert report.files == 2 and report.chunks > 0
    skipped = dict(report.skipped)
    assert set(skipped) == set(BAD_FILES) | {"巨大 文件.txt"}
    for name, (_, reason) in BAD_FILES.items():
        assert reason in skipped[name], (name, skipped[name])
    summary = report.summary()
    assert f"skipped {len(skipped)} file(s):" in summary
    for name, why in skipped.items():
        assert f"  {name}: {why}" in summary.splitlines()
    idx = Index.open(tmp_path / "index", embedder=FakeEmbedder())
    assert idx.manifest.skipped == [list(s) for s in report.skipped]
    assert idx.search("强村公司", k=1, mode="lexical")[0].chunk.source == "调研 报告（无编号）.txt"


def test_a_folder_of_3000_files_loads_and_builds_quickly(tmp_path):
    corpus = tmp_path / "many"
    for i in range(3000):
        d = corpus / f"镇{i % 30:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"通报 {i:04d}.txt").write_text(
            f"第{i}号通报\n一、整改情况\n(一)措施{i}。一是排查隐患{i}处。二是新建设施{i % 7}个。\n", "utf-8"
        )
    (corpus / "镇00" / "坏文件.txt").write_bytes(b"")
    t = time.perf_counter()
    loaded = load_corpus(corpus)
    load_s = time.perf_counter() - t
    assert len(loaded.documents) == 3000 and loaded.skipped == [("镇00/坏文件.txt", "empty file")]
    assert load_s < 20, f"loading 3,000 files took {load_s:.1f} s"
    t = time.perf_counter()
    report = build_index(corpus, tmp_path / "index", embedder=FakeEmbedder())
    build_s = time.perf_counter() - t
    assert report.files == 3000 and report.chunks >= 9000
    assert build_s < 90, f"building over 3,000 files took {build_s:.1f} s"
    hits = Index.open(tmp_path / "index", embedder=FakeEmbedder()).search("措施1234", k=1, mode="lexical")
    assert hits[0].chunk.source == "镇04/通报 1234.txt"


# ---------------------------------------------------------------- queries


ODD_QUERIES = [
    "飞线充电" * 25_000,  # 100,000 characters
    "x" * 100_000,
    "🚲⚡️ 充电 🔥",
    "飞线充电 e-bike charging 隐患 hazards",
    "飛線充電 和 garbage sorting 怎么样？",
    "<script>alert(document.cookie)</script> 垃圾分类",
    "<img src=x onerror=alert(1)>",
    "{{7*7}} ${7*7} __import__('os').system('id')",
    "'; DROP TABLE chunks; -- 强村公司",
    "\ud800 充电 \udfff",  # lone surrogates, as undecodable bytes on a command line give
    "飞线\x00充电\x1b[31m",
    "ｆｕｌｌ－ｗｉｄｔｈ　１２３",
    "\u200b\u200d垃圾\u2028分类\ufeff",
]
EMPTY_QUERIES = ["", " ", "\t\n", "\u3000\u3000", "？！。，…", "🙂🙂🙂", "\ud800", "\x00\x01", "<>/", "\u200b"]


@pytest.mark.parametrize("q", ODD_QUERIES, ids=range(len(ODD_QUERIES)))
def test_odd_queries_get_hits(index, q):
    hits = index.search(q, k=3)
    assert 1 <= len(hits) <= 3


@pytest.mark.parametrize("q", [ODD_QUERIES[0], ODD_QUERIES[5], ODD_QUERIES[9]], ids=["100k", "script", "surrogates"])
def test_odd_questions_get_an_answer_and_a_list_of_towns(index, q):
    assert index.ask(q).text()
    index.towns(q)


@pytest.mark.parametrize("q", EMPTY_QUERIES, ids=range(len(EMPTY_QUERIES)))
def test_queries_with_nothing_to_search_for_are_a_query_error(index, q):
    for call in (index.search, index.ask, index.towns):
        with pytest.raises(QueryError, match="empty") as err:
            call(q)
        _one_line(err.value)


# ---------------------------------------------------------------- a damaged index


def _index_files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


DAMAGE = {
    "cut in half": lambda data: data[: len(data) // 2],
    "emptied": lambda data: b"",
    "overwritten": lambda data: bytes((b * 7 + 13) % 256 for b in data[:4096]) + data[4096:],
}


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_every_file_of_the_index_damaged_in_turn_is_refused_clearly_or_still_works(
    built_index_dir, embedder, tmp_path, damage
):
    """Opened and searched after damaging each file: BadIndexError saying what to do, or right answers."""
    good = Index.open(built_index_dir, embedder=embedder)
    expected = [h.chunk.id for h in good.search("飞线充电", k=3)]
    good.close()
    refused: list[str] = []
    for rel in _index_files(built_index_dir):
        copy = tmp_path / rel.replace("/", "_")
        shutil.copytree(built_index_dir, copy)
        victim = copy / rel
        victim.write_bytes(DAMAGE[damage](victim.read_bytes()))
        try:
            idx = Index.open(copy, embedder=embedder)
            got = [h.chunk.id for h in idx.search("飞线充电", k=3)]
            [h.chunk.text for h in idx.search("垃圾分类", k=50, mode="lexical")]
            [c.text for c in idx.store]  # every chunk, as showing a clause in context reads them
            idx.close()
        except BadIndexError as e:
            msg = _one_line(e)
            assert "govsearch index" in msg, (rel, msg)
            refused.append(rel)
            continue
        assert got == expected, f"{rel} {damage}: opened, but gives other hits"
        shutil.rmtree(copy)
    # only the embedding cache (read by builds, never by search) may be damaged unnoticed
    assert set(_index_files(built_index_dir)) - set(refused) <= {
        f for f in _index_files(built_index_dir) if f.startswith("cache/")
    }


def test_a_damaged_index_is_repaired_by_the_command_its_message_names(small_corpus, tmp_path):
    folder = tmp_path / "idx"
    build_index(small_corpus, folder, embedder=FakeEmbedder())
    victim = folder / "vectors" / "vectors.faiss"
    victim.write_bytes(victim.read_bytes()[:100])
    with pytest.raises(BadIndexError, match="--rebuild"):
        Index.open(folder, embedder=FakeEmbedder())
    report = build_index(small_corpus, folder, embedder=FakeEmbedder(), rebuild=True)
    assert report.embedded == 0  # the cache survived: nothing is embedded again
    assert Index.open(folder, embedder=FakeEmbedder()).search("桥梁", k=1, mode="lexical")


@pytest.mark.parametrize("damage", sorted(DAMAGE))
def test_a_damaged_embedding_cache_is_ignored_by_the_next_build(small_corpus, tmp_path, damage, caplog):
    folder = tmp_path / "idx"
    build_index(small_corpus, folder, embedder=FakeEmbedder())
    for p in (folder / "cache").iterdir():
        p.write_bytes(DAMAGE[damage](p.read_bytes()))
    (small_corpus / "c-new.txt").write_text("一、新增内容\n(一)新建公园一座。\n", "utf-8")
    report = build_index(small_corpus, folder, embedder=FakeEmbedder())
    assert report.files == 3 and report.embedded > 0
    assert "ignoring unreadable embedding cache" in caplog.text
    assert Index.open(folder, embedder=FakeEmbedder()).search("公园", k=1, mode="lexical")[0].chunk.source == "c-new.txt"


# ---------------------------------------------------------------- builds that fail or die


def _usable(folder: Path, before: str) -> None:
    idx = Index.open(folder, embedder=FakeEmbedder())
    assert idx.search("桥梁", k=1, mode="lexical")[0].chunk.id == before
    assert "c-new.txt" not in idx.manifest.files
    idx.close()


@pytest.fixture()
def built_small(small_corpus, tmp_path):
    folder = tmp_path / "idx"
    build_index(small_corpus, folder, embedder=FakeEmbedder())
    before = Index.open(folder, embedder=FakeEmbedder()).search("桥梁", k=1, mode="lexical")[0].chunk.id
    (small_corpus / "c-new.txt").write_text("一、新增内容\n(一)新建公园一座。\n", "utf-8")
    return small_corpus, folder, before


def test_a_build_whose_embedder_fails_leaves_the_previous_index_and_no_temp_folder(built_small):
    corpus, folder, before = built_small

    class Failing(FakeEmbedder):
        def embed_passages(self, texts, show_progress=False):
            raise RuntimeError("model crashed")

    with pytest.raises(RuntimeError, match="model crashed"):
        build_index(corpus, folder, embedder=Failing())
    _usable(folder, before)
    assert not list(folder.parent.glob(f".{folder.name}.building-*"))


def test_a_corpus_where_every_file_is_bad_is_refused_and_the_previous_index_stays(built_small):
    corpus, folder, before = built_small
    for p in corpus.iterdir():
        p.write_bytes(b"")
    with pytest.raises(GovsearchError, match="no readable documents; skipped: a-town.txt: empty file") as err:
        build_index(corpus, folder, embedder=FakeEmbedder())
    _one_line(err.value)
    _usable(folder, before)


def _build_dying_at_rename(corpus: str, folder: str, nth: int, how: str) -> None:
    """A build whose ``nth`` os.rename (1: old index aside, 2: new one into place) fails or kills the process."""
    import os as _os

    from fake_embedder import FakeEmbedder as _Fake
    from govsearch.index import build_index as _build

    real, calls = _os.rename, []

    def rename(src, dst):
        calls.append(src)
        if len(calls) == nth:
            if how == "kill":
                _os.kill(_os.getpid(), signal.SIGKILL)
            raise OSError(28, "No space left on device")
        return real(src, dst)

    _os.rename = rename
    try:
        _build(corpus, folder, embedder=_Fake())
    except OSError:
        _os._exit(3)


@pytest.mark.parametrize("nth", [1, 2], ids=["setting the old index aside", "moving the new one in"])
@pytest.mark.parametrize("how", ["kill", "raise"])
def test_a_build_dying_during_the_swap_leaves_the_previous_index_usable(built_small, nth, how):
    corpus, folder, before = built_small
    ctx = multiprocessing.get_context("spawn")
    child = ctx.Process(target=_build_dying_at_rename, args=(str(corpus), str(folder), nth, how))
    child.start()
    child.join(120)
    assert child.exitcode == (-signal.SIGKILL if how == "kill" else 3)
    _usable(folder, before)  # Index.open puts the set-aside index back when the swap died between renames
    report = build_index(corpus, folder, embedder=FakeEmbedder())  # and the next build completes
    assert report.files == 3 and "c-new.txt" in Index.open(folder, embedder=FakeEmbedder()).manifest.files
    assert not list(folder.parent.glob(f".{folder.name}.building-*"))
    assert not folder.with_name(f".{folder.name}.old").exists()
