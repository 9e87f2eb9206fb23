"""Disagreeing sources: the corpus' real disagreements are named side by side with dates and citations; figures
that only look alike are not. Real spaCy pipeline, real MiniLM index of the bundled corpus."""

from __future__ import annotations

import json

import pytest

from tests.helpers import CONFLICT_PAIRS, CORPUS

CAPACITY = "What is SMIC's advanced-node capacity?"


@pytest.fixture(scope="module")
def embed(real_index):
    from rag.answering.pipeline import vector_cache
    from rag.index.snapshot import load_index

    return vector_cache(load_index(real_index))


def _mention(sentence: str, phrase: str):
    from rag.trust.conflicts import mentions

    return next(m for m in mentions(sentence) if m.phrase == phrase)


def test_mentions_carry_value_unit_and_projection():
    from rag.trust.conflicts import mentions

    current = _mention("By late 2025, SMIC’s advanced node capacity has reached an estimated 60,000 wafers per month, "
                       "a figure expected to double by the end of next year.", "an estimated 60,000")
    assert (current.value, current.unit, current.projection) == (60000.0, "wafer per month", False)
    assert {"capacity", "node"} <= current.subject
    planned = _mention("SMIC is projected to expand its advanced node capacity to nearly 50,000 wafers per month by "
                       "the end of 2025.", "nearly 50,000")
    assert planned.projection and planned.unit == current.unit
    # "5nm" names a kind of chip, it does not measure anything; "40-50%" is a range
    assert not [m for m in mentions("SMIC reached 5nm chips and 7nm dies.") if m.unit == "nm"]
    ranged = _mention("Production costs are 40-50% higher than abroad.", "40-50%")
    assert (ranged.value, ranged.spread) == (45.0, 5.0)


def test_corpus_capacity_disagreement_is_shown_newest_first(real_index):
    from rag import answer

    result = answer(CAPACITY, index_dir=real_index)
    assert len(result.conflicts) == 1, result.text
    newest, older = result.conflicts[0].values
    assert "60,000 wafers per month" in newest.phrase and newest.date == "2025-12-18" and not newest.projection
    assert "50,000 wafers per month" in older.phrase and older.date == "2025-11-07" and older.projection
    assert newest.date > older.date
    line = result.text[result.text.index("Sources differ:"):]
    assert f"(18 Dec 2025) [{newest.marker}]" in line and f"(projection, 7 Nov 2025) [{older.marker}]" in line
    cited = {c.marker: c for c in result.citations}
    assert "60,000" in cited[newest.marker].quote and "nearly 50,000" in cited[older.marker].quote
    assert newest.anchor == cited[newest.marker].anchor and older.doc_id != newest.doc_id
    assert json.loads(json.dumps(result.to_dict()))["conflicts"][0]["values"][0]["marker"] == newest.marker


def test_corpus_yield_disagreement(real_index):
    from rag import answer

    result = answer("What are SMIC's 5nm yields?", index_dir=real_index)
    assert len(result.conflicts) == 1, result.text
    phrases = sorted(v.phrase for v in result.conflicts[0].values)
    assert phrases == ["35%", "as low as 20%"]
    assert [v.date for v in result.conflicts[0].values] == ["2025-12-18", "2025-12-15"]


def test_latest_question_leads_with_the_newest_source(real_index):
    from rag import answer
    from rag.trust.conflicts import asks_for_latest

    assert asks_for_latest("What is SMIC's advanced-node capacity now?")
    assert asks_for_latest("How many wafers does SMIC currently make?")
    assert not asks_for_latest(CAPACITY)
    result = answer("What is SMIC's latest advanced-node capacity?", index_dir=real_index)
    assert result.conflicts
    assert "Sources differ; the newest says an estimated 60,000 wafers per month (18 Dec 2025)" in result.text


@pytest.mark.parametrize("question, a, value_a, b, value_b", [
    # different subjects: a market share and a revenue share
    ("What share of the Chinese AI chip market will Huawei hold?",
     "However, domestic AI chip production is seeing rapid growth, with Chinese homegrown AI chips capturing over 50% "
     "market share in Chinese data centers by late 2024.", "50%",
     "The recent conditional approval for Nvidia to sell its H200 AI chips to certain Chinese customers, albeit with "
     "a 25% revenue share for the US government, highlights the intricate balance between corporate interests and "
     "national security.", "25%"),
    # a projection vs a current figure of different things: a global market share in 2026 vs a Chinese one in 2024
    ("What is China's share of the data center chip market?",
     "However, domestic AI chip production is seeing rapid growth, with Chinese homegrown AI chips capturing over 50% "
     "market share in Chinese data centers by late 2024.", "50%",
     "In 2026, the industry expects the full activation of the Shenzhen Fab Cluster, which is projected to push "
     "China’s share of the global data center accelerator market past 20%.", "past 20%"),
    # two different amounts of money: private investment spurred vs a fund's size
    ("How much private investment did the CHIPS Act spur?",
     "The US CHIPS and Science Act, allocating substantial federal subsidies and tax credits, aims to boost domestic "
     "chip production and R&D, having spurred over $540 billion in private investments across 28 states by July 2025.",
     "$540 billion",
     "This is backed by massive state investment, including a new $8.2 billion National AI Industry Investment Fund "
     "launched in 2025, with public sector spending on AI projected to exceed $56 billion this year alone.",
     "$8.2 billion"),
    # two targets for different years
    ("What self-sufficiency rate does China aim for?",
     "This achievement validates China's strategic investment in domestic capabilities, aiming for 70% semiconductor "
     "import substitution by 2025 and 100% by 2030, backed by substantial government funding packages.", "70%",
     "Long-term, China's strategy under its 14th Five-Year Plan and subsequent initiatives emphasizes complete "
     "technological self-sufficiency, with some targets aiming for 100% import substitution by 2030.", "100%"),
])
def test_look_alike_figures_are_not_flagged(embed, question, a, value_a, b, value_b):
    from rag.trust.conflicts import THRESHOLD, best_pair

    score, _, _ = best_pair(a, b, embed, embed([question])[0])
    assert score < THRESHOLD, (value_a, value_b, score)


def test_labelled_pairs_file_is_well_formed():
    rows = [json.loads(line) for line in CONFLICT_PAIRS.read_text().splitlines()]
    assert len(rows) >= 30
    assert {r["split"] for r in rows} == {"dev", "test"} and {r["label"] for r in rows} == {0, 1}
    for r in rows:
        assert r["value_a"] in r["sentence_a"] and r["value_b"] in r["sentence_b"] and r["doc_a"] != r["doc_b"]
        assert (CORPUS / f"{r['doc_a']}.md").read_text().count(r["sentence_a"][:80]) >= 1


def test_cli_ask_verbose_prints_support_and_anchors(real_index):
    from click.testing import CliRunner

    from rag.cli.main import main

    out = CliRunner().invoke(main, ["ask", CAPACITY, "--verbose", "--index", str(real_index), "--corpus", str(CORPUS)])
    assert out.exit_code == 0, out.output
    assert "Support per sentence" in out.output and "1.00 [1]" in out.output and "kept" in out.output
    assert "Sources differ:" in out.output and "anchor: chinas-triple-output" in out.output


def test_other_sources_are_parsed_only_when_a_cited_sentence_states_a_figure(embed, real_index):
    """The conflict check's cost: without a figure in any cited sentence, no other sentence is parsed."""
    from dataclasses import replace

    from rag import answer
    from rag.index.snapshot import load_index
    from rag.text import mentions
    from rag.trust.conflicts import candidate_pairs

    docs = load_index(real_index).documents
    result = answer(CAPACITY, index_dir=real_index)
    numeric = [o for p in result.passages for a, b in p.chunk.sentences
               for o in [docs[p.chunk.doc_id].text[a:b]] if any(ch.isdigit() for ch in o)]
    assert numeric and result.citations
    plain = "The firm has not commented on the matter."  # no figure: nothing another source could contradict
    mentions.clear_cache()
    assert candidate_pairs(CAPACITY, [replace(result.citations[0], quote=plain)], result.passages, docs, embed) == []
    assert not any(s in mentions._mention_cache for s in numeric)
    # with the real citations (60,000 wafers per month), the other articles' sentences are parsed and paired
    found = candidate_pairs(CAPACITY, result.citations, result.passages, docs, embed)
    assert found and any(s in mentions._mention_cache for s in numeric)
    assert all(other.doc_id != cite.doc_id for _, cite, _, other, _ in found)
