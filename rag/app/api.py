"""The public Python API: :func:`build_index`, :func:`search`, :func:`answer`, :func:`answer_stream`,
:func:`index_status`, :func:`resolve`.

The CLI and the Gradio UI are thin shells over these functions.
"""

from __future__ import annotations

import logging
import queue
import re
import threading
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from rag.core.config import Settings, load_settings
from rag.core.defaults import MAX_K
from rag.core.errors import ConfigError
from rag.core.protocols import OnToken
from rag.core.timing import StageTimer
from rag.core.types import Answer, BuildReport, RetrievedChunk


def clean_question(question: Any, max_chars: int) -> tuple[str, list[str]]:
    """Normalise user input: reject non-strings and empty text, drop control characters and invalid Unicode,
    and cut very long input to ``max_chars`` (with a notice rather than an error)."""
    if not isinstance(question, str):
        raise ConfigError(f"the question must be a string, got {type(question).__name__}")
    notices = []
    text = question.encode("utf-8", "replace").decode("utf-8")  # lone surrogates -> U+FFFD
    text = "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text).replace("\ufffd", " ")
    text = re.sub(r"\s+", " ", unicodedata.normalize("NFC", text)).strip()
    if not text:
        raise ConfigError("the question is empty; type a question about the articles")
    if not any(ch.isalnum() for ch in text):  # "???", "🚢🚢": nothing to search for
        raise ConfigError(f"the question has no words ({text[:40]!r}); type a question about the articles")
    if len(text) > max_chars:
        text = text[:max_chars].rsplit(" ", 1)[0] or text[:max_chars]
        notices.append(f"The question was longer than {max_chars} characters and was cut to its beginning.")
    return text, notices


def _check_k(k: Any) -> int:
    if isinstance(k, bool) or not isinstance(k, int):
        raise ConfigError(f"k must be an integer between 1 and {MAX_K}, got {k!r}")
    if not 1 <= k <= MAX_K:
        raise ConfigError(f"k must be between 1 and {MAX_K}, got {k}")
    return k


def _settings(index_dir: str | Path | None = None, corpus_dir: str | Path | None = None, **overrides: Any) -> Settings:
    """Settings with ``None`` meaning "not given": rag.toml, ``RAG_*`` variables and the defaults apply."""
    return load_settings(index_dir=index_dir, corpus_dir=corpus_dir, **overrides)


def build_index(corpus_dir: str | Path | None = None, index_dir: str | Path | None = None, *,
                progress: Callable[[int, int], None] | None = None, embedder: Any = None,
                store: str | None = None) -> BuildReport:
    """Build or update the index from ``corpus_dir`` (incremental, atomic). See :func:`rag.index.build.build_index`.

    ``None`` folders mean the configured ``corpus_dir`` / ``index_dir`` (default ``corpus`` / ``index``).

    Usage::

        report = build_index("corpus", "index")
        print(report.summary())

    :param store: ``"faiss"`` or ``"milvus"``; ``None`` uses the configured store (``store`` in rag.toml).
    """
    from rag.encoders.registry import get_embedder
    from rag.index.build import build_index as _build
    from rag.index.stores import StoreSpec
    from rag.ingest.chunk import chunker_from
    from rag.ingest.workers import limits_from

    settings = _settings(index_dir, corpus_dir, store=store)
    embedder = embedder or get_embedder(settings.embedder, settings.precision)
    try:
        report = _build(settings.corpus_dir, settings.index_dir, embedder=embedder,
                        chunker=chunker_from(settings, embedder.max_tokens), progress=progress,
                        store=StoreSpec.from_settings(settings), limits=limits_from(settings),
                        sentence_vectors=settings.sentence_vectors)
    except Exception:
        _tell_build_listeners(None)
        raise
    _tell_build_listeners(report)
    return report


BuildListener = Callable[[BuildReport | None], None]
BUILD_LISTENERS: list[BuildListener] = []
"""Called after every :func:`build_index` in this process (CLI, UI, watcher), with its report, or ``None`` when the
build failed; the HTTP server's metrics count builds this way (:mod:`rag.http.metrics`)."""


def _tell_build_listeners(report: BuildReport | None) -> None:
    for listener in list(BUILD_LISTENERS):
        try:
            listener(report)
        except Exception:  # a listener never breaks a build
            logging.getLogger(__name__).exception("build listener failed")


def index_status(corpus_dir: str | Path | None = None, index_dir: str | Path | None = None):
    """Whether the index exists and is up to date with the corpus; see :class:`rag.index.build.IndexStatus`.

    ``None`` folders mean the configured ones."""
    from rag.index.build import index_status as _status

    settings = _settings(index_dir, corpus_dir)
    return _status(settings.corpus_dir, settings.index_dir)


def search(query: str, *, k: int | None = None, index_dir: str | Path | None = None) -> list[RetrievedChunk]:
    """The ``k`` best passages for ``query`` (dense + BM25, fused, near-duplicates collapsed), best first.

    :param k: ``None`` uses the configured ``k`` (default 6).
    :param index_dir: ``None`` means the configured index folder (default ``index``).
    :raises ConfigError: empty query or ``k`` outside 1..50. :raises IndexMissingError: no index built yet.
    """
    from rag.index.snapshot import load_index
    from rag.retrieval.hybrid import fusion_from, hybrid_search

    settings = _settings(index_dir)
    text, _ = clean_question(query, settings.max_question_chars)
    k = settings.k if k is None else _check_k(k)
    fusion = fusion_from(settings)
    return hybrid_search(load_index(settings.index_dir), text, k, fusion)


def answer(question: str, *, history: list[dict] | None = None, k: int | None = None, backend: str | None = None,
           index_dir: str | Path | None = None, max_sentences: int | None = None) -> Answer:
    """Answer ``question`` from the indexed articles, every sentence cited and verified.

    :param history: earlier turns as ``[{"role": "user"|"assistant", "content": str}, ...]``; a follow-up question
        is resolved against them before retrieval.
    :param k: passages to retrieve; ``None`` uses the configured default (6).
    :param backend: ``"extractive"`` (default, offline), ``"llama-cpp"`` or ``"openai"``; ``None`` uses the
        configured backend.
    :param max_sentences: answer length in sentences; ``None`` uses the configured default (3).
    :returns: an :class:`Answer`; ``abstained`` is true when the articles do not answer the question.
    """
    return _answer(question, history, k, backend, index_dir, max_sentences, None)


def _answer(question: str, history: list[dict] | None, k: int | None, backend: str | None,
            index_dir: str | Path | None, max_sentences: int | None, on_token: OnToken | None) -> Answer:
    from rag.answering.pipeline import answer_question

    timer = StageTimer()
    settings = _settings(index_dir, backend=backend, answer_sentences=max_sentences)
    text, notices = clean_question(question, settings.max_question_chars)
    k = settings.k if k is None else _check_k(k)
    result = answer_question(text, settings=settings, history=history, k=k, on_token=on_token)
    timings = {**result.timings, "total": timer.total()}
    return replace(result, question=question if len(question) <= settings.max_question_chars else text,
                   notices=notices + result.notices, timings=timings)


@dataclass(frozen=True)
class Draft:
    """Unverified model output while it streams: ``delta`` just arrived, ``text`` is everything so far. Not an
    answer: the verified :class:`Answer` that ends :func:`answer_stream` replaces it."""

    text: str
    delta: str


def answer_stream(question: str, *, history: list[dict] | None = None, k: int | None = None,
                  backend: str | None = None, index_dir: str | Path | None = None,
                  max_sentences: int | None = None) -> Iterator[Draft | Answer]:
    """Like :func:`answer`, but yields the LLM's draft as its tokens arrive, then the verified :class:`Answer`.

    With the extractive backend there is no draft: the only item is the Answer. If the backend fails mid-stream
    (server gone, timeout) the generator raises :class:`rag.core.errors.BackendError` after the drafts it has yielded;
    those drafts must then be discarded, never shown as the answer.

    Usage::

        for event in answer_stream("What node did SMIC reach?", backend="openai"):
            if isinstance(event, Draft):
                print(event.delta, end="", flush=True)
            else:
                print("\\n" + event.text)
    """
    events: queue.Queue = queue.Queue()
    cancelled = threading.Event()
    done = object()

    def on_token(piece: str) -> None:
        if cancelled.is_set():  # the caller stopped listening: stop generating too
            raise ConfigError("answer_stream was closed by its caller")
        events.put(piece)

    def work() -> None:
        try:
            events.put((done, _answer(question, history, k, backend, index_dir, max_sentences, on_token)))
        except BaseException as exc:  # handed to the caller's thread and re-raised there
            events.put((done, exc))

    threading.Thread(target=work, name="answer_stream", daemon=True).start()
    text = ""
    try:
        while True:
            item = events.get()
            if isinstance(item, tuple) and item and item[0] is done:
                if isinstance(item[1], BaseException):
                    raise item[1]
                yield item[1]
                return
            text += item
            yield Draft(text, item)
    finally:
        cancelled.set()


def resolve(anchor: str, *, quote: str | None = None, index_dir: str | Path | None = None):
    """Turn a citation anchor (``Citation.anchor``) back into the current sentence after any rebuild.

    Returns a :class:`rag.trust.anchors.Resolution`: ``changed=False`` when the quoted sentence is still there (even at a
    new offset), else ``changed=True`` with the closest current sentence. See :func:`rag.trust.anchors.resolve`.
    """
    from rag.trust.anchors import resolve as _resolve

    return _resolve(anchor, quote=quote, index_dir=index_dir)
