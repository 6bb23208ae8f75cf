"""Side by side: what each town did on a topic, with figures, dates and citations.

For each town, its clauses on the topic (the 一是/二是 points are clauses of
their own), each shortened to its lead sentence.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .errors import QueryError
from .parse import strip_marker
from .evidence import dates, figures, lead_sentence
from .schema import Hit
from .towns import clause_strength
from .evidence import key_terms

if TYPE_CHECKING:
    from .index import Index

PER_TOWN = 5
DEPTH = 15


@dataclass(frozen=True)
class Measure:
    """One point a town made on the topic."""

    town: str
    lead: str
    figures: tuple[str, ...]
    dates: tuple[str, ...]
    hit: Hit

    def to_dict(self) -> dict[str, Any]:
        return {
            "town": self.town,
            "measure": self.lead,
            "figures": list(self.figures),
            "dates": list(self.dates),
            "citation": self.hit.citation,
        }


@dataclass(frozen=True)
class Comparison:
    topic: str
    towns: dict[str, tuple[Measure, ...]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "towns": {t: [m.hit.to_dict() | {"measure": m.lead, "figures": list(m.figures), "dates": list(m.dates)}
                          for m in ms] for t, ms in self.towns.items()},
            "markdown": self.markdown(),
        }

    def markdown(self) -> str:
        """A Markdown table, one column a town, one row a measure, citations below."""
        names = list(self.towns)
        if not names:
            return f"没有可对比的内容：{self.topic}"
        cites: list[Hit] = []
        cells: dict[str, list[str]] = {}
        for t in names:
            cells[t] = []
            for m in self.towns[t]:
                cites.append(m.hit)
                extra = "；".join(x for x in ("、".join(m.figures[:4]), "、".join(m.dates[:2])) if x)
                cell = f"{m.lead} [{len(cites)}]" + (f"（{extra}）" if extra else "")
                cells[t].append(_md_cell(cell))
        rows = max((len(v) for v in cells.values()), default=0)
        out = [f"| {' | '.join(_md_cell(n) for n in names)} |", "|" + "---|" * len(names)]
        for i in range(rows):
            out.append("| " + " | ".join(cells[t][i] if i < len(cells[t]) else "—" for t in names) + " |")
        if rows == 0:
            out.append("| " + " | ".join("（未找到相关条款）" for _ in names) + " |")
        out.append("")
        out += [f"[{i}] {_md_cell(h.citation)}" for i, h in enumerate(cites, 1)]
        return "\n".join(out)

    def text(self) -> str:
        """Readable in a terminal: each town, its measures with figures, and citations."""
        lines = [f"对比：{self.topic}"]
        n = 0
        for town, measures in self.towns.items():
            lines.append(f"\n{town}")
            if not measures:
                lines.append("  （未找到相关条款）")
            for m in measures:
                n += 1
                extra = "、".join(m.figures[:4] + m.dates[:2])
                lines.append(f"  [{n}] {m.lead}" + (f"  〔{extra}〕" if extra else ""))
                lines.append(f"      {m.hit.citation}")
        return "\n".join(lines)

    def to_dataframe(self):
        """The measures as a pandas DataFrame (one row a measure)."""
        import pandas as pd

        return pd.DataFrame([m.to_dict() for ms in self.towns.values() for m in ms])


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def compare_towns(index: "Index", topic: str, towns: list[str], per_town: int = PER_TOWN) -> Comparison:
    """Each town's measures on ``topic``, side by side."""
    names = [t.strip() for t in towns if t and t.strip()]
    if len(names) < 1:
        raise QueryError("name at least one town to compare (e.g. 三乡镇 and 民众街道)")
    resolved = [_resolve(index, n) for n in names]
    terms = key_terms(index.lexical.tokenizer, topic, index.town_names)
    qv = index.embedder.embed_query(topic)
    out: dict[str, tuple[Measure, ...]] = {}
    for town in resolved:
        hits = index.search(topic, k=DEPTH, town=town)
        pvs = index.passage_vectors(hits) if hits else []
        kept = []
        for h, pv in zip(hits, pvs):
            strength, score = clause_strength(h, terms, qv, pv)
            if strength:
                kept.append((strength != "strong", -score, h))
        kept.sort(key=lambda x: (x[0], x[1]))
        chosen = sorted((h for _, _, h in kept[:per_town]), key=lambda h: (h.chunk.source, h.chunk.start))
        out[town] = tuple(_measure(town, h) for h in chosen)
    return Comparison(topic, out)


def _measure(town: str, hit: Hit) -> Measure:
    body = strip_marker(hit.chunk.text)  # the marker's number is not a figure
    return Measure(town, lead_sentence(hit.chunk.text), tuple(figures(body)), tuple(dates(body)), hit)


def _resolve(index: "Index", name: str) -> str:
    """The town in the index that ``name`` names (三乡 → 三乡镇)."""
    towns = index.town_names
    if name in towns:
        return name
    matches = [t for t in towns if t.startswith(name) or name.startswith(t.rstrip("镇街道乡"))]
    if len(matches) == 1:
        return matches[0]
    raise QueryError(f"unknown town {name!r}; the index holds: {', '.join(towns) or '(none)'}")
