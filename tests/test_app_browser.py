"""The search page as a person uses it: Gradio on a free loopback port, driven by
Playwright in Debian's chromium (never a downloaded browser).

Each test saves a screenshot under its tmp folder; the timings measured (page
load, query round trip) are written beside them and printed (run with -s).
"""

from __future__ import annotations

import json
import shutil
import socket
import time
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(not CHROMIUM.exists(), reason="needs Debian's chromium at /usr/bin/chromium "
                       "(apt-get install chromium fonts-noto-cjk)"),
]
sync_api = pytest.importorskip("playwright.sync_api", reason="needs the playwright package (pip install playwright)")

ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 400, "height": 800}
WAIT = 90_000  # ms: a query on a busy 2-core machine
EVIL_LINE = '(二)<script>window.__pwned=1</script>排查飞线充电隐患<img src=x onerror="window.__pwned=2">5处。'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def serve(index_dir, corpus_dir, embedder):
    from govsearch.app import build_app, launch

    demo = build_app(index_dir, corpus_dir, embedder=embedder)
    port = free_port()
    launch(demo, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    return demo, f"http://127.0.0.1:{port}/"


@pytest.fixture(scope="module")
def app_url(built_index_dir, embedder):
    """The page over the session index (opened as it is: no build)."""
    demo, url = serve(built_index_dir, None, embedder)
    assert demo.govsearch_holder.wait(120), demo.govsearch_holder.error
    yield url
    demo.close()


@pytest.fixture(scope="module")
def evil_corpus(tmp_path_factory) -> Path:
    """A tiny corpus whose text carries markup and script."""
    d = tmp_path_factory.mktemp("evil") / "corpus"
    d.mkdir()
    (d / "evil-town.txt").write_text(
        "中共中山市甲镇委员会关于巡察整改进展情况的通报\n发布日期:2025-01-02\n一、整改落实情况\n"
        "(一)安全隐患整治。开展电动自行车充电安全检查。\n" + EVIL_LINE + "\n",
        "utf-8",
    )
    return d


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    ctx = browser.new_context(viewport=DESKTOP, locale="zh-CN")
    pg = ctx.new_page()
    yield pg
    ctx.close()


@pytest.fixture(scope="module")
def timings(tmp_path_factory):
    t: dict[str, float] = {}
    yield t
    out = tmp_path_factory.mktemp("timings") / "timings.json"
    out.write_text(json.dumps(t, indent=1))
    print("\nbrowser timings (s):", json.dumps({k: round(v, 2) for k, v in t.items()}, ensure_ascii=False))


def open_page(page, url, timings=None, key="page_load") -> None:
    t = time.perf_counter()
    page.goto(url, wait_until="domcontentloaded")
    page.locator("#gs-query textarea").wait_for(timeout=WAIT)
    wait_ready(page)
    if timings is not None:
        timings[key] = time.perf_counter() - t


def wait_ready(page) -> None:
    """Until the status line says the index is ready (or fail with what it says)."""
    status = page.locator("#gs-status")
    status.locator(".gs-ok, .gs-error").first.wait_for(timeout=WAIT)
    assert status.locator(".gs-ok").count() == 1, status.inner_text()


def shot(page, tmp_path, name) -> Path:
    path = tmp_path / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    keep = Path("/tmp/govsearch-screens")  # a stable copy for a person to look at
    keep.mkdir(exist_ok=True)
    shutil.copy(path, keep / path.name)
    return path


def search(page, query, timings=None, key=None):
    page.locator("#gs-query textarea").fill(query)
    t = time.perf_counter()
    page.locator("#gs-search-btn").click()
    out = page.locator("#gs-search-out")
    out.locator(".gs-hit, .gs-error, .gs-message").first.wait_for(timeout=WAIT)
    if timings is not None and key:
        timings[key] = time.perf_counter() - t
    return out


def test_search_shows_highlighted_hits_and_their_context(page, app_url, tmp_path, timings):
    open_page(page, app_url, timings)
    out = search(page, "飞线充电", timings, "search_roundtrip_first")
    hits = out.locator(".gs-hit")
    assert hits.count() >= 3
    first = hits.first
    assert "飞线充电" in first.locator("mark").all_inner_texts()
    assert "三乡镇" in out.inner_text() and "《" in first.inner_text()
    # open the clause in its document
    first.locator("summary").click()
    ctx = first.locator(".gs-context")
    assert ctx.locator(".gs-current").is_visible()
    assert "›" in ctx.locator(".gs-chain").inner_text()
    shot(page, tmp_path, "search-1280")
    # a second query, timed once the page is warm
    page.locator("#gs-query textarea").fill("垃圾分类")
    t = time.perf_counter()
    page.locator("#gs-search-btn").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#gs-search-out mark')].some(m => m.textContent === '垃圾分类')",
        timeout=WAIT,
    )
    timings["search_roundtrip_warm"] = time.perf_counter() - t


def test_town_filter_and_example_button(page, app_url, tmp_path):
    open_page(page, app_url)
    page.locator("#gs-town input").click()
    page.get_by_role("option", name="民众街道").click()
    out = search(page, "垃圾分类")
    towns = set(out.locator(".gs-town").all_inner_texts())
    assert towns == {"民众街道"}
    page.get_by_role("button", name="强村公司", exact=True).click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('#gs-search-out mark')].some(m => m.textContent.includes('强村公司'))",
        timeout=WAIT,
    )
    assert page.locator("#gs-query textarea").input_value() == "强村公司"
    shot(page, tmp_path, "search-filter-1280")


def test_ask_shows_answer_and_numbered_citation(page, app_url, tmp_path, timings):
    open_page(page, app_url)
    page.get_by_role("tab", name="问答").click()
    page.locator("#gs-question textarea").fill("三乡镇排查出多少处飞线充电隐患？")
    t = time.perf_counter()
    page.locator("#gs-ask-btn").click()
    answer = page.locator("#gs-ask-out .gs-answer")
    answer.wait_for(timeout=WAIT)
    timings["ask_roundtrip"] = time.perf_counter() - t
    assert answer.locator("a.gs-ref").count() >= 1
    cite = page.locator("#gs-cite-1")
    assert "三乡镇" in cite.inner_text() and "飞线充电" in cite.inner_text()
    shot(page, tmp_path, "ask-1280")


def test_english_example_question_is_one_click_away(page, app_url, tmp_path):
    open_page(page, app_url)
    page.get_by_role("tab", name="问答").click()
    page.get_by_role("button", name="How did the towns follow up on idle collective assets?").click()
    page.locator("#gs-ask-out .gs-answer").wait_for(timeout=WAIT)
    assert page.locator("#gs-ask-out .gs-hit").count() >= 1
    shot(page, tmp_path, "ask-english-1280")


def test_which_towns(page, app_url, tmp_path):
    open_page(page, app_url)
    page.get_by_role("tab", name="哪些镇").click()
    page.get_by_role("button", name="飞线充电", exact=True).click()
    box = page.locator("#gs-towns-out .gs-townbox").first
    box.wait_for(timeout=WAIT)
    assert "三乡镇" in page.locator("#gs-towns-out").inner_text()
    assert box.locator(".gs-badge").inner_text() in ("明确处理", "仅提及")
    shot(page, tmp_path, "towns-1280")


def test_compare_two_towns_side_by_side(page, app_url, tmp_path, timings):
    open_page(page, app_url)
    page.get_by_role("tab", name="对比").click()
    # the towns default to 三乡镇 and 民众街道 once the index is ready
    page.wait_for_function(
        "() => document.querySelector('#gs-cmp-towns').innerText.includes('民众街道')", timeout=WAIT
    )
    t = time.perf_counter()
    page.locator("#gs-cmp-btn").click()
    table = page.locator("#gs-cmp-out table.gs-compare")
    table.wait_for(timeout=WAIT)
    timings["compare_roundtrip"] = time.perf_counter() - t
    heads = table.locator("th").all_inner_texts()
    assert heads == ["三乡镇", "民众街道"]
    assert table.locator("mark").count() >= 1
    shot(page, tmp_path, "compare-1280")


def test_a_failing_query_shows_a_message_and_the_page_keeps_working(page, app_url, tmp_path):
    open_page(page, app_url)
    page.locator("#gs-query textarea").fill("   ")
    page.locator("#gs-search-btn").click()
    err = page.locator("#gs-search-out .gs-error")
    err.wait_for(timeout=WAIT)
    assert "empty" in err.inner_text() and "Traceback" not in page.content()
    page.get_by_label("起始日期").fill("last week")
    page.locator("#gs-query textarea").fill("飞线充电")
    page.locator("#gs-search-btn").click()
    page.wait_for_function(  # the new error replaces the old one
        "() => document.querySelector('#gs-search-out .gs-error')?.innerText.includes('date_from')", timeout=WAIT
    )
    shot(page, tmp_path, "error-1280")
    page.get_by_label("起始日期").fill("")
    page.locator("#gs-search-btn").click()
    page.locator("#gs-search-out .gs-hit").first.wait_for(timeout=WAIT)


def test_phone_width(browser, app_url, tmp_path):
    ctx = browser.new_context(viewport=PHONE, locale="zh-CN", is_mobile=True, has_touch=True)
    page = ctx.new_page()
    try:
        open_page(page, app_url)
        search(page, "飞线充电")
        wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 2, f"the page scrolls sideways by {wide}px at phone width"
        shot(page, tmp_path, "search-400")
        page.get_by_role("tab", name="对比").click()
        page.wait_for_function(
            "() => document.querySelector('#gs-cmp-towns').innerText.includes('民众街道')", timeout=WAIT
        )
        page.locator("#gs-cmp-btn").click()
        page.locator("#gs-cmp-out table.gs-compare").wait_for(timeout=WAIT)
        wide = page.evaluate("() => document.documentElement.scrollWidth - window.innerWidth")
        assert wide <= 2, f"the comparison pushes the page sideways by {wide}px"
        page.screenshot(path=str(tmp_path / "compare-400.png"), full_page=False)
        shutil.copy(tmp_path / "compare-400.png", "/tmp/govsearch-screens/compare-400.png")
    finally:
        ctx.close()


def test_two_users_at_once_get_their_own_answers(browser, app_url):
    pages = []
    ctxs = [browser.new_context(viewport=DESKTOP) for _ in range(2)]
    try:
        for ctx in ctxs:
            pg = ctx.new_page()
            open_page(pg, app_url)
            pages.append(pg)
        for pg, q in zip(pages, ("飞线充电", "垃圾分类")):
            pg.locator("#gs-query textarea").fill(q)
        for pg in pages:
            pg.locator("#gs-search-btn").click()
        for pg, q in zip(pages, ("飞线充电", "垃圾分类")):
            pg.locator("#gs-search-out .gs-hit").first.wait_for(timeout=WAIT)
            marks = set(pg.locator("#gs-search-out mark").all_inner_texts())
            assert q in marks
    finally:
        for ctx in ctxs:
            ctx.close()


def test_script_in_a_document_or_query_is_shown_escaped(page, evil_corpus, embedder, tmp_path, timings):
    """Built on start from a corpus with markup in it: progress, then escaped text."""
    index_dir = tmp_path / "index"
    demo, url = serve(index_dir, evil_corpus, embedder)
    try:
        t = time.perf_counter()
        page.goto(url, wait_until="domcontentloaded")
        wait_ready(page)
        timings["small_corpus_build_to_ready"] = time.perf_counter() - t
        out = search(page, "飞线充电")
        out.locator(".gs-hit").first.wait_for(timeout=WAIT)
        text = out.inner_text()
        assert "<script>window.__pwned=1</script>" in text
        assert 'onerror="window.__pwned=2"' in text
        assert out.locator("script, img").count() == 0
        shot(page, tmp_path, "escaped-1280")
        query = '<img src=x onerror="window.__pwned=3">飞线充电'
        out = search(page, query)
        page.wait_for_timeout(500)
        assert page.locator("#gs-search-out img").count() == 0
        assert page.evaluate("() => window.__pwned === undefined")
    finally:
        demo.close()


def test_no_file_outside_the_index_is_served(app_url, built_index_dir):
    """Requests carry text, never paths: Gradio's file routes refuse other files."""
    import urllib.error
    import urllib.request

    for path in ("/etc/passwd", str(built_index_dir / "manifest.json")):
        for route in ("gradio_api/file=", "file="):
            try:
                with urllib.request.urlopen(app_url + route + path, timeout=10) as r:
                    body = r.read().decode("utf-8", "replace")
            except urllib.error.HTTPError as e:
                assert e.code in (403, 404), (route, path, e.code)
                continue
            assert "root:" not in body and '"chunks"' not in body, (route, path)
