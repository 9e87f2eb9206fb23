"""What every command module shares: the ``rag`` click group, the folder options, the progress bar, and building or
checking the index before a command that reads it. The command modules (:mod:`rag.cli.main`, :mod:`rag.cli.corpus`,
:mod:`rag.cli.evaluation`) import from here; nothing here imports them."""

from __future__ import annotations

import sys

import click

from rag.core.defaults import MAX_K
from rag.core.errors import RagError


class _Group(click.Group):
    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except RagError as exc:
            raise click.ClickException(str(exc)) from None


# Options default to None ("not given") so that rag.toml and RAG_* variables apply; the defaults live in rag.core.config.
CORPUS = click.option("--corpus", "corpus_dir", default=None, type=click.Path(file_okay=False),
                      help="Folder of articles (.md, .txt, .html, .pdf) [default: corpus_dir setting, corpus].")
INDEX = click.option("--index", "index_dir", default=None, type=click.Path(file_okay=False),
                     help="Index folder [default: index_dir setting, index].")
K_RANGE = click.IntRange(1, MAX_K)
def _check_backend(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """A known backend (built in, or an installed plug-in's: rag.core.registry.BACKENDS), checked before any work."""
    from rag.core.registry import BACKENDS

    if value is not None and value not in BACKENDS.names():
        raise click.BadParameter(f"{value!r} is not one of {', '.join(map(repr, BACKENDS.names()))}.")
    return value


BACKEND = click.option("-b", "--backend", default=None, metavar="NAME", callback=_check_backend,
                       help="Answering backend: extractive, llama-cpp, openai or a plug-in's "
                            "[default: backend setting, extractive].")


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="rag-chipwar")
def main() -> None:
    """Offline, citation-grounded question answering over news articles."""


def progress_bar(label: str):
    from tqdm import tqdm

    bar = None

    def update(done: int, total: int) -> None:
        nonlocal bar
        if bar is None:
            bar = tqdm(total=total, desc=label, unit="text", file=sys.stderr, leave=False, disable=total == 0)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def folders(corpus_dir: str | None, index_dir: str | None) -> tuple[str, str]:
    """The corpus and index folders: the options when given, else the configured ones."""
    from rag.core.config import load_settings

    settings = load_settings(corpus_dir=corpus_dir, index_dir=index_dir)
    return settings.corpus_dir, settings.index_dir


def build_and_report(corpus_dir: str, index_dir: str, summary_to_stderr: bool = False, store: str | None = None) -> None:
    from rag.app.api import build_index

    report = build_index(corpus_dir, index_dir, progress=progress_bar("Embedding"), store=store)
    for line in report.skipped:
        click.echo(f"skipped {line}", err=True)
    click.echo(report.summary(), err=summary_to_stderr)


def ensure_index(corpus_dir: str | None, index_dir: str | None) -> tuple[str, str]:
    """Build a missing index; warn about a stale one (queries keep using the last complete index).

    :returns: the corpus and index folders used (the options, or the configured ones)."""
    from rag.app.api import index_status

    corpus_dir, index_dir = folders(corpus_dir, index_dir)
    status = index_status(corpus_dir, index_dir)
    if not status.exists:
        if status.problem:
            raise click.ClickException(status.problem)
        click.echo(f"No index at {index_dir}; building it from {corpus_dir} first.", err=True)
        build_and_report(corpus_dir, index_dir, summary_to_stderr=True)  # stdout stays the command's own (e.g. --json)
    elif status.stale:
        click.echo(f"Warning: {status.describe()}", err=True)
    return corpus_dir, index_dir
