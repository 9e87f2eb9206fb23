"""Command line, corpus commands: ``rag watch`` (re-index on changes), ``rag add`` (vetted copies into the corpus)
and ``rag import-feed`` (a feed dump split into articles).

Registered on :data:`rag.cli.main.main`; heavy libraries are imported inside the commands so ``rag --help`` stays instant.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from rag.cli.common import CORPUS, INDEX, build_and_report, folders, main


@main.command()
@CORPUS
@INDEX
def watch(corpus_dir: str | None, index_dir: str | None) -> None:
    """Keep the index up to date: rebuild incrementally whenever files in the corpus folder change (Ctrl-C stops).

    Example usage: rag watch --corpus corpus --index index
    """
    import time

    from rag.app.watch import CorpusWatcher

    corpus_dir, index_dir = folders(corpus_dir, index_dir)
    watcher = CorpusWatcher(Path(corpus_dir), Path(index_dir), on_event=lambda e: click.echo(e.describe()))
    with watcher:
        click.echo(f"Watching {watcher.corpus_dir} (index {watcher.index_dir}); Ctrl-C to stop.", err=True)
        try:
            while True:
                time.sleep(1)
        except KeyboardInterrupt:
            pass


@main.command("add")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--build/--no-build", default=True, show_default=True, help="Update the index right after.")
@CORPUS
@INDEX
def add(files: tuple[str, ...], build: bool, corpus_dir: str | None, index_dir: str | None) -> None:
    """Copy article files into the corpus folder, vetted as UI uploads are (type, size, safe name, never overwrite).

    Example usage: rag add ~/Downloads/report.pdf notes.md
    """
    from rag.core.config import load_settings
    from rag.ingest.corpus import store_upload
    from rag.ingest.workers import limits_from

    corpus_dir, index_dir = folders(corpus_dir, index_dir)
    settings = load_settings()
    results = [store_upload(f, corpus_dir, settings.max_upload_mb * 2**20, limits_from(settings)) for f in files]
    for _, message in results:
        click.echo(message)
    if build and any(ok for ok, _ in results):
        build_and_report(corpus_dir, index_dir)
    if not all(ok for ok, _ in results):
        sys.exit(1)


@main.command("import-feed")
@click.argument("feed", type=click.Path(exists=True, dir_okay=False))
@click.option("--corpus", "corpus_dir", default=None, help="Where to write the articles [default: corpus_dir setting, corpus].")
def import_feed(feed: str, corpus_dir: str | None) -> None:
    """Split a feed dump into one Markdown file per article.

    Example usage: rag import-feed tests/fixtures/000_1b9477a9252b1901.txt
    """
    from rag.ingest.feed import import_feed as do_import

    results = do_import(feed, folders(corpus_dir, None)[0])
    for path, state in results:
        click.echo(f"{state:9} {path}")
    changed = sum(1 for _, s in results if s != "unchanged")
    click.echo(f"{len(results)} articles, {changed} written. Next: rag build")
