"""Verifier: every answer sentence, from any backend, is checked against the passages it cites.

A sentence is supported when (1) every number and name it states occurs in a cited passage and (2) its support
score, the mean of its best embedding similarity to a sentence of a cited passage and the share of its content words
found in the cited passages, reaches :data:`SUPPORT_THRESHOLD`. A verbatim quote scores 1. Markers that point at
no passage are removed; a sentence without a valid marker is matched against all retrieved passages and gets a
marker only if one supports it. The best-matching sentence of the cited passage becomes the citation's quote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from rag.questions import names, numbers
from rag.types import Chunk, RetrievedChunk

SUPPORT_THRESHOLD = 0.6
_STOP = frozenset(
    "a an the and or of in on to for by with at from as is are was were be been being it its this that these those "
    "has have had will would can could may might also than then there their they them which who whom what when where "
    "why how not no but into over under about after before while such more most very per via".split())
_MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass(frozen=True)
class DraftSentence:
    """A sentence proposed by a backend, with the passage numbers (1-based, as in the prompt) it cites."""

    text: str
    cites: tuple[int, ...] = ()


@dataclass(frozen=True)
class Verified:
    text: str
    passage: int | None
    """0-based index into the passages of the best supporting cited passage; ``None`` when unsupported."""
    quote: tuple[int, int] | None
    """Doc-relative span of the supporting sentence."""
    score: float
    supported: bool
    reason: str = ""
    cites: tuple[int, ...] = field(default=())


def split_markers(text: str) -> tuple[str, tuple[int, ...]]:
    """``"SMIC reached 5nm [2][3]."`` -> ``("SMIC reached 5nm.", (2, 3))``."""
    cites = tuple(int(n) for n in re.findall(r"\[(\d+)\]", text))
    clean = _MARKER.sub("", text).strip()
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
    return clean, cites


def parse_draft(text: str) -> list[DraftSentence]:
    """Split generated text into sentences and their markers (a marker after the period belongs to the sentence)."""
    from rag.chunk import split_sentences

    text = re.sub(r"(\.)\s*((?:\[\d+\]\s*)+)", r" \2\1 ", text)  # "... 5nm. [2]" -> "... 5nm [2]."
    out = []
    for start, end in split_sentences(text):
        sentence, cites = split_markers(text[start:end])
        if re.search(r"\w", sentence):
            out.append(DraftSentence(sentence, cites))
    return out


def content_words(text: str) -> set[str]:
    return {w for w in re.findall(r"[a-z0-9][a-z0-9.+%-]*[a-z0-9%]|[a-z0-9]", text.lower()) if w not in _STOP and len(w) > 1}


def _norm(text: str) -> str:
    return re.sub(r"[\s’'`]+", " ", text.lower())


def missing_facts(sentence: str, evidence: str) -> list[str]:
    """Numbers and names stated in ``sentence`` that do not occur in ``evidence``."""
    ev = _norm(evidence)
    ev_numbers = set(numbers(evidence))
    missing = [n for n in numbers(sentence) if n not in ev_numbers]
    for name in names(sentence):
        parts = [p for p in re.split(r"\s+", _norm(name)) if p not in _STOP]
        if parts and not all(p.strip(".,") in ev for p in parts):
            missing.append(name)
    return missing


class Verifier:
    """Checks drafts against passages using the index's own embedder (vectors cached per text)."""

    def __init__(self, embed):
        self._embed = embed

    def _sentences(self, chunk: Chunk) -> list[tuple[int, int]]:
        return list(chunk.sentences) or [(chunk.start, chunk.end)]

    def check(self, draft: list[DraftSentence], passages: list[RetrievedChunk], doc_texts: dict[str, str]) -> list[Verified]:
        if not draft:
            return []
        vecs = self._embed([d.text for d in draft])
        out = []
        for d, vec in zip(draft, vecs):
            valid = tuple(c for c in d.cites if 1 <= c <= len(passages))
            pool = [c - 1 for c in valid] or list(range(len(passages)))
            result = self._best(d.text, vec, pool, passages, doc_texts)
            reasons = []
            if len(valid) < len(d.cites):
                reasons.append("removed markers that point at no passage")
            if not valid:
                reasons.append("no valid citation; matched against all passages")
            out.append(Verified(d.text, result[0], result[1], result[2], result[3], "; ".join(reasons + [result[4]]).strip("; "), valid))
        return out

    def _best(self, text: str, vec: np.ndarray, pool: list[int], passages: list[RetrievedChunk],
              doc_texts: dict[str, str]):
        best = (None, None, 0.0, False, "no passage to check against")
        words = content_words(text)
        for p in pool:
            chunk = passages[p].chunk
            doc = doc_texts[chunk.doc_id]
            spans = self._sentences(chunk)
            sent_texts = [doc[s:e] for s, e in spans]
            if any(_norm(text).strip(" .") in _norm(s) for s in sent_texts):
                j = next(i for i, s in enumerate(sent_texts) if _norm(text).strip(" .") in _norm(s))
                return p, spans[j], 1.0, True, "verbatim quote"
            sims = self._embed(sent_texts) @ vec
            j = int(np.argmax(sims))
            lexical = len(words & content_words(chunk.text)) / max(1, len(words))
            score = 0.5 * float(sims[j]) + 0.5 * lexical
            missing = missing_facts(text, chunk.text)
            supported = not missing and score >= SUPPORT_THRESHOLD
            reason = f"not in the cited passage: {', '.join(missing[:4])}" if missing else (
                "" if supported else f"weak support ({score:.2f} < {SUPPORT_THRESHOLD})")
            if (supported, score) > (best[3], best[2]):
                best = (p, spans[j], score, supported, reason)
        return best
