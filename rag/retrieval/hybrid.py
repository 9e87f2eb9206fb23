"""Retrieval: dense (the vector store: FAISS or Milvus) and sparse (BM25) candidates fused with weighted reciprocal-rank fusion.

Near-duplicate passages (cosine >= ``DUPLICATE_COSINE`` to a better-ranked one, e.g. the same paragraph syndicated
in two articles) are collapsed so that the ``k`` passages returned say ``k`` different things.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from rag.core import defaults
from rag.core.config import Settings
from rag.core.errors import ConfigError
from rag.core.protocols import Embedder
from rag.core.types import RetrievedChunk
from rag.encoders.registry import embedder_for_key
from rag.index.snapshot import IndexSnapshot

DUPLICATE_COSINE = 0.97


@dataclass(frozen=True)
class FusionSettings:
    """How the two retrievers are combined; ``dense_weight=0`` gives BM25 alone, ``bm25_weight=0`` dense alone."""

    candidates: int = defaults.CANDIDATES
    rrf_k: int = defaults.RRF_K
    dense_weight: float = defaults.DENSE_WEIGHT
    bm25_weight: float = defaults.BM25_WEIGHT

    def __post_init__(self) -> None:
        defaults.check_fusion(self.candidates, self.rrf_k, self.dense_weight, self.bm25_weight)


def fusion_from(settings: Settings) -> FusionSettings:
    """The fusion part of :class:`rag.core.config.Settings`."""
    return FusionSettings(settings.candidates, settings.rrf_k, settings.dense_weight, settings.bm25_weight)


def rrf(dense_ids: list[int], bm25_ids: list[int], fusion: FusionSettings) -> dict[int, float]:
    """Weighted reciprocal-rank fusion of two ranked id lists: ``sum(weight / (rrf_k + rank))``."""
    fused: dict[int, float] = {}
    for weight, ids in ((fusion.dense_weight, dense_ids), (fusion.bm25_weight, bm25_ids)):
        for rank, i in enumerate(ids, 1):
            fused[i] = fused.get(i, 0.0) + weight / (fusion.rrf_k + rank)
    return fused


def query_vector(snapshot: IndexSnapshot, text: str, embedder: Embedder | None = None) -> np.ndarray:
    """Embed ``text`` with the same model and precision that built the snapshot."""
    embedder = embedder or embedder_for_key(snapshot.embedder_key)
    return embedder.encode([text])[0]


def hybrid_search(
    snapshot: IndexSnapshot,
    query: str,
    k: int = 5,
    fusion: FusionSettings | None = None,
    qvec: np.ndarray | None = None,
    collapse: bool = True,
) -> list[RetrievedChunk]:
    """Best ``k`` passages for ``query`` from one consistent snapshot."""
    fusion = fusion or FusionSettings()
    if k < 1:
        raise ConfigError(f"k must be at least 1, got {k}")
    n = len(snapshot.chunks)
    if n == 0 or not query.strip():
        return []
    depth = min(max(fusion.candidates, k * 3), n)
    dense_scores: dict[int, float] = {}
    bm25_scores: dict[int, float] = {}
    if fusion.dense_weight > 0:
        qvec = query_vector(snapshot, query) if qvec is None else qvec
        chunk_ids, scores = snapshot.dense.search(qvec, depth)
        # a store may hold rows this snapshot does not know (Milvus, between a switch and its cleanup): skip them
        rows = (snapshot.chunk_index(c) for c in chunk_ids)
        dense_scores = {i: s for i, s in zip(rows, scores.tolist()) if i is not None}
    if fusion.bm25_weight > 0:
        ids, scores = snapshot.bm25.search(query, depth)
        bm25_scores = dict(zip(ids.tolist(), scores.tolist()))
    fused = rrf(list(dense_scores), list(bm25_scores), fusion)
    order = sorted(fused, key=lambda i: (-fused[i], i))
    kept: list[int] = []
    for i in order:
        if collapse and kept:
            sims = snapshot.vectors[kept] @ snapshot.vectors[i]
            if float(sims.max()) >= DUPLICATE_COSINE:
                continue
        kept.append(i)
        if len(kept) == k:
            break
    return [
        RetrievedChunk(snapshot.chunks[i], fused[i], dense_scores.get(i), bm25_scores.get(i), rank)
        for rank, i in enumerate(kept, 1)
    ]
