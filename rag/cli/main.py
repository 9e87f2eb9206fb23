"""Command line: ``rag build | search | ask | cite | serve | status | check`` here; ``eval``, ``eval-retrieval`` in
:mod:`rag.cli.evaluation`; ``watch``, ``add``, ``import-feed`` in :mod:`rag.cli.corpus`.

A thin shell over the Python API. Heavy libraries are imported inside the commands so ``rag --help`` is instant.
Domain errors become one-line messages with the next step, never a stack trace.
"""

from __future__ import annotations

import json
import sys

import click

from rag.cli import corpus, evaluation  # noqa: F401  (importing them registers their commands on `main`)
from rag.cli.common import BACKEND, CORPUS, INDEX, K_RANGE, ensure_index, folders, main
from rag.cli.common import build_and_report


@main.command()
@CORPUS
@INDEX
@click.option("--store", type=click.Choice(["faiss", "milvus"]), default=None,
              help="Vector store [default: the store setting, faiss]. milvus uses milvus_uri (Lite file or server).")
def build(corpus_dir: str | None, index_dir: str | None, store: str | None) -> None:
    """Build or update the index (only changed files are re-embedded).

    Example usage: rag build --corpus corpus --index index --store milvus
    """
    build_and_report(*folders(corpus_dir, index_dir), store=store)


@main.command()
@CORPUS
@INDEX
def status(corpus_dir: str | None, index_dir: str | None) -> None:
    """Say whether the index exists and is up to date with the corpus.

    Exit status: 0 up to date, 1 stale (the corpus changed since the build), 2 no usable index.
    """
    from rag.app.api import index_status

    state = index_status(corpus_dir, index_dir)
    click.echo(state.describe())
    if not state.exists:
        sys.exit(2)
    if state.stale:
        sys.exit(1)


@main.command()
@INDEX
def check(index_dir: str | None) -> None:
    """Verify the index's integrity (checksums, counts, spans); exit 1 with the reason if it fails."""
    from rag.index.snapshot import current_snapshot_dir, read_snapshot

    _, index_dir = folders(None, index_dir)
    snapshot = read_snapshot(current_snapshot_dir(index_dir), full_check=True)
    snapshot.verify(full=True)
    click.echo(f"OK: {snapshot.path.name}: {len(snapshot.documents)} documents, {len(snapshot.chunks)} chunks, "
               f"checksums match")


@main.command()
@click.argument("query")
@click.option("-k", "k", default=None, type=K_RANGE, help="Passages to return [default: k setting, 6].")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
@CORPUS
@INDEX
def search(query: str, k: int | None, as_json: bool, corpus_dir: str | None, index_dir: str | None) -> None:
    """Find the passages that best match QUERY (dense + BM25, fused).

    Example usage: rag search "SMIC 5nm without EUV" -k 3
    """
    from rag.app.api import search as do_search

    _, index_dir = ensure_index(corpus_dir, index_dir)
    results = do_search(query, k=k, index_dir=index_dir)
    if as_json:
        click.echo(json.dumps([{**r.to_dict()["chunk"], "score": r.score, "dense_score": r.dense_score,
                                "bm25_score": r.bm25_score, "rank": r.rank} for r in results], indent=1, ensure_ascii=False))
        return
    if not results:
        click.echo("No passages found.")
    for r in results:
        click.echo(f"[{r.rank}] {r.title}  ({r.source}, score {r.score:.4f})")
        click.echo("    " + r.text[:300].replace("\n", " ") + ("..." if len(r.text) > 300 else ""))


@main.command()
@click.argument("question")
@click.option("-k", "k", default=None, type=K_RANGE, help="Passages to retrieve [default: k setting, 6].")
@BACKEND
@click.option("-n", "--sentences", type=click.IntRange(1, 20), default=None,
              help="Answer length in sentences [default: answer_sentences setting, 3].")
@click.option("--json", "as_json", is_flag=True, help="Print the full Answer as JSON.")
@click.option("-v", "--verbose", is_flag=True, help="Also print the verifier's support score of every sentence.")
@CORPUS
@INDEX
def ask(question: str, k: int | None, backend: str | None, sentences: int | None, as_json: bool, verbose: bool,
        corpus_dir: str | None, index_dir: str | None) -> None:
    """Answer QUESTION from the articles, with a citation on every sentence.

    Example usage: rag ask "What node did SMIC reach without EUV lithography?"
    """
    from rag.app.api import answer

    _, index_dir = ensure_index(corpus_dir, index_dir)
    result = answer(question, k=k, backend=backend, index_dir=index_dir, max_sentences=sentences)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=1, ensure_ascii=False))
        return
    for notice in result.notices:
        click.echo(f"Note: {notice}")
    # the three outcomes look different: a confident answer, a partial one (with why), or nothing found (with why);
    # on stdout with the answer, so a log of stdout and stderr together keeps the order
    if result.short_answer is not None:  # the direct answer first, then the cited sentences that state it
        click.echo(f"Short answer: {result.short_answer.text} [{result.short_answer.marker}]")
    label = {"answered": "Answer", "partial": "Partial answer", "not_found": "Not found"}.get(result.status, "Answer")
    click.echo(f"{label}{f' ({result.reason})' if result.reason else ''}:")
    click.echo(result.text)
    if verbose and result.confidence is not None:
        click.echo(f"\nConfidence {result.confidence:.2f} (scorer: {result.scorer})")
    if verbose and result.support:
        click.echo("\nSupport per sentence (verifier score; removed sentences were left out of the answer):")
        for s in result.support:
            state = "kept" if s.supported else f"removed: {s.reason or 'not supported'}"
            marks = "".join(f"[{m}]" for m in s.markers)
            click.echo(f"  {s.score:.2f} {marks:5} {state:8} {s.sentence}")
    if result.citations:
        click.echo("\nSources:")
        for c in result.citations:
            click.echo(f"[{c.marker}] {c.title} ({c.date or 'undated'}, {c.source})")
            click.echo(f"    \"{c.quote}\"")
            if verbose:
                click.echo(f"    anchor: {c.anchor}")
    elif result.passages:
        click.echo("\nClosest passages considered:")
        for p in result.passages[:3]:
            click.echo(f"- {p.title} ({p.source})")


@main.command()
@click.argument("anchor")
@click.option("--quote", default=None,
              help="The originally quoted sentence: finds the closest one by meaning if it changed.")
@click.option("--json", "as_json", is_flag=True, help="Print the resolution as JSON.")
@INDEX
def cite(anchor: str, quote: str | None, as_json: bool, index_dir: str) -> None:
    """Turn a citation ANCHOR (from `rag ask --verbose` or --json) into the current passage.

    Exits 0 when the quoted sentence is unchanged, 3 when it changed or its article is gone.

    Example usage: rag cite "my-article:0123456789abcdef:120-245:2025-12-15"
    """
    from rag.app.api import resolve

    result = resolve(anchor, quote=quote, index_dir=index_dir)
    if as_json:
        click.echo(json.dumps(result.to_dict(), indent=1, ensure_ascii=False))
    else:
        click.echo(f"{'CHANGED' if result.changed else 'UNCHANGED'}: {result.reason}")
        cur = result.current
        if cur is not None:
            label = "Closest current sentence" if result.changed else "Sentence"
            click.echo(f"{label} ({cur.title}, {cur.date or 'undated'}, {cur.source}, chars {cur.start}-{cur.end}):")
            click.echo(f"    \"{cur.text}\"")
            click.echo(f"Anchor now: {cur.anchor}")
    if result.changed:
        sys.exit(3)


@main.command()
@click.option("--host", default=None, help="Interface to bind [default: 127.0.0.1]. Another host needs api_keys or a "
                                           "UI login (or --insecure).")
@click.option("--port", default=None, type=click.IntRange(1, 65535), help="Port [default: 7860].")
@click.option("--watch", is_flag=True, help="Re-index by itself when files in the corpus folder change.")
@click.option("--insecure", is_flag=True, help="Serve beyond this machine with neither api_keys nor a UI login.")
@CORPUS
@INDEX
def serve(host: str | None, port: int | None, watch: bool, insecure: bool, corpus_dir: str | None,
          index_dir: str | None) -> None:
    """Serve the chat UI and the API (OpenAI-compatible /v1/chat/completions, /v1/answer, ...) on one port.

    Example usage: RAG_API_KEYS=k1 rag serve --port 7860 --watch
    """
    from rag.http.server import serve as run_server

    corpus_dir, index_dir = ensure_index(corpus_dir, index_dir)
    run_server(corpus_dir, index_dir, host=host, port=port, watch=watch, insecure=insecure)
