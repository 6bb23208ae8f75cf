"""Which towns address a topic, each with its supporting clauses and a strength.

strong: a clause is about the topic (its heading or first sentence carries the
topic's words, or the model finds it very close); weak: a clause only
mentions it. A town with neither is not listed. Villages named in the
supporting clauses are listed under their town.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .evidence import bearing, crosslingual, key_terms, relevance, villages
from .schema import Hit

if TYPE_CHECKING:
    from .index import Index

DEPTH = 40
MAX_CLAUSES = 5


@dataclass(frozen=True)
class TownEvidence:
    """One town's answer to "does it address the topic?"."""

    town: str
    strength: str  # "strong" or "weak"
    score: float
    anonymised: bool = False
    villages: tuple[str, ...] = ()
    clauses: tuple[Hit, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "town": self.town,
            "strength": self.strength,
            "score": round(self.score, 4),
            "anonymised": self.anonymised,
            "villages": list(self.villages),
            "clauses": [h.to_dict() for h in self.clauses],
        }


@dataclass(frozen=True)
class TownsAnswer:
    topic: str
    towns: tuple[TownEvidence, ...] = field(default=())

    def to_dict(self) -> dict[str, Any]:
        return {"topic": self.topic, "towns": [t.to_dict() for t in self.towns]}

    @property
    def names(self) -> list[str]:
        return [t.town for t in self.towns]

    def text(self) -> str:
        """Readable lines: town, strength, villages, then its clauses."""
        if not self.towns:
            return f"没有找到涉及“{self.topic}”的镇街。"
        lines = []
        for t in self.towns:
            v = f"（{'、'.join(t.villages)}）" if t.villages else ""
            lines.append(f"{t.town} [{t.strength}]{v}")
            lines += [f"    {h.citation}\n      {h.chunk.text[:120]}" for h in t.clauses]
        return "\n".join(lines)


def clause_strength(hit: Hit, terms: list[str], qv, pv) -> tuple[str | None, float]:
    """("strong" | "weak" | None, score) for one clause (see :func:`govsearch.evidence.bearing`)."""
    r = relevance(hit, terms, qv, pv)
    return bearing(r, crosslingual(terms)), r.similarity + 0.1 * r.coverage + 0.05 * r.lead_coverage


def find_towns(index: "Index", topic: str, *, date_from: str | None = None, date_to: str | None = None,
               doc_type: str | None = None) -> TownsAnswer:
    """The towns whose documents address ``topic``, strongest first."""
    hits = index.search(topic, k=DEPTH, date_from=date_from, date_to=date_to, doc_type=doc_type)
    terms = key_terms(index.lexical.tokenizer, topic, index.town_names)
    qv = index.embedder.embed_query(topic)
    pvs = index.passage_vectors(hits) if hits else None
    per_town: dict[str, list[tuple[str, float, Hit]]] = {}
    for i, hit in enumerate(hits):
        if not hit.chunk.town:
            continue
        strength, score = clause_strength(hit, terms, qv, pvs[i] if pvs is not None else None)
        if strength:
            per_town.setdefault(hit.chunk.town, []).append((strength, score, hit))
    out = []
    for town, items in per_town.items():
        items.sort(key=lambda x: (x[0] != "strong", -x[1]))
        best = items[0]
        clauses = tuple(h for _, _, h in items[:MAX_CLAUSES])
        names: list[str] = []
        for h in clauses:
            names += [v for v in villages(h.chunk.text) if v not in names]
        out.append(
            TownEvidence(
                town,
                best[0],
                best[1],
                anonymised=is_anonymised(town),
                villages=tuple(names),
                clauses=clauses,
            )
        )
    out.sort(key=lambda t: (t.strength != "strong", -t.score))
    return TownsAnswer(topic, tuple(out))


def is_anonymised(town: str) -> bool:
    """Is this an anonymised town name (XX乡镇, *镇)?"""
    return town.startswith(("X", "x", "*", "＊", "某")) or "XX" in town or "*" in town
