"""Retrieval quality on the real corpus with the real model: the answering article is in the top 5."""

import pytest

from rag.app.api import search
from rag.app.evaluate import load_qa
from rag.core.errors import ConfigError
from tests.helpers import QA


def test_right_article_in_top5_for_90_percent(real_index):
    questions = [q for q in load_qa(QA) if q.answerable and not q.history]
    assert len(questions) >= 25
    hits = [any(r.doc_id in q.doc_ids for r in search(q.question, k=5, index_dir=real_index)) for q in questions]
    rate = sum(hits) / len(hits)
    print(f"hit@5 = {rate:.3f} over {len(hits)} questions")
    assert rate >= 0.9


def test_results_are_fused_ranked_and_distinct(real_index):
    results = search("SMIC 5nm without EUV", k=5, index_dir=real_index)
    assert [r.rank for r in results] == [1, 2, 3, 4, 5]
    assert all(a.score >= b.score for a, b in zip(results, results[1:]))
    assert len({r.chunk.id for r in results}) == 5
    assert any(r.dense_score is not None and r.bm25_score is not None for r in results)


@pytest.mark.parametrize("query, k, message", [("", 5, "empty"), ("  \n\t", 5, "empty"), ("chips", 0, "k must be"),
                                               ("chips", 51, "k must be"), ("chips", "3", "k must be")])
def test_bad_search_input(real_index, query, k, message):
    with pytest.raises(ConfigError, match=message):
        search(query, k=k, index_dir=real_index)
