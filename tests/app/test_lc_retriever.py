"""The LangChain retriever: LangChain's own standard retriever tests (langchain-tests), sync and async, on the real
index, plus what they do not cover: the old name still works and the citation metadata is there."""

from typing import Any

import pytest
from langchain_core.documents import Document
from langchain_tests.integration_tests import RetrieversIntegrationTests

from rag.app.lc_retriever import ChipWarRetriever, RagRetriever


class TestRagRetrieverStandard(RetrieversIntegrationTests):
    @pytest.fixture(autouse=True)
    def _real_index(self, real_index) -> None:
        self.index_dir = str(real_index)

    @property
    def retriever_constructor(self) -> type[RagRetriever]:
        return RagRetriever

    @property
    def retriever_constructor_params(self) -> dict[str, Any]:
        return {"index_dir": self.index_dir}

    @property
    def retriever_query_example(self) -> str:
        return "Which node did SMIC reach without EUV lithography?"


def test_old_name_and_citation_metadata(real_index):
    assert ChipWarRetriever is RagRetriever
    docs = ChipWarRetriever(k=4, index_dir=str(real_index)).invoke("EUV prototype Shenzhen")
    assert len(docs) == 4 and all(isinstance(d, Document) for d in docs)
    meta = docs[0].metadata
    assert meta["rank"] == 1 and meta["start"] < meta["end"] and meta["source"].endswith(".md")
    # per-call k wins over the constructor's k, and the default is the configured k (6)
    assert len(RagRetriever(k=4, index_dir=str(real_index)).invoke("EUV prototype Shenzhen", k=2)) == 2
    assert len(RagRetriever(index_dir=str(real_index)).invoke("EUV prototype Shenzhen")) == 6
