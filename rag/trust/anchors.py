"""Citation anchors: a citation that survives index rebuilds.

An anchor is one string, ``<doc_id>:<sha>:<start>-<end>:<date>``, where ``sha`` is the first 16 hex digits of the
sha256 of the quoted sentence (whitespace collapsed), ``start``/``end`` its char span in the cleaned document text
and ``date`` the article's ISO date (``undated`` when it has none). The document id comes first and may contain any
character except that it cannot end the string; the last three fields never contain ``:``.

:func:`resolve` turns an anchor back into the current sentence: the same content hash in the same document is the
same sentence, wherever an edit above it moved it (``changed=False``). A hash that is no longer there means the
sentence was edited or removed (``changed=True``); the result then shows the closest current sentence, looked for in
the same document first and by meaning when the original quote is known, else by position.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from rag.core.anchor_ids import ParsedAnchor, make_anchor, parse_anchor, sentence_hash
from rag.core.errors import ConfigError
from rag.index.snapshot import IndexSnapshot

SAME_DOC_MIN_SIMILARITY = 0.5
"""A same-document sentence is preferred as the closest match only when at least this similar to the old quote;
below it, a better match elsewhere in the corpus wins (the passage may have moved to another article)."""


@dataclass(frozen=True)
class AnchorMatch:
    """A sentence of the current index."""

    doc_id: str
    title: str
    source: str
    date: str | None
    text: str
    start: int
    end: int
    anchor: str
    passage: str
    """The indexed passage (chunk) that holds the sentence."""
    similarity: float = 1.0


@dataclass(frozen=True)
class Resolution:
    """What an anchor points at in the current index.

    :param status: ``unchanged`` (same sentence, same document, maybe at a new offset), ``moved`` (same sentence, now
        in another document), ``changed`` (the sentence was edited or removed; ``current`` is the closest sentence)
        or ``removed`` (its document is gone and no close sentence was found).
    """

    anchor: str
    changed: bool
    status: str
    reason: str
    current: AnchorMatch | None = None
    offset_moved: bool = False

    def to_dict(self) -> dict:
        import dataclasses

        return dataclasses.asdict(self)


def _sentences(snapshot: IndexSnapshot, doc_id: str) -> list[tuple[int, int, str]]:
    """Unique sentence spans of a document, in order, with the chunk text that holds each."""
    seen: dict[tuple[int, int], str] = {}
    for chunk in snapshot.chunks:
        if chunk.doc_id == doc_id:
            for span in chunk.sentence_spans:
                seen.setdefault((span[0], span[1]), chunk.text)
    return [(a, b, text) for (a, b), text in sorted(seen.items())]


def _match(snapshot: IndexSnapshot, doc_id: str, start: int, end: int, passage: str, similarity: float) -> AnchorMatch:
    doc = snapshot.documents[doc_id]
    text = doc.text[start:end]
    return AnchorMatch(doc_id, doc.title, doc.source, doc.date, text, start, end,
                       make_anchor(doc_id, text, start, end, doc.date), passage, round(float(similarity), 4))


def _by_position(snapshot: IndexSnapshot, doc_id: str, old: ParsedAnchor) -> AnchorMatch | None:
    """The sentence that now occupies (most of) the old span, else the nearest one."""
    spans = _sentences(snapshot, doc_id)
    if not spans:
        return None

    def key(s: tuple[int, int, str]) -> tuple[int, int]:
        overlap = min(s[1], old.end) - max(s[0], old.start)
        return (-overlap, abs(s[0] - old.start)) if overlap > 0 else (1, abs(s[0] - old.start))

    a, b, passage = min(spans, key=key)
    return _match(snapshot, doc_id, a, b, passage, 0.0)


def _by_meaning(snapshot: IndexSnapshot, quote: str, doc_id: str) -> AnchorMatch | None:
    """The current sentence closest in meaning to ``quote``: same document first, then the best retrieved passages."""
    from rag.core.config import load_settings
    from rag.encoders.cache import vector_cache
    from rag.retrieval.hybrid import fusion_from, hybrid_search

    embed = vector_cache(snapshot)
    qvec = embed([quote])[0]
    pools: list[list[tuple[str, int, int, str]]] = []
    if doc_id in snapshot.documents:
        pools.append([(doc_id, a, b, p) for a, b, p in _sentences(snapshot, doc_id)])
    hits = hybrid_search(snapshot, quote, 5, fusion_from(load_settings()), qvec=qvec)
    pool: dict[tuple[str, int, int], str] = {}
    for hit in hits:
        chunk = hit.chunk
        for a, b in chunk.sentence_spans:
            pool.setdefault((chunk.doc_id, a, b), chunk.text)
    pools.append([(d, a, b, p) for (d, a, b), p in pool.items()])
    best: tuple[float, tuple[str, int, int, str]] | None = None
    for i, cands in enumerate(pools):
        if not cands:
            continue
        texts = [snapshot.documents[d].text[a:b] for d, a, b, _ in cands]
        sims = embed(texts) @ qvec
        j = int(sims.argmax())
        if best is None or sims[j] > best[0]:
            best = (float(sims[j]), cands[j])
        if i == 0 and len(pools) > 1 and sims[j] >= SAME_DOC_MIN_SIMILARITY:
            break  # same document first
    if best is None:
        return None
    sim, (d, a, b, passage) = best
    return _match(snapshot, d, a, b, passage, sim)


def resolve(anchor: str, *, quote: str | None = None, index_dir: str | Path | None = None) -> Resolution:
    """Turn a citation anchor back into the current sentence of the live index.

    :param quote: the originally quoted sentence (``Citation.quote``), when known: it lets a changed or removed
        sentence be matched to the closest current one by meaning (without it, by position in its document).
    :param index_dir: ``None`` means the configured index folder.
    :raises ConfigError: a malformed anchor. :raises IndexMissingError: no index built yet.
    """
    from rag.core.config import load_settings
    from rag.index.snapshot import load_index

    old = parse_anchor(anchor)
    if quote is not None and sentence_hash(quote) != old.sha:
        raise ConfigError("the quote given does not match the anchor's content hash")
    settings = load_settings(index_dir=str(index_dir) if index_dir is not None else None)
    snapshot = load_index(settings.index_dir)
    in_doc = old.doc_id in snapshot.documents
    if in_doc:
        same = [s for s in _sentences(snapshot, old.doc_id)
                if sentence_hash(snapshot.documents[old.doc_id].text[s[0]:s[1]]) == old.sha]
        if same:
            a, b, passage = min(same, key=lambda s: abs(s[0] - old.start))
            moved = (a, b) != (old.start, old.end)
            return Resolution(anchor, False, "unchanged",
                              "the sentence is unchanged" + (f" (now at {a}-{b})" if moved else ""),
                              _match(snapshot, old.doc_id, a, b, passage, 1.0), offset_moved=moved)
    for doc_id in snapshot.documents:
        if doc_id == old.doc_id:
            continue
        for a, b, passage in _sentences(snapshot, doc_id):
            if sentence_hash(snapshot.documents[doc_id].text[a:b]) == old.sha:
                return Resolution(anchor, False, "moved", f"the same sentence is now in document {doc_id}",
                                  _match(snapshot, doc_id, a, b, passage, 1.0), offset_moved=True)
    closest = _by_meaning(snapshot, quote, old.doc_id) if quote else (
        _by_position(snapshot, old.doc_id, old) if in_doc else None)
    if in_doc:
        return Resolution(anchor, True, "changed", "the quoted sentence was edited or removed from its article; "
                          "showing the closest current sentence", closest)
    reason = f"document {old.doc_id} is no longer in the index"
    reason += "; showing the closest current sentence" if closest else ""
    return Resolution(anchor, True, "removed" if closest is None else "changed", reason, closest)
