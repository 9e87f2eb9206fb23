"""The direct short answer: the name, number, date or place inside the cited sentences that answers the question.

For a question that asks for a typed value (``how many``, ``when``, ``who``, ``which company``, ``where``, ``how
much``, ``what share``: :func:`rag.answering.questions.answer_type`), the short answer is the entity of that type in
the first cited sentence that holds one (spaCy's entities, :mod:`rag.text.labels`), leaving out the question's own
names ("Who leads ASML?" is not answered by "ASML"); among several, the one nearest to the question's words in the
sentence. Questions that ask for a reason, a list or a free fact get none: the cited sentences are the answer.
"""

from __future__ import annotations

import re

from rag.answering.questions import QuestionInfo
from rag.core.types import Citation, ShortAnswer
from rag.text import nlp
from rag.text.labels import ANSWER_TYPE_LABELS
from rag.text.words import fold


def short_answer(info: QuestionInfo, citations: list[Citation]) -> ShortAnswer | None:
    """The short answer found in ``citations`` (in marker order), or ``None``."""
    labels = ANSWER_TYPE_LABELS.get(info.answer_type)
    if not labels:
        return None
    asked = [fold(name).lower() for name in info.entities]
    terms = [t for t in info.terms if len(t) > 2]
    for cite in citations:
        found = [e for e in nlp.entities(cite.quote)
                 if e.label in labels and not any(fold(e.text).lower() in name or name in fold(e.text).lower()
                                                  for name in asked)]
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
