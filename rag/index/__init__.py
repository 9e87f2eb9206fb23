"""The index: incremental builds with an atomic swap (build), snapshots on disk (snapshot, snapshot_write), BM25
(sparse), FAISS (vectors), the vector stores (stores/) and the texts embedded for the answerer's cache (cache_texts)."""
