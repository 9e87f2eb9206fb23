"""The reader (``rag/models/reader``): MiniLM-L6 with a span head, run by OpenVINO without PyTorch.

It reads (question, sentence with its neighbours) in the answer scorer's input format (:func:`rag.encoders.scorer.pair`)
and gives, for each word piece, a start and an end score; the best span inside the sentence is its answer, and the
[CLS] position's scores are its *no-answer* score (SQuAD 2.0 style). Trained by ``train/reader.py`` on public SQuAD 2.0
articles and the chip-war dev questions; model card in the model folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.encoders.scorer import META_NAME, MODEL_NAME, MODELS, CrossEncoder, pair

MODEL_DIR = MODELS / "reader"
__all__ = ["MODEL_DIR", "META_NAME", "MODEL_NAME", "Reader", "Span", "reader"]
MAX_ANSWER_TOKENS = 24
"""The longest span the reader returns, in word pieces (SQuAD answers are short; a longer span is a sentence)."""


@dataclass(frozen=True)
class Span:
    """The reader's answer in one sentence: characters ``start:end`` of the sentence (as given), its score (start +
    end logits) and the no-answer score; ``margin`` > 0 means the reader prefers the span to no answer."""

    start: int
    end: int
    score: float
    null: float

    @property
    def margin(self) -> float:
        return self.score - self.null


class Reader(CrossEncoder):
    """Marks the answer span of a question in sentences; thread-safe, torch-free."""

    def read(self, question: str, sentences: list[str], before: list[str] | None = None,
             after: list[str] | None = None) -> list[Span | None]:
        """The best span of each sentence (``None`` where no word piece of the sentence survives truncation)."""
        if not sentences:
            return []
        n = len(sentences)
        before, after = before or [""] * n, after or [""] * n
        pairs = [pair(question, s, b, a) for s, b, a in zip(sentences, before, after)]
        encs = self._tok.encode_batch(pairs)
        logits = self.infer(self.arrays(encs))
        return [self._best(enc, logits[k], sentence) for k, (enc, sentence) in enumerate(zip(encs, sentences))]

    @staticmethod
    def _best(enc, logits: np.ndarray, sentence: str) -> Span | None:
        lead = len(sentence) - len(sentence.lstrip())
        length = len(sentence.strip())
        # word pieces of the sentence itself: the second segment, before its own [SEP]
        idx = [t for t, (seq, (s, e)) in enumerate(zip(enc.sequence_ids, enc.offsets))
               if seq == 1 and e > s and e <= length]
        if not idx:
            return None
        start, end = logits[idx, 0], logits[idx, 1]
        scores = start[:, None] + end[None, :]
        gap = np.arange(len(idx))[None, :] - np.arange(len(idx))[:, None]
        scores = np.where((gap >= 0) & (gap < MAX_ANSWER_TOKENS), scores, -np.inf)
        i, j = np.unravel_index(int(np.argmax(scores)), scores.shape)
        s, e = enc.offsets[idx[i]][0], enc.offsets[idx[j]][1]
        return Span(lead + s, lead + e, float(scores[i, j]), float(logits[0, 0] + logits[0, 1]))


@lru_cache(maxsize=1)
def reader() -> Reader | None:
    """The shipped reader, loaded once per process; ``None`` where none is shipped."""
    if not (MODEL_DIR / MODEL_NAME).is_file():
        return None
    return Reader(MODEL_DIR)
