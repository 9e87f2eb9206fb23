"""Citation anchors as strings: ``doc_id:hash:start-end:date``, made for every :class:`rag.core.types.Citation` and
parsed back by :func:`rag.trust.anchors.resolve`, which finds the sentence again after rebuilds."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from rag.core.errors import ConfigError

UNDATED = "undated"
HASH_CHARS = 16


def sentence_hash(text: str) -> str:
    """Content hash of a sentence; insensitive to whitespace changes only."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()[:HASH_CHARS]


def make_anchor(doc_id: str, quote: str, start: int, end: int, date: str | None) -> str:
    return f"{doc_id}:{sentence_hash(quote)}:{start}-{end}:{date or UNDATED}"


@dataclass(frozen=True)
class ParsedAnchor:
    doc_id: str
    sha: str
    start: int
    end: int
    date: str | None


def parse_anchor(anchor: str) -> ParsedAnchor:
    """:raises ConfigError: when ``anchor`` is not of the form ``doc_id:hash:start-end:date``."""
    parts = anchor.strip().rsplit(":", 3) if isinstance(anchor, str) else []
    if len(parts) == 4 and parts[0]:
        doc_id, sha, span, date = parts
        a, dash, b = span.partition("-")
        hexadecimal = len(sha) == HASH_CHARS and all(c in "0123456789abcdef" for c in sha)
        if dash and a.isdigit() and b.isdigit() and hexadecimal:
            return ParsedAnchor(doc_id, sha, int(a), int(b), None if date == UNDATED else date)
    raise ConfigError(f"not a citation anchor: {anchor!r}; expected doc_id:hash:start-end:date "
                      "(as in Citation.anchor)")
