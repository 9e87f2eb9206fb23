"""Fit the extractive backend's answerability model on the DEV split and write rag/answerability.json.

The model is a scikit-learn logistic regression over the evidence features in ``rag.backends.extractive.FEATURES``
(similarity, focus-term coverage, answer type found by spaCy NER, names consistent with the article and with the
sentence window, retrieval score), standardised, L2-regularised. Thresholds for the three outcomes are chosen on
leave-one-out probabilities of the dev questions (never on the test split):

- ``answer_threshold``: the lowest threshold at which at most ``--max-unanswerable-answered`` of the unanswerable dev
  questions would be answered (with the backend's hard checks applied: names in the article, answer type present);
- ``partial_threshold``: the highest threshold at which at least ``--min-answerable-shown`` of the answerable dev
  questions are still answered or partial.

The weights are written as plain numbers: serving needs numpy only.

Run:  python bench/calibrate_abstention.py [--qa tests/data/qa.jsonl] [--index index] [--write]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rag.answering import prepare, vector_cache
from rag.backends.extractive import FEATURES, MODEL_PATH, SCORER, Extractive
from rag.config import load_settings
from rag.evaluate import load_qa
from rag.index import load_index


def fit(X: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(X, y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qa", default="tests/data/qa.jsonl")
    ap.add_argument("--index", default="index")
    ap.add_argument("--c", type=float, default=0.5, help="inverse L2 strength")
    ap.add_argument("--max-unanswerable-answered", type=float, default=0.05)
    ap.add_argument("--min-answerable-shown", type=float, default=0.97)
    ap.add_argument("--write", action="store_true", help="write rag/answerability.json")
    ap.add_argument("--features", help="cache the dev features in this .npz (reused when it exists)")
    args = ap.parse_args()
    if args.features and Path(args.features).exists():
        data = np.load(args.features)
        return choose(data["X"], data["y"], args)
    settings = load_settings(index_dir=args.index)
    snapshot = load_index(args.index)
    ex = Extractive(snapshot, vector_cache(snapshot))
    X, y = [], []
    items = load_qa(args.qa, "dev")
    for q in items:
        prep = prepare(q.question, q.history, snapshot, settings, settings.k)
        cands = ex.candidates(prep.info, prep.qvec, prep.passages, prep.extra_entities)
        lead = ex.lead(prep.info, cands)
        nxt = ex._neighbour(lead, cands, prep.info)
        if nxt is not None:
            lead.typed = True
        X.append(ex.features(prep.info, lead, cands, prep.passages))
        y.append(1 if q.answerable else 0)
    X, y = np.asarray(X), np.asarray(y)
    if args.features:
        np.savez(args.features, X=X, y=y)
    choose(X, y, args)


def choose(X: np.ndarray, y: np.ndarray, args) -> None:
    from sklearn.metrics import roc_auc_score

    loo = np.array([fit(np.delete(X, i, 0), np.delete(y, i), args.c).predict_proba(X[i : i + 1])[0, 1]
                    for i in range(len(y))])
    print(f"dev questions {len(y)} ({y.sum()} answerable); leave-one-out ROC AUC {roc_auc_score(y, loo):.3f}")
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    for th in grid:
        print(f"  threshold {th:.2f}: answerable >= th {np.mean(loo[y == 1] >= th):.2f}, "
              f"unanswerable >= th {np.mean(loo[y == 0] >= th):.2f}")
    # the backend's hard checks: every name of the question in the lead's article, and the answer type present
    # (requiring the names in the lead's sentence window as well cost 10% of answerable dev questions: not used)
    ok = (X[:, FEATURES.index("entities_in_doc")] == 1) & (X[:, FEATURES.index("typed")] == 1)
    for th in grid:
        ans = (loo >= th) & ok
        print(f"  with checks, threshold {th:.2f}: answered {np.mean(ans[y == 1]):.2f} of answerable, "
              f"{np.mean(ans[y == 0]):.2f} of unanswerable")
    answer_t = next((float(t) for t in grid if np.mean(((loo >= t) & ok)[y == 0]) <= args.max_unanswerable_answered), 0.95)
    partial_t = max([float(t) for t in grid if np.mean(loo[y == 1] >= t) >= args.min_answerable_shown] or [0.05])
    partial_t = min(partial_t, answer_t)
    model = fit(X, y, args.c)
    scaler, lr = model[0], model[1]
    out = {"scorer": SCORER, "features": list(FEATURES), "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
           "weights": lr.coef_[0].tolist(), "bias": float(lr.intercept_[0]), "answer_threshold": answer_t,
           "partial_threshold": partial_t, "trained_on": f"{args.qa} (split dev)", "questions": int(len(y)),
           "loo_auc": round(float(roc_auc_score(y, loo)), 4)}
    print(json.dumps({k: out[k] for k in ("weights", "bias", "answer_threshold", "partial_threshold")}))
    if args.write:
        MODEL_PATH.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
