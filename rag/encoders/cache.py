"""The sentence-vector cache: an LRU of sentence vectors shared by the answerer, the verifier and anchor resolution,
started with the vectors the build stored in the snapshot (:func:`vector_cache`)."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from rag.core.defaults import VECTOR_CACHE_SIZE
from rag.core.protocols import Embedder, SnapshotView
from rag.encoders.registry import embedder_for_key


class VectorCache:
    """LRU cache of sentence vectors keyed by text, shared by the answerer and the verifier (thread-safe)."""

    def __init__(self, embedder: Embedder, size: int = VECTOR_CACHE_SIZE):
        self.embedder, self.size = embedder, size
        self.data: OrderedDict[str, np.ndarray] = OrderedDict()
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


def vector_cache(snapshot: SnapshotView) -> VectorCache:
    """The sentence-vector cache for the embedder that built ``snapshot`` (an :class:`rag.index.snapshot.IndexSnapshot`),
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
