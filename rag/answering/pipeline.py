"""Answering: retrieve passages, draft an answer with a backend (:mod:`rag.answering.backends`), verify it, and assemble the
cited :class:`Answer` with one of three outcomes: ``answered``, ``partial`` (the articles touch the question but do
not clearly answer it: the text says so, then gives the closest cited sentences) or ``not_found``.

When an LLM backend's draft is dropped entirely by the verifier, the extractive answer is returned instead, with a
notice that the model's wording could not be verified: the user never gets "The articles do not say" when the
articles do say.
"""

from __future__ import annotations

import dataclasses
import re

from rag.answering.backends.base import Draft, Prepared
from rag.answering.backends.registry import backend_for
from rag.answering.conversation import check_history, resolve
from rag.answering.names import contains
from rag.answering.questions import analyse
from rag.answering.short import short_answer
from rag.core.activity import answering as answer_in_progress
from rag.core.config import Settings
from rag.core.protocols import EmbedFn, OnToken
from rag.core.timing import StageTimer
from rag.core.types import Answer, Citation, Conflict, Document, RetrievedChunk, SentenceSupport
from rag.encoders.cache import vector_cache
from rag.index.snapshot import IndexSnapshot, load_index
from rag.retrieval.hybrid import FusionSettings, fusion_from, hybrid_search
from rag.text.casing import corpus_casing, needs_case, restore_case
from rag.trust.conflicts import with_conflicts
from rag.trust.verify import Verified, Verifier


def _assemble(verified: list[Verified], passages: list[RetrievedChunk],
              docs: dict[str, Document]) -> tuple[str, list[Citation], list[SentenceSupport]]:
    """Answer text with markers numbered by first appearance, one citation per marker."""
    markers: dict[tuple[str, int, int], int] = {}
    citations: list[Citation] = []
    parts, support = [], []
    for v in verified:
        if not v.supported or v.passage is None or v.quote is None:
            support.append(SentenceSupport(v.text, (), round(v.score, 4), False, v.reason))
            continue
        chunk = passages[v.passage].chunk
        key = (chunk.doc_id, *v.quote)
        if key not in markers:
            markers[key] = len(markers) + 1
            doc = docs[chunk.doc_id]
            citations.append(Citation(markers[key], chunk.doc_id, chunk.title, chunk.source,
                                      doc.text[v.quote[0]:v.quote[1]], v.quote[0], v.quote[1], chunk.id, chunk.date))
        body = v.text.rstrip()
        if re.search(r"[^.]\.$", body):  # "... 5nm." -> "... 5nm [1]."
            parts.append(f"{body[:-1]} [{markers[key]}].")
        elif re.search(r"[.!?\"”’')\]]$", body):  # ends in a quote, bracket, "?" or "!": keep it whole
            parts.append(f"{body} [{markers[key]}]")
        else:  # a list item without a final stop: "Revenue rose to $5.2 billion [1]."
            parts.append(f"{body} [{markers[key]}].")
        support.append(SentenceSupport(v.text, (markers[key],), round(v.score, 4), True, v.reason))
    return " ".join(parts), citations, support


NOT_FOUND = "The articles do not say."
PARTIAL = "The articles touch on this but do not clearly answer it"


def abstention_text(question: str, passages: list[RetrievedChunk], reason: str) -> str:
    topics = list(dict.fromkeys(p.title for p in passages))[:3]
    text = f"{NOT_FOUND} I found nothing in them that answers this question"
    text += f" ({reason})." if reason else "."
    if topics:
        text += " The closest articles are: " + "; ".join(f"“{t}”" for t in topics) + "."  # a title may end in "."
    return text


def partial_text(cited: str, reason: str) -> str:
    return f"{PARTIAL}{f' ({reason})' if reason else ''}. The closest passages say: {cited}"


def prepare(question: str, history: list[dict] | None, snapshot: IndexSnapshot, settings: Settings, k: int) -> Prepared:
    history = check_history(history)
    if needs_case(question) or any(needs_case(m["content"]) for m in history if m["role"] == "user"):
        # typed all in lower or upper case: the names are found again from the corpus's own spelling (rag.text.casing)
        table = corpus_casing(snapshot)
        question = restore_case(question, table)
        history = [dict(m, content=restore_case(m["content"], table)) if m["role"] == "user" else m for m in history]
    query = resolve(question, history)
    qvec = vector_cache(snapshot)([query])[0]
    fusion = fusion_from(settings)
    passages = hybrid_search(snapshot, query, k, fusion, qvec=qvec)
    info = analyse(question)
    passages = _with_named_passage(passages, info.entities, snapshot, query, fusion, qvec, k)
    extra: tuple[str, ...] = ()
    if query != question:  # a follow-up: names come from the earlier turn
        extra = tuple(e for e in analyse(query).entities if e not in info.entities)
        if not info.entities:
            info = dataclasses.replace(info, text=query)
    return Prepared(query, qvec, passages, info, extra, question)


NAMED_DEPTH = 4
"""How deep (times ``k``) :func:`_with_named_passage` looks for a passage whose article names every name."""


def _with_named_passage(passages: list[RetrievedChunk], names: tuple[str, ...], snapshot: IndexSnapshot, query: str,
                        fusion: FusionSettings, qvec, k: int) -> list[RetrievedChunk]:
    """When no retrieved passage's article mentions every name of the question, the best passage of the next
    ``(NAMED_DEPTH - 1) * k`` whose article does takes the last place: a rare name that BM25 ranks first can fall out
    of the fused top ``k`` behind passages that share the question's other words, and the answer would then be "not
    found" for its names ("What did <a chief executive named once> say about <a country named everywhere>?")."""
    if not names or not passages:
        return passages
    docs = snapshot.documents

    def names_all(p: RetrievedChunk) -> bool:
        text = f"{p.chunk.title}\n{docs[p.chunk.doc_id].text}"
        return all(contains(text, n) for n in names)

    if any(names_all(p) for p in passages):
        return passages
    wider = hybrid_search(snapshot, query, k * NAMED_DEPTH, fusion, qvec=qvec)
    named = next((p for p in wider[len(passages):] if names_all(p)), None)
    return passages[:-1] + [named] if named is not None else passages


def _verify(draft: Draft, passages: list[RetrievedChunk], snapshot: IndexSnapshot,
            embed: EmbedFn) -> tuple[str, list[Citation], list[SentenceSupport]]:
    verified = Verifier(embed).check(draft.sentences, passages,
                                     {d: snapshot.documents[d].text for d in {p.doc_id for p in passages}})
    return _assemble(verified, passages, snapshot.documents)


def answer_question(question: str, *, settings: Settings, history: list[dict] | None, k: int,
                    snapshot: IndexSnapshot | None = None, on_token: OnToken | None = None) -> Answer:
    """Answer a cleaned question; see :func:`rag.answer` for the public contract. ``on_token(text)`` receives an
    LLM backend's draft as it streams (see :func:`rag.app.api.answer_stream`)."""
    with answer_in_progress():  # a server's background cache warm-up pauses meanwhile
        return _answer_question(question, settings, history, k, snapshot, on_token)


def _answer_question(question: str, settings: Settings, history: list[dict] | None, k: int,
                     snapshot: IndexSnapshot | None, on_token: OnToken | None) -> Answer:
    timer = StageTimer()
    with timer.stage("retrieve"):
        snapshot = snapshot or load_index(settings.index_dir)  # one snapshot for the whole answer
        prep = prepare(question, history, snapshot, settings, k)
        passages = prep.passages
        embed = vector_cache(snapshot)
    with timer.stage("generate"):
        draft = backend_for(settings.backend, settings, snapshot, embed, on_token).draft(prep, settings.answer_sentences)
    with timer.stage("verify"):
        text, citations, support = _verify(draft, passages, snapshot, embed)
        notices = list(draft.notices)
        if settings.backend != "extractive" and not citations:
            # The model's draft was dropped (or it declined): fall back to the extractive answer, and say so.
            dropped = support
            draft = backend_for("extractive", settings, snapshot, embed).draft(prep, settings.answer_sentences)
            text, citations, support = _verify(draft, passages, snapshot, embed)
            support = dropped + support
            if citations:
                notices.append(f"The {settings.backend} model's wording could not be verified against the articles; "
                               "showing the sentences the extractive backend selected instead.")
    status, reason = draft.status, draft.reason
    conflicts: list[Conflict] = []
    if not citations:
        status = "not_found"
        if draft.sentences and not reason:
            reason = "no sentence of the draft answer is supported by the passages it cites"
        text = abstention_text(question, passages, reason)
    else:
        if status == "partial":
            text = partial_text(text, reason)
        # sources that disagree about a cited figure are named side by side (rag.trust.conflicts)
        with timer.stage("conflicts"):
            text, citations, conflicts = with_conflicts(text, citations, question, passages, snapshot.documents,
                                                        embed)
    short = short_answer(prep.info, citations) if status == "answered" else None
    return Answer(question=question, text=text, citations=citations, abstained=status != "answered",
                  passages=passages, support=support, timings=timer.seconds, backend=settings.backend,
                  rewritten_question=prep.query if prep.query != question else None, notices=notices,
                  status=status, reason=reason if status != "answered" else "", scorer=draft.scorer,
                  conflicts=conflicts,
                  confidence=round(draft.probability, 4) if draft.probability is not None else None,
                  short_answer=short)
