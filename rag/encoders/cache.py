"""The sentence-vector cache shared by the answerer, the verifier and anchor resolution: for one snapshot
(:func:`vector_cache`), the vectors its build stored first (:class:`rag.index.cache_texts.StoredVectors`), then an
LRU of the texts embedded since (questions, and the texts of indexes that stored none)."""

from __future__ import annotations

import threading
from collections import OrderedDict

import numpy as np

from rag.core.defaults import VECTOR_CACHE_SIZE
from rag.core.protocols import Embedder, SnapshotView, TextVectors
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


class SnapshotVectors:
    """The embed function of one snapshot: the vectors its build stored, else the shared :class:`VectorCache` (which
    embeds what it has not seen). Stored vectors never enter the LRU, so a corpus of any size keeps all of them."""

    def __init__(self, cache: VectorCache, stored: TextVectors):
        self.cache, self.stored = cache, stored

    @property
    def embedder(self) -> Embedder:
        return self.cache.embedder

    @property
    def size(self) -> int:
        return self.cache.size

    @property
    def data(self) -> OrderedDict[str, np.ndarray]:
        """The LRU's entries (the texts embedded since the process started)."""
        return self.cache.data

    def clear(self) -> None:
        """Empty the LRU (the stored vectors stay)."""
        self.cache.clear()

    def __contains__(self, text: object) -> bool:
        return text in self.stored or text in self.cache.data

    def __call__(self, texts: list[str]) -> np.ndarray:
        found, vectors = self.stored.lookup(texts)
        if found.all():
            return vectors if len(texts) else np.zeros((0, self.embedder.dim), np.float32)
        out = np.empty((len(texts), self.embedder.dim), dtype=np.float32)
        out[found] = vectors
        out[~found] = self.cache([t for t, f in zip(texts, found) if not f])
        return out


_vector_caches: dict[str, VectorCache] = {}
_views: OrderedDict[str, SnapshotVectors] = OrderedDict()
_views_lock = threading.Lock()
KEPT_SNAPSHOTS = 4
"""Snapshots whose stored vectors stay open (a server swaps in a new one after each rebuild)."""


def vector_cache(snapshot: SnapshotView) -> SnapshotVectors:
    """The embed function for ``snapshot`` (an :class:`rag.index.snapshot.IndexSnapshot`): the sentence and word
    vectors its build stored, then the LRU shared by every snapshot of the same embedder."""
    path = str(snapshot.path)
    with _views_lock:
        view = _views.get(path)
        if view is not None:
            _views.move_to_end(path)
            return view
    key = snapshot.embedder_key
    cache = _vector_caches.get(key)
    if cache is None:
        cache = _vector_caches.setdefault(key, VectorCache(embedder_for_key(key)))
    stored = snapshot.text_vectors()
    with _views_lock:
        view = _views.setdefault(path, SnapshotVectors(cache, stored))
        while len(_views) > KEPT_SNAPSHOTS:
            _views.popitem(last=False)
    return view
