"""The extractive backend: picks, de-duplicates and orders cited sentences, and judges the outcome.

Each sentence of the retrieved passages that states something (:func:`rag.text.sentences.is_statement`) is scored by embedding
similarity to the question plus idf-weighted word overlap (BM25 term statistics from :mod:`rag.index.sparse`), preferring
sentences that hold the expected answer type (spaCy entities, :func:`rag.answering.questions.has_type`) and the question's
names, never trading the best sentence for a typed one with fewer of those names. The best sentence (the *lead*) is then
judged by a logistic model over evidence features (:mod:`rag.answering.backends.answerability`), fitted on the dev split only by
``bench/calibrate_abstention.py``; its probability and two thresholds chosen on dev give the outcome:

- ``answered``: probability >= ``answer_threshold``, every name of the question in the lead's article, the expected
  answer type in the lead or its neighbour (except for :data:`SOFT_TYPES`; names in the lead's sentence window are a
  feature, not a hard check);
- ``partial``: probability >= ``partial_threshold`` (or answered was refused by a hard check): the closest sentences
  are shown, with a plain statement that they do not clearly answer the question;
- ``not_found`` otherwise.

A list question, or a lead that lacks the answer type while its next sentence has it, also gets that adjacent
sentence ("This cluster consists of three facilities." + "One is run by A, the others by B and C.").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from rag.answering.backends.answerability import answerability, model
from rag.answering.backends.base import Draft, Prepared
from rag.answering.binding import asked, unbound
from rag.answering.names import Aliases, contains
from rag.answering.questions import QuestionInfo, has_type
from rag.core.config import Settings
from rag.core.protocols import EmbedFn, OnToken
from rag.core.types import RetrievedChunk
from rag.encoders.scorer import CrossEncoder, pair
from rag.index.snapshot import IndexSnapshot
from rag.text import nlp
from rag.text.sentences import is_statement
from rag.text.words import GENERIC_WORDS, plain_words
from rag.trust.drafts import DraftSentence

_REFERS_BACK = re.compile(r"(?:it|its|he|his|she|her|they|their)\b", re.I)
"""A sentence opening with a third-person pronoun ("Its chief executive is Jane Roe.") names its subject earlier: the
question's names are looked for two sentences back instead of one (English grammar, not the corpus; both dev sets
unchanged, README)."""
REDUNDANT_COSINE = 0.85
RELATIVE_SCORE = 0.6
TYPED_CANDIDATES = 8
"""Sentences (best first by similarity and coverage) checked for the answer type with spaCy NER in one batch (8 and
12 give the same leads and outcomes on dev; 8 saves about 2 ms per answer)."""
SOFT_TYPES = ("reason",)
"""Answer types whose presence is a feature only, not a requirement for ``answered``: causal wording is too varied for
a check of connectives ("Buyers are turning the chip down as regulators push for local parts")."""
SCORED_CANDIDATES = 3
"""Sentences (best first) read by the learned answer scorer (:mod:`rag.encoders.scorer`); 3 and 4 pick the same leads on dev."""


@lru_cache(maxsize=1024)
def _name_label(question: str, name: str) -> str | None:
    """spaCy's label of ``name`` in ``question`` (``None`` when NER does not mark it)."""
    return next((e.label for e in nlp.entities(question) if name in e.text or e.text in name), None)


@dataclass
class Candidate:
    passage: int
    start: int
    end: int
    text: str
    window: str = ""
    next_start: int | None = None
    before: str = ""
    after: str = ""
    cos: float = 0.0
    coverage: float = 0.0
    passage_coverage: float = 0.0
    typed: bool | None = None  # None: not checked yet (see Extractive.typed)
    answer_score: float = 0.0
    entities_in_doc: float = 1.0
    entities_in_sentence: float = 1.0
    entities_in_window: float = 1.0
    score: float = 0.0


class Extractive:
    """Extractive answers with a three-way outcome (see the module docstring)."""

    name = "extractive"

    def __init__(self, snapshot: IndexSnapshot, embed: EmbedFn, scorer: CrossEncoder | None = None):
        from rag.encoders.scorer import answer_scorer

        self.snapshot, self.embed = snapshot, embed
        self.bm25 = snapshot.bm25
        self.scorer = scorer or answer_scorer()
        self.answer_weight = float(model().get("answer_weight", 0.0))
        self.scorer_name = f"{model()['scorer']}+{self.scorer.name}"  # which models decided the outcome
        self.aliases = Aliases(embed)

    def mentions(self, text: str, name: str, info: QuestionInfo) -> bool:
        """``text`` mentions ``name`` of the question ``info``, itself or through an alias
        (:class:`rag.answering.names.Aliases`; spaCy's label of the name in the question decides which kind)."""
        if contains(text, name):
            return True
        return bool(self.aliases.of(name, _name_label(info.text, name), text))

    def typed(self, c: Candidate, info: QuestionInfo) -> bool:
        """Whether ``c`` holds the expected answer type (spaCy NER, checked once per candidate)."""
        if c.typed is None:
            c.typed = has_type(c.text, info.answer_type, info.entities, info.items)
        return c.typed

    def _terms(self, text: str) -> list[str]:
        return [t for t in self.bm25.query_terms(text) if t]

    def specificity(self, name: str) -> float:
        """How rare the rarest word of ``name`` is in the corpus: its BM25 idf over the idf of a word found in one
        passage (1.0 for that or rarer, near 0 for a word in every passage)."""
        top = self.bm25.idf_for(1)
        idf = max([self.bm25.idf(t) for w in plain_words(name) for t in self._terms(w)] or [0.0])
        return min(1.0, idf / top) if top > 0 else 0.0

    def candidates(self, info: QuestionInfo, qvec: np.ndarray, passages: list[RetrievedChunk],
                   extra_entities: tuple[str, ...] = (), own: str = "") -> list[Candidate]:
        """Sentences of ``passages``, best first. ``own``: the user's own words (:attr:`Prepared.question`). Where the
        analysis is of the resolved question instead (a follow-up that names nothing itself, see
        :func:`rag.answering.pipeline.prepare`), their similarity to a sentence is averaged with the resolved question's ("How
        much in subsidies did it get?" after a question about the company's production plans is about subsidies). A
        follow-up that names something is ranked by the resolved question alone, as before."""
        docs = self.snapshot.documents
        q_terms = list(dict.fromkeys(t for w in plain_words(info.text) if w not in GENERIC_WORDS for t in self._terms(w)))
        weights = {t: self.bm25.idf(t) for t in q_terms}
        total = sum(weights.values()) or 1.0
        ents = info.entities + extra_entities
        cands: list[Candidate] = []
        seen: set[tuple[str, int]] = set()
        in_doc: dict[str, float] = {}
        for p, passage in enumerate(passages):
            chunk = passage.chunk
            doc_text = docs[chunk.doc_id].text
            doc_full = f"{chunk.title}\n{doc_text}"
            p_terms = set(self._terms(f"{chunk.title}. {chunk.text}"))
            p_cov = sum(w for t, w in weights.items() if t in p_terms) / total
            if ents and chunk.doc_id not in in_doc:  # the same for each sentence of an article: found once per article
                in_doc[chunk.doc_id] = sum(self.mentions(doc_full, e, info) for e in ents) / len(ents)
            spans = list(chunk.sentence_spans)
            for i, (start, end) in enumerate(spans):
                text = doc_text[start:end]
                if (chunk.doc_id, start) in seen or not is_statement(text):
                    continue  # headings, fragments, and sentences already seen in an overlapping chunk
                seen.add((chunk.doc_id, start))
                back = 2 if _REFERS_BACK.match(text) else 1
                window = " ".join(doc_text[s:e] for s, e in spans[max(0, i - back) : i + 2])
                s_terms = set(self._terms(text))
                cov = sum(w for t, w in weights.items() if t in s_terms) / total
                cand = Candidate(p, start, end, text, window, spans[i + 1][0] if i + 1 < len(spans) else None,
                                 doc_text[slice(*spans[i - 1])] if i > 0 else "",
                                 doc_text[slice(*spans[i + 1])] if i + 1 < len(spans) else "",
                                 coverage=cov, passage_coverage=p_cov)
                if ents:
                    cand.entities_in_doc = in_doc[chunk.doc_id]
                    cand.entities_in_sentence = sum(self.mentions(text, e, info) for e in info.entities) / max(1, len(info.entities))
                    cand.entities_in_window = sum(self.mentions(f"{chunk.title}\n{window}", e, info) for e in info.entities) / max(
                        1, len(info.entities))
                cands.append(cand)
        if not cands:
            return []
        vecs = self.embed([c.text for c in cands])
        sims = vecs @ qvec
        if own and own != info.text:  # a follow-up analysed as its resolved question: its own words count as much
            sims = (sims + vecs @ self.embed([own])[0]) / 2
        for c, s in zip(cands, sims):
            c.cos = float(s)
            c.score = c.cos + 0.8 * c.coverage + 0.2 * c.passage_coverage + 0.1 * c.entities_in_sentence
        cands.sort(key=lambda c: -c.score)
        # NER only where it can matter: the answer-type bonus (0.25) reorders near the top, not from far below.
        nlp.entities_many([c.text for c in cands[:TYPED_CANDIDATES]])  # one batched spaCy call warms the cache
        for c in cands[:TYPED_CANDIDATES]:
            c.score += 0.25 * self.typed(c, info)
        cands.sort(key=lambda c: -c.score)
        top = cands[:SCORED_CANDIDATES]
        scores = self.scorer([pair(info.text, c.text, c.before, c.after) for c in top])
        for c, s in zip(top, scores):
            c.answer_score = float(s)
            c.score += self.answer_weight * c.answer_score
        return sorted(cands, key=lambda c: -c.score)

    def features(self, info: QuestionInfo, lead: Candidate, cands: list[Candidate],
                 passages: list[RetrievedChunk]) -> list[float]:
        """Answerability evidence for ``lead``, in the order of :data:`rag.answering.backends.answerability.FEATURES`."""
        ent_words = {w for e in info.entities for w in plain_words(e)}
        focus = list(dict.fromkeys(w for w in plain_words(info.text)
                                   if w not in GENERIC_WORDS and w not in ent_words and len(w) > 2))
        chunk = passages[lead.passage].chunk
        passage_text = f"{chunk.title}. {chunk.text}"
        p_stems, s_stems = set(self._terms(passage_text)), set(self._terms(lead.text))
        stems = {w: set(self._terms(w)) for w in focus}
        missing = [w for w in focus if not stems[w] & p_stems]
        sims: list[float] = []
        if missing:
            # A focus word absent from the passage may still be paraphrased there ("boss" ~ "CEO").
            passage_words = list(dict.fromkeys(plain_words(passage_text)))
            sims = (self.embed(missing) @ self.embed(passage_words).T).max(axis=1).tolist()
        idf = {w: max([self.bm25.idf(t) for t in stems[w]] or [0.0]) for w in focus}
        total = sum(idf.values()) or 1.0
        n = max(1, len(focus))
        return [
            lead.cos,
            sum(idf[w] for w in focus if stems[w] & s_stems) / total,
            sum(idf[w] for w in focus if stems[w] & p_stems) / total,
            sum(x < 0.5 for x in sims) / n,
            sum(x < 0.6 for x in sims) / n,
            min(sims + [1.0]),
            float(self.typed(lead, info)),
            lead.entities_in_doc,
            lead.entities_in_sentence,
            lead.entities_in_window,
            cands[0].cos,
            float(passages[lead.passage].score),
            lead.answer_score,
            max(c.answer_score for c in cands[:SCORED_CANDIDATES]),
            # a specific name of the question missing next to the lead: the sentence may be about something else
            # ("How many GPUs did Japan secure?" led by "South Korea secured 260,000 GPUs")
            max([self.specificity(e) for e in info.entities if not self.mentions(lead.text, e, info)] + [0.0]),
            max([self.specificity(e) for e in info.entities if not self.mentions(f"{chunk.title}\n{lead.window}", e, info)]
                + [0.0]),
        ]

    def lead(self, info: QuestionInfo, cands: list[Candidate]) -> Candidate:
        """The best of the top three sentences that holds the expected answer type (itself, or in the sentence right
        after it) and the question's names. For a why-question a sentence that gives a cause itself comes first: a
        causal word in the next sentence is weak evidence ("... to protect their ambitions")."""
        top = [c for c in cands[:3] if c.entities_in_doc == 1.0]
        if info.answer_type in SOFT_TYPES:  # a sentence giving a cause itself before one followed by a cause
            for c in top:
                if self.typed(c, info):
                    return c
        # The answer type never outweighs the question's names: the best sentence is not traded for a typed one with
        # fewer of them beside it ("When is the Wianki festival held?": not "... the Mozart Festival, and the Festival
        # of Old Music." over "... on Midsummer's Night for a festival called Wianki ...").
        names = top[0].entities_in_window if top else 0.0
        for c in (c for c in top if c.entities_in_window >= names):
            if self.typed(c, info) or self._neighbour(c, cands, info) is not None:
                return c
        return cands[0]

    def _neighbour(self, lead: Candidate, cands: list[Candidate], info: QuestionInfo) -> Candidate | None:
        """The sentence right after ``lead`` when it carries what the lead lacks (the type, or more list items)."""
        nxt = next((c for c in cands if c.passage == lead.passage and c.start == lead.next_start), None)
        if nxt is None:
            return None
        lead_typed, nxt_typed = self.typed(lead, info), self.typed(nxt, info)
        if (not lead_typed and nxt_typed) or (info.answer_type == "list" and nxt_typed and nxt.coverage > 0):
            return nxt
        return None

    def draft(self, prep: Prepared, max_sentences: int) -> Draft:
        info, passages = prep.info, prep.passages
        cands = self.candidates(info, prep.qvec, passages, prep.extra_entities, prep.question)
        if not cands:
            return Draft([], "not_found", "no passages were retrieved", scorer=self.scorer_name)
        lead = self.lead(info, cands)
        nxt = self._neighbour(lead, cands, info)
        if nxt is not None and not lead.typed:
            lead.typed = True  # the answer type is in the adjacent sentence that goes with it
        probability = answerability(self.features(info, lead, cands, passages))
        m = model()
        status, reason = "answered", ""
        if lead.entities_in_doc < 1.0:
            status, reason = "not_found", ("the articles do not mention every name in the question" if info.entities
                                           else "the articles do not mention every name the question refers back to")
        elif probability < m["partial_threshold"]:
            status, reason = "not_found", "no retrieved sentence answers it with enough evidence"
        elif probability < m["answer_threshold"] or not (lead.typed or info.answer_type in SOFT_TYPES):
            status = "partial"
            if not lead.typed and info.answer_type not in SOFT_TYPES:
                reason = f"no {info.items or info.answer_type} in the closest sentences"
            elif info.entities and lead.entities_in_window < 1.0:  # a follow-up may name nothing itself
                reason = "the closest sentences do not mention every name in the question together"
            else:
                reason = "the closest sentences are related but may not answer it"
        if status == "answered":  # the value must be stated for what was asked (rag.answering.binding)
            stated = lead.text if nxt is None else f"{lead.text} {nxt.text}"
            status, reason = ("partial", why) if (why := unbound(asked(info.text, info.answer_type), stated)) else (
                status, reason)
        if status == "not_found":
            return Draft([], status, reason, probability, self.scorer_name)
        if status == "partial":
            chosen = [lead] + ([nxt] if nxt is not None else [])
            chosen += [c for c in cands[:3] if c is not lead and c is not nxt][: max(0, 2 - len(chosen))]
        else:
            chosen = self._select(info, lead, nxt, cands, max_sentences)
        # Readable order: the lead's article first, then by first appearance; within an article, by position.
        doc_order: dict[str, int] = {}
        for c in chosen:
            doc_order.setdefault(passages[c.passage].doc_id, len(doc_order))
        chosen.sort(key=lambda c: (doc_order[passages[c.passage].doc_id], c.start))
        return Draft([DraftSentence(c.text, (c.passage + 1,)) for c in chosen], status, reason, probability,
                     self.scorer_name)

    def _select(self, info: QuestionInfo, lead: Candidate, nxt: Candidate | None, cands: list[Candidate],
                max_sentences: int) -> list[Candidate]:
        limit = max_sentences + (2 if info.plural else 0)
        chosen = [lead] + ([nxt] if nxt is not None else [])
        vecs = {id(c): v for c, v in zip(cands, self.embed([c.text for c in cands]))}
        for c in cands:
            if len(chosen) >= limit or c.score < RELATIVE_SCORE * lead.score:
                break
            if any(c is o for o in chosen) or not self.typed(c, info) or c.entities_in_doc < 1.0:
                continue
            if max(float(vecs[id(c)] @ vecs[id(o)]) for o in chosen) >= REDUNDANT_COSINE:
                continue
            chosen.append(c)
        return chosen


def create(settings: Settings, snapshot: IndexSnapshot, embed: EmbedFn, on_token: OnToken | None = None) -> Extractive:
    """The registry's factory (:data:`rag.core.registry.BACKENDS`); extractive answers stream nothing."""
    return Extractive(snapshot, embed)
