"""Dense vector search with FAISS: exact inner product up to a size threshold, HNSW (approximate) beyond it.

Vectors are unit length, so inner product is cosine similarity. The kind chosen is recorded in the manifest.
"""

from __future__ import annotations

from pathlib import Path

from typing import Any

import numpy as np

EXACT_LIMIT = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 256  # recall@10 0.981 at 1M vectors, p95 1.3 ms (bench/run.py --vectors); 96 gave 0.93


def choose_kind(n: int, exact_limit: int = EXACT_LIMIT) -> str:
    """``"flat"`` (exact) for up to ``exact_limit`` vectors, ``"hnsw"`` beyond."""
    return "flat" if n <= exact_limit else "hnsw"


class DenseIndex:
    """A FAISS index over unit vectors.

    :param kind: ``"flat"``, ``"hnsw"`` or ``"auto"`` (see :func:`choose_kind`).
    """

    def __init__(self, vectors: np.ndarray, kind: str = "auto", exact_limit: int = EXACT_LIMIT):
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape if vectors.ndim == 2 else (0, 0)
        self.kind = choose_kind(n, exact_limit) if kind == "auto" else kind
        self.index: Any
        if self.kind == "flat":
            self.index = faiss.IndexFlatIP(dim or 1)
        elif self.kind == "hnsw":
            self.index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            self.index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            self.index.hnsw.efSearch = HNSW_EF_SEARCH
        else:
            raise ValueError(f"unknown dense index kind {kind!r}; use flat, hnsw or auto")
        if n:
            self.index.add(vectors)

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Indices and cosine scores of the ``k`` nearest vectors to one query vector."""
        k = min(k, self.size)
        if k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        import faiss

        # One query on one OpenMP thread: FAISS otherwise splits a flat scan across all cores, and on a busy 2-core
        # machine the threads wait for each other (12k vectors: 23 ms p50 on 2 threads, 0.4 ms on one; this was
        # most of the 85/572 ms search p50/p95 at 40k chunks). The setting is per calling thread; restored after.
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            scores, ids = self.index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
        finally:
            faiss.omp_set_num_threads(threads)
        keep = ids[0] >= 0
        return ids[0][keep].astype(np.int64), scores[0][keep]

    def save(self, path: str | Path) -> None:
        import faiss

        faiss.write_index(self.index, str(path))

    @classmethod
    def load(cls, path: str | Path) -> DenseIndex:
        """Read a FAISS index file (FAISS's own binary format; no code is executed)."""
        import faiss

        self = cls.__new__(cls)
        self.index = faiss.read_index(str(path))
        self.kind = "hnsw" if isinstance(self.index, faiss.IndexHNSW) else "flat"
        if self.kind == "hnsw":
            self.index.hnsw.efSearch = HNSW_EF_SEARCH
        return self
