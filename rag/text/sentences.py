"""Sentences: spans of the sentences in a text (:func:`split_sentences`), and whether a sentence states something
(:func:`is_statement`).

Sentences come from pysbd (a rule-based segmenter that knows "U.S.", "Inc.", "(NASDAQ: NVDA)" and decimals), with
one repair on top: pysbd splits company names such as "Co. Ltd.", so a break after a corporate abbreviation that is
followed by another corporate suffix or a lower-case word is undone. pysbd's own ``segment()`` then re-locates every
sentence in the text with a regex compiled per sentence (a third of its time); we call its rule processor directly
and locate the sentences with ``str.find`` instead (same splits on every paragraph of the bundled corpus and of
SciFact's 5,183 abstracts; ``tests/ingest/test_chunk.py``).
"""

from __future__ import annotations

import re
from functools import lru_cache

_CORP_END = re.compile(r"\b(?:Co|Corp|Inc|Ltd|Bros|Mfg|Intl|Hldgs|Holdings? Co|N\.V|S\.A|Plc)\.\s*$")
_CORP_NEXT = re.compile(r"^(?:Ltd\.|Inc\.|Co\.|Corp\.|LLC|Limited|\(|[a-z])")


@lru_cache(maxsize=1)
def _segmenter():
    import pysbd

    return pysbd.Segmenter(language="en", clean=False)


WINDOW_CHARS = 4000
"""Longest text given to pysbd at once. Its abbreviation pass re-scans the whole text once per match, so its time
grows with the square of a paragraph's length (a 1.5 MB one-line file took more than 15 minutes); longer paragraphs
are segmented window by window."""


def _pysbd_sentences(paragraph: str) -> list[str]:
    """pysbd's sentences of ``paragraph`` (its rule processor, without ``segment()``'s slow char-span pass).

    A paragraph longer than :data:`WINDOW_CHARS` is segmented in windows: each window's sentences are kept but for
    the last, which the window's end may have cut, and the next window starts where that sentence starts. Time grows
    linearly with length, and the sentences are pysbd's own (its rules look at a few words around a break)."""
    process = lambda text: _segmenter().processor(text).process()  # noqa: E731
    if len(paragraph) <= WINDOW_CHARS:
        return process(paragraph)
    out: list[str] = []
    pos = 0
    while pos < len(paragraph):
        window = paragraph[pos : pos + WINDOW_CHARS]
        pieces = process(window)
        end = _end_of(window, pieces[:-1]) if pos + len(window) < len(paragraph) else 0
        if end > 0:  # keep all but the last sentence; the next window starts where it starts
            out.extend(pieces[:-1])
            pos += end
        else:  # the paragraph's end, one sentence longer than a window, or text pysbd changed: the window as is
            out.extend(pieces)
            pos += len(window)
    return out


def _end_of(window: str, pieces: list[str]) -> int:
    """Where ``pieces`` (pysbd's sentences of ``window``, in order) end in it; 0 when one cannot be found."""
    end = 0
    for piece in pieces:
        found = window.find(piece.strip(), end)
        if found < 0:
            return 0
        end = found + len(piece.strip())
    return end


MIN_WORDS = 3
"""Shortest candidate sentence, in words: "It employs 3,000 people." can answer a question; "He left." cannot."""


def is_statement(text: str) -> bool:
    """Whether ``text`` can be an answer sentence: at least :data:`MIN_WORDS` words, and either ending as a sentence
    ends or written like a list item ("Revenue rose to $5.2 billion": no final stop, but in sentence case). A heading
    ("Outlook", "Key figures:", "The Road Ahead: China's Ambitions"), a fragment, a table row or a rhetorical question
    ("A New Cold War?") states nothing."""
    words = text.split()
    if len(words) < MIN_WORDS or re.search(r"\?[\"”)]*$", text):
        return False
    if re.search(r"[.!\"”)]$", text):
        return True
    if text.endswith(":") or "|" in text or not re.match(r"[\w\"“‘']", text):
        return False
    # a list item in sentence case; headings capitalise most of their longer words (title case)
    content = [w for w in words[1:] if w[:1].isalpha() and len(w) > 3]
    return bool(content) and sum(w[0].isupper() for w in content) < len(content) / 2


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans in ``text`` (shifted by ``offset``); paragraphs (blank-line separated) always break sentences."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+(?:\n(?!\n)[^\n]*)*", text):
        cursor = para.start()
        pieces = _pysbd_sentences(para.group()) if len(para.group()) > 1 else [para.group()]
        merged: list[tuple[int, int]] = []
        for piece in pieces:
            stripped = piece.strip()
            if not stripped:
                continue
            start = text.find(stripped, cursor, para.end())
            if start < 0:  # pysbd altered the text; fall back to the remaining paragraph
                start = cursor
                stripped = text[cursor : para.end()].strip()
                if not stripped:
                    break
                start = text.find(stripped, cursor)
            end = start + len(stripped)
            cursor = end
            if merged and _CORP_END.search(text[merged[-1][0] : merged[-1][1]]) and _CORP_NEXT.match(stripped):
                merged[-1] = (merged[-1][0], end)
            else:
                merged.append((start, end))
            if cursor >= para.end():
                break
        spans.extend((s + offset, e + offset) for s, e in merged)
    return spans
