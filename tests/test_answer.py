"""Answers with citations: ask, which towns, compare, and the generative mode."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from govsearch.answer import question_kind
from govsearch.evaluate import holds_figure
from govsearch.generate import LLMSettings, check


@pytest.mark.parametrize(
    "question, kind",
    [
        ("三乡镇累计查出多少处飞线充电隐患?", "number"),
        ("沙仔涌水闸什么时候完工通水?", "number"),
        ("How many working groups were set up?", "number"),
        ("哪些镇处理了飞线充电问题?", "which_towns"),
        ("Which towns inspected their bridges?", "which_towns"),
        ("三乡镇和民众街道在垃圾分类上做法有何不同?", "compare"),
        ("圩仔大榕树安全隐患是怎么处理的?", "how"),
        ("哪个村注册了禅茶品牌?", "lookup"),
    ],
)
def test_question_kinds(question, kind):
    assert question_kind(question, ["三乡镇", "民众街道"]) == kind


def test_a_figure_is_answered_with_its_sentence_and_citation(index):
    a = index.ask("三乡镇累计查出多少处飞线充电隐患?")
    assert a.kind == "number" and "64处" in a.figures
    assert a.answer.startswith("64处") and "[1]" in a.answer
    cited = a.citations[0].chunk
    assert "累计查出“飞线充电”隐患64处" in cited.text and cited.town == "三乡镇"
    d = a.to_dict()
    assert set(d) >= {"question", "kind", "answer", "citations"} and d["citations"][0]["clause"]


def test_a_date_question_is_answered_with_the_date(index):
    a = index.ask("沙仔涌水闸什么时候完工通水?")
    assert a.figures[0] == "2025年1月" and holds_figure(a.answer, "2025年1月")


def test_english_question_is_answered_from_the_chinese_text(index):
    a = index.ask("How many illegal 'flying wire' e-bike charging hazards did Sanxiang find?")
    assert a.answer is not None and "64" in a.answer


def test_an_english_how_many_takes_the_figure_next_to_the_thing_counted(index):
    # the sentence also counts 233 rental houses and 423 grid cells; "hazards" is 隐患: 隐患64处
    a = index.ask("How many flying-wire charging hazards were found in Sanxiang?")
    assert a.figures[0] == "64处" and a.answer.startswith("64处")
    assert [t.phrase for t in index.translate("How many flying-wire charging hazards?")] == [
        "flying wire",
        "charging",
        "hazards",
    ]


@pytest.mark.parametrize("question", ["哪些镇处理了校园食品安全问题?", "What did the towns do about medical insurance fraud?"])
def test_the_corpus_does_not_answer_so_it_says_so(index, question):
    a = index.ask(question)
    assert a.answer is None and a.to_dict()["answer"] is None
    assert "没有找到" in a.text()


def test_which_towns_is_precise(index):
    result = index.towns("飞线充电")
    assert result.names == ["三乡镇"]
    top = result.towns[0]
    assert top.strength == "strong" and any("飞线充电" in h.chunk.text for h in top.clauses)
    d = result.to_dict()
    assert d["topic"] == "飞线充电" and d["towns"][0]["clauses"][0]["source"].startswith("sanxiang")


def test_which_towns_lists_villages_under_their_town(index):
    result = index.towns("黄皮科普园")
    sanxiang = next(t for t in result.towns if t.town == "三乡镇")
    assert "茅湾村" in sanxiang.villages
    assert "excerpt-untitled.txt" not in result.names  # the excerpt is not a town of its own


def test_which_towns_finds_both_towns(index):
    assert set(index.ask("哪些镇街加强了村(社区)意识形态工作?").towns) == {"三乡镇", "民众街道"}


def test_compare_puts_towns_side_by_side(index):
    cmp = index.compare("强村公司", ["三乡镇", "民众"])
    assert set(cmp.towns) == {"三乡镇", "民众街道"}
    assert all(cmp.towns[t] for t in cmp.towns)
    md = cmp.markdown()
    assert md.splitlines()[0] == "| 三乡镇 | 民众街道 |" and "[1]" in md
    d = cmp.to_dict()
    assert set(d) == {"topic", "towns", "markdown"} and d["towns"]["民众街道"][0]["town"] == "民众街道"
    assert "三乡镇" in cmp.text()
    pd = pytest.importorskip("pandas")
    frame = cmp.to_dataframe()
    assert isinstance(frame, pd.DataFrame) and set(frame["town"]) == {"三乡镇", "民众街道"}


def test_compare_refuses_an_unknown_town(index):
    from govsearch.errors import QueryError

    with pytest.raises(QueryError, match="unknown town"):
        index.compare("垃圾分类", ["三乡镇", "火星镇"])


class _FakeChat(BaseHTTPRequestHandler):
    """An OpenAI-compatible endpoint that answers with a fixed reply."""

    reply = ""
    seen: list = []

    def do_POST(self):  # noqa: N802 - http.server's naming
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).seen.append((self.path, self.headers.get("Authorization"), body))
        out = json.dumps({"choices": [{"message": {"role": "assistant", "content": type(self).reply}}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(out)

    def log_message(self, *args):
        pass


@pytest.fixture()
def chat_server():
    server = HTTPServer(("127.0.0.1", 0), _FakeChat)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield LLMSettings(f"http://127.0.0.1:{server.server_port}/v1", "qwen-test", api_key="k", timeout=5)
    server.shutdown()


def test_generative_answer_is_checked_against_its_clauses(index, chat_server):
    _FakeChat.reply = "三乡镇累计查出飞线充电隐患64处 [1]。另有隐患999处 [1]。全部整改完毕 [9]。没有出处的一句。"
    a = index.ask("三乡镇累计查出多少处飞线充电隐患?", llm=chat_server)
    path, auth, body = _FakeChat.seen[-1]
    assert path == "/v1/chat/completions" and auth == "Bearer k" and body["model"] == "qwen-test"
    assert "[1]" in body["messages"][-1]["content"] and "问题" in body["messages"][-1]["content"]
    assert a.answer.startswith("三乡镇累计查出飞线充电隐患64处")
    assert len(a.unsupported) == 3 and not any("64处" in u for u in a.unsupported)


def test_unreachable_model_is_a_clear_error(index):
    from govsearch.errors import GovsearchError

    dead = LLMSettings("http://127.0.0.1:9/v1", "m", timeout=2)
    with pytest.raises(GovsearchError, match="did not answer"):
        index.ask("三乡镇累计查出多少处飞线充电隐患?", llm=dead)


def test_check_flags_citations_outside_the_given_clauses():
    assert check("没有引用。", []) == ["没有引用。"]


def test_a_figure_counts_only_as_a_whole_number():
    assert holds_figure("共开展培训25场次 [1]", "25")
    assert holds_figure("64处：排查出隐患64处。", "64处")
    assert holds_figure("完成率 95.5%。", "95.5%")
    assert not holds_figure("2025年3月：组织培训 [1]", "25")
    assert not holds_figure("共125处", "25")
    assert not holds_figure("达 25.5%", "25")
    assert not holds_figure(None, "25")
