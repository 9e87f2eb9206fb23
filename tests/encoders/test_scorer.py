"""The shipped cross-encoders (rag/scorer.py): present, small, loaded offline without PyTorch, and reading text.

The pairs below are generic English written for these tests (no corpus sentence, no evaluation question).
"""

import json

import pytest

from rag.encoders.scorer import (
    MODEL_DIR,
    SUPPORT_DIR,
    answer_scorer,
    pair,
    support_model,
)
from tests.helpers import TORCH, assert_light


@pytest.mark.parametrize("folder", [MODEL_DIR, SUPPORT_DIR])
def test_models_ship_with_a_card_and_fit_the_size_limit(folder):
    size_mb = sum(f.stat().st_size for f in folder.iterdir()) / 1e6
    assert size_mb <= 50, f"{folder.name} is {size_mb:.1f} MB"
    meta = json.loads((folder / "scorer.json").read_text())
    assert meta["name"] and meta["max_length"] > 0
    card = (folder / "MODEL_CARD.md").read_text()
    for heading in ("Training", "Reproduce", "Limits"):
        assert heading in card


def test_the_answer_scorer_prefers_the_sentence_that_answers():
    score = answer_scorer()
    q = "Who founded the bakery on Elm Street?"
    answer = pair(q, "The bakery on Elm Street was founded by Maria Lopez in 1987.", "It sells bread.", "")
    topical = pair(q, "The bakery on Elm Street sells rye bread and pastries every morning.", "", "")
    unrelated = pair(q, "The river froze over during the coldest winter on record.", "", "")
    s_answer, s_topical, s_unrelated = score([answer, topical, unrelated])
    assert s_answer > s_topical and s_answer > s_unrelated
    assert s_answer > 0.5 > s_unrelated


def test_the_answer_scorer_notices_a_wrong_attribute():
    """The same sentence answers "when" but not "how much": the score must drop for the latter."""
    score = answer_scorer()
    sent = "The new bridge opened to traffic in March 2019 after four years of construction."
    when, cost = score([pair("When did the new bridge open?", sent), pair("How much did the new bridge cost?", sent)])
    assert when > 0.5 and when > cost


def test_the_support_model_rejects_a_negated_claim_and_accepts_a_faithful_one():
    support = support_model()
    assert support is not None
    evidence = "The city council approved the new budget on Tuesday, raising school funding by 4 percent."
    faithful, negated = support([("The city council approved the new budget on Tuesday.", evidence),
                                 ("The city council did not approve the new budget on Tuesday.", evidence)])
    assert faithful >= support.meta["floor"] and faithful > negated


def test_scorers_load_without_pytorch():
    assert_light("from rag.encoders.scorer import answer_scorer, support_model\n"
                 "answer_scorer()([('a b', 'c d')]); support_model()([('a b', 'c d')])", avoid=TORCH)


def test_answers_record_the_scorer_and_a_confidence(real_index):
    from rag.app.api import answer

    a = answer("What node did SMIC reach without EUV lithography?", index_dir=real_index)
    assert json.loads((MODEL_DIR / "scorer.json").read_text())["name"] in a.scorer
    assert a.confidence is not None and 0.0 <= a.confidence <= 1.0


def test_the_answerability_model_names_known_features_and_was_fitted_on_dev():
    from rag.answering.backends.answerability import FEATURES, MODEL_PATH

    m = json.loads(MODEL_PATH.read_text())
    assert set(m["features"]) <= set(FEATURES)
    assert len(m["weights"]) == len(m["mean"]) == len(m["scale"]) == len(m["features"])
    assert "split dev" in m["trained_on"] and m["answer_weight"] >= 0
    assert 0 < m["partial_threshold"] <= m["answer_threshold"] < 1


@pytest.mark.parametrize("kept_off_amx", [True, False])
def test_cross_encoders_compute_in_the_embedders_precision(monkeypatch, kept_off_amx):
    """Where OpenVINO is kept off AMX its bf16 kernels are slower than f32 (the embedder's rule,
    rag.encoders.runtime.resolve_precision); the cross-encoders follow the same rule, and OpenVINO is told so."""
    from rag.encoders import runtime
    from rag.encoders.scorer import CrossEncoder

    monkeypatch.setattr(runtime, "openvino_kept_off_amx", lambda: kept_off_amx)
    model = CrossEncoder(MODEL_DIR, 32)
    wanted = "f32" if kept_off_amx or not runtime.cpu_has_bf16() else "bf16"
    assert model.compute == wanted
    assert model.compiled.get_property("INFERENCE_PRECISION_HINT").get_type_name() == wanted
    assert 0.0 < float(model([("What is water made of?", "Water is made of hydrogen and oxygen.")])[0]) < 1.0
