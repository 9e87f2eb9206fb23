"""Idle-time warm-up of the per-sentence caches an answer reads, so a running server answers from memory.

An extractive answer embeds the sentences of its passages and the words of the lead passage, runs spaCy's entity
recogniser over its best sentences and, when it cites a figure, parses other sources' sentences for numbers. Each
result is cached by text (:class:`rag.embed.VectorCache`, :func:`rag.nlp.entities_many`,
:func:`rag.mentions.mentions_many`), so only sentences not seen before cost anything. ``rag serve`` fills these
caches for the whole corpus in a background thread after it starts, and again after each rebuild (:func:`start`): a
slice at a time, pausing while an answer is being computed, so a question asked meanwhile waits for one slice at
most. Corpora with more than :data:`MAX_SENTENCES` sentences are not warmed (the caches would evict what they hold).

The vectors need no warm-up for those corpora: ``rag build`` embeds their sentences and words
(:func:`build_time_texts`) and stores them in the snapshot, and every process's vector cache starts with them
(:func:`rag.embed.vector_cache`), ``rag ask`` and ``rag.answer()`` included.

Measured on the bundled corpus (826 sentences): 7-8 s of background work, after which the bench's extractive answer
p50 is about 32 ms instead of 56-86 ms when each sentence is met for the first time (docs/benchmark-history.md).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from rag.defaults import VECTOR_CACHE_SIZE

log = logging.getLogger(__name__)

MAX_SENTENCES = 15000
"""Largest corpus (in sentences) whose caches are filled; below every cache's capacity (20,000 and more). Its words
are warmed too, as many as the vector cache can keep beside the sentences."""
SLICE = 32
"""Sentences per step; a question that arrives during warm-up waits for at most one step."""
QUERY_ROOM = 2000
"""Vector-cache entries left free for questions when words are warmed too (of ``VECTOR_CACHE_SIZE``)."""
POLL_SECONDS = 5.0
"""How often the warm-up thread looks for a new snapshot (a rebuild)."""

_active = 0
_active_lock = threading.Lock()


@contextmanager
def answering() -> Iterator[None]:
    """Marks an answer in progress; warm-up pauses until none is."""
    global _active
    with _active_lock:
        _active += 1
    try:
        yield
    finally:
        with _active_lock:
            _active -= 1


def _wait_until_idle(stop: threading.Event | None) -> None:
    while _active and not (stop and stop.is_set()):
        time.sleep(0.02)


@dataclass
class WarmReport:
    sentences: int
    words: int
    seconds: float
    skipped: str = ""
    """Why nothing was warmed (too large a corpus), else empty."""


def corpus_texts(snapshot) -> tuple[list[str], list[str]]:
    """The distinct sentences of the index's chunks and the distinct words of its chunks (with their titles)."""
    return texts_of(snapshot.chunks, snapshot.documents)


def texts_of(chunks, documents, max_sentences: int | None = None) -> tuple[list[str], list[str]]:
    """:func:`corpus_texts` of ``chunks`` (:class:`rag.types.Chunk`) and ``documents`` (by id); no words when there
    are more than ``max_sentences`` sentences."""
    from rag.questions import plain_words

    sentences: dict[str, None] = {}
    for chunk in chunks:
        text = documents[chunk.doc_id].text
        for start, end in chunk.sentence_spans:
            sentences.setdefault(text[start:end])
    if max_sentences is not None and len(sentences) > max_sentences:
        return list(sentences), []
    words: dict[str, None] = {}
    for chunk in chunks:
        words.update(dict.fromkeys(plain_words(f"{chunk.title}. {chunk.text}")))
    return list(sentences), list(words)


def build_time_texts(chunks, documents, cache_size: int = VECTOR_CACHE_SIZE) -> list[str]:
    """What ``rag build`` embeds besides the chunks, for a corpus of at most :data:`MAX_SENTENCES` sentences: every
    sentence and as many words as the vector cache keeps beside them. The snapshot stores their vectors and the
    vector cache starts with them (:func:`rag.embed.vector_cache`), so even the first answers of a new process embed
    little more than the question. Larger corpora get none (the cache would evict them)."""
    sentences, words = texts_of(chunks, documents, MAX_SENTENCES)
    if len(sentences) > MAX_SENTENCES:
        return []
    return sentences + words[: max(0, cache_size - len(sentences) - QUERY_ROOM)]


def clear_caches(snapshot) -> None:
    """Empty the caches :func:`warm_caches` fills (for measuring answers that meet every sentence for the first
    time)."""
    from rag import mentions, nlp
    from rag.embed import vector_cache

    vector_cache(snapshot).clear()
    nlp.clear_cache()
    mentions.clear_cache()


def warm_caches(snapshot, stop: threading.Event | None = None, max_sentences: int = MAX_SENTENCES) -> WarmReport:
    """Fill the vector, entity and number caches for every sentence and word of ``snapshot`` (an
    :class:`rag.index.IndexSnapshot`), yielding to answers in progress. Returns what was done."""
    from rag import nlp
    from rag.embed import vector_cache
    from rag.mentions import mentions_many

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
        _wait_until_idle(stop)
        if stop is not None and stop.is_set():
            break
        fn(part)
    return WarmReport(len(sentences), len(words), time.perf_counter() - t0)


def start(index_dir, poll_seconds: float = POLL_SECONDS) -> tuple[threading.Thread, threading.Event]:
    """Run :func:`warm_caches` in a daemon thread for the live snapshot of ``index_dir``, and again after each
    rebuild swaps in a new one (checked every ``poll_seconds``; sentences already cached cost nothing). Set the
    returned event to stop it."""
    from rag.errors import RagError
    from rag.index import load_index

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
