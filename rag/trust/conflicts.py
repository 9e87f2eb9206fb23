"""Disagreeing sources: find the passages behind an answer that state different values for the same quantity.

For each figure in a cited sentence (a :class:`rag.text.mentions.Mention`) and each compatible figure in a sentence of
another retrieved article (same kind and unit, values that differ beyond rounding and ranges, not stated for
different years), :func:`pair_score` weighs what they are about: subject overlap, neighbouring-noun overlap, the
embedding similarity of their local contexts (the index's own embedder) and how much both bear on the question.
Pairs scoring :data:`THRESHOLD` or more are named side by side in the answer, newest source first. The weights and
threshold were chosen on the dev part of ``tests/data/conflict_pairs.jsonl`` (hand-labelled pairs) with
``bench/conflict_pairs.py --tune``; the test part is only reported. Nothing here knows this corpus' topics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rag.core.protocols import EmbedFn
from rag.core.types import (
    Chunk,
    Citation,
    Conflict,
    Document,
    RetrievedChunk,
    StatedValue,
)
from rag.text.mentions import Mention, asks_for_latest, mentions, mentions_many  # noqa: F401  (re-exported)

WEIGHTS = (0.1, 0.6, 0.2, 0.1)
"""Weights of :func:`pair_features` in :func:`pair_score` (tuned on the dev split, see the module docstring)."""
THRESHOLD = 0.2
"""Score above which two mentions state the same quantity (tuned on the dev split; see the module docstring)."""
MIN_RELATIVE_DIFFERENCE = 0.02
MAX_CONFLICTS = 2


def _same_unit(x: str, y: str) -> bool:
    """Units agree; for percentages and amounts the measured noun must agree too when both state one."""
    if x == y:
        return True
    if x.startswith(("%", "money")) and y.startswith(("%", "money")):
        xs, ys = x.split(), y.split()
        base = 1 if x.startswith("%") else 2
        return xs[:base] == ys[:base] and (len(xs) == base or len(ys) == base)
    return False


def _compatible(a: Mention, b: Mention) -> bool:
    kinds = {a.kind, b.kind}
    if len(kinds) > 1 and kinds != {"CARDINAL", "QUANTITY"}:
        return False
    if not _same_unit(a.unit, b.unit):
        return False
    if a.years and b.years and not a.years & b.years:
        return False  # "70% by 2025" and "100% by 2030" are two targets, not a disagreement
    top = max(abs(a.value), abs(b.value)) or 1.0
    return (abs(a.value - b.value) - a.spread - b.spread) / top > MIN_RELATIVE_DIFFERENCE


def _overlap(x: frozenset[str], y: frozenset[str]) -> float:
    smaller = min(len(x), len(y))
    return len(x & y) / smaller if smaller else 0.0


def pair_features(a: Mention, b: Mention, embed: EmbedFn,
                  qvec: np.ndarray | None = None) -> tuple[float, float, float, float]:
    """(local-context similarity, subject overlap, neighbouring-noun overlap, relevance of the less relevant of the
    two to the question)."""
    va, vb = embed([a.local, b.local])
    relevance = min(float(va @ qvec), float(vb @ qvec)) if qvec is not None else 0.0
    return float(va @ vb), _overlap(a.subject, b.subject), _overlap(a.nouns, b.nouns), relevance


def pair_score(a: Mention, b: Mention, embed: EmbedFn,
               qvec: np.ndarray | None = None) -> float:
    """How surely ``a`` and ``b`` state different values of the same quantity; 0 when their kinds or units differ
    or their values agree. With the question's vector, figures that both bear on the question count more."""
    if not _compatible(a, b):
        return 0.0
    return float(np.dot(WEIGHTS, pair_features(a, b, embed, qvec)))


def best_pair(sent_a: str, sent_b: str, embed: EmbedFn, qvec: np.ndarray | None = None
              ) -> tuple[float, Mention | None, Mention | None]:
    """The most likely disagreeing pair of mentions between two sentences."""
    best: tuple[float, Mention | None, Mention | None] = (0.0, None, None)
    for a in mentions(sent_a):
        for b in mentions(sent_b):
            score = pair_score(a, b, embed, qvec)
            if score > best[0]:
                best = (score, a, b)
    return best


@dataclass
class _Sentence:
    doc_id: str
    chunk: Chunk
    start: int
    end: int
    text: str


def candidate_pairs(question: str, citations: list[Citation], passages: list[RetrievedChunk],
                    docs: Mapping[str, Document], embed: EmbedFn
                    ) -> list[tuple[float, Citation, Mention, _Sentence, Mention]]:
    """Every (cited figure, figure of another retrieved article) pair of compatible mentions, best first."""
    others: dict[tuple[str, int], _Sentence] = {}
    for p in passages:
        chunk = p.chunk
        for start, end in chunk.sentence_spans:
            others.setdefault((chunk.doc_id, start),
                              _Sentence(chunk.doc_id, chunk, start, end, docs[chunk.doc_id].text[start:end]))
    cited = [c for c, found in zip(citations, mentions_many([c.quote for c in citations])) if found]
    if not cited:
        return []  # no cited figure: the other sentences need not be parsed at all
    docs_cited = {c.doc_id for c in cited}
    others = {k: o for k, o in others.items() if docs_cited - {o.doc_id}}  # sentences another source could contradict
    mentions_many([o.text for o in others.values()])  # one batched parse
    qvec = embed([question])[0]
    found: list[tuple[float, Citation, Mention, _Sentence, Mention]] = []
    for cite in cited:
        for other in others.values():
            if other.doc_id == cite.doc_id:
                continue  # disagreement between sources, not within one article
            score, a, b = best_pair(cite.quote, other.text, embed, qvec)
            if a is not None and b is not None:
                found.append((score, cite, a, other, b))
    found.sort(key=lambda f: -f[0])
    return found


def find_conflicts(question: str, text: str, citations: list[Citation], passages: list[RetrievedChunk],
                   docs: Mapping[str, Document], embed: EmbedFn) -> tuple[str, list[Citation], list[Conflict]]:
    """Add a "Sources differ: ..." line to ``text`` for each cited figure another retrieved article contradicts.

    :returns: the new text, the citations (with a new marker for each contradicting sentence not cited yet) and the
        conflicts, each listing its values newest first.
    """
    if not citations:
        return text, citations, []
    found = [f for f in candidate_pairs(question, citations, passages, docs, embed) if f[0] >= THRESHOLD]
    citations = list(citations)
    by_span = {(c.doc_id, c.start): c for c in citations}
    conflicts: list[Conflict] = []
    used: set[tuple[str, int]] = set()
    for score, cite, a, other, b in found:
        if len(conflicts) >= MAX_CONFLICTS or (cite.doc_id, cite.start) in used or (other.doc_id, other.start) in used:
            continue
        used |= {(cite.doc_id, cite.start), (other.doc_id, other.start)}
        second = by_span.get((other.doc_id, other.start))
        if second is None:
            chunk = other.chunk
            second = Citation(len(citations) + 1, chunk.doc_id, chunk.title, chunk.source, other.text, other.start,
                              other.end, chunk.id, docs[chunk.doc_id].date)
            citations.append(second)
            by_span[(other.doc_id, other.start)] = second
        values = [_stated(a, cite), _stated(b, second)]
        values.sort(key=lambda v: v.date or "", reverse=True)  # newest first, undated last
        conflicts.append(Conflict(tuple(values), round(score, 4)))
    if conflicts:
        latest = asks_for_latest(question)
        text = " ".join([text] + [c.summary(latest_first=latest) for c in conflicts])
    return text, citations, conflicts


def _stated(m: Mention, cite: Citation) -> StatedValue:
    return StatedValue(_phrase(m, cite.quote), m.value, m.unit, m.kind, m.projection, cite.marker, cite.doc_id,
                       cite.title, cite.date, cite.quote, cite.anchor)


def _phrase(m: Mention, sentence: str) -> str:
    """The value as stated plus its unit words right after it ("60,000" -> "60,000 wafers per month")."""
    rest = sentence[m.start + len(m.phrase):]
    unit_words = len(m.unit.split()) if m.kind in ("CARDINAL", "QUANTITY") else 0
    tail = " ".join(rest.split()[:unit_words]).rstrip(".,;:")
    return f"{m.phrase} {tail}".strip() if tail and not m.phrase.endswith(tail) else m.phrase


def with_conflicts(answer_text: str, citations: list[Citation], question: str, passages: list[RetrievedChunk],
                   docs: Mapping[str, Document], embed: EmbedFn) -> tuple[str, list[Citation], list[Conflict]]:
    """The hook for :func:`rag.answering.pipeline.answer_question` (never fails an answer: a spaCy problem means no check)."""
    try:
        return find_conflicts(question, answer_text, citations, passages, docs, embed)
    except (OSError, ImportError) as exc:  # the spaCy model is missing: answer without the check, say why
        import logging

        logging.getLogger(__name__).warning("conflict check skipped: %s", exc)
        return answer_text, citations, []

