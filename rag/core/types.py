"""Typed records that flow between the pipeline stages (load -> chunk -> embed -> index -> retrieve -> answer -> verify).

All records are frozen dataclasses: stages derive new records with ``dataclasses.replace`` instead of mutating.
``to_dict()`` gives the JSON shape used by the CLI (``--json``), the Gradio ``/ask`` API and the index files.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any

from rag.core.anchor_ids import make_anchor
from rag.core.display import human_date, short


@functools.lru_cache(maxsize=None)
def _field_names(cls: type) -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(cls))


_LEAVES = (str, int, float, bool, type(None))


def _plain(value: Any) -> Any:
    """``dataclasses.asdict``'s conversion, without its deep copies of immutable leaves: half the time per chunk (a
    snapshot writes every document and chunk through it). Dicts come back as plain dicts."""
    if isinstance(value, _LEAVES):
        return value
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {name: _plain(getattr(value, name)) for name in _field_names(type(value))}
    if isinstance(value, tuple) and hasattr(value, "_fields"):  # a named tuple keeps its type, as in asdict
        return type(value)(*[_plain(v) for v in value])
    if isinstance(value, (list, tuple)):
        return type(value)(_plain(v) for v in value)
    if isinstance(value, dict):
        return {_plain(k): _plain(v) for k, v in value.items()}
    return copy.deepcopy(value)


class _Record:
    def to_dict(self) -> dict[str, Any]:
        return _plain(self)


@dataclass(frozen=True)
class Document(_Record):
    """One corpus file after loading and cleaning.

    :param id: stable document id (front-matter ``id``/``slug`` or derived from the file path).
    :param source: path relative to the corpus folder, with forward slashes.
    :param text: cleaned plain text; every char span in the index refers to this string.
    :param date: ISO date (``YYYY-MM-DD``) when the document states one, else ``None``.
    """

    id: str
    title: str
    source: str
    text: str
    date: str | None = None
    tags: tuple[str, ...] = ()

    def __repr__(self) -> str:
        return f"Document(id={self.id!r}, title={short(self.title, 60)!r}, chars={len(self.text)})"


@dataclass(frozen=True)
class Chunk(_Record):
    """A sentence-aligned passage of a document.

    ``doc_text[start:end] == text`` always holds. ``id`` is a sha256 of the embedding input (title + text), so an
    unchanged passage keeps its id, its cached vector and any citation anchor across rebuilds.
    ``sentences`` holds the document-relative spans of the sentences in the chunk.
    """

    id: str
    doc_id: str
    title: str
    source: str
    start: int
    end: int
    text: str
    sentences: tuple[tuple[int, int], ...] = ()
    date: str | None = None

    @property
    def sentence_spans(self) -> tuple[tuple[int, int], ...]:
        """The document-relative spans of the chunk's sentences; the whole chunk as one span when none are stored."""
        return tuple(self.sentences) or ((self.start, self.end),)

    @property
    def embedding_text(self) -> str:
        """What the embedder and BM25 see: the title helps retrieval, so it is prefixed."""
        return f"{self.title}. {self.text}" if self.title else self.text

    def __repr__(self) -> str:
        return f"Chunk(id={self.id[:12]!r}, doc_id={self.doc_id!r}, span=({self.start}, {self.end}), text={short(self.text)!r})"


@dataclass(frozen=True)
class RetrievedChunk(_Record):
    """A chunk returned by search, with the scores that ranked it (``None`` where a retriever did not return it)."""

    chunk: Chunk
    score: float
    dense_score: float | None = None
    bm25_score: float | None = None
    rank: int = 0

    @property
    def text(self) -> str:
        return self.chunk.text

    @property
    def doc_id(self) -> str:
        return self.chunk.doc_id

    @property
    def title(self) -> str:
        return self.chunk.title

    @property
    def source(self) -> str:
        return self.chunk.source

    def __repr__(self) -> str:
        return f"RetrievedChunk(rank={self.rank}, score={self.score:.4f}, doc_id={self.doc_id!r}, text={short(self.text, 60)!r})"


@dataclass(frozen=True)
class Citation(_Record):
    """What a marker ``[n]`` in an answer points at: a quote and its exact span in the cleaned document text."""

    marker: int
    doc_id: str
    title: str
    source: str
    quote: str
    start: int
    end: int
    chunk_id: str
    date: str | None = None
    anchor: str = ""
    """``doc_id:hash:start-end:date``; filled in when empty. :func:`rag.resolve` finds the sentence after rebuilds."""

    def __post_init__(self) -> None:
        if not self.anchor:
            object.__setattr__(self, "anchor", make_anchor(self.doc_id, self.quote, self.start, self.end, self.date))


@dataclass(frozen=True)
class ShortAnswer(_Record):
    """The direct answer inside the lead cited sentence: a name, number, date or place, with its exact span in the
    cleaned document text and the marker of the citation it comes from."""

    text: str
    doc_id: str
    start: int
    end: int
    marker: int


@dataclass(frozen=True)
class SentenceSupport(_Record):
    """The verifier's judgement of one answer sentence."""

    sentence: str
    markers: tuple[int, ...]
    score: float
    supported: bool
    reason: str = ""


@dataclass(frozen=True)
class StatedValue(_Record):
    """One source's value in a :class:`Conflict`: the figure as stated, and where it is stated."""

    phrase: str
    """The value as the article states it, e.g. ``"nearly 50,000 wafers per month"``."""
    value: float
    unit: str
    kind: str
    """spaCy entity label: CARDINAL, PERCENT, MONEY, QUANTITY or DATE."""
    projection: bool
    """The sentence states a forecast or target ("is projected to", "will", "expected") rather than a fact."""
    marker: int
    doc_id: str
    title: str
    date: str | None
    quote: str
    anchor: str


@dataclass(frozen=True)
class Conflict(_Record):
    """Sources behind an answer that state different values for the same quantity or event; newest value first."""

    values: tuple[StatedValue, ...]
    score: float

    def summary(self, latest_first: bool = False) -> str:
        parts = []
        for v in self.values:
            when = ", ".join(x for x in ("projection" if v.projection else "", human_date(v.date)) if x)
            parts.append(f"{v.phrase} ({when}) [{v.marker}]" if when else f"{v.phrase} [{v.marker}]")
        if latest_first and self.values[0].date:
            return f"Sources differ; the newest says {parts[0]}; older: " + "; ".join(parts[1:]) + "."
        return "Sources differ: " + "; ".join(parts) + "."


@dataclass(frozen=True)
class Answer(_Record):
    """The result of :func:`rag.answer`.

    :param text: answer sentences, each ending in one or more ``[n]`` markers.
    :param citations: one per marker, numbered by first appearance in ``text``.
    :param abstained: ``True`` unless ``status`` is ``"answered"``.
    :param status: ``"answered"`` (confident), ``"partial"`` (the articles touch the question but do not clearly
        answer it; ``text`` says so, then gives the closest cited sentences) or ``"not_found"``.
    :param passages: what retrieval returned, best first.
    :param support: the verifier's per-sentence judgement (dropped sentences included, ``supported=False``).
    :param timings: seconds per stage (``retrieve``, ``generate``, ``verify``, ``conflicts`` when answered, ``total``).
    :param conflicts: the cited sources that state different values for the same quantity (see rag.trust.conflicts).
    """

    question: str
    text: str
    citations: list[Citation] = field(default_factory=list)
    abstained: bool = False
    passages: list[RetrievedChunk] = field(default_factory=list)
    support: list[SentenceSupport] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    backend: str = "extractive"
    rewritten_question: str | None = None
    notices: list[str] = field(default_factory=list)
    status: str = "answered"
    reason: str = ""
    """Why the answer is partial or not found (empty when answered)."""
    scorer: str = ""
    """Which answerability scorer decided the status (recorded for evaluation)."""
    conflicts: list[Conflict] = field(default_factory=list)
    confidence: float | None = None
    """The scorer's probability that the lead sentence answers the question (``None`` when no scorer ran, e.g. an
    LLM draft that was kept)."""
    short_answer: ShortAnswer | None = None
    """The direct answer (a name, number, date, place) inside the lead cited sentence, when the outcome is answered
    and the question asks for one of those (:mod:`rag.answering.short`); else ``None``."""

    def to_dict(self) -> dict[str, Any]:
        data = _plain(self)
        for passage, raw in zip(self.passages, data["passages"]):
            raw.update(text=passage.text, doc_id=passage.doc_id, title=passage.title, source=passage.source)
        return data


@dataclass(frozen=True)
class BuildReport(_Record):
    """What :func:`rag.build_index` did."""

    added: int = 0
    changed: int = 0
    removed: int = 0
    unchanged: int = 0
    chunks_total: int = 0
    chunks_embedded: int = 0
    seconds: float = 0.0
    full_rebuild: bool = False
    skipped: list[str] = field(default_factory=list)
    index_dir: str = ""
    full_rebuild_reason: str | None = None  # set when the previous index could not be reused
    texts_embedded: int = 0
    """Sentences and words embedded for the answerer (every corpus, see
    :func:`rag.index.cache_texts.build_time_texts`)."""

    def summary(self) -> str:
        texts = f" (and {self.texts_embedded} sentences and words)" if self.texts_embedded else ""
        line = (
            f"{self.added} added, {self.changed} changed, {self.removed} removed, {self.unchanged} unchanged; "
            f"{self.chunks_embedded} of {self.chunks_total} chunks embedded{texts} in {self.seconds:.2f}s"
        )
        if self.full_rebuild:
            line += f" (full rebuild: {self.full_rebuild_reason or 'model or chunker settings changed'})"
        return line
