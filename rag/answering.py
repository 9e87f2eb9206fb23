"""Answering: retrieve passages, draft an answer with a backend, verify it, and assemble the cited :class:`Answer`.

The default **extractive** backend selects sentences from the retrieved passages. It scores each sentence by
embedding similarity to the question plus idf-weighted lexical overlap, prefers sentences holding the expected
answer type, drops redundant ones and orders the rest as they appear in their articles. It answers only when the
best sentence passes an answerability gate: the question's names are consistent with its article, it holds an
answer of the expected type (a number for "how many", an amount for "how much does it cost", a date for "when"),
and it covers the question's focus terms well enough. Cosine similarity alone cannot separate near-miss questions
("What does the Mate 80 cost?") from answerable ones; these lexical and type checks can.
"""

from __future__ import annotations

import json
import math
import re
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.config import Settings
from rag.conversation import check_history, resolve
from rag.embed import Embedder, embedder_for_key
from rag.index import IndexSnapshot, load_index
from rag.questions import DEMONYMS, GENERIC_WORDS, QuestionInfo, analyse, has_type, plain_words
from rag.retrieve import fusion_from, hybrid_search
from rag.types import Answer, Citation, RetrievedChunk, SentenceSupport
from rag.verify import DraftSentence, Verified, Verifier

REDUNDANT_COSINE = 0.85
RELATIVE_SCORE = 0.6


@dataclass
class Candidate:
    passage: int
    start: int
    end: int
    text: str
    cos: float = 0.0
    coverage: float = 0.0
    passage_coverage: float = 0.0
    typed: bool = False
    entities_in_doc: float = 1.0
    entities_in_sentence: float = 1.0
    score: float = 0.0


FEATURES = ("cosine", "sentence_coverage", "passage_coverage", "unmatched_focus_0.5", "unmatched_focus_0.6",
            "min_focus_similarity", "typed", "entities_in_doc", "entities_in_sentence", "top_cosine")
ANSWERABILITY = json.loads((Path(__file__).with_name("answerability.json")).read_text())
"""Logistic-regression weights over :data:`FEATURES`, fitted by ``bench/calibrate_abstention.py``."""


def answerability(features: list[float]) -> float:
    """Probability that the lead sentence answers the question."""
    z = (np.asarray(features) - np.asarray(ANSWERABILITY["mean"])) / np.asarray(ANSWERABILITY["scale"])
    return float(1 / (1 + np.exp(-(z @ np.asarray(ANSWERABILITY["weights"]) + ANSWERABILITY["bias"]))))


class _VectorCache:
    """LRU cache of sentence vectors keyed by text, shared by the answerer and the verifier (thread-safe)."""

    def __init__(self, embedder: Embedder, size: int = 20000):
        self.embedder, self.size, self.data = embedder, size, OrderedDict()
        self._lock = threading.Lock()

    def __call__(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            found = {t: self.data[t] for t in texts if t in self.data}
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        if missing:
            found.update(zip(missing, self.embedder.encode(missing)))
        with self._lock:
            for t in texts:
                self.data[t] = found[t]
                self.data.move_to_end(t)
            while len(self.data) > self.size:
                self.data.popitem(last=False)
        return np.stack([found[t] for t in texts]) if texts else np.zeros((0, self.embedder.dim), np.float32)


_caches: dict[str, _VectorCache] = {}


def vector_cache(snapshot: IndexSnapshot) -> _VectorCache:
    key = snapshot.embedder_key
    cache = _caches.get(key)
    if cache is None:
        cache = _caches.setdefault(key, _VectorCache(embedder_for_key(key)))
    return cache


class TermStats:
    """Inverse document frequencies of BM25 terms over the snapshot's chunks."""

    def __init__(self, snapshot: IndexSnapshot):
        self.bm25 = snapshot.bm25
        indptr = np.asarray(snapshot.bm25.model.scores["indptr"])
        self.df = np.diff(indptr)
        self.n = max(1, snapshot.bm25.size)

    def idf(self, term: str) -> float:
        tid = self.bm25.model.vocab_dict.get(term)
        df = int(self.df[tid]) if tid is not None and tid < len(self.df) else 0
        return math.log(1 + (self.n - df + 0.5) / (df + 0.5))

    def terms(self, text: str) -> list[str]:
        return [t for t in self.bm25.query_terms(text) if t]


_term_stats: dict[str, TermStats] = {}


def term_stats(snapshot: IndexSnapshot) -> TermStats:
    """Term statistics of the snapshot, computed once; only the latest snapshot's are kept."""
    global _term_stats
    key = str(snapshot.path)
    stats = _term_stats.get(key)
    if stats is None:
        stats = TermStats(snapshot)
        _term_stats = {key: stats}  # rebinding is atomic: concurrent readers see the old or the new dict
    return stats


def _contains(haystack: str, entity: str) -> bool:
    """All words of ``entity`` occur in ``haystack`` (a demonym also matches its country: Japanese ~ Japan)."""
    hay = haystack.lower()

    def found(word: str) -> bool:
        options = (word,) + DEMONYMS.get(word, ())
        return any(re.search(rf"(?<![\w]){re.escape(o)}(?![\w])", hay) for o in options)

    return all(found(w) for w in re.split(r"[\s]+", entity.lower()) if w)


class Extractive:
    """The extractive backend: picks, de-duplicates and orders cited sentences; abstains when none answers."""

    name = "extractive"

    def __init__(self, snapshot: IndexSnapshot, embed: _VectorCache):
        self.snapshot, self.embed = snapshot, embed
        self.stats = term_stats(snapshot)

    def candidates(self, info: QuestionInfo, qvec: np.ndarray, passages: list[RetrievedChunk],
                   extra_entities: tuple[str, ...] = ()) -> list[Candidate]:
        docs = self.snapshot.documents
        q_terms = list(dict.fromkeys(t for w in plain_words(info.text) if w not in GENERIC_WORDS for t in self.stats.terms(w)))
        weights = {t: self.stats.idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        ents = info.entities + extra_entities
        cands: list[Candidate] = []
        seen: set[tuple[str, int]] = set()
        for p, passage in enumerate(passages):
            chunk = passage.chunk
            doc_text = docs[chunk.doc_id].text
            doc_full = f"{chunk.title}\n{doc_text}"
            p_terms = set(self.stats.terms(f"{chunk.title}. {chunk.text}"))
            p_cov = sum(w for t, w in weights.items() if t in p_terms) / total
            for start, end in chunk.sentences or ((chunk.start, chunk.end),):
                text = doc_text[start:end]
                if (chunk.doc_id, start) in seen or len(text) < 25 or not re.search(r"[.!?\"”)]$", text):
                    continue  # headings, fragments, and sentences already seen in an overlapping chunk
                seen.add((chunk.doc_id, start))
                s_terms = set(self.stats.terms(text))
                cov = sum(w for t, w in weights.items() if t in s_terms) / total
                cand = Candidate(p, start, end, text, coverage=cov, passage_coverage=p_cov,
                                 typed=has_type(text, info.answer_type))
                if ents:
                    cand.entities_in_doc = sum(_contains(doc_full, e) for e in ents) / len(ents)
                    cand.entities_in_sentence = sum(_contains(text, e) for e in ents) / len(ents)
                cands.append(cand)
        if not cands:
            return []
        sims = self.embed([c.text for c in cands]) @ qvec
        for c, s in zip(cands, sims):
            c.cos = float(s)
            c.score = c.cos + 0.8 * c.coverage + 0.2 * c.passage_coverage + 0.25 * c.typed + 0.1 * c.entities_in_sentence
        return sorted(cands, key=lambda c: -c.score)

    def features(self, info: QuestionInfo, lead: Candidate, cands: list[Candidate],
                 passages: list[RetrievedChunk]) -> list[float]:
        """Answerability evidence for ``lead``, in the order of :data:`FEATURES`."""
        ent_words = {w for e in info.entities for w in plain_words(e)}
        focus = list(dict.fromkeys(w for w in plain_words(info.text)
                                   if w not in GENERIC_WORDS and w not in ent_words and len(w) > 2))
        chunk = passages[lead.passage].chunk
        passage_text = f"{chunk.title}. {chunk.text}"
        p_stems, s_stems = set(self.stats.terms(passage_text)), set(self.stats.terms(lead.text))
        stems = {w: set(self.stats.terms(w)) for w in focus}
        missing = [w for w in focus if not stems[w] & p_stems]
        sims: list[float] = []
        if missing:
            # A focus word absent from the passage may still be paraphrased there ("boss" ~ "CEO").
            passage_words = list(dict.fromkeys(plain_words(passage_text)))
            sims = (self.embed(missing) @ self.embed(passage_words).T).max(axis=1).tolist()
        idf = {w: max([self.stats.idf(t) for t in stems[w]] or [0.0]) for w in focus}
        total = sum(idf.values()) or 1.0
        n = max(1, len(focus))
        return [
            lead.cos,
            sum(idf[w] for w in focus if stems[w] & s_stems) / total,
            sum(idf[w] for w in focus if stems[w] & p_stems) / total,
            sum(x < 0.5 for x in sims) / n,
            sum(x < 0.6 for x in sims) / n,
            min(sims + [1.0]),
            float(lead.typed),
            lead.entities_in_doc,
            lead.entities_in_sentence,
            cands[0].cos,
        ]

    def lead(self, info: QuestionInfo, cands: list[Candidate]) -> Candidate:
        """The best of the top three sentences that holds the expected answer type and names."""
        for c in cands[:3]:
            if c.typed and c.entities_in_doc == 1.0:
                return c
        return cands[0]

    def draft(self, info: QuestionInfo, qvec: np.ndarray, passages: list[RetrievedChunk], max_sentences: int,
              extra_entities: tuple[str, ...] = ()) -> tuple[list[DraftSentence], list[Candidate], str]:
        cands = self.candidates(info, qvec, passages, extra_entities)
        if not cands:
            return [], cands, "no passages were retrieved"
        lead = self.lead(info, cands)
        probability = answerability(self.features(info, lead, cands, passages))
        if probability < ANSWERABILITY["threshold"]:
            why = "no retrieved sentence answers it with enough evidence"
            if lead.entities_in_doc < 1.0:
                why = "the articles do not mention every name in the question"
            elif not lead.typed:
                why = f"no {info.answer_type} in the closest sentences"
            return [], cands, why
        limit = max_sentences + (2 if info.plural else 0)
        chosen = [lead]
        vecs = {id(c): v for c, v in zip(cands, self.embed([c.text for c in cands]))}
        for c in cands:
            if len(chosen) >= limit or c.score < RELATIVE_SCORE * lead.score:
                break
            if c is lead or not c.typed or c.entities_in_doc < 1.0:
                continue
            if max(float(vecs[id(c)] @ vecs[id(o)]) for o in chosen) >= REDUNDANT_COSINE:
                continue
            chosen.append(c)
        # Readable order: the lead's article first, then by first appearance; within an article, by position.
        doc_order = {}
        for c in chosen:
            doc_order.setdefault(passages[c.passage].doc_id, len(doc_order))
        chosen.sort(key=lambda c: (doc_order[passages[c.passage].doc_id], c.start))
        return [DraftSentence(c.text, (c.passage + 1,)) for c in chosen], cands, ""


def _assemble(verified: list[Verified], passages: list[RetrievedChunk], docs) -> tuple[str, list[Citation], list[SentenceSupport]]:
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
        else:  # ends in a quote, bracket, "?" or "!": keep it whole
            parts.append(f"{body} [{markers[key]}]")
        support.append(SentenceSupport(v.text, (markers[key],), round(v.score, 4), True, v.reason))
    return " ".join(parts), citations, support


def abstention_text(question: str, passages: list[RetrievedChunk], reason: str) -> str:
    topics = list(dict.fromkeys(p.title for p in passages))[:3]
    text = "The articles do not say. I found nothing in them that answers this question"
    text += f" ({reason})." if reason else "."
    if topics:
        text += " The closest articles are about: " + "; ".join(topics) + "."
    return text


@dataclass
class Prepared:
    """A question made ready for a backend: resolved query, its vector, retrieved passages, analysis."""

    query: str
    qvec: np.ndarray
    passages: list[RetrievedChunk]
    info: QuestionInfo
    extra_entities: tuple[str, ...]


def prepare(question: str, history: list[dict] | None, snapshot: IndexSnapshot, settings: Settings, k: int) -> Prepared:
    query = resolve(question, check_history(history))
    qvec = vector_cache(snapshot)([query])[0]
    fusion = fusion_from(settings)
    passages = hybrid_search(snapshot, query, k, fusion, qvec=qvec)
    info = analyse(question)
    extra: tuple[str, ...] = ()
    if query != question:  # a follow-up: names come from the earlier turn
        extra = tuple(e for e in analyse(query).entities if e not in info.entities)
        if not info.entities:
            info = QuestionInfo(query, info.answer_type, info.entities, info.terms, info.plural)
    return Prepared(query, qvec, passages, info, extra)


def answer_question(question: str, *, settings: Settings, history: list[dict] | None, k: int,
                    snapshot: IndexSnapshot | None = None) -> Answer:
    """Answer a cleaned question; see :func:`rag.answer` for the public contract."""
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    snapshot = snapshot or load_index(settings.index_dir)  # one snapshot for the whole answer
    prep = prepare(question, history, snapshot, settings, k)
    passages = prep.passages
    embed = vector_cache(snapshot)
    timings["retrieve"] = time.perf_counter() - t0
    t1 = time.perf_counter()
    reason = ""
    if settings.backend == "extractive":
        draft, _, reason = Extractive(snapshot, embed).draft(prep.info, prep.qvec, passages, settings.answer_sentences,
                                                             prep.extra_entities)
    else:
        from rag.llm import generate

        draft = generate(settings, prep.query, passages)
    timings["generate"] = time.perf_counter() - t1
    t2 = time.perf_counter()
    verified = Verifier(embed).check(draft, passages, {d: snapshot.documents[d].text for d in {p.doc_id for p in passages}})
    text, citations, support = _assemble(verified, passages, snapshot.documents)
    timings["verify"] = time.perf_counter() - t2
    abstained = not citations
    conflicts = []
    if not abstained:  # sources that disagree about a cited figure are named side by side (rag.conflicts)
        from rag.conflicts import with_conflicts

        text, citations, conflicts = with_conflicts(text, citations, question, passages, snapshot.documents, embed)
    if abstained:
        if draft and not reason:
            reason = "no sentence of the draft answer is supported by the passages it cites"
        text = abstention_text(question, passages, reason)
    return Answer(question=question, text=text, citations=citations, abstained=abstained, passages=passages,
                  support=support, timings=timings, backend=settings.backend,
                  rewritten_question=prep.query if prep.query != question else None, conflicts=conflicts)
