"""FAISS vs Milvus Lite, same run, same machine: build time, search p50/p95, recall@10 against exact search and
memory at 100k and 1M vectors, and the chip-war retrieval hit rate with each store.

Each (store, size) runs in its own process so memory figures do not mix; Milvus Lite's engine runs in a child
process of the client, so its memory is the client's plus its children's resident memory. Vectors are the
bundled corpus's real MiniLM embeddings repeated with small noise (as ``bench/run.py --vectors``); queries are
noisy copies of other real chunks; exact neighbours come from a NumPy brute-force inner product.

Usage::

    nice -n 5 python bench/stores.py --sizes 100000             # then 1000000 when there is time
    nice -n 5 python bench/stores.py --hit-rate                 # chip-war hit@5 on FAISS and Milvus Lite
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
QUERIES = 100


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and all its descendants (Milvus Lite runs its engine as a child process)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
        except (OSError, IndexError, ValueError):
            continue
    todo, total = [pid], 0.0
    while todo:
        p = todo.pop()
        total += rss_mb(p)
        todo += [c for c, pp in parents.items() if pp == p]
    return total


def vectors(n: int) -> tuple[np.ndarray, np.ndarray]:
    from rag.encoders.registry import get_embedder
    from rag.ingest.chunk import Chunker, ChunkerSettings
    from rag.ingest.load import load_corpus

    emb = get_embedder()
    chunks = Chunker(ChunkerSettings(), emb.count_tokens).chunk_all(load_corpus(ROOT / "corpus").documents)
    base = emb.encode([c.embedding_text for c in chunks])
    rng = np.random.default_rng(0)
    vecs = (base[rng.integers(0, len(base), n)] + rng.normal(0, 0.05, (n, base.shape[1]))).astype(np.float32)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
    qs = (base[rng.integers(0, len(base), QUERIES)] + rng.normal(0, 0.05, (QUERIES, base.shape[1]))).astype(np.float32)
    qs /= np.linalg.norm(qs, axis=1, keepdims=True)
    return vecs, qs


def one(store: str, n: int) -> dict:
    from rag.app.evaluate import percentile

    vecs, qs = vectors(n)
    exact = [np.argsort(-(vecs @ q), kind="stable")[:10] for q in qs]
    ids = [f"c{i}" for i in range(n)]
    docs = [f"d{i // 10}" for i in range(n)]
    before = tree_rss_mb(os.getpid())
    tmp = tempfile.mkdtemp(prefix="bench-stores-")
    t = time.perf_counter()
    if store == "faiss":
        from rag.index.stores.faiss_store import FaissStore

        s = FaissStore(ids, docs, vecs, kind="auto")
        kind = s.index_kind
    else:
        from rag.index.stores.milvus_store import MilvusStore

        s = MilvusStore(str(Path(tmp) / "milvus.db"), "bench", vecs.shape[1], 1, index_id="bench")
        s.create(expected_rows=n)
        s.upsert(ids, docs, vecs)
        s.save(Path(tmp))
        kind = "lite-flat"
    build = time.perf_counter() - t
    lat, hits = [], []
    for q, truth in zip(qs, exact):
        t = time.perf_counter()
        found, _ = s.search(q, 10)
        lat.append(time.perf_counter() - t)
        hits.append(len({int(f[1:]) for f in found} & set(truth.tolist())) / 10)
    row = {"store": store, "n": n, "index": kind, "build_s": round(build, 2),
           "p50_ms": round(1000 * percentile(lat, 0.5), 3), "p95_ms": round(1000 * percentile(lat, 0.95), 3),
           "recall@10": round(float(np.mean(hits)), 4),
           "memory_mb": round(tree_rss_mb(os.getpid()) - before, 1), "vectors_mb": round(vecs.nbytes / 2**20, 1)}
    s.close()
    return row


def hit_rate() -> dict:
    """hit@5 of the bundled questions with the real index on FAISS and on Milvus Lite (same chunks and vectors)."""
    from rag.app.api import build_index, search
    from rag.app.evaluate import load_qa

    questions = [q for q in load_qa(ROOT / "tests" / "data" / "qa.jsonl") if q.answerable and not q.history]
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for store in ("faiss", "milvus"):
            index = Path(tmp) / "index"
            build_index(ROOT / "corpus", index, store=store)  # the second build reuses every vector
            lat, hits = [], []
            for q in questions:
                t = time.perf_counter()
                found = search(q.question, k=5, index_dir=index)
                lat.append(time.perf_counter() - t)
                hits.append(any(r.doc_id in q.doc_ids for r in found))
            out[store] = {"hit@5": round(sum(hits) / len(hits), 4), "questions": len(hits),
                          "search_mean_ms": round(1000 * sum(lat) / len(lat), 2)}
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="100000", help="comma-separated vector counts")
    ap.add_argument("--stores", default="faiss,milvus")
    ap.add_argument("--one", nargs=2, metavar=("STORE", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--hit-rate", action="store_true")
    args = ap.parse_args()
    if args.one:
        print(json.dumps(one(args.one[0], int(args.one[1]))))
        return
    if args.hit_rate:
        print(json.dumps(hit_rate()))
        return
    for n in [int(x) for x in args.sizes.split(",")]:
        for store in args.stores.split(","):
            proc = subprocess.run([sys.executable, __file__, "--one", store, str(n)], capture_output=True, text=True,
                                  env={**os.environ, "PYTHONPATH": str(ROOT)})
            print(proc.stdout.strip() or json.dumps({"store": store, "n": n, "error": proc.stderr[-800:]}), flush=True)


if __name__ == "__main__":
    main()
