"""Which texts a build embeds besides the chunks, and how their vectors are looked up again.

A build embeds every sentence and every word of the corpus's chunks (:func:`build_time_texts`) in the same pass as the
chunks; the snapshot stores their vectors (``texts.jsonl``, ``text_vectors.npy``) with a 64-bit key per text
(``text_keys.npy``, :func:`text_keys`). An answer compares the sentences of the passages retrieved for it (and, when
a question word is missing from a passage, the passage's words) with the question, so with these vectors it embeds
only the question, whatever the corpus's size: :class:`StoredVectors` finds a text's vector by its key (binary search
over the sorted keys; the vectors are memory-mapped, so a process reads only the rows its answers use), and every
process's vector cache reads it before embedding anything (:func:`rag.encoders.cache.vector_cache`).

Until issue 33 only corpora of at most :data:`MAX_SENTENCES` sentences had them (they went into the vector cache's
LRU, which could not hold more), and an answer over a larger corpus embedded its passages' sentences and words each
time: SciFact's abstracts as a corpus answered 3x slower than the bundled corpus (README, Benchmarks). The server's
warm-up of the spaCy caches (:mod:`rag.app.warmup`, :func:`corpus_texts`) keeps that limit: those caches are LRUs.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

from rag.core.protocols import SnapshotView
from rag.core.types import Chunk, Document
from rag.text.words import plain_words

log = logging.getLogger(__name__)

MAX_SENTENCES = 15000
"""Largest corpus (in sentences) whose per-sentence spaCy caches the server warms (:mod:`rag.app.warmup`); below
every cache's capacity (20,000 and more)."""
QUERY_ROOM = 2000
"""Vector-cache entries left free for questions when the warm-up embeds words of an index that stored none."""


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


def build_time_texts(chunks: Sequence[Chunk], documents: Mapping[str, Document]) -> list[str]:
    """What ``rag build`` embeds besides the chunks: every distinct sentence, then every distinct word of the corpus
    (a one-word sentence is listed twice; the word's row is the one kept, as in a dict). The snapshot stores their
    vectors (:class:`StoredVectors`), so even the first answers of a new process embed little more than the question,
    at any corpus size."""
    sentences, words = texts_of(chunks, documents)
    return sentences + words


def text_keys(texts: Sequence[str]) -> np.ndarray:
    """A 64-bit key per text (blake2b), by which :class:`StoredVectors` finds its vector."""
    digest = hashlib.blake2b
    return np.fromiter((int.from_bytes(digest(t.encode("utf-8", "surrogatepass"), digest_size=8).digest(), "little")
                        for t in texts), dtype=np.uint64, count=len(texts))


class StoredVectors(Mapping[str, np.ndarray]):
    """The sentence and word vectors a build stored, by text (read-only).

    ``keys[i]`` is :func:`text_keys` of the text whose vector is ``vectors[i]`` (memory-mapped or in memory);
    ``texts`` lists the texts when iterating needs them (read on demand). A key stored twice (the same text twice,
    see :func:`build_time_texts`) finds its last row; two different texts with one key are not told apart (with 64-bit
    keys, about one chance in 10 million for a corpus of 4 million sentences and words). A stored row that is not a
    number is never returned.
    """

    def __init__(self, keys: np.ndarray, vectors: np.ndarray, texts: Callable[[], list[str]] | None = None,
                 source: Path | None = None):
        order = np.argsort(keys, kind="stable")
        ordered = keys[order]
        last = np.ones(len(ordered), dtype=bool)  # of equal keys (stable order: rows ascending), the last row
        last[:-1] = ordered[1:] != ordered[:-1]
        self._keys, self._rows = ordered[last], order[last]
        self.vectors, self._texts, self.source = vectors, texts, source
        self._size = len(keys)

    @classmethod
    def empty(cls, dim: int = 0) -> StoredVectors:
        return cls(np.zeros(0, dtype=np.uint64), np.zeros((0, dim), dtype=np.float32), list)

    def rows(self, texts: Sequence[str]) -> np.ndarray:
        """The stored row of each text, -1 where none."""
        if not len(self._keys) or not texts:
            return np.full(len(texts), -1, dtype=np.int64)
        keys = text_keys(texts)
        pos = np.minimum(np.searchsorted(self._keys, keys), len(self._keys) - 1)
        return np.where(self._keys[pos] == keys, self._rows[pos], -1).astype(np.int64)

    def lookup(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(found, vectors)``: which texts have a stored vector (bool per text) and those vectors, in order."""
        rows = self.rows(texts)
        found = rows >= 0
        vectors = np.asarray(self.vectors[rows[found]], dtype=np.float32)
        finite = np.isfinite(vectors).all(axis=1)
        if not finite.all():  # never answered from: embedded again instead
            log.warning("stored sentence vectors not used: %s holds rows that are not numbers", self.source)
            found[np.flatnonzero(found)[~finite]] = False
            vectors = vectors[finite]
        return found, vectors

    def __getitem__(self, text: str) -> np.ndarray:
        found, vectors = self.lookup([text])
        if not found[0]:
            raise KeyError(text)
        return vectors[0]

    def __contains__(self, text: object) -> bool:
        return isinstance(text, str) and bool(self.rows([text])[0] >= 0)

    def __len__(self) -> int:
        return self._size

    def __iter__(self) -> Iterator[str]:
        return iter(self._texts() if self._texts is not None else ())
