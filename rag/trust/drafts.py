"""Drafts: a backend's text as sentences with the passage numbers they cite (``"SMIC reached 5nm [2]."``), the
form the verifier (:mod:`rag.trust.verify`) checks."""

from __future__ import annotations

import re
from dataclasses import dataclass

from rag.text.sentences import split_sentences

_MARKER = re.compile(r"\s*\[(\d+)\]")


@dataclass(frozen=True)
class DraftSentence:
    """A sentence proposed by a backend, with the passage numbers (1-based, as in the prompt) it cites."""

    text: str
    cites: tuple[int, ...] = ()


def split_markers(text: str) -> tuple[str, tuple[int, ...]]:
    """``"SMIC reached 5nm [2][3]."`` -> ``("SMIC reached 5nm.", (2, 3))``."""
    cites = tuple(int(n) for n in re.findall(r"\[(\d+)\]", text))
    clean = _MARKER.sub("", text).strip()
    clean = re.sub(r"\s+([.,;:!?])", r"\1", clean)
    return clean, cites


def parse_draft(text: str) -> list[DraftSentence]:
    """Split generated text into sentences and their markers (a marker after the period belongs to the sentence)."""
    text = re.sub(r"(\.)\s*((?:\[\d+\]\s*)+)", r" \2\1 ", text)  # "... 5nm. [2]" -> "... 5nm [2]."
    out = []
    for start, end in split_sentences(text):
        sentence, cites = split_markers(text[start:end])
        if re.search(r"\w", sentence):
            out.append(DraftSentence(sentence, cites))
    return out
