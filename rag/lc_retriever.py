"""``rag.lc_retriever.RagRetriever``: the documented import path of the LangChain retriever (:mod:`rag.app.lc_retriever`)."""

from rag.app.lc_retriever import ChipWarRetriever, RagRetriever

__all__ = ["RagRetriever", "ChipWarRetriever"]
