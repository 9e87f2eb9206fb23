"""The backend contract: what a backend is given (:class:`Prepared`), what it proposes (:class:`Draft`), and the
:class:`Backend` protocol itself."""


from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from rag.answering.questions import QuestionInfo
from rag.core.types import RetrievedChunk
from rag.trust.drafts import DraftSentence

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
