"""The hybrid retriever as a LangChain ``BaseRetriever``, for use in other people's LangChain chains.

Usage::

    from rag.lc_retriever import ChipWarRetriever
    docs = ChipWarRetriever(k=4).invoke("SMIC 5nm yield")
    docs[0].metadata  # {"doc_id", "title", "source", "date", "chunk_id", "start", "end", "score", ...}
"""

from __future__ import annotations

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document as LCDocument
from langchain_core.retrievers import BaseRetriever


class ChipWarRetriever(BaseRetriever):
    """Dense + BM25 retrieval over a ``rag`` index, fused; returns LangChain documents with citation metadata."""

    k: int = 5
    index_dir: str | None = None

    def _get_relevant_documents(self, query: str, *, run_manager: CallbackManagerForRetrieverRun) -> list[LCDocument]:
        from rag.api import search

        return [
            LCDocument(
                page_content=r.text,
                metadata={"doc_id": r.doc_id, "title": r.title, "source": r.source, "date": r.chunk.date,
                          "chunk_id": r.chunk.id, "start": r.chunk.start, "end": r.chunk.end, "score": r.score,
                          "dense_score": r.dense_score, "bm25_score": r.bm25_score, "rank": r.rank},
            )
            for r in search(query, k=self.k, index_dir=self.index_dir)
        ]
