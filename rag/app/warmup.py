"""Idle-time warm-up of the per-sentence caches an answer reads, so a running server answers from memory.

An extractive answer embeds the sentences of its passages and the words of the lead passage, runs spaCy's entity
recogniser over its best sentences and, when it cites a figure, parses other sources' sentences for numbers. Each
result is cached by text (:class:`rag.encoders.cache.VectorCache`, :func:`rag.text.nlp.entities_many`,
:func:`rag.text.mentions.mentions_many`), so only sentences not seen before cost anything. ``rag serve`` fills these
caches for the whole corpus in a background thread after it starts, and again after each rebuild (:func:`start`): a
slice at a time, pausing while an answer is being computed, so a question asked meanwhile waits for one slice at
most. Corpora with more than :data:`MAX_SENTENCES` sentences are not warmed (the caches would evict what they hold).

The vectors need no warm-up: ``rag build`` embeds every sentence and word of the corpus, whatever its size
(:func:`rag.index.cache_texts.build_time_texts`), and every process's vector cache looks them up before embedding
anything (:func:`rag.encoders.cache.vector_cache`), ``rag ask`` and ``rag.answer()`` included; for an index built
before they were stored, the warm-up embeds them too.

Measured on the bundled corpus (826 sentences): 7-8 s of background work, after which the bench's extractive answer
p50 is about 32 ms instead of 56-86 ms when each sentence is met for the first time (docs/benchmark-history.md).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from rag.core.activity import wait_until_idle
from rag.index.cache_texts import MAX_SENTENCES, QUERY_ROOM, corpus_texts
from rag.index.snapshot import IndexSnapshot

log = logging.getLogger(__name__)

SLICE = 32
"""Sentences per step; a question that arrives during warm-up waits for at most one step."""
POLL_SECONDS = 5.0
"""How often the warm-up thread looks for a new snapshot (a rebuild)."""

@dataclass
class WarmReport:
    sentences: int
    words: int
    seconds: float
    skipped: str = ""
    """Why nothing was warmed (too large a corpus), else empty."""


def clear_caches(snapshot: IndexSnapshot) -> None:
    """Empty the caches :func:`warm_caches` fills (for measuring answers that meet every sentence for the first
    time)."""
    from rag.encoders.cache import vector_cache
    from rag.text import mentions, nlp

    vector_cache(snapshot).clear()
    nlp.clear_cache()
    mentions.clear_cache()


def warm_caches(snapshot: IndexSnapshot, stop: threading.Event | None = None, max_sentences: int = MAX_SENTENCES) -> WarmReport:
    """Fill the vector, entity and number caches for every sentence and word of ``snapshot`` (an
    :class:`rag.index.snapshot.IndexSnapshot`), yielding to answers in progress. Returns what was done."""
    from rag.encoders.cache import vector_cache
    from rag.text import nlp
    from rag.text.mentions import mentions_many

    t0 = time.perf_counter()
    sentences, words = corpus_texts(snapshot)
    if len(sentences) > max_sentences:
        return WarmReport(0, 0, 0.0, f"{len(sentences):,} sentences is more than the {max_sentences:,} kept warm")
    embed = vector_cache(snapshot)
    words = words[: max(0, embed.size - len(sentences) - QUERY_ROOM)]  # what the vector cache can keep with them
    steps = [(embed, words[i : i + 8 * SLICE]) for i in range(0, len(words), 8 * SLICE)]
    for i in range(0, len(sentences), SLICE):
        part = sentences[i : i + SLICE]
        steps += [(embed, part), (nlp.entities_many, part), (mentions_many, part)]
    for fn, part in steps:
        wait_until_idle(stop)
        if stop is not None and stop.is_set():
            break
        fn(part)
    return WarmReport(len(sentences), len(words), time.perf_counter() - t0)


def start(index_dir: str | Path, poll_seconds: float = POLL_SECONDS) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`warm_caches` in a daemon thread for the live snapshot of ``index_dir``, and again after each
    rebuild swaps in a new one (checked every ``poll_seconds``; sentences already cached cost nothing). Set the
    returned event to stop it."""
    from rag.core.errors import RagError
    from rag.index.snapshot import load_index

    stop = threading.Event()

    def run() -> None:
        warmed = None
        while not stop.is_set():
            try:
                snapshot = load_index(index_dir)  # the same object until a build swaps the snapshot
                if snapshot is not warmed:
                    log.info("cache warm-up: %s", warm_caches(snapshot, stop))
                    warmed = snapshot
            except RagError as exc:  # no index yet, or a damaged one: the user is told when they ask
                log.debug("cache warm-up waiting: %s", exc)
            except Exception:  # warm-up is an optimisation: a failure only means slower answers
                log.warning("cache warm-up failed", exc_info=True)
                return
            stop.wait(poll_seconds)

    thread = threading.Thread(target=run, name="rag-warm-up", daemon=True)
    thread.start()
    return thread, stop
