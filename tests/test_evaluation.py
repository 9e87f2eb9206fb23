"""`rag eval` and `rag eval-retrieval` on small inputs, with the real model."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from rag.cli import main
from rag.errors import ConfigError
from rag.evaluate import load_qa

from conftest import CORPUS, QA, ROOT

SCIFACT = ROOT.parent / "shared" / "bench-data" / "scifact"


def test_eval_report_on_a_small_question_set(real_index, tmp_path):
    lines = QA.read_text(encoding="utf-8").splitlines()
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(lines[:6] + [l for l in lines if '"answerable": false' in l][:3]) + "\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["eval", "--qa", str(small), "--out", str(tmp_path / "rep"), "--index",
                                       str(real_index), "--corpus", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert "citation recall (ALCE)" in result.output and "key-fact coverage" in result.output
    data = json.loads((tmp_path / "rep" / "report.json").read_text())
    overall = data["summary"]["overall"]
    assert overall["questions"] == 9 and overall["citation_validity"] == 1.0
    assert overall["abstention_unanswerable"] >= 2 / 3 and overall["key_fact_coverage"] > 0.5
    assert len(data["questions"]) == 9
    md = (tmp_path / "rep" / "report.md").read_text()
    assert md.count("<svg") == 3 and "| key-fact coverage |" in md


def test_bad_question_file_names_the_line(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"id": "x", "question": "q?", "answerable": true}\n{broken\n')
    with pytest.raises(ConfigError, match="line 2"):
        load_qa(bad)


@pytest.fixture(scope="module")
def mini_beir(tmp_path_factory) -> Path:
    """30 SciFact test queries, their relevant abstracts and 400 other abstracts, in BEIR layout."""
    folder = tmp_path_factory.mktemp("beir") / "mini-scifact"
    (folder / "qrels").mkdir(parents=True)
    rows = (SCIFACT / "qrels" / "test.tsv").read_text().splitlines()
    qids = list(dict.fromkeys(r.split("\t")[0] for r in rows[1:]))[:30]
    keep = [r for r in rows[1:] if r.split("\t")[0] in qids]
    (folder / "qrels" / "test.tsv").write_text("\n".join([rows[0]] + keep) + "\n")
    relevant = {r.split("\t")[1] for r in keep}
    with open(SCIFACT / "corpus.jsonl", encoding="utf-8") as src, open(folder / "corpus.jsonl", "w", encoding="utf-8") as dst:
        others = 0
        for line in src:
            doc_id = json.loads(line)["_id"]
            if doc_id in relevant or others < 400:
                dst.write(line)
                others += doc_id not in relevant
    with open(SCIFACT / "queries.jsonl", encoding="utf-8") as src, open(folder / "queries.jsonl", "w", encoding="utf-8") as dst:
        dst.writelines(line for line in src if json.loads(line)["_id"] in qids)
    return folder


def test_eval_retrieval_json_on_mini_scifact(mini_beir, tmp_path):
    result = CliRunner().invoke(main, ["eval-retrieval", "--beir", str(mini_beir), "--json", "--cache", str(tmp_path / "c")])
    assert result.exit_code == 0, result.output
    metrics = json.loads(result.output.strip().splitlines()[-1])
    assert set(metrics) == {"bm25", "dense", "hybrid"}
    for scores in metrics.values():
        assert set(scores) == {"ndcg@10", "recall@10", "recall@100", "mrr@10"}
        assert 0.3 < scores["ndcg@10"] <= scores["recall@100"] + 1e-9 <= 1.0 + 1e-9
    # fusion should not be worse than the weaker retriever
    assert metrics["hybrid"]["ndcg@10"] >= min(metrics["bm25"]["ndcg@10"], metrics["dense"]["ndcg@10"])
    # second run reuses the cached passage vectors
    cache_files = list((tmp_path / "c").rglob("*.npy"))
    assert cache_files
    mtime = cache_files[0].stat().st_mtime
    CliRunner().invoke(main, ["eval-retrieval", "--beir", str(mini_beir), "--json", "--cache", str(tmp_path / "c")])
    assert cache_files[0].stat().st_mtime == mtime


def test_eval_retrieval_missing_files(tmp_path):
    result = CliRunner().invoke(main, ["eval-retrieval", "--beir", str(tmp_path)])
    assert result.exit_code == 1 and "corpus.jsonl is missing" in result.output
