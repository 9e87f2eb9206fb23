"""The extractive backend's answerability model: a logistic regression over evidence features of the lead sentence
(:data:`FEATURES`, computed by :meth:`rag.answering.backends.extractive.Extractive.features`), fitted on the dev split only by
``bench/calibrate_abstention.py`` and shipped as plain numbers in ``rag/answerability.json`` (serving needs numpy
only)."""

from __future__ import annotations

import json
from functools import lru_cache

import numpy as np

from rag.core.defaults import PACKAGE_DIR

FEATURES = ("cosine", "sentence_coverage", "passage_coverage", "unmatched_focus_0.5", "unmatched_focus_0.6",
            "min_focus_similarity", "typed", "entities_in_doc", "entities_in_sentence", "entities_in_window",
            "top_cosine", "retrieval_score", "answer_score", "top_answer_score", "missing_name_sentence",
            "missing_name_window")
MODEL_PATH = PACKAGE_DIR / "answerability.json"


@lru_cache(maxsize=1)
def model() -> dict:
    """Logistic-regression weights over the features it names (a subset of :data:`FEATURES`), the dev-chosen
    thresholds and the weight of the learned answer score in sentence ranking."""
    return json.loads(MODEL_PATH.read_text())


def select(features: list[float]) -> list[float]:
    """The model's features, in its order, out of the full :data:`FEATURES` vector."""
    names = model()["features"]
    return [features[FEATURES.index(n)] for n in names]


def answerability(features: list[float]) -> float:
    """Probability that the lead sentence answers the question."""
    m = model()
    z = (np.asarray(select(features)) - np.asarray(m["mean"])) / np.asarray(m["scale"])
    return float(1 / (1 + np.exp(-(z @ np.asarray(m["weights"]) + m["bias"]))))
