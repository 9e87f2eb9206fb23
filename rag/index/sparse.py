"""Sparse retrieval: a BM25 index over chunk texts with bm25s, stored as plain .npy/.json files (no pickle)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np

from rag.core.imports import blocked_imports
from rag.text.words import BM25_SPLITTER, bm25_stopwords, bm25_words, stemmer


class BM25Index:
    """BM25 (Lucene variant) over a list of texts.

    :param k1: term-frequency saturation.
    :param b: length normalisation.
    """

    def __init__(self, k1: float = 0.9, b: float = 0.4):
        with blocked_imports("numba", "scipy"):  # bm25s's optional backends; we use its numpy code only
            import bm25s

        self.k1, self.b = k1, b
        self.tokenizer = bm25s.tokenization.Tokenizer(splitter=BM25_SPLITTER, stopwords=bm25_stopwords(),
                                                      stemmer=stemmer())
        self.model = bm25s.BM25(k1=k1, b=b)
        self._stopwords = frozenset(self.tokenizer.stopwords)
        self.size = 0

    @property
    def params(self) -> dict:
        return {"k1": self.k1, "b": self.b, "stemmer": "snowball-english" if stemmer() else None, "splitter": BM25_SPLITTER}

    def index(self, texts: list[str]) -> BM25Index:
        tokens = self.tokenizer.tokenize(texts, show_progress=False, return_as="tuple")
        self.model.index(tokens, show_progress=False)
        self.size = len(texts)
        return self

    def query_terms(self, query: str) -> list[str]:
        """The query as the index sees it: lower-cased words (:func:`rag.text.words.bm25_words`), stopwords removed,
        stemmed."""
        words = [w for w in bm25_words(query) if w not in self._stopwords]
        stem = self.tokenizer.stemmer
        return [stem(w) for w in words] if stem else words

    def document_frequency(self, term: str) -> int:
        """How many indexed texts hold ``term`` (a term as :meth:`query_terms` returns it)."""
        tid = self.model.vocab_dict.get(term)
        if tid is None:
            return 0
        df = self._df()
        return int(df[tid]) if tid < len(df) else 0

    def idf(self, term: str) -> float:
        """BM25 inverse document frequency of ``term`` (Lucene variant, never negative)."""
        return self.idf_for(self.document_frequency(term))

    def idf_for(self, df: int) -> float:
        """The idf of a term held by ``df`` indexed texts (``idf_for(1)``: the rarest indexed term's)."""
        n = max(1, self.size)
        return math.log(1 + (n - df + 0.5) / (df + 0.5))

    def _df(self) -> np.ndarray:
        # the score matrix is CSC over terms: column lengths are document frequencies (computed once)
        if getattr(self, "_df_cache", None) is None:
            self._df_cache = np.diff(np.asarray(self.model.scores["indptr"]))
        return self._df_cache

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices and scores of the best ``k`` texts (fewer when fewer have any query term)."""
        scores = self.scores(query)
        k = min(k, len(scores))
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        top = top[scores[top] > 0]
        return top.astype(np.int64), scores[top].astype(np.float32)

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every indexed text for ``query``."""
        if self.size == 0:
            return np.zeros(0, dtype=np.float32)
        ids = self.model.get_tokens_ids([t for t in self.query_terms(query) if t])
        if not ids:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self.model.get_scores_from_ids(ids), dtype=np.float32)

    def save(self, directory: str | Path) -> None:
        directory = Path(directory)
        self.model.save(str(directory), show_progress=False)
        (directory / "params.json").write_text(json.dumps({**self.params, "size": self.size}))

    @classmethod
    def load(cls, directory: str | Path) -> BM25Index:
        with blocked_imports("numba", "scipy"):
            import bm25s

        directory = Path(directory)
        params = json.loads((directory / "params.json").read_text())
        self = cls(k1=params["k1"], b=params["b"])
        self.model = bm25s.BM25.load(str(directory), mmap=False, allow_pickle=False, show_progress=False)
        self.size = int(params["size"])
        return self
