"""The hybrid retriever as a LangChain ``BaseRetriever``, for use in other people's LangChain chains.

Usage::

    from rag.app.lc_retriever import RagRetriever
    docs = RagRetriever(k=4).invoke("SMIC 5nm yield")
    docs = RagRetriever().invoke("SMIC 5nm yield", k=2)  # per-call k
    docs[0].metadata  # {"doc_id", "title", "source", "date", "chunk_id", "start", "end", "score", ...}

It passes langchain-tests' standard ``RetrieversIntegrationTests`` (tests/app/test_lc_retriever.py).
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever


class RagRetriever(BaseRetriever):
    """Dense + BM25 retrieval over a ``rag`` index, fused; returns LangChain documents with citation metadata.

    :param k: passages per query; ``None`` uses the configured ``k`` (default 6). ``invoke(query, k=3)`` overrides
        it for one call.
    :param index_dir: ``None`` uses the configured index folder.
    """

    k: int | None = None
    index_dir: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun,
                                k: int | None = None) -> list[LCDocument]:
        from rag.app.api import search

        return [
            LCDocument(
                page_content=r.text,
                metadata={"doc_id": r.doc_id, "title": r.title, "source": r.source, "date": r.chunk.date,
                          "chunk_id": r.chunk.id, "start": r.chunk.start, "end": r.chunk.end, "score": r.score,
                          "dense_score": r.dense_score, "bm25_score": r.bm25_score, "rank": r.rank},
            )
            for r in search(query, k=self.k if k is None else k, index_dir=self.index_dir)
        ]


ChipWarRetriever = RagRetriever
"""The earlier, corpus-specific name; kept so that existing code keeps working."""
