"""HTML for the search page: hits, answers, towns and comparisons.

Everything that comes from a document or from the user is escaped here and
nowhere else. Highlighting finds the query's terms in the *raw* text, escapes
every piece, and wraps only the matched pieces in ``<mark>``: the only markup
in the output is the markup written in this module, so no document text and
no query can inject a tag, an attribute or a script. (Matching on the raw text
rather than on already-escaped text also keeps a term such as "amp" from
landing inside an entity like ``&amp;``.)

The functions take the library's records (Hit, Answer, TownsAnswer,
Comparison) and a ``context_of(source) -> list[Chunk]`` callable, so that they
can be tested without an index or Gradio.
"""

from __future__ import annotations

import html
import re
from typing import Callable, Iterable, Sequence

from .schema import Chunk, Hit

ContextOf = Callable[[str], Sequence[Chunk]]

_REF = re.compile(r"\[(\d{1,3})\]")
_ASCII_WORD = re.compile(r"[A-Za-z0-9]+")
CONTEXT_AROUND = 2  # clauses shown before and after a hit in its document

STRENGTH = {"strong": ("明确处理", "gs-strong"), "weak": ("仅提及", "gs-weak")}


def escape(text: object) -> str:
    """``text`` as HTML text (quotes escaped too, so it is safe in attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


# ---- terms and highlighting ------------------------------------------------
def query_terms(query: str, tokenizer=None, exclude: Sequence[str] = ()) -> list[str]:
    """The words of ``query`` worth highlighting, longest first.

    With the index's tokenizer (``index.lexical.tokenizer``) Chinese is cut
    into words the way the index cuts it; without one, whitespace-separated
    words are used. Single characters and short ASCII words are dropped: they
    would light up every line. Strings in ``exclude`` (the towns a question
    names, say) are not highlighted.
    """
    from .query import fold

    q = fold(query or "")
    for x in sorted(exclude, key=len, reverse=True):
        if x:
            q = q.replace(x, " ")
    words: Iterable[str] = tokenizer.tokens(q) if tokenizer is not None else q.split()
    out = []
    for w in words:
        w = w.strip()
        if len(w) < 2 or (w.isascii() and len(w) < 3):
            continue
        if w.lower() not in (x.lower() for x in out):
            out.append(w)
    return sorted(out, key=lambda t: (-len(t), t))


def _term_pattern(terms: Sequence[str]) -> re.Pattern[str] | None:
    terms = [t for t in terms if t]
    if not terms:
        return None
    alts = []
    for t in sorted(set(terms), key=len, reverse=True):
        p = re.escape(t)
        if _ASCII_WORD.fullmatch(t):
            p = rf"(?<![A-Za-z0-9]){p}(?![A-Za-z0-9])"
        alts.append(p)
    return re.compile("|".join(alts), re.IGNORECASE)


def highlight(text: str, terms: Sequence[str]) -> str:
    """``text`` escaped, with each occurrence of a term wrapped in ``<mark>``."""
    text = text or ""
    pat = _term_pattern(terms)
    if pat is None:
        return escape(text)
    out, pos = [], 0
    for m in pat.finditer(text):
        if m.start() == m.end():
            continue
        out.append(escape(text[pos : m.start()]))
        out.append(f"<mark>{escape(m.group(0))}</mark>")
        pos = m.end()
    out.append(escape(text[pos:]))
    return "".join(out)


def _with_refs(text: str, terms: Sequence[str]) -> str:
    """Highlighted text whose ``[n]`` citation numbers become links to the citations."""
    out, pos = [], 0
    for m in _REF.finditer(text):
        out.append(highlight(text[pos : m.start()], terms))
        n = int(m.group(1))
        out.append(f'<a class="gs-ref" href="#gs-cite-{n}">[{n}]</a>')
        pos = m.end()
    out.append(highlight(text[pos:], terms))
    return "".join(out)


# ---- one hit ----------------------------------------------------------------
def clause_path(chunk: Chunk) -> str:
    return " ".join(chunk.clause) if chunk.clause else "（无编号）"


def hit_html(
    hit: Hit,
    n: int,
    terms: Sequence[str] = (),
    context_of: ContextOf | None = None,
    anchor: str | None = None,
) -> str:
    """One hit: town, date, title, clause path, the highlighted clause, and a
    fold-out with the clause in its document."""
    c = hit.chunk
    meta = [
        f'<span class="gs-town">{escape(c.town or "（未知镇街）")}</span>',
        f'<span class="gs-date">{escape(c.date or "日期不详")}</span>',
        f'<span class="gs-title">《{escape(c.title)}》</span>' if c.title else f'<span class="gs-title">{escape(c.source)}</span>',
    ]
    if c.doc_type:
        meta.append(f'<span class="gs-type">{escape(c.doc_type)}</span>')
    if c.page:
        meta.append(f'<span class="gs-page">第{int(c.page)}页</span>')
    heading = ""
    if c.heading:
        heading = '<div class="gs-heading">' + " › ".join(escape(h) for h in c.heading) + "</div>"
    also = ""
    if hit.also_in:
        also = '<div class="gs-also">同一条款也见于：' + "、".join(escape(s) for s in hit.also_in) + "</div>"
    ctx = ""
    if context_of is not None:
        ctx = (
            '<details class="gs-context"><summary>在原文中查看（上下文）</summary>'
            + context_html(hit, context_of(c.source), terms)
            + "</details>"
        )
    aid = f' id="{escape(anchor)}"' if anchor else ""
    return (
        f'<div class="gs-hit"{aid}>'
        f'<div class="gs-meta"><span class="gs-n">[{int(n)}]</span> {" · ".join(meta)}</div>'
        f'<div class="gs-clause">{escape(clause_path(c))}</div>'
        f"{heading}"
        f'<div class="gs-text">{highlight(c.text, terms)}</div>'
        f'<div class="gs-cite">{escape(c.source)}:{int(c.start)}-{int(c.end)} · 得分 {hit.score:.3f}</div>'
        f"{also}{ctx}</div>"
    )


def context_html(hit: Hit, chunks: Sequence[Chunk], terms: Sequence[str] = (), around: int = CONTEXT_AROUND) -> str:
    """The clause among its neighbours in the document, under its heading chain."""
    c = hit.chunk
    chain = '<div class="gs-chain">' + escape(c.title or c.source)
    for h in c.heading:
        chain += f" › {escape(h)}"
    chain += "</div>"
    pos = next((i for i, x in enumerate(chunks) if x.id == c.id), None)
    if pos is None:
        pos = next((i for i, x in enumerate(chunks) if x.start <= c.start < x.end), None)
    if pos is None:
        return chain + '<div class="gs-ctx-item gs-current">' + highlight(c.text, terms) + "</div>"
    parts = [chain]
    if pos - around > 0:
        parts.append('<div class="gs-ctx-gap">…</div>')
    shown_heading = c.heading
    for x in chunks[max(0, pos - around) : pos + around + 1]:
        if x.heading != shown_heading and x.heading:
            parts.append(f'<div class="gs-ctx-heading">{escape(x.heading[-1])}</div>')
            shown_heading = x.heading
        cur = x.id == c.id or (x.start == c.start and x.end == c.end)
        body = highlight(x.text, terms) if cur else escape(x.text)
        parts.append(
            f'<div class="gs-ctx-item{" gs-current" if cur else ""}">'
            f'<span class="gs-ctx-path">{escape(clause_path(x))}</span> {body}</div>'
        )
    if pos + around + 1 < len(chunks):
        parts.append('<div class="gs-ctx-gap">…</div>')
    return "".join(parts)


# ---- results of each tab ------------------------------------------------------
def hits_html(hits: Sequence[Hit], terms: Sequence[str] = (), context_of: ContextOf | None = None,
              query: str = "") -> str:
    if not hits:
        return message_html(f"没有找到与“{query}”相关的条款。" if query else "没有找到相关条款。")
    head = f'<div class="gs-count">共 {len(hits)} 条结果</div>'
    return head + "".join(hit_html(h, i, terms, context_of) for i, h in enumerate(hits, 1))


def citations_html(hits: Sequence[Hit], terms: Sequence[str] = (), context_of: ContextOf | None = None,
                   label: str = "引用") -> str:
    if not hits:
        return ""
    return (
        f'<div class="gs-section">{escape(label)}</div>'
        + "".join(hit_html(h, i, terms, context_of, anchor=f"gs-cite-{i}") for i, h in enumerate(hits, 1))
    )


def answer_html(answer, terms: Sequence[str] = (), context_of: ContextOf | None = None) -> str:
    """An :class:`govsearch.answer.Answer`: the answer, then its numbered citations."""
    if answer.answer is None:
        body = '<div class="gs-answer gs-none">语料中没有找到能回答这个问题的条款。</div>'
        return body + citations_html(answer.citations, terms, context_of, "最接近的条款（不足以回答）")
    text = answer.answer
    if answer.kind == "compare" and text.lstrip().startswith("|"):
        inner = markdown_table_html(text, terms)
    else:
        inner = f"<p>{_with_refs(text, terms)}</p>"
    kind = {"number": "数字", "which_towns": "哪些镇", "compare": "对比", "how": "做法", "lookup": "查找"}.get(
        answer.kind, answer.kind
    )
    return (
        f'<div class="gs-answer"><div class="gs-kind">回答（{escape(kind)}）</div>{inner}</div>'
        + citations_html(answer.citations, terms, context_of)
    )


def markdown_table_html(markdown: str, terms: Sequence[str] = ()) -> str:
    """The pipe tables and plain lines of a Markdown answer, as escaped HTML."""
    rows: list[list[str]] = []
    out: list[str] = []

    def flush() -> None:
        if rows:
            head, *body = rows
            t = '<div class="gs-scroll"><table class="gs-table"><thead><tr>'
            t += "".join(f"<th>{_with_refs(c, terms)}</th>" for c in head) + "</tr></thead><tbody>"
            for r in body:
                t += "<tr>" + "".join(f"<td>{_with_refs(c, terms)}</td>" for c in r) + "</tr>"
            out.append(t + "</tbody></table></div>")
            rows.clear()

    for line in markdown.splitlines():
        s = line.strip()
        if s.startswith("|"):
            cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", s.strip("|"))]
            if all(re.fullmatch(r":?-{3,}:?", c) for c in cells if c) and any(cells):
                continue
            rows.append(cells)
            continue
        flush()
        if s:
            out.append(f"<p>{_with_refs(s, terms)}</p>")
    flush()
    return "".join(out)


def towns_html(result, terms: Sequence[str] = (), context_of: ContextOf | None = None) -> str:
    """A :class:`govsearch.towns.TownsAnswer`: each town, its strength, villages and clauses."""
    if not result.towns:
        return message_html(f"没有找到涉及“{result.topic}”的镇街。")
    parts = [f'<div class="gs-count">{len(result.towns)} 个镇街涉及“{escape(result.topic)}”</div>']
    for t in result.towns:
        label, cls = STRENGTH.get(t.strength, (t.strength, "gs-weak"))
        anon = '<span class="gs-note">（已匿名）</span>' if getattr(t, "anonymised", False) else ""
        vil = ""
        if t.villages:
            vil = '<div class="gs-villages">村（社区）：' + "".join(
                f'<span class="gs-chip">{escape(v)}</span>' for v in t.villages
            ) + "</div>"
        clauses = "".join(hit_html(h, i, terms, context_of) for i, h in enumerate(t.clauses, 1))
        parts.append(
            f'<div class="gs-townbox"><div class="gs-townhead"><span class="gs-townname">{escape(t.town)}</span>'
            f'<span class="gs-badge {cls}">{escape(label)}</span>{anon}</div>{vil}'
            f'<details class="gs-clauses" open><summary>{len(t.clauses)} 条依据</summary>{clauses}</details></div>'
        )
    return "".join(parts)


def comparison_html(cmp, terms: Sequence[str] = (), context_of: ContextOf | None = None) -> str:
    """A :class:`govsearch.compare.Comparison`: one column a town, then the citations."""
    names = list(cmp.towns)
    if not names:
        return message_html(f"没有可对比的内容：{cmp.topic}")
    cites: list[Hit] = []
    cols: dict[str, list[str]] = {}
    for t in names:
        cols[t] = []
        for m in cmp.towns[t]:
            cites.append(m.hit)
            n = len(cites)
            extra = [x for x in ("、".join(m.figures[:4]), "、".join(m.dates[:2])) if x]
            cell = highlight(m.lead, terms) + f' <a class="gs-ref" href="#gs-cite-{n}">[{n}]</a>'
            if extra:
                cell += f'<div class="gs-figs">{escape("；".join(extra))}</div>'
            cols[t].append(cell)
    rows = max((len(v) for v in cols.values()), default=0)
    t = '<div class="gs-scroll"><table class="gs-table gs-compare"><thead><tr>'
    t += "".join(f"<th>{escape(n)}</th>" for n in names) + "</tr></thead><tbody>"
    if rows == 0:
        t += "<tr>" + "".join("<td>（未找到相关条款）</td>" for _ in names) + "</tr>"
    for i in range(rows):
        t += "<tr>" + "".join(
            f"<td>{cols[n][i]}</td>" if i < len(cols[n]) else '<td class="gs-empty">—</td>' for n in names
        ) + "</tr>"
    t += "</tbody></table></div>"
    head = f'<div class="gs-count">“{escape(cmp.topic)}”：{"、".join(escape(n) for n in names)}</div>'
    return head + t + citations_html(cites, terms, context_of)


def message_html(text: str) -> str:
    return f'<div class="gs-message">{escape(text)}</div>'


def error_html(text: str) -> str:
    """An error for the page: one escaped line, never a traceback."""
    return f'<div class="gs-error" role="alert">出错：{escape(text)}</div>'


CSS = """
.gs-hit{border:1px solid var(--border-color-primary,#ddd);border-radius:8px;padding:10px 12px;margin:8px 0;
  background:var(--background-fill-primary,#fff);overflow-wrap:anywhere}
.gs-meta{font-size:.9em;color:var(--body-text-color-subdued,#555)}
.gs-n{font-weight:700;color:var(--color-accent,#c2410c)}
.gs-town{font-weight:700}
.gs-clause{font-family:var(--font-mono,monospace);font-size:.9em;margin-top:2px}
.gs-heading,.gs-chain{font-size:.85em;color:var(--body-text-color-subdued,#666);margin:2px 0}
.gs-text{margin-top:6px;line-height:1.7}
.gs-cite,.gs-also{font-size:.8em;color:var(--body-text-color-subdued,#777);margin-top:4px}
.gs-hit mark,.gs-answer mark,.gs-table mark{background:#fde68a;color:inherit;padding:0 1px;border-radius:2px}
.gs-context{margin-top:6px}
.gs-context summary,.gs-clauses summary{cursor:pointer;color:var(--link-text-color,#2563eb);font-size:.9em}
.gs-ctx-item{padding:4px 8px;margin:3px 0;border-left:3px solid transparent;line-height:1.6;font-size:.92em}
.gs-ctx-item.gs-current{border-left-color:#f59e0b;background:rgba(253,230,138,.25)}
.gs-ctx-path{font-family:var(--font-mono,monospace);color:var(--body-text-color-subdued,#666)}
.gs-ctx-heading{font-weight:700;font-size:.9em;margin-top:6px}
.gs-ctx-gap{color:#999;padding-left:8px}
.gs-answer{border:2px solid #f59e0b;border-radius:8px;padding:10px 12px;margin:6px 0;line-height:1.7;
  overflow-wrap:anywhere}
.gs-answer.gs-none{border-color:#9ca3af}
.gs-kind{font-size:.8em;color:#92400e;font-weight:700}
.gs-ref{font-size:.85em;font-weight:700;text-decoration:none;vertical-align:super}
.gs-section,.gs-count{font-weight:700;margin:10px 0 4px}
.gs-scroll{overflow-x:auto;max-width:100%}
.gs-table{border-collapse:collapse;width:100%;min-width:480px}
.gs-table th,.gs-table td{border:1px solid var(--border-color-primary,#ddd);padding:6px 8px;vertical-align:top;
  text-align:left;line-height:1.6}
.gs-table th{background:var(--background-fill-secondary,#f5f5f5)}
.gs-compare{table-layout:fixed}
.gs-figs{font-size:.85em;color:#92400e;margin-top:2px}
.gs-townbox{border:1px solid var(--border-color-primary,#ddd);border-radius:8px;padding:8px 12px;margin:10px 0}
.gs-townname{font-size:1.15em;font-weight:700;margin-right:8px}
.gs-badge{font-size:.8em;padding:1px 8px;border-radius:10px;color:#fff}
.gs-strong{background:#15803d}.gs-weak{background:#a16207}
.gs-chip{display:inline-block;border:1px solid #ccc;border-radius:10px;padding:0 8px;margin:2px 4px 2px 0;font-size:.85em}
.gs-villages{margin:4px 0}
.gs-error{border:1px solid #dc2626;background:#fef2f2;color:#991b1b;border-radius:8px;padding:8px 12px}
.gs-message{color:var(--body-text-color-subdued,#666);padding:8px 0}
.gs-status{font-size:.9em}
.gs-dot{display:inline-block;width:.6em;height:.6em;border-radius:50%;margin-right:.4em;vertical-align:middle}
.gs-ok{background:#16a34a}.gs-busy{background:#f59e0b;animation:gs-blink 1s infinite alternate}
@keyframes gs-blink{from{opacity:1}to{opacity:.3}}
body,.gradio-container{font-family:"Noto Sans CJK SC","Noto Sans SC","PingFang SC","Microsoft YaHei",sans-serif}
@media (max-width:640px){.gs-hit{padding:8px}.gs-table{min-width:0;font-size:.9em}}
"""
