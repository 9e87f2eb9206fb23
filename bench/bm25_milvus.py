"""Which BM25 beside Milvus: bm25s (today's, in the snapshot) or Milvus' own full-text search (a BM25 function
on a sparse field)? Measured on a BEIR dataset (SciFact) with the product's chunker, embedder and fusion.

Prints nDCG@10 etc. for: today's stack (FAISS + bm25s), Milvus dense + bm25s (what ``store = "milvus"`` runs),
and Milvus dense + Milvus BM25 (Milvus Lite's engine; analyzer: standard tokenizer, lowercase, English stop
words and Snowball stemmer, k1/b as bm25s). Usage::

    nice -n 5 python bench/bm25_milvus.py --beir ../shared/bench-data/scifact [--max-queries 100]
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--beir", required=True)
    ap.add_argument("--max-queries", type=int, default=None)
    ap.add_argument("--cache", default=".cache/beir")
    args = ap.parse_args()
    from pymilvus import DataType, Function, FunctionType

    from rag.app.beir import BeirStack
    from rag.index.sparse import BM25Index
    from rag.index.stores.milvus_store import MilvusStore
    from rag.ingest.chunk import Chunker, ChunkerSettings

    t = time.perf_counter()
    stack = BeirStack(args.beir, max_queries=args.max_queries, cache_dir=args.cache)
    results = {"faiss+bm25s": stack.score()}
    print(json.dumps({"stack_s": round(time.perf_counter() - t, 1), "queries": len(stack.queries)}), flush=True)
    vectors = np.ascontiguousarray(stack.dense.index.reconstruct_n(0, stack.dense.size))
    from rag.app.beir import read_beir

    docs, _, _ = read_beir(args.beir)
    chunker = Chunker(ChunkerSettings(max_model_tokens=stack.embedder.max_tokens), stack.embedder.count_tokens)
    texts = [c.embedding_text for d in docs for c in chunker.chunk(d)]
    assert len(texts) == len(vectors) == len(stack.chunk_doc)
    ids = [str(i) for i in range(len(texts))]
    qids = list(stack.hits)
    qvecs = stack.embedder.encode([stack.queries[q] for q in qids])
    t = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        dense = MilvusStore(str(Path(tmp) / "m.db"), "dense", vectors.shape[1], 1, index_id="bench")
        dense.create()
        dense.upsert(ids, stack.chunk_doc, vectors)
        print(json.dumps({"milvus_dense_insert_s": round(time.perf_counter() - t, 1)}), flush=True)
        t = time.perf_counter()
        client = dense.client
        params = BM25Index().params
        analyzer = {"tokenizer": "standard", "filter": ["lowercase", {"type": "stop", "stop_words": ["_english_"]},
                                                         {"type": "stemmer", "language": "english"}]}
        schema = client.create_schema(auto_id=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=16)
        schema.add_field("text", DataType.VARCHAR, max_length=65535, enable_analyzer=True, analyzer_params=analyzer)
        schema.add_field("sparse", DataType.SPARSE_FLOAT_VECTOR)
        schema.add_function(Function(name="bm25", function_type=FunctionType.BM25, input_field_names=["text"],
                                     output_field_names=["sparse"]))
        index = client.prepare_index_params()
        index.add_index(field_name="sparse", index_type="SPARSE_INVERTED_INDEX", metric_type="BM25",
                        params={"bm25_k1": params["k1"], "bm25_b": params["b"]})
        client.create_collection("sparse", schema=schema, index_params=index, consistency_level="Strong")
        for s in range(0, len(ids), 1000):
            client.insert("sparse", data=[{"id": i, "text": x[:60000]} for i, x in zip(ids[s:s + 1000], texts[s:s + 1000])])
        print(json.dumps({"milvus_bm25_insert_s": round(time.perf_counter() - t, 1)}), flush=True)
        t = time.perf_counter()
        bm25s_hits = dict(stack.hits)
        milvus_dense, milvus_bm25 = {}, {}
        for qid, qvec in zip(qids, qvecs):
            d_ids, d_scores = dense.search(qvec, stack.depth)
            d_rows = [int(i) for i in d_ids]
            milvus_dense[qid] = (d_rows, d_scores.tolist(), bm25s_hits[qid][2], bm25s_hits[qid][3])
            found = client.search("sparse", data=[stack.queries[qid]], anns_field="sparse", limit=stack.depth,
                                  search_params={"metric_type": "BM25"}, output_fields=["id"])[0]
            milvus_bm25[qid] = (d_rows, d_scores.tolist(), [int(h["id"]) for h in found],
                                [float(h["distance"]) for h in found])
        print(json.dumps({"milvus_searches_s": round(time.perf_counter() - t, 1)}), flush=True)
        stack.hits = milvus_dense
        results["milvus+bm25s"] = stack.score()
        stack.hits = milvus_bm25
        results["milvus+milvus_bm25"] = stack.score()
    print(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
