"""Public retrieval benchmark: the product's own retrieval stack on a BEIR-format dataset.

Documents go through the same chunker, embedder, BM25 and reciprocal-rank fusion as the chip-war corpus; a
document's score is its best passage's. Metrics come from ranx (nDCG@10, recall@10, recall@100, MRR@10) for BM25
alone, dense alone and the fused hybrid. Passage embeddings are cached on disk by chunk content hash, so a second
run only embeds the queries.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from pathlib import Path

import numpy as np

from rag.core.errors import ConfigError
from rag.core.protocols import Embedder, Progress
from rag.core.types import Document
from rag.encoders.registry import encode_with_progress, get_embedder
from rag.index.sparse import BM25Index
from rag.index.vectors import DenseIndex
from rag.ingest.chunk import Chunker, ChunkerSettings
from rag.retrieval.hybrid import FusionSettings, rrf

METRICS = {"ndcg@10": "ndcg@10", "recall@10": "recall@10", "recall@100": "recall@100", "mrr@10": "mrr@10"}


def read_beir(folder: str | Path, split: str = "test") -> tuple[list[Document], dict[str, str], dict[str, dict[str, int]]]:
    """Corpus documents, the queries of ``split`` and their qrels. :raises ConfigError: on a missing file."""
    folder = Path(folder)
    paths = {"corpus": folder / "corpus.jsonl", "queries": folder / "queries.jsonl", "qrels": folder / "qrels" / f"{split}.tsv"}
    for name, path in paths.items():
        if not path.is_file():
            raise ConfigError(f"{path} is missing: a BEIR folder needs corpus.jsonl, queries.jsonl and qrels/{split}.tsv")
    qrels: dict[str, dict[str, int]] = defaultdict(dict)
    for line in paths["qrels"].read_text(encoding="utf-8").splitlines()[1:]:
        parts = line.split("\t")
        if len(parts) >= 3 and int(parts[2]) > 0:
            qrels[parts[0]][parts[1]] = int(parts[2])
    queries = {}
    for line in paths["queries"].open(encoding="utf-8"):
        row = json.loads(line)
        if row["_id"] in qrels:
            queries[row["_id"]] = row["text"]
    docs = []
    for line in paths["corpus"].open(encoding="utf-8"):
        row = json.loads(line)
        text = " ".join(str(row.get("text") or "").split())
        if text:
            docs.append(Document(id=str(row["_id"]), title=" ".join(str(row.get("title") or "").split()), source=row["_id"], text=text))
    return docs, queries, dict(qrels)


class PassageCache:
    """Vectors of passages keyed by sha256(embedder key + embedding text), stored as .npy + .json (no pickle)."""

    def __init__(self, folder: str | Path, embedder: Embedder):
        self.folder = Path(folder)
        self.embedder = embedder
        self.folder.mkdir(parents=True, exist_ok=True)
        stem = hashlib.sha256(embedder.key.encode()).hexdigest()[:12]
        self.vec_path, self.key_path = self.folder / f"{stem}.npy", self.folder / f"{stem}.keys.json"
        self.keys: dict[str, int] = {}
        self.vectors = np.zeros((0, embedder.dim), np.float32)
        if self.vec_path.exists() and self.key_path.exists():
            try:
                self.vectors = np.load(self.vec_path, allow_pickle=False)
                self.keys = json.loads(self.key_path.read_text())
            except (ValueError, OSError):
                self.keys, self.vectors = {}, np.zeros((0, embedder.dim), np.float32)

    def get(self, texts: list[str], progress: Progress | None = None) -> np.ndarray:
        keys = [hashlib.sha256(f"{self.embedder.key}\x00{t}".encode()).hexdigest() for t in texts]
        missing = [i for i, k in enumerate(keys) if k not in self.keys]
        if missing:
            new = encode_with_progress(self.embedder, [texts[i] for i in missing], progress)
            start = len(self.vectors)
            self.vectors = np.concatenate([self.vectors, new])
            for j, i in enumerate(missing):
                self.keys[keys[i]] = start + j
            tmp = self.vec_path.with_suffix(".tmp.npy")
            np.save(tmp, self.vectors, allow_pickle=False)
            tmp.replace(self.vec_path)
            self.key_path.with_suffix(".tmp").write_text(json.dumps(self.keys))
            self.key_path.with_suffix(".tmp").replace(self.key_path)
        return self.vectors[[self.keys[k] for k in keys]]


def _doc_runs(scores: dict[int, float], chunk_doc: list[str], depth: int) -> dict[str, float]:
    best: dict[str, float] = {}
    for i, s in sorted(scores.items(), key=lambda kv: -kv[1]):
        doc = chunk_doc[i]
        if doc not in best:
            best[doc] = s
            if len(best) >= depth:
                break
    return best


class BeirStack:
    """The dataset chunked, embedded (cached) and BM25-indexed once; :meth:`score` then evaluates any fusion."""

    def __init__(self, folder: str | Path, *, split: str = "test", max_queries: int | None = None,
                 cache_dir: str | Path = ".cache/beir", embedder: Embedder | None = None,
                 chunker: ChunkerSettings | None = None, bm25: dict | None = None, candidates: int = 300,
                 progress: Progress | None = None):
        self.embedder = embedder or get_embedder()
        docs, queries, self.qrels = read_beir(folder, split)
        if max_queries:
            queries = dict(list(queries.items())[:max_queries])
        if not queries:
            raise ConfigError(f"no queries of split {split!r} have relevance judgements")
        self.queries = queries
        chunker_ = Chunker(chunker or ChunkerSettings(max_model_tokens=self.embedder.max_tokens), self.embedder.count_tokens)
        chunks = [c for d in docs for c in chunker_.chunk(d)]
        self.chunk_doc = [c.doc_id for c in chunks]
        cache = PassageCache(Path(cache_dir) / Path(folder).resolve().name, self.embedder)
        self.dense = DenseIndex(cache.get([c.embedding_text for c in chunks], progress=progress), kind="flat")
        self.bm25 = BM25Index(**(bm25 or {})).index([c.embedding_text for c in chunks])
        self.depth = min(candidates, len(chunks))
        qids = list(queries)
        qvecs = self.embedder.encode([queries[q] for q in qids])
        self.hits = {}
        for qid, qvec in zip(qids, qvecs):
            d_ids, d_scores = self.dense.search(qvec, self.depth)
            b_ids, b_scores = self.bm25.search(queries[qid], self.depth)
            self.hits[qid] = (d_ids.tolist(), d_scores.tolist(), b_ids.tolist(), b_scores.tolist())

    def runs(self, fusion: FusionSettings | None = None) -> dict[str, dict[str, dict[str, float]]]:
        """Per-query document scores; ``fusion`` defaults to the product's settings (tuned on train/dev only)."""
        fusion = fusion or FusionSettings()
        runs: dict[str, dict[str, dict[str, float]]] = {"bm25": {}, "dense": {}, "hybrid": {}}
        for qid, (d_ids, d_scores, b_ids, b_scores) in self.hits.items():
            fused = rrf(d_ids, b_ids, fusion)
            runs["dense"][qid] = _doc_runs(dict(zip(d_ids, d_scores)), self.chunk_doc, 100)
            runs["bm25"][qid] = _doc_runs(dict(zip(b_ids, b_scores)), self.chunk_doc, 100) or {"__none__": 0.0}
            runs["hybrid"][qid] = _doc_runs(fused, self.chunk_doc, 100)
        return runs

    def score(self, fusion: FusionSettings | None = None, which: tuple[str, ...] = ("bm25", "dense", "hybrid")) -> dict:
        from ranx import Qrels, Run, evaluate

        qrels = Qrels({q: self.qrels[q] for q in self.hits})
        out = {}
        for name, run in self.runs(fusion).items():
            if name in which:
                scores = evaluate(qrels, Run(run), list(METRICS.values()))
                out[name] = {k: round(float(scores[v]), 4) for k, v in METRICS.items()}
        return out


def evaluate_beir(folder: str | Path, *, split: str = "test", max_queries: int | None = None,
                  cache_dir: str | Path = ".cache/beir", embedder: Embedder | None = None, progress: Progress | None = None,
                  fusion: FusionSettings | None = None, chunker: ChunkerSettings | None = None) -> dict:
    """``{"bm25": {...}, "dense": {...}, "hybrid": {...}}`` with keys ``ndcg@10``, ``recall@10``, ``recall@100``,
    ``mrr@10`` (computed by ranx)."""
    stack = BeirStack(folder, split=split, max_queries=max_queries, cache_dir=cache_dir, embedder=embedder,
                      chunker=chunker, progress=progress)
    return stack.score(fusion)
