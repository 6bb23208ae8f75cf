"""Optional generative answers from an OpenAI-compatible chat endpoint.

A local model served by vLLM, llama.cpp or Ollama (Qwen, typically) writes the
answer from the numbered clauses it is given. govsearch then checks it: every
``[n]`` must name a clause that was given, every sentence must cite one, and a
figure in a sentence must appear in the clauses it cites; sentences that fail
are returned as unsupported. Off unless configured:

    GOVSEARCH_LLM_BASE_URL=http://127.0.0.1:8000/v1
    GOVSEARCH_LLM_MODEL=qwen2.5-7b-instruct
    GOVSEARCH_LLM_API_KEY=...            (if the server wants one)
"""

from __future__ import annotations

import json
import os
import re
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Sequence

from .errors import GovsearchError
from .schema import Hit

_CITE = re.compile(r"\[(\d{1,3})\]")
_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=\.)\s")
_NUMBER = re.compile(r"\d+(?:[.:：]\d+)*")

SYSTEM = (
    "你是政府文件问答助手。只依据下面编号的条款回答问题，不要使用条款以外的知识。"
    "每一句话末尾用 [编号] 标出它依据的条款。条款不足以回答时，只回答“无法从所给条款中回答”。"
    "Answer in the language of the question."
)


@dataclass(frozen=True)
class LLMSettings:
    """Where the chat endpoint is and which model to ask."""

    base_url: str
    model: str
    api_key: str | None = None
    timeout: float = 60.0
    max_tokens: int = 600

    @classmethod
    def from_env(cls) -> "LLMSettings | None":
        """Settings from GOVSEARCH_LLM_BASE_URL / _MODEL / _API_KEY, or None when not configured."""
        url, model = os.environ.get("GOVSEARCH_LLM_BASE_URL"), os.environ.get("GOVSEARCH_LLM_MODEL")
        if not url or not model:
            return None
        return cls(url.rstrip("/"), model, os.environ.get("GOVSEARCH_LLM_API_KEY") or None)


def prompt(question: str, hits: Sequence[Hit]) -> list[dict[str, str]]:
    """The chat messages: the numbered clauses, then the question."""
    clauses = "\n".join(f"[{i}] （{h.chunk.town or ''}《{h.chunk.title or h.chunk.source}》{' '.join(h.chunk.clause)}）{h.chunk.text}"
                        for i, h in enumerate(hits, 1))
    return [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": f"条款：\n{clauses}\n\n问题：{question}"},
    ]


def complete(settings: LLMSettings, messages: list[dict[str, str]]) -> str:
    """The endpoint's reply text (POST {base_url}/chat/completions)."""
    body = json.dumps(
        {"model": settings.model, "messages": messages, "temperature": 0, "max_tokens": settings.max_tokens}
    ).encode("utf-8")
    headers = {"Content-Type": "application/json"}
    if settings.api_key:
        headers["Authorization"] = f"Bearer {settings.api_key}"
    req = urllib.request.Request(f"{settings.base_url}/chat/completions", data=body, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=settings.timeout) as resp:
            data = json.loads(resp.read().decode("utf-8"))
        return str(data["choices"][0]["message"]["content"])
    except (urllib.error.URLError, TimeoutError, OSError) as e:
        raise GovsearchError(f"the language model at {settings.base_url} did not answer ({e})") from None
    except (ValueError, KeyError, IndexError, TypeError) as e:
        raise GovsearchError(f"the language model at {settings.base_url} sent no chat completion ({e})") from None


def check(answer: str, hits: Sequence[Hit]) -> list[str]:
    """Sentences of ``answer`` that cite nothing, cite a clause not given, or state a figure their clauses lack."""
    unsupported = []
    for sentence in (s.strip() for s in _SENTENCE_END.split(answer)):
        if not sentence or not re.search(r"\w", _CITE.sub("", sentence)):
            continue
        cited = [int(n) for n in _CITE.findall(sentence)]
        if not cited or any(not 1 <= n <= len(hits) for n in cited):
            unsupported.append(sentence)
            continue
        sources = " ".join(hits[n - 1].chunk.text for n in cited).replace(" ", "")
        numbers = _NUMBER.findall(_CITE.sub("", sentence))
        if any(num not in sources for num in numbers):
            unsupported.append(sentence)
    return unsupported


def generate(question: str, hits: Sequence[Hit], settings: LLMSettings) -> tuple[str, list[str]]:
    """(answer, unsupported sentences) written by the model from ``hits``."""
    text = complete(settings, prompt(question, hits)).strip()
    return text, check(text, hits)
