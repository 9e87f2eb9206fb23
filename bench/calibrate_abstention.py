"""Fit the extractive backend's answerability model on the DEV split and write rag/answerability.json.

The model is a scikit-learn logistic regression over the evidence features in ``rag.answering.backends.answerability.FEATURES``
(similarity, focus-term coverage, answer type found by spaCy NER, names consistent with the article and with the
sentence window, how specific a question name missing beside the lead is, retrieval score) and the learned answer
scorer's score (``rag/scorer.py``), standardised, L2-regularised. Choices made on dev by leave-one-out: the weight of
the answer score in sentence ranking (``--answer-weights``; which sentence becomes the lead), the feature set (with or
without the answer-score and the missing-name features) and the L2 strength (``--c``), both by the best leave-one-out
ROC AUC. Thresholds for the three outcomes are chosen on leave-one-out probabilities of the dev questions (never on
the test split):

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
import sys
from pathlib import Path

import numpy as np

from rag.answering.backends.answerability import FEATURES, MODEL_PATH
from rag.answering.backends.extractive import SOFT_TYPES, Extractive
from rag.answering.pipeline import prepare, vector_cache
from rag.app.evaluate import fact_found, load_qa
from rag.core.config import load_settings

SCORER = "logistic-evidence-v5"
SCORE_FEATURES = ("answer_score", "top_answer_score")
NAME_FEATURES = ("missing_name_sentence", "missing_name_window")
from rag.index.snapshot import load_index


def fit(X: np.ndarray, y: np.ndarray, c: float):
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(StandardScaler(), LogisticRegression(C=c, max_iter=2000)).fit(X, y)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--qa", default="tests/data/qa.jsonl")
    ap.add_argument("--index", default="index")
    ap.add_argument("--c", type=float, nargs="+", default=[0.05, 0.1, 0.2, 0.5, 1.0],
                    help="inverse L2 strengths to compare (the one with the best leave-one-out ROC AUC is kept)")
    ap.add_argument("--max-unanswerable-answered", type=float, default=0.05)
    ap.add_argument("--min-answerable-shown", type=float, default=0.97)
    ap.add_argument("--write", action="store_true", help="write rag/answerability.json")
    ap.add_argument("--features", help="cache the dev features in this .npz (reused when it exists)")
    ap.add_argument("--fold-scorers", nargs="+", help="the cross-fitting answer scorers, one folder per dev fold "
                    "(train/answer_scorer.py --stage dev); without it the shipped scorer is used")
    ap.add_argument("--answer-weights", type=float, nargs="+", default=[0.0, 0.5, 1.0, 2.0],
                    help="weights of the learned answer score in sentence ranking to compare on dev")
    args = ap.parse_args()
    if args.features and Path(args.features).exists():
        data = np.load(args.features)
        soft = data["soft"] if "soft" in data else np.zeros(len(data["y"]), bool)  # caches written before SOFT_TYPES
        return choose(data["X"], data["y"], args, float(data["weight"]), bool(data["cross_fitted"]), soft)
    settings = load_settings(index_dir=args.index)
    snapshot = load_index(args.index)
    items = load_qa(args.qa, "dev")
    if args.fold_scorers:  # cross-fitting: each question is scored by the model that did not train on it
        sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "train"))
        from answer_scorer import DEV_FOLDS, dev_fold

        from rag.encoders.scorer import ANSWER_TOKENS, CrossEncoder

        if len(args.fold_scorers) != DEV_FOLDS:
            raise SystemExit(f"--fold-scorers needs {DEV_FOLDS} folders (train/answer_scorer.py --stage dev)")
        by_fold = [Extractive(snapshot, vector_cache(snapshot), CrossEncoder(Path(d), ANSWER_TOKENS))
                   for d in args.fold_scorers]
        backends = [by_fold[dev_fold(q.id)] for q in items]
    else:
        backends = [Extractive(snapshot, vector_cache(snapshot))] * len(items)
    preps = [prepare(q.question, q.history, snapshot, settings, settings.k) for q in items]
    y = np.asarray([1 if q.answerable else 0 for q in items])
    soft = np.asarray([prep.info.answer_type in SOFT_TYPES for prep in preps])  # no hard answer-type check
    runs = {}
    for weight in args.answer_weights:
        X, hits = [], []
        for q, prep, ex in zip(items, preps, backends):
            ex.answer_weight = weight
            cands = ex.candidates(prep.info, prep.qvec, prep.passages, prep.extra_entities, prep.question)
            lead = ex.lead(prep.info, cands)
            nxt = ex._neighbour(lead, cands, prep.info)
            if nxt is not None:
                lead.typed = True
            X.append(ex.features(prep.info, lead, cands, prep.passages))
            if q.answerable and q.key_facts:
                shown = lead.window + (f" {nxt.text}" if nxt is not None else "")
                hits.append(any(fact_found(shown, f) for f in q.key_facts))
        runs[weight] = (np.asarray(X), float(np.mean(hits)))
        print(f"answer weight {weight}: lead window holds a key fact for {runs[weight][1]:.3f} of answerable dev "
              "questions")
    best = max(runs, key=lambda w: (round(runs[w][1], 3), -w))
    X = runs[best][0]
    print(f"chosen answer weight {best}")
    if args.features:
        np.savez(args.features, X=X, y=y, weight=best, cross_fitted=bool(args.fold_scorers), soft=soft)
    choose(X, y, args, best, bool(args.fold_scorers), soft)


def leave_one_out(X: np.ndarray, y: np.ndarray, c: float) -> np.ndarray:
    return np.array([fit(np.delete(X, i, 0), np.delete(y, i), c).predict_proba(X[i : i + 1])[0, 1]
                     for i in range(len(y))])


def choose(X_all: np.ndarray, y: np.ndarray, args, answer_weight: float, cross_fitted: bool, soft: np.ndarray) -> None:
    from sklearn.metrics import roc_auc_score

    sets = {"evidence": [f for f in FEATURES if f not in SCORE_FEATURES], "evidence+answer_score": list(FEATURES),
            "evidence without missing names": [f for f in FEATURES if f not in SCORE_FEATURES + NAME_FEATURES],
            "answer_score only": list(SCORE_FEATURES)}
    aucs = {}
    for name, cols in sets.items():
        for c in args.c:
            loo = leave_one_out(X_all[:, [FEATURES.index(f) for f in cols]], y, c)
            if name not in aucs or roc_auc_score(y, loo) > aucs[name][0]:
                aucs[name] = (roc_auc_score(y, loo), cols, loo, c)
            print(f"features {name}, C={c}: leave-one-out ROC AUC {roc_auc_score(y, loo):.3f}")
    name = max(("evidence", "evidence+answer_score", "evidence without missing names"), key=lambda n: aucs[n][0])
    auc_value, names, loo, c = aucs[name]
    X = X_all[:, [FEATURES.index(f) for f in names]]
    print(f"dev questions {len(y)} ({y.sum()} answerable); chosen features: {name}, C={c}, leave-one-out ROC AUC "
          f"{auc_value:.3f}")
    grid = np.round(np.arange(0.05, 0.96, 0.05), 2)
    for th in grid:
        print(f"  threshold {th:.2f}: answerable >= th {np.mean(loo[y == 1] >= th):.2f}, "
              f"unanswerable >= th {np.mean(loo[y == 0] >= th):.2f}")
    # the backend's hard checks: every name of the question in the lead's article, and the answer type present
    # (except for SOFT_TYPES; requiring the names in the lead's sentence window as well cost 10% of answerable dev
    # questions: not used)
    ok = (X_all[:, FEATURES.index("entities_in_doc")] == 1) & ((X_all[:, FEATURES.index("typed")] == 1) | soft)
    for th in grid:
        ans = (loo >= th) & ok
        print(f"  with checks, threshold {th:.2f}: answered {np.mean(ans[y == 1]):.2f} of answerable, "
              f"{np.mean(ans[y == 0]):.2f} of unanswerable")
    # thresholds on a 0.01 grid (the table above is on 0.05): a coarser step can move the answer threshold past
    # several questions at once when one leave-one-out probability crosses it
    fine = np.round(np.arange(0.05, 0.96, 0.01), 2)
    answer_t = next((float(t) for t in fine if np.mean(((loo >= t) & ok)[y == 0]) <= args.max_unanswerable_answered), 0.95)
    partial_t = max([float(t) for t in fine if np.mean(loo[y == 1] >= t) >= args.min_answerable_shown] or [0.05])
    partial_t = min(partial_t, answer_t)
    model = fit(X, y, c)
    scaler, lr = model[0], model[1]
    out = {"scorer": SCORER, "features": list(names), "answer_weight": answer_weight, "mean": scaler.mean_.tolist(), "scale": scaler.scale_.tolist(),
           "weights": lr.coef_[0].tolist(), "bias": float(lr.intercept_[0]), "answer_threshold": answer_t,
           "partial_threshold": partial_t, "trained_on": f"{args.qa} (split dev)", "questions": int(len(y)),
           "answer_scores": "out-of-fold (cross-fitted)" if cross_fitted else "shipped scorer",
           "c": c, "loo_auc": round(float(auc_value), 4),
           "loo_auc_by_features": {n: round(float(a[0]), 4) for n, a in aucs.items()}}
    ans = (loo >= answer_t) & ok
    print(f"answer threshold {answer_t:.2f}: answered {np.mean(ans[y == 1]):.3f} of answerable, "
          f"{np.mean(ans[y == 0]):.3f} of unanswerable (leave-one-out); partial threshold {partial_t:.2f}")
    print(json.dumps({k: out[k] for k in ("weights", "bias", "answer_threshold", "partial_threshold")}))
    if args.write:
        MODEL_PATH.write_text(json.dumps(out, indent=1) + "\n")
        print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
