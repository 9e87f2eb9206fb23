"""Fit the extractive backend's answerability model on a question set and write rag/answerability.json.

The model is a logistic regression over the evidence features listed in ``rag.answering.FEATURES`` (similarity, focus
term coverage, answer type present, names consistent). Leave-one-out accuracy is printed so the figures reported
in the README are not measured on the data the weights were fitted to.

Run:  python bench/calibrate_abstention.py [--qa tests/data/qa.jsonl] [--threshold 0.7] [--write]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np

from rag.answering import FEATURES, Extractive, prepare, vector_cache
from rag.config import load_settings
from rag.evaluate import load_qa
from rag.index import load_index


def fit(X: np.ndarray, y: np.ndarray, l2: float = 0.01, steps: int = 3000, lr: float = 0.5):
    mean, scale = X.mean(0), X.std(0) + 1e-6
    Z = (X - mean) / scale
    w, b = np.zeros(X.shape[1]), 0.0
    for _ in range(steps):
        g = 1 / (1 + np.exp(-(Z @ w + b))) - y
        w -= lr * (Z.T @ g / len(y) + l2 * w)
        b -= lr * g.mean()
    return mean, scale, w, b


def predict(model, X: np.ndarray) -> np.ndarray:
    mean, scale, w, b = model
    return 1 / (1 + np.exp(-(((X - mean) / scale) @ w + b)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qa", default="tests/data/qa.jsonl")
    ap.add_argument("--index", default="index")
    ap.add_argument("--threshold", type=float, default=0.7)
    ap.add_argument("--write", action="store_true", help="write rag/answerability.json")
    args = ap.parse_args()
    settings = load_settings(index_dir=args.index)
    snapshot = load_index(args.index)
    ex = Extractive(snapshot, vector_cache(snapshot))
    X, y = [], []
    for q in load_qa(args.qa):
        prep = prepare(q.question, q.history, snapshot, settings, settings.k)
        cands = ex.candidates(prep.info, prep.qvec, prep.passages, prep.extra_entities)
        X.append(ex.features(prep.info, ex.lead(prep.info, cands), cands, prep.passages))
        y.append(1.0 if q.answerable else 0.0)
    X, y = np.asarray(X), np.asarray(y)
    loo = np.array([predict(fit(np.delete(X, i, 0), np.delete(y, i)), X[i : i + 1])[0] for i in range(len(y))])
    for th in np.arange(0.4, 0.9, 0.05):
        print(f"leave-one-out threshold {th:.2f}: answers {np.mean(loo[y == 1] >= th):.2f} of answerable, "
              f"abstains on {np.mean(loo[y == 0] < th):.2f} of unanswerable")
    mean, scale, w, b = fit(X, y)
    model = {"features": list(FEATURES), "mean": mean.tolist(), "scale": scale.tolist(), "weights": w.tolist(),
             "bias": float(b), "threshold": args.threshold, "trained_on": args.qa, "questions": int(len(y))}
    print(json.dumps({k: model[k] for k in ("weights", "bias", "threshold")}))
    if args.write:
        Path(__file__).resolve().parents[1].joinpath("rag", "answerability.json").write_text(json.dumps(model, indent=1) + "\n")
        print("wrote rag/answerability.json")


if __name__ == "__main__":
    main()
