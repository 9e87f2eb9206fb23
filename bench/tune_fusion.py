"""Tune fusion weights and BM25 parameters on the train/dev split of BEIR datasets (never on test).

    python bench/tune_fusion.py path/to/scifact:train path/to/nfcorpus:dev

(BEIR folders; public at https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/<name>.zip. Without
arguments it reads ../shared/bench-data/, this team's copy.)

Prints nDCG@10 of the hybrid retriever for each setting, averaged over the datasets; the chosen values go into
rag/defaults.py (fusion) and rag/sparse.py (BM25).
"""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rag.app.beir import BeirStack  # noqa: E402
from rag.retrieval.hybrid import FusionSettings  # noqa: E402


def main() -> None:
    targets = [a.split(":") for a in sys.argv[1:]] or [["../shared/bench-data/scifact", "train"], ["../shared/bench-data/nfcorpus", "dev"]]
    table: dict[tuple, list[float]] = {}
    for bm25 in ({"k1": 1.2, "b": 0.75}, {"k1": 0.9, "b": 0.4}):
        stacks = [BeirStack(folder, split=split, bm25=bm25) for folder, split in targets]
        for rrf_k, dw in itertools.product((10, 30, 60), (0.5, 0.8, 1.0, 1.25, 1.5)):
            fusion = FusionSettings(rrf_k=rrf_k, dense_weight=dw, bm25_weight=1.0)
            scores = [s.score(fusion, which=("hybrid",))["hybrid"]["ndcg@10"] for s in stacks]
            table[(bm25["k1"], bm25["b"], rrf_k, dw)] = scores
            print(f"k1={bm25['k1']} b={bm25['b']} rrf_k={rrf_k} dense_weight={dw}: " + " ".join(f"{x:.4f}" for x in scores)
                  + f"  mean {sum(scores) / len(scores):.4f}", flush=True)
        for s, (folder, split) in zip(stacks, targets):
            single = s.score(which=("bm25", "dense"))
            print(f"  {folder}:{split} bm25 {single['bm25']['ndcg@10']:.4f} dense {single['dense']['ndcg@10']:.4f}")
    best = max(table, key=lambda k: sum(table[k]) / len(table[k]))
    print(f"best (mean over datasets): k1={best[0]} b={best[1]} rrf_k={best[2]} dense_weight={best[3]} -> {table[best]}")


if __name__ == "__main__":
    main()
