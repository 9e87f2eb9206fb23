"""Chunking: exact spans, sentence alignment on hard abbreviations, overlap, no chunk longer than MiniLM reads."""

import pytest

from rag.core.errors import ConfigError
from rag.core.types import Document
from rag.ingest.chunk import Chunker, ChunkerSettings
from rag.ingest.load import load_corpus
from rag.text.sentences import split_sentences
from tests.helpers import CORPUS


def test_abbreviations_do_not_split_sentences():
    text = ("Huawei Technologies Co. Ltd. (SHE: 002502) shipped the Kirin 9030. The U.S. government objected. "
            "NVIDIA (NASDAQ: NVDA) fell 3.5% on Monday. Samsung Electronics Co. Ltd. and SK Hynix Inc. agreed.")
    sentences = [text[s:e] for s, e in split_sentences(text)]
    assert sentences == [
        "Huawei Technologies Co. Ltd. (SHE: 002502) shipped the Kirin 9030.",
        "The U.S. government objected.",
        "NVIDIA (NASDAQ: NVDA) fell 3.5% on Monday.",
        "Samsung Electronics Co. Ltd. and SK Hynix Inc. agreed.",
    ]


def test_spans_are_exact_and_chunks_overlap():
    docs = load_corpus(CORPUS).documents
    chunker = Chunker(ChunkerSettings(chunk_tokens=120, overlap_tokens=30))
    overlaps = 0
    for doc in docs:
        chunks = chunker.chunk(doc)
        assert chunks, doc.id
        for c in chunks:  # (text == doc.text[start:end] holds by construction: the chunker slices it)
            assert all(doc.text[s:e].strip() == doc.text[s:e] for s, e in c.sentences)
            assert all(a[1] <= b[0] for a, b in zip(c.sentences, c.sentences[1:]))  # in order, never overlapping
        # consecutive chunks move forward, lose no text, and share short boundary sentences (overlap)
        for a, b in zip(chunks, chunks[1:]):
            assert a.start < b.start and (b.start <= a.end or not doc.text[a.end : b.start].strip())
        overlaps += sum(b.start < a.end for a, b in zip(chunks, chunks[1:]))
        assert len({c.id for c in chunks}) == len(chunks)
    assert overlaps > 50


def test_chunk_ids_are_content_hashes_stable_across_edits_elsewhere():
    text = " ".join(f"Sentence number {i} talks about chip {i * 7}." for i in range(60))
    doc = Document("d", "Title", "d.md", text)
    edited = Document("d", "Title", "d.md", text + " A new closing sentence was added.")
    chunker = Chunker(ChunkerSettings(chunk_tokens=60, overlap_tokens=10))
    before, after = chunker.chunk(doc), chunker.chunk(edited)
    assert [c.id for c in before[:-1]] == [c.id for c in after[: len(before) - 1]]
    assert before[-1].id != after[-1].id


def test_no_chunk_is_truncated_by_the_real_model():
    from tokenizers import Tokenizer

    from rag.encoders.export import MAX_SEQ_LENGTH, source_model_dir
    from rag.encoders.registry import get_embedder

    embedder = get_embedder()
    model_tokenizer = Tokenizer.from_file(str(source_model_dir() / "tokenizer.json"))  # the model's own, untruncated
    model_tokenizer.no_truncation()
    model_tokenizer.no_padding()
    chunker = Chunker(ChunkerSettings(max_model_tokens=embedder.max_tokens), embedder.count_tokens)
    long_sentence = "word " * 600 + "end."
    docs = load_corpus(CORPUS).documents + [Document("long", "A long title", "long.md", long_sentence)]
    for doc in docs:
        for c in chunker.chunk(doc):
            pieces = model_tokenizer.encode(c.embedding_text).ids  # with [CLS] and [SEP]
            assert len(pieces) <= MAX_SEQ_LENGTH, (doc.id, len(pieces))


@pytest.mark.parametrize("kwargs, message", [
    ({"chunk_tokens": 8}, "chunk_tokens must be at least 16"),
    ({"chunk_tokens": 100, "overlap_tokens": 100}, "overlap_tokens must be"),
    ({"max_model_tokens": 2}, "max_model_tokens must be at least 16"),
])
def test_bad_settings_are_rejected(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        ChunkerSettings(**kwargs)


def test_fast_segmentation_splits_exactly_like_pysbd_segment():
    """split_sentences calls pysbd's rule processor directly (skipping segment()'s slow span search): on every
    paragraph of the bundled corpus the sentences are the same as pysbd's own segment()."""
    import re

    from rag.text.sentences import _pysbd_sentences, _segmenter

    paragraphs = [m.group() for d in load_corpus(CORPUS).documents
                  for m in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]*)*", d.text) if len(m.group()) > 1]
    assert len(paragraphs) > 100
    for para in paragraphs:
        ours = [s.strip() for s in _pysbd_sentences(para) if s.strip()]
        reference = [s.strip() for s in _segmenter().segment(para) if s.strip()]
        assert ours == reference, para


def test_a_long_paragraph_is_segmented_in_windows_with_the_same_sentences(monkeypatch):
    """pysbd's time grows with the square of a paragraph's length (a 1.5 MB one-line file: over 15 minutes; now
    seconds), so paragraphs longer than WINDOW_CHARS go through it window by window; the sentences are the same as
    pysbd's on the whole paragraph."""
    from rag.text import sentences as chunk

    paragraph = " ".join(" ".join(d.text.split()) for d in load_corpus(CORPUS).documents)[:20_000]
    whole = [s.strip() for s in chunk._segmenter().processor(paragraph).process() if s.strip()]
    calls = []
    processor = chunk._segmenter().processor
    monkeypatch.setattr(chunk._segmenter(), "processor", lambda text: calls.append(len(text)) or processor(text))
    windowed = [s.strip() for s in chunk._pysbd_sentences(paragraph) if s.strip()]
    assert len(calls) >= len(paragraph) // chunk.WINDOW_CHARS and max(calls) <= chunk.WINDOW_CHARS
    assert windowed == whole and len(whole) > 80


@pytest.mark.slow  # worker processes over 200 documents: 10-25 s on 2 cores
def test_parallel_chunking_equals_serial():
    """chunk_many in worker processes returns exactly the serial chunks, in document order."""
    from rag.encoders.export import source_model_dir
    from rag.encoders.wordpiece import WordPieceCounter
    from rag.ingest.chunk import chunk_many

    docs = load_corpus(CORPUS).documents
    docs = [Document(f"{d.id}-{i}", d.title, d.source, d.text, d.date) for i in range(20) for d in docs]
    counter = WordPieceCounter(str(source_model_dir() / "tokenizer.json"))
    settings = ChunkerSettings()
    parallel = chunk_many(docs, settings, counter, workers=2)
    assert parallel == chunk_many(docs, settings, counter, workers=1)
    assert [c[0].doc_id for c in parallel] == [d.id for d in docs]
