"""The direct short answer: the words inside the cited sentences that answer the question.

Two readers of the cited sentences, tried in the order :data:`ORDER` (chosen on the dev sets, README):

- the **reader** (:mod:`rag.encoders.reader`, a span model trained on SQuAD 2.0): the best span of the first
  :data:`READ_CITATIONS` cited sentences, when it prefers that span to "no answer" by at least :data:`READER_MARGIN`
  and the span is not just the question's own names;
- the **typed entity**: for a question that asks for a typed value (``how many``, ``when``, ``who``, ``which
  company``, ``where``, ``how much``, ``what share``: :func:`rag.answering.questions.answer_type`), the entity of that
  type in the first cited sentence that holds one (spaCy's entities, :mod:`rag.text.labels`), leaving out the
  question's own names ("Who leads ASML?" is not answered by "ASML"); among several, the one nearest to the
  question's words in the sentence.

A question about a year ("How many … in 2026?") takes the value written nearest that year where the sentence states
several (:func:`rag.answering.binding.fits_year`). None when neither finds one: the cited sentences are the answer.
"""

from __future__ import annotations

import re

from rag.answering import binding
from rag.answering.binding import fits_year
from rag.answering.questions import QuestionInfo
from rag.core.types import Citation, ShortAnswer
from rag.encoders.reader import Reader, reader
from rag.text import nlp
from rag.text.labels import ANSWER_TYPE_LABELS
from rag.text.words import fold

READ_CITATIONS = 2
"""Cited sentences the reader reads (marker order)."""
READER_MARGIN = -1.0
"""How much the reader must prefer its span to "no answer" (start + end logits) for the span to be the short answer:
chosen on the dev sets with ``bench/tune_short.py`` (-2 to +3 tried; -1 and -2 tie on SQuAD dev F1, 0.483 / 0.484, and
-1 shows fewer spans)."""
ORDER = ("reader", "typed")
"""Which way is tried first; the other is the fallback (reader first: SQuAD dev F1 0.483 against 0.438 typed first and
0.221 typed only; ``bench/tune_short.py``)."""
TOGETHER = True
"""Read the cited sentences together and take the best span (else one at a time, the first span that clears the
margin)."""
_EDGE = " \t\n,;:.!?\"'“”‘’()[]"


def short_answer(info: QuestionInfo, citations: list[Citation], order: tuple[str, ...] = ORDER,
                 margin: float = READER_MARGIN, model: Reader | None = None,
                 together: bool = TOGETHER) -> ShortAnswer | None:
    """The short answer found in ``citations`` (in marker order), or ``None``. ``order``, ``margin`` and ``model`` are
    for measuring alternatives (``bench/tune_short.py``); the defaults are what ships."""
    for way in order:
        found = (read_span(info, citations, margin, model, together) if way == "reader"
                 else typed_entity(info, citations))
        if found is not None and not _for_the_year(info, citations, found):
            found = None
        if found is not None:
            return found
    return None


def _for_the_year(info: QuestionInfo, citations: list[Citation], found: ShortAnswer) -> bool:
    """A value asked "in YEAR" is the one written nearest that year (:func:`rag.answering.binding.fits_year`)."""
    cite = next(c for c in citations if c.marker == found.marker and c.start <= found.start < c.end)
    start, end = found.start - cite.start, found.end - cite.start
    return fits_year(binding.asked(info.text, info.answer_type), cite.quote, start, end)


def _asked(info: QuestionInfo) -> list[str]:
    return [fold(name).lower() for name in info.entities]


def _is_asked(text: str, asked: list[str]) -> bool:
    low = fold(text).lower()
    return any(low in name or name in low for name in asked)


def read_span(info: QuestionInfo, citations: list[Citation], margin: float = READER_MARGIN,
              model: Reader | None = None, together: bool = TOGETHER) -> ShortAnswer | None:
    """The reader's span in the first :data:`READ_CITATIONS` citations that clears ``margin``: the best of them read
    together (``together``), or the first that has one, read one at a time (about 8 ms a sentence here)."""
    model = model or reader()
    cites = citations[:READ_CITATIONS]
    if model is None or not cites:
        return None
    groups = [cites] if together else [[c] for c in cites]
    asked = _asked(info)
    for group in groups:
        spans = model.read(info.text, [c.quote for c in group])
        best: tuple[float, Citation, int, int] | None = None
        for cite, span in zip(group, spans):
            if span is None or span.margin < margin:
                continue
            start, end = span.start, span.end
            while start < end and cite.quote[start] in _EDGE:
                start += 1
            while end > start and cite.quote[end - 1] in _EDGE:
                end -= 1
            if end <= start or _is_asked(cite.quote[start:end], asked):
                continue
            if best is None or span.margin > best[0]:
                best = (span.margin, cite, start, end)
        if best is not None:
            _, cite, start, end = best
            return ShortAnswer(cite.quote[start:end], cite.doc_id, cite.start + start, cite.start + end, cite.marker)
    return None


def typed_entity(info: QuestionInfo, citations: list[Citation]) -> ShortAnswer | None:
    """The entity of the asked type nearest the question's words in the first citation that holds one."""
    labels = ANSWER_TYPE_LABELS.get(info.answer_type)
    if not labels:
        return None
    asked, ask = _asked(info), binding.asked(info.text, info.answer_type)
    terms = [t for t in info.terms if len(t) > 2]
    for cite in citations:
        found = [e for e in nlp.entities(cite.quote) if e.label in labels and not _is_asked(e.text, asked)
                 and fits_year(ask, cite.quote, e.start, e.end)]
        if found:
            best = min(found, key=lambda e: (_distance(cite.quote, e, terms), e.start))
            return ShortAnswer(best.text, cite.doc_id, cite.start + best.start, cite.start + best.end, cite.marker)
    return None


def _distance(sentence: str, ent: nlp.Ent, terms: list[str]) -> int:
    """Characters between the entity and the nearest word of the sentence that starts with one of the question's words
    (the sentence's length when none does)."""
    lower = sentence.lower()
    spans = [(m.start(), m.end()) for term in terms for m in re.finditer(rf"\b{re.escape(term)}\w*", lower)]
    if not spans:
        return len(sentence)
    return min(ent.start - b if b <= ent.start else a - ent.end if a >= ent.end else 0 for a, b in spans)
