"""`rag eval` and `rag eval-retrieval` on small inputs, with the real model."""

import json

import pytest
from click.testing import CliRunner

from rag.app.evaluate import load_qa
from rag.cli.main import main
from rag.core.errors import ConfigError
from tests.helpers import CORPUS, QA, SCIFACT_SAMPLE


def test_eval_report_on_a_small_question_set(real_index, tmp_path):
    lines = QA.read_text(encoding="utf-8").splitlines()
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(lines[:6] + [l for l in lines if '"answerable": false' in l][:3]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "--qa", str(small), "--out", str(tmp_path / "rep"), "--index",
                                       str(real_index), "--corpus", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert "citation recall (ALCE)" in result.output and "key-fact coverage" in result.output
    assert "95% interval" in result.output
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    overall = data["summary"]["overall"]
    # (citation_validity is not asserted: extractive quotes are sliced from the document, so it is 1.0 by construction)
    assert overall["questions"] == 9 and "citation_validity" in overall
    assert overall["abstention_unanswerable"] >= 2 / 3 and overall["key_fact_coverage"] > 0.5
    assert len(data["questions"]) == 9
    md = (tmp_path / "rep" / "report.md").read_text()
    assert md.count("<svg") == 3 and "| key-fact coverage |" in md


def test_bad_question_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "q?", "answerable": true}\n{broken\n')
    with pytest.raises(ConfigError, match="line 2"):
        load_qa(bad)


@pytest.mark.real_index  # embeds the 330 abstracts with the real MiniLM (BEIR dense and hybrid)
def test_eval_retrieval_json_on_mini_scifact(tmp_path):
    mini_beir = SCIFACT_SAMPLE  # 30 test queries, their relevant abstracts and 300 others (tests/fixtures/README.md)
    result = CliRunner().invoke(main, ["eval-retrieval", "--beir", str(mini_beir), "--json", "--cache", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output.strip().splitlines()[-1])
    assert set(metrics) == {"bm25", "dense", "hybrid"}
    for scores in metrics.values():
        assert set(scores) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
        assert 0.3 < scores["ndcg@10"] <= scores["recall@100"] + 1e-9 <= 1.0 + 1e-9
    # second run reuses the cached passage vectors, and the cached vectors give exactly the same scores
    cache_files = list((tmp_path / "c").rglob("*.npy"))
    assert cache_files
    mtime = cache_files[0].stat().st_mtime
    again = CliRunner().invoke(main, ["eval-retrieval", "--beir", str(mini_beir), "--json", "--cache", str(tmp_path / "c")])
    assert cache_files[0].stat().st_mtime == mtime
    assert json.loads(again.output.strip().splitlines()[-1]) == metrics


def test_eval_retrieval_missing_files(tmp_path):
    result = CliRunner().invoke(main, ["eval-retrieval", "--beir", str(tmp_path)])
    assert result.exit_code == 1 and "corpus.jsonl is missing" in result.output


def test_fact_found_reads_through_citation_markers():
    from rag.app.evaluate import fact_found

    text = "Bond travels to Austria to find White, who is dying of thallium poisoning [2]. White then dies [3]."
    assert fact_found(text, ["thallium poisoning."])  # SQuAD-style gold with its full stop
    assert fact_found(text, ["poisoning. White"])  # a span across a marker
    assert not fact_found(text, ["arsenic poisoning"])
    assert not fact_found(text, [" . "])  # nothing left of an alternative matches nothing


def test_rates_come_with_their_95_percent_interval():
    from rag.app.evaluate import QuestionResult, bootstrap_mean, summarize, wilson

    # textbook Wilson intervals (n = 10): 0 of 10 -> 0-0.278, 5 of 10 -> 0.237-0.763
    assert wilson(0, 10) == pytest.approx((0.0, 0.2775), abs=1e-4)
    assert wilson(5, 10) == pytest.approx((0.2366, 0.7634), abs=1e-4)
    assert wilson(0, 0) is None
    low, high = bootstrap_mean([1.0] * 30 + [0.0] * 10)
    assert low < 0.75 < high and high - low < 0.35
    results = [QuestionResult(f"q{i}", "fact", True, i >= 8, 0.01, "test", "answered" if i < 8 else "partial",
                              key_fact_coverage=1.0 if i < 9 else 0.0) for i in range(10)]
    results += [QuestionResult(f"u{i}", "fact", False, i > 0, 0.01, "test", "answered" if i == 0 else "not_found")
                for i in range(5)]
    test = summarize(results)["by_split"]["test"]
    assert test["answered_answerable"] == 0.8 and test["intervals"]["answered_answerable"] == pytest.approx(wilson(8, 10))
    assert test["intervals"]["answered_unanswerable"] == pytest.approx(wilson(1, 5))
    lo, hi = test["intervals"]["key_fact_coverage"]
    assert lo < 0.9 <= hi


def test_risk_coverage_ranks_by_confidence_and_ignores_the_threshold():
    """Answered precision and coverage move with the answer/abstain threshold; the risk-coverage area does not: it
    depends only on how confidence ranks right answers above wrong ones."""
    from rag.app.evaluate import QuestionResult, risk_coverage

    def q(answerable: bool, status: str, coverage: float | None, confidence: float | None) -> QuestionResult:
        return QuestionResult("x", "fact", answerable, status != "answered", 0.1, status=status,
                              key_fact_coverage=coverage if answerable else None, confidence=confidence)

    right, wrong_fact, unanswerable = q(True, "answered", 1.0, 0.9), q(True, "answered", 0.5, 0.8), \
        q(False, "answered", None, 0.7)
    declined = q(True, "not_found", 0.0, 0.2)
    figures = risk_coverage([right, wrong_fact, unanswerable, declined])
    assert figures["answered_precision"] == 1 / 3 and figures["coverage"] == 3 / 4
    # risks of answering the top 1..4 by confidence: 0, 1/2, 2/3, 3/4
    assert figures["aurc"] == pytest.approx((0 + 1 / 2 + 2 / 3 + 3 / 4) / 4)
    assert figures["aurc_oracle"] == figures["aurc"]  # the one right answer is already ranked first
    stricter = risk_coverage([right, q(True, "partial", 0.5, 0.8), q(False, "not_found", None, 0.7), declined])
    assert stricter["coverage"] == 1 / 4 and stricter["answered_precision"] == 1.0
    assert stricter["aurc"] == figures["aurc"]  # a threshold change alone leaves the area where it was
    worse = risk_coverage([q(True, "answered", 1.0, 0.1), wrong_fact, unanswerable, declined])
    assert worse["aurc"] > figures["aurc"] > worse["aurc_oracle"] - 1e-12
    no_key_facts = QuestionResult("y", "fact", True, False, 0.1, status="answered", confidence=0.99)
    assert risk_coverage([no_key_facts]) == {"answered_precision": None, "coverage": None, "aurc": None,
                                             "aurc_oracle": None}


def test_short_answers_are_scored_as_squad_scores_them():
    from rag.app.evaluate import span_scores

    assert span_scores("the Norman conquest", ["Norman conquest"]) == (1.0, 1.0)  # articles and case do not count
    em, f1 = span_scores("in 1066 by William", ["1066"])
    assert em == 0.0 and f1 == pytest.approx(0.4)  # precision 1/4, recall 1
    assert span_scores("Paris", ["London", "Paris."]) == (1.0, 1.0)  # the best gold answer, punctuation ignored
    assert span_scores("", ["1066"]) == (0.0, 0.0)
