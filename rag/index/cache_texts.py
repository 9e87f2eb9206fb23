"""Which texts a build embeds besides the chunks: for a corpus of at most :data:`MAX_SENTENCES` sentences, every
sentence and as many words as the answerer's vector cache keeps beside them (:func:`build_time_texts`). The snapshot
stores their vectors, and every process's vector cache starts with them (:func:`rag.encoders.cache.vector_cache`).
The server's warm-up (:mod:`rag.app.warmup`) reads the same texts (:func:`corpus_texts`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rag.core.defaults import VECTOR_CACHE_SIZE
from rag.core.protocols import SnapshotView
from rag.core.types import Chunk, Document
from rag.text.words import plain_words

MAX_SENTENCES = 15000
"""Largest corpus (in sentences) whose caches are filled; below every cache's capacity (20,000 and more). Its words
are warmed too, as many as the vector cache can keep beside the sentences."""
QUERY_ROOM = 2000
"""Vector-cache entries left free for questions when words are warmed too (of ``VECTOR_CACHE_SIZE``)."""

def corpus_texts(snapshot: SnapshotView) -> tuple[list[str], list[str]]:
    """The distinct sentences of the index's chunks and the distinct words of its chunks (with their titles)."""
    return texts_of(snapshot.chunks, snapshot.documents)


def texts_of(chunks: Sequence[Chunk], documents: Mapping[str, Document], max_sentences: int | None = None) -> tuple[list[str], list[str]]:
    """:func:`corpus_texts` of ``chunks`` (:class:`rag.core.types.Chunk`) and ``documents`` (by id); no words when there
    are more than ``max_sentences`` sentences."""
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


def build_time_texts(chunks: Sequence[Chunk], documents: Mapping[str, Document], cache_size: int = VECTOR_CACHE_SIZE) -> list[str]:
    """What ``rag build`` embeds besides the chunks, for a corpus of at most :data:`MAX_SENTENCES` sentences: every
    sentence and as many words as the vector cache keeps beside them. The snapshot stores their vectors and the
    vector cache starts with them (:func:`rag.encoders.cache.vector_cache`), so even the first answers of a new process embed
    little more than the question. Larger corpora get none (the cache would evict them)."""
    sentences, words = texts_of(chunks, documents, MAX_SENTENCES)
    if len(sentences) > MAX_SENTENCES:
        return []
    return sentences + words[: max(0, cache_size - len(sentences) - QUERY_ROOM)]
