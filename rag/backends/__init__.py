"""Answer backends behind one contract.

A backend turns a :class:`Prepared` question (resolved query, its vector, retrieved passages, analysis) into a
:class:`Draft`: sentences citing passages, plus the backend's own judgement of the outcome (``answered``,
``partial`` or ``not_found``) and why. Every draft then goes through the same verifier (:mod:`rag.verify`).

- ``extractive`` (:mod:`rag.backends.extractive`): picks cited sentences; offline, the default.
- ``llama-cpp`` / ``openai`` (:mod:`rag.backends.generative`): an LLM writes the answer (functions of
  :mod:`rag.llm`); when the verifier drops all of it, the extractive answer is returned with a notice.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rag.questions import QuestionInfo
from rag.types import RetrievedChunk
from rag.verify import DraftSentence

STATUSES = ("answered", "partial", "not_found")


@dataclass
class Prepared:
    """A question made ready for a backend: resolved query, its vector, retrieved passages, analysis."""

    query: str
    qvec: np.ndarray
    passages: list[RetrievedChunk]
    info: QuestionInfo
    extra_entities: tuple[str, ...]
    question: str = ""
    """The user's own words: ``query`` less what a follow-up took from earlier turns (equal to it otherwise)."""


@dataclass
class Draft:
    """What a backend proposes, before verification."""

    sentences: list[DraftSentence]
    status: str = "answered"
    reason: str = ""
    probability: float | None = None
    scorer: str = ""
    notices: list[str] = field(default_factory=list)


class Backend(Protocol):
    name: str

    def draft(self, prep: Prepared, max_sentences: int) -> Draft: ...


def backend_for(name: str, settings, snapshot, embed, on_token=None) -> Backend:
    """The backend called ``name`` (``extractive``, ``llama-cpp`` or ``openai``); ``on_token(text)`` receives an LLM
    backend's draft as it streams (see :func:`rag.api.answer_stream`)."""
    from rag.backends.extractive import Extractive

    if name == "extractive":
        return Extractive(snapshot, embed)
    from rag.backends.generative import Generative

    return Generative(settings, on_token)
