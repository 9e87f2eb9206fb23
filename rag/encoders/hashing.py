"""The ``hash`` embedder: deterministic bag-of-words vectors for fast plumbing tests (no model, no quality)."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np

from rag.text.words import hash_words, rough_token_count


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
        return rough_token_count(text)

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            for word in hash_words(text):
                out[i] += self._word(word, self.dim)
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else self._word("\x00empty", self.dim) / np.linalg.norm(self._word("\x00empty", self.dim))
        if progress:
            progress(len(texts))
        return out


def create(precision: str = "fp32") -> HashEmbedder:
    """The registry's factory (:data:`rag.core.registry.EMBEDDERS`): one numeric path, whatever the precision."""
    return HashEmbedder()
