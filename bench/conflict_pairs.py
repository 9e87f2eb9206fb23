"""Conflict detection: build the candidate pairs to label, and score the labelled pairs (precision / recall).

A candidate pair is what :func:`rag.trust.conflicts.find_conflicts` weighs at answer time: a figure in a cited sentence
and a compatible figure (same kind and unit, different value) in a sentence of another retrieved article.

    python bench/conflict_pairs.py candidates --questions Q.txt > new.jsonl   # pairs to label by hand
    python bench/conflict_pairs.py score [--split dev|test] [--tune]           # P/R on tests/data/conflict_pairs.jsonl

``--tune`` grid-searches the weights and threshold on the dev split only (prints them; copy them into
rag/conflicts.py by hand). Needs a MiniLM index of the bundled corpus (``rag build``; ``--index``).
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAIRS = ROOT / "tests" / "data" / "conflict_pairs.jsonl"


def _setup(index: str):
    from rag.answering.pipeline import vector_cache
    from rag.index.snapshot import load_index

    snapshot = load_index(index)
    return snapshot, vector_cache(snapshot)


def candidates(questions: list[str], index: str) -> None:
    from rag import answer
    from rag.trust.conflicts import candidate_pairs, pair_features

    snapshot, embed = _setup(index)
    for q in questions:
        result = answer(q, index_dir=index)
        cited = {m for s in result.support if s.supported for m in s.markers}
        cites = [c for c in result.citations if c.marker in cited]
        qvec = embed([q])[0]
        for score, cite, a, other, b in candidate_pairs(q, cites, result.passages, snapshot.documents, embed):
            print(json.dumps({"question": q, "doc_a": cite.doc_id, "sentence_a": cite.quote, "value_a": a.phrase,
                              "doc_b": other.doc_id, "sentence_b": other.text, "value_b": b.phrase,
                              "score": round(score, 3), "features": [round(x, 3) for x in
                                                                     pair_features(a, b, embed, qvec)]},
                             ensure_ascii=False))


def _features(rows: list[dict], embed):
    from rag.trust.conflicts import _compatible, mentions, pair_features

    out = []
    for r in rows:
        a = next((m for m in mentions(r["sentence_a"]) if m.phrase == r["value_a"]), None)
        b = next((m for m in mentions(r["sentence_b"]) if m.phrase == r["value_b"]), None)
        if a is None or b is None or not _compatible(a, b):
            out.append(None)  # the extractor no longer pairs these: never flagged
            continue
        out.append(pair_features(a, b, embed, embed([r["question"]])[0]))
    return out


def _prf(rows, feats, weights, threshold):
    tp = fp = fn = 0
    for r, f in zip(rows, feats):
        flagged = f is not None and sum(w * x for w, x in zip(weights, f)) >= threshold
        tp += flagged and r["label"] == 1
        fp += flagged and r["label"] == 0
        fn += (not flagged) and r["label"] == 1
    p = tp / (tp + fp) if tp + fp else 1.0
    rcl = tp / (tp + fn) if tp + fn else 1.0
    return p, rcl, tp, fp, fn


def score(split: str | None, tune: bool, index: str) -> None:
    from rag.trust import conflicts

    rows = [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]
    _, embed = _setup(index)
    if tune:
        dev = [r for r in rows if r["split"] == "dev"]
        feats = _features(dev, embed)
        best = None
        grid = [x / 10 for x in range(1, 11)]  # every feature keeps some weight: no single cue decides alone
        for w in itertools.product(grid, repeat=4):
            if abs(sum(w) - 1) > 1e-9:
                continue
            for t in [x / 100 for x in range(20, 90, 2)]:
                p, r, *_ = _prf(dev, feats, w, t)
                f1 = 2 * p * r / (p + r) if p + r else 0
                key = (f1, r, -t)  # ties: prefer recall (a hidden disagreement misleads more), then strictness
                if best is None or key > best[0]:
                    best = (key, w, t)
        print(f"dev-tuned: weights={best[1]} threshold={best[2]} (dev F1 {best[0][0]:.3f})")
    for name in ([split] if split else ["dev", "test"]):
        part = [r for r in rows if r["split"] == name]
        feats = _features(part, embed)
        p, r, tp, fp, fn = _prf(part, feats, conflicts.WEIGHTS, conflicts.THRESHOLD)
        print(f"{name}: {len(part)} pairs ({sum(x['label'] for x in part)} disagreements): precision {p:.3f} "
              f"recall {r:.3f} (tp {tp}, fp {fp}, fn {fn})")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("mode", choices=["candidates", "score"])
    ap.add_argument("--questions", help="one question per line (candidates mode)")
    ap.add_argument("--split", choices=["dev", "test"])
    ap.add_argument("--tune", action="store_true")
    ap.add_argument("--index", default="index")
    args = ap.parse_args()
    if args.mode == "candidates":
        candidates([q for q in Path(args.questions).read_text().splitlines() if q.strip()], args.index)
    else:
        score(args.split, args.tune, args.index)


if __name__ == "__main__":
    main()
