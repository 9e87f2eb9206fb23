"""Retrieval: dense and BM25 candidates fused with weighted reciprocal-rank fusion (hybrid)."""
