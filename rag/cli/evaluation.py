"""Command line, evaluation commands: ``rag eval`` (grounding report per split) and ``rag eval-retrieval`` (BEIR).

Registered on :data:`rag.cli.main.main`; heavy libraries are imported inside the commands so ``rag --help`` stays instant.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from rag.cli.common import BACKEND, CORPUS, INDEX, ensure_index, main, progress_bar


@main.command("eval")
@click.option("--qa", "qa_paths", multiple=True, type=click.Path(exists=True),
              help="Question set (JSONL, see README); repeatable. Default: tests/data/qa.jsonl and qa_test.jsonl.")
@click.option("--split", type=click.Choice(["dev", "test"]), default=None, help="Only this split's questions.")
@BACKEND
@click.option("--out", "out_dir", default="eval-report", show_default=True, help="Folder for report.json and report.md.")
@CORPUS
@INDEX
def eval_cmd(qa_paths: tuple[str, ...], split: str | None, backend: str | None, out_dir: str, corpus_dir: str | None,
             index_dir: str | None) -> None:
    """Grounding report per split: retrieval hits, key facts, citation recall/precision, outcomes, latency.

    Example usage: rag eval --qa tests/data/qa.jsonl --qa tests/data/qa_test.jsonl
    """
    qa_path = list(qa_paths) or [p for p in ("tests/data/qa.jsonl", "tests/data/qa_test.jsonl") if Path(p).exists()]
    if not qa_path:
        raise click.UsageError("no question set: pass --qa FILE")
    from rag.app.evaluate import run_eval
    from rag.app.report import write_report

    _, index_dir = ensure_index(corpus_dir, index_dir)
    from tqdm import tqdm

    from rag.app.evaluate import load_qa

    total = sum(len(load_qa(p, split)) for p in qa_path)
    with tqdm(total=total, desc="Questions", file=sys.stderr, leave=False) as bar:
        results, summary = run_eval(qa_path, index_dir=index_dir, backend=backend, progress=bar.update, split=split)
    table, paths = write_report(results, summary, Path(out_dir))
    click.echo(table)
    click.echo("Report: " + ", ".join(str(p) for p in paths))


@main.command("eval-retrieval")
@click.option("--beir", "beir_dir", required=True, type=click.Path(exists=True, file_okay=False),
              help="BEIR folder with corpus.jsonl, queries.jsonl, qrels/<split>.tsv.")
@click.option("--split", default="test", show_default=True, help="qrels split to score.")
@click.option("--max-queries", type=int, default=None, help="Score only the first N queries (quick runs).")
@click.option("--cache", "cache_dir", default=".cache/beir", show_default=True, help="Embedding cache folder.")
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object.")
def eval_retrieval(beir_dir: str, split: str, max_queries: int | None, cache_dir: str, as_json: bool) -> None:
    """nDCG@10, recall@10/100 and MRR@10 of BM25, dense and fused retrieval on a BEIR dataset.

    Example usage: rag eval-retrieval --beir tests/fixtures/scifact-sample (a 30-query sample; the full SciFact is
    https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/scifact.zip)
    """
    from rag.app.beir import evaluate_beir
    from rag.core.config import load_settings
    from rag.encoders.registry import get_embedder
    from rag.ingest.chunk import chunker_from
    from rag.retrieval.hybrid import fusion_from

    # the configured embedder, precision (RAG_PRECISION=fp32 compares against full precision), chunking and fusion
    settings = load_settings()
    embedder = get_embedder(settings.embedder, settings.precision)
    metrics = evaluate_beir(beir_dir, split=split, max_queries=max_queries, cache_dir=cache_dir, embedder=embedder,
                            progress=progress_bar("Embedding"), fusion=fusion_from(settings),
                            chunker=chunker_from(settings, embedder.max_tokens))
    if as_json:
        click.echo(json.dumps(metrics))
        return
    click.echo(f"{'retriever':10} {'ndcg@10':>8} {'recall@10':>10} {'recall@100':>11} {'mrr@10':>7}")
    for name, m in metrics.items():
        click.echo(f"{name:10} {m['ndcg@10']:8.4f} {m['recall@10']:10.4f} {m['recall@100']:11.4f} {m['mrr@10']:7.4f}")
