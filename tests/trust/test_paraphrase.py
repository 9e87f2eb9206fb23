"""The verifier accepts honest paraphrase and rejects a changed fact (issue 30, item 5).

The rule checks are tested on their own with hand-made sentences; the whole verifier (MiniLM word and sentence
vectors, the shipped support model) on pairs of the dev half of ``bench/data/paraphrase_pairs.jsonl``, judged the way
the answer pipeline judges an LLM sentence citing one passage (``bench/verifier_eval.py``).
"""

from __future__ import annotations

import json
import sys
from collections import Counter

import pytest

from rag.trust.roles import (changed_periods, exchanged_arguments, misbound_numbers, reversed_bounds,
                             reversed_direction, role_conflict)
from rag.trust.verify import missing_facts, polarity_conflict, spelled_out_acronyms
from tests.helpers import CORPUS, ROOT

PAIRS = ROOT / "bench" / "data" / "paraphrase_pairs.jsonl"


def _pairs() -> list[dict]:
    return [json.loads(line) for line in PAIRS.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- the battery file ----------------------------------------------------------------------------------------------


def test_battery_evidence_is_a_verbatim_corpus_sentence_and_halves_split_by_article():
    from rag.text.sentences import split_sentences

    files = sorted(CORPUS.glob("*.md"))
    position = {p.stem: n for n, p in enumerate(files)}
    sentences = {p.stem: {p.read_text(encoding="utf-8")[s:e].strip()
                          for s, e in split_sentences(p.read_text(encoding="utf-8"))} for p in files}
    pairs = _pairs()
    for p in pairs:
        assert set(p) == {"evidence", "claim", "label", "kind", "doc_id", "split"}, p
        assert p["evidence"] in sentences[p["doc_id"]], p["evidence"]
        assert p["split"] == ("dev" if position[p["doc_id"]] % 2 else "test")
        assert p["label"] in ("faithful", "changed") and p["claim"] != p["evidence"]
    kinds = Counter(p["kind"] for p in pairs if p["label"] == "changed")
    assert set(kinds) == {"figure", "name", "time", "direction", "attribute"}
    assert len(pairs) >= 120 and 0.4 <= sum(p["label"] == "faithful" for p in pairs) / len(pairs) <= 0.6


# --- the rule checks -----------------------------------------------------------------------------------------------

CORES = ("This includes a prime core clocked at 2.75 GHz, four performance cores at 2.27 GHz, and four efficiency "
         "cores at 1.72 GHz.")
SCORES = "Initial scores reveal single-core results of 1131 and multi-core scores of 4277."


def test_a_value_bound_to_another_noun_is_caught():
    assert misbound_numbers("The chip's four efficiency cores are clocked at 2.27 GHz.", CORES) == ["2.27"]
    assert misbound_numbers("Its prime core runs at 2.75 GHz.", CORES) == []
    assert misbound_numbers("Single-core results reached 4277 and multi-core scores 1131.", SCORES)
    assert misbound_numbers("The chip scored 4277 multi-core and 1131 single-core.", SCORES) == []


def test_two_dates_exchanged_are_caught_and_either_date_alone_is_not():
    evidence = ("The target is to produce working chips by 2028, with 2030 being considered a more realistic "
                "timeframe by many observers.")
    assert role_conflict("The target is to produce working chips by 2030, with 2028 considered more realistic.",
                         evidence)
    assert role_conflict("Many observers consider 2030 a more realistic timeframe for producing working chips.",
                         evidence) == ""


def test_floors_and_ceilings():
    evidence = "The policy covers data centers with less than 30% completion."
    assert reversed_bounds("It covers data centers with more than 30% completion.", evidence)
    assert reversed_bounds("It covers data centers that are under 30% complete.", evidence) == []
    assert reversed_bounds("Systems require at most 250W.", "Systems require at least 250W.")
    assert reversed_bounds("Yields could be as high as 20%.", "Yields could be as low as 20%.")


def test_directions_are_compared_by_what_they_are_about():
    evidence = "Costs are up to 50% higher than at the rival, coupled with lower yields."
    assert reversed_direction("Costs are up to 50% less than at the rival.", evidence) == "less"
    assert reversed_direction("Yields are lower and costs are up to 50% higher.", evidence) == ""
    assert reversed_direction("The firm aims to halve output in 2025.", "The firm aims to double output in 2025.")
    assert reversed_direction("Demand is expected to double next year.",
                              "Demand is expected to double next year.") == ""


def test_a_comparison_read_from_the_other_side_is_no_reversal_and_its_sides_exchanged_are():
    evidence = "This is dramatically lower than the over 70% typically required."
    assert reversed_direction("The over 70% typically required is dramatically higher than this.", evidence) == ""
    assert reversed_direction("This is dramatically higher than the over 70% typically required.", evidence)
    costs = "SMIC's wafer costs are up to 50% higher than TSMC's."
    assert reversed_direction("TSMC's wafer costs are up to 50% higher than SMIC's.", costs)
    assert reversed_direction("AI agents could outnumber human connections.",
                              "By 2030 human connections could outnumber AI agents.")


def test_what_goes_and_what_comes_must_not_change_sides():
    evidence = "Data centers must replace foreign AI chips with Chinese alternatives."
    assert exchanged_arguments("Data centers must replace Chinese AI chips with foreign alternatives.", evidence)
    assert exchanged_arguments("Data centers must swap foreign AI chips for Chinese ones.", evidence) == []


def test_periods_of_a_year():
    assert changed_periods("Trial production starts by Q1 2025.", "Trial production starts by Q3 2025.") == ["Q1"]
    assert changed_periods("It lost $5.5 billion in the first quarter of 2025.",
                           "It lost $5.5 billion in Q1 2025.") == []
    assert changed_periods("The fund launched in late 2025.", "The fund launched in early 2025.") == ["late 2025"]
    assert changed_periods("Costs could drop by mid-2026.", "Costs could drop by the middle of 2026.") == []


def test_generic_contrasts_are_contradictions():
    assert polarity_conflict("Investment was mostly public.", "Investment was mostly private.")
    assert polarity_conflict("The screening test is inaccurate.", "The screening test is accurate.")
    assert polarity_conflict("It is a UCP1-dependent mechanism.", "It is a UCP1-independent mechanism.")
    assert polarity_conflict("Half of the compute must come from foreign chips.",
                             "Half of the compute must come from domestic chips.")


def test_names_a_claim_does_not_invent():
    evidence = ("Early results on folic acid in chronic kidney disease show that AMP levels drive the effect in "
                "Geekbench tests.")
    assert spelled_out_acronyms("Folic acid does not affect chronic kidney disease (CKD) progression.") == {"CKD"}
    assert missing_facts("Folic acid does not affect chronic kidney disease (CKD) progression.", evidence) == []
    assert missing_facts("AMP-activated kinase drives the effect.", evidence) == []
    assert missing_facts("Early Geekbench tests show the effect.", evidence) == []
    assert missing_facts("Émile Zola visited Zürich.", "Zola visited Zürich in 1890.") == ["Émile Zola"]


# --- the whole verifier on dev pairs -------------------------------------------------------------------------------

FAITHFUL = [
    "Early Geekbench tests gave the chip a multi-core score of 4277 and a single-core score of 1131.",
    "The over 70% typically required for commercial viability in the global semiconductor industry is dramatically "
    "higher than this.",
    "Germany wants all Chinese components out of its 5G infrastructure by 2029.",
    "Under the retroactive policy, data centers that are under 30% complete must swap foreign AI chips for Chinese "
    "alternatives and drop any plans to buy US-made chips.",
    "SMIC's 5nm wafers are estimated to cost up to 50% more than TSMC's, and its yields are lower because it relies "
    "on DUV.",
    "Huawei plans to double its Ascend AI chip output in 2025 to about 600,000 units and to raise it to as many as "
    "1.6 million dies in 2026.",
]
CHANGED = {
    "figure": "Initial Geekbench scores reveal single-core results of 4277 and multi-core scores of 1131.",
    "name": "TSMC's 5nm wafer costs are presently estimated to be up to 50% higher than SMIC's.",
    "time": "China's target is to produce working chips from its domestic EUV machine by 2030, with 2028 considered "
            "more realistic by many industry observers.",
    "direction": "SMIC's 5nm wafer costs are presently estimated to be up to 50% less than TSMC's.",
    "attribute": "The chip's four efficiency cores are clocked at 2.27 GHz.",
}


@pytest.fixture(scope="module")
def judged():
    sys.path.insert(0, str(ROOT / "bench"))
    import verifier_eval

    verifier = verifier_eval.make_verifier()
    return verifier, verifier_eval


@pytest.mark.slow
def test_dev_pairs_with_the_real_models(judged):
    verifier, bench = judged
    by_claim = {p["claim"]: p for p in _pairs() if p["split"] == "dev"}
    for claim in FAITHFUL:
        p = by_claim[claim]
        assert p["label"] == "faithful"
        ok, reason = bench.judge(verifier, claim, [p["evidence"]], p["doc_id"])
        assert ok, (claim, reason)
    for kind, claim in CHANGED.items():
        p = by_claim[claim]
        assert (p["label"], p["kind"]) == ("changed", kind)
        ok, reason = bench.judge(verifier, claim, [p["evidence"]], p["doc_id"])
        assert not ok, (kind, claim)


@pytest.mark.slow
def test_dev_half_figures_hold(judged):
    """The dev half as a whole (the half the verifier was tuned on): a guard against regressions."""
    verifier, bench = judged
    summary = bench.summary(bench.battery(verifier, [p for p in _pairs() if p["split"] == "dev"]))
    assert summary["faithful_accepted"] >= 0.85, summary
    assert summary["changed_rejected"] >= 0.90, summary
