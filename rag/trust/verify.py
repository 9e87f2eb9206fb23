"""Verifier: every answer sentence, from any backend, is checked against the passages it cites.

For each cited passage the verifier finds the sentence that matches the claim best (embedding similarity plus word
overlap) and reads the *window* around it (that sentence and its neighbours). The claim is supported when

1. it is a verbatim quote of a sentence on token boundaries ("Yields are about 3." does not quote "... 35% ..."), or
   its support score -- the mean of its embedding similarity to the best sentence and the share of its content
   words the window states by word, stem or meaning (:meth:`Verifier.covered`) -- reaches :data:`SUPPORT_THRESHOLD`;
2. every number it states occurs in the window *as a value* ("60,000" = "60000" = "60k"), and every name
   (spaCy entities and capitalised names) occurs there on word boundaries (not counting a sentence's capitalised
   first word, a lower-case word after a hyphen, "AMP-activated", or an acronym its words spell out, "chronic kidney
   disease (CKD)");
3. every clause of it finds at least :data:`CLAUSE_COVERAGE` of its content words (numbers aside) in the window, by
   word, stem or meaning (an appended, unsupported clause fails even when the rest is a quote);
4. its polarity agrees with the evidence: a negation the evidence lacks, a negation the evidence has but the claim
   drops, a word whose opposite the evidence uses instead ("public" vs "private", "inaccurate" vs "accurate"), or a
   word of increase where the evidence decreases the same thing ("less" vs "higher", "halve" vs "double") is a
   contradiction;
5. unless it is a verbatim quote, every value, time and direction it states plays the role the window gives it
   (:mod:`rag.trust.roles`: figures exchanged, a value bound to another noun, a floor read as a ceiling, a comparison
   turned round, another quarter or part of the year);
6. unless it is a verbatim quote, the learned support model (a cross-encoder over (claim, window) trained on SciFact
   rationales and synthetic perturbations, :mod:`rag.encoders.scorer`) scores it at or above its cross-validated floor.

Checks 2-4 run on every path, quotes included. Measured on hand-written paraphrases of corpus sentences and on
SciFact: ``bench/verifier_eval.py``. Markers that point at no passage are removed; a sentence without
a valid marker is matched against all retrieved passages and gets a marker only if one supports it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

import numpy as np

from rag.core.protocols import EmbedFn
from rag.core.types import Chunk, RetrievedChunk
from rag.encoders.scorer import CrossEncoder
from rag.text.labels import NAME_LABELS
from rag.text.numbers import number_mentions, number_values, same_value
from rag.text.words import CLAIM_STOP_WORDS, claim_tokens, stem
from rag.text.words import capitalised_names as cap_names
from rag.trust.drafts import DraftSentence
from rag.trust.roles import DOWN, UP, reversed_direction, role_conflict

SUPPORT_THRESHOLD = 0.6
VERBATIM = "verbatim quote"
"""``SentenceSupport.reason`` of a sentence that quotes its source word for word (always supported, score 1.0)."""
WORD_SIMILARITY = 0.4
"""MiniLM word-vector similarity at which a claim word counts as stated by a window word of like meaning ("intends"
for "aiming" 0.40, "forecast" for "projected" 0.47 count; "curbs" for "restrictions" 0.27 does not); identical words
and stems count always. Word vectors put opposites close too ("higher"/"lower" 0.79): directions, bounds and contrasts
are checked apart (:func:`polarity_conflict`, :mod:`rag.trust.roles`). 0.4 and 0.5 judge the dev half of the
paraphrase battery alike; on SciFact train rationales 0.4 accepts 0.46 of supported claims against 0.34 at 0.5 and
rejects 0.80 of contradicted ones against 0.85 (bench/verifier_eval.py)."""
CLAUSE_COVERAGE = 0.5
"""Each clause of a claim (3+ content words besides its numbers) must find at least this share of them in the window,
by word, stem or meaning (:meth:`Verifier.covered`)."""
_CLAUSE_SPLIT = re.compile(r"[,;:()–—]|\b(?:and|but|which|while|whereas|although|who)\b")
_NEGATION = re.compile(r"\b(?:not|no|never|none|nor|neither|cannot|nothing|nobody|without)\b|n[’']t\b", re.I)
# Generic English opposites and contrasts: a claim using one where its evidence uses the other (and not the one)
# changes the meaning. Words of increase and decrease are compared by rag.trust.roles instead (by what they are about).
_ANTONYMS = [("increase", "decrease"), ("increased", "decreased"), ("rise", "fall"), ("rose", "fell"),
             ("higher", "lower"), ("more", "less"), ("above", "below"), ("gain", "loss"), ("before", "after"),
             ("ahead", "behind"), ("larger", "smaller"), ("faster", "slower"), ("up", "down"), ("allow", "ban"),
             ("allowed", "banned"), ("success", "failure"), ("succeeded", "failed"), ("first", "last"),
             ("strengthen", "weaken"), ("expand", "shrink"), ("cheaper", "costlier"), ("lifted", "imposed"),
             ("public", "private"), ("domestic", "foreign"), ("import", "export"), ("imports", "exports"),
             ("buy", "sell"), ("bought", "sold"), ("buyer", "seller"), ("supply", "demand"), ("hardware", "software"),
             ("civilian", "military"), ("internal", "external"), ("input", "output"), ("inbound", "outbound"),
             ("minimum", "maximum"), ("upload", "download"), ("winner", "loser"), ("won", "lost"),
             ("accepted", "rejected"), ("approved", "rejected"), ("legal", "illegal"), ("inside", "outside"),
             ("urban", "rural"), ("start", "end")]
_OPPOSITE = {a: b for a, b in _ANTONYMS} | {b: a for a, b in _ANTONYMS}
_NEGATING_PREFIX = re.compile(r"^(?:un|in|im|non)-?([a-z]{5,})$")
"""A word negated by its prefix ("inaccurate", "unstable", "independent", "non-significant"): the claim says the
prefixed word where the evidence says the plain one (or the other way round)."""


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


def content_words(text: str) -> set[str]:
    return {w for w in claim_tokens(text) if w not in CLAIM_STOP_WORDS and len(w) > 1}


def _clause_words(clause: str) -> set[str]:
    """A clause's content words less its numbers (checked as values by :func:`missing_facts`)."""
    return {w for w in content_words(clause) if not w[0].isdigit()}


def is_quote(claim: str, sentence: str) -> bool:
    """``claim`` is a contiguous run of ``sentence``'s tokens (at least three), matched on token boundaries."""
    c, s = claim_tokens(claim), claim_tokens(sentence)
    if len(c) < 3 or len(c) > len(s):
        return False
    first = c[0]
    return any(s[i : i + len(c)] == c for i in range(len(s) - len(c) + 1) if s[i] == first)


def claim_names(text: str) -> list[str]:
    """Names the claim states: capitalised names, spaCy's name entities, and a leading code or acronym ("TSMC")."""
    from rag.text import nlp

    found = list(cap_names(text))
    found += [e.text for e in nlp.entities(text) if e.label in NAME_LABELS]
    first = re.match(r"\s*([A-Z][\w+&-]*)", text)
    if first and (sum(ch.isupper() for ch in first.group(1)) >= 2 or any(ch.isdigit() for ch in first.group(1))):
        found.append(first.group(1))
    return list(dict.fromkeys(found))


def missing_facts(sentence: str, evidence: str) -> list[str]:
    """Numbers (compared as values) and names stated in ``sentence`` that do not occur in ``evidence``."""
    ev_values = number_values(evidence)
    missing = []
    for text, value in number_mentions(sentence):
        if not any(same_value(value, v) for v in ev_values):
            missing.append(text)
    ev_tokens = set(claim_tokens(evidence))

    def found(name: str) -> bool:
        # the parts that make it a name: a lower-case word after a hyphen is not ("AMP-activated", "HIV-positive")
        written = [w for w in re.split(r"-", name) if w and (w[0].isupper() or any(ch.isdigit() for ch in w)
                                                             or " " in w)] or [name]
        parts = [p for w in written for p in claim_tokens(w) if p not in CLAIM_STOP_WORDS and p != "s"]
        return not parts or all(p in ev_tokens or p.rstrip("'s") in ev_tokens for p in parts)

    defined = spelled_out_acronyms(sentence)
    for name in claim_names(sentence):
        if found(name) or name in defined:
            continue
        first, _, rest = name.partition(" ")
        if rest and sentence.lstrip().startswith(name) and found(rest) and _common_first_word(sentence):
            continue  # "Early Geekbench tests ...", "Lack of FGF21 ...": capitalised as the sentence's first word
        missing.append(name)
    return list(dict.fromkeys(missing))


def spelled_out_acronyms(text: str) -> set[str]:
    """Acronyms in brackets that the words right before them spell out: "chronic kidney disease (CKD)", "embryonic
    stem cells (ESCs)". Such an acronym states no name beyond its words, which are checked as words."""
    out = set()
    for m in re.finditer(r"\(([A-Za-z]{2,8})\)", text):
        letters = m.group(1).rstrip("s").lower() if m.group(1)[-1] == "s" and m.group(1)[:-1].isupper() \
            else m.group(1).lower()
        words = re.findall(r"[^\W\d_]+", text[:m.start()])[-len(letters):]
        if len(words) == len(letters) and all(w[0].lower() == ch for w, ch in zip(words, letters)):
            out.add(m.group(1))
    return out


def _common_first_word(sentence: str) -> bool:
    """The sentence's first word is an ordinary word (not a proper noun) by spaCy's tagger."""
    from rag.text import nlp

    return nlp.first_word_pos(sentence.lstrip()) not in ("PROPN", "X", "")


def polarity_conflict(claim: str, evidence: str) -> str:
    """Why ``claim`` reverses ``evidence`` ("" when it does not)."""
    c_negs, e_negs = list(_NEGATION.finditer(claim)), list(_NEGATION.finditer(evidence))
    if len(c_negs) > len(e_negs):
        extra = [m.group() for m in c_negs if m.group().lower() not in {e.group().lower() for e in e_negs}] or [c_negs[-1].group()]
        return f"negation '{extra[0]}' not in the evidence"
    claim_words = set(claim_tokens(claim))
    for e_neg in e_negs if len(e_negs) > len(c_negs) else []:
        # the evidence negates something: a contradiction only if the claim states what the evidence negates
        after = [w for w in claim_tokens(evidence[e_neg.end():])[:3] if w not in CLAIM_STOP_WORDS]
        if after and all(w in claim_words for w in after):
            return f"the evidence says '{e_neg.group()} {' '.join(after)}'"
    if word := reversed_direction(claim, evidence):
        return f"'{word}' reverses the direction the evidence states"
    c_words, e_words = set(claim_tokens(claim)), set(claim_tokens(evidence))
    for w in c_words:
        if w in _OPPOSITE and _OPPOSITE[w] in e_words and w not in e_words and not _directional(w):
            return f"'{w}' where the evidence says '{_OPPOSITE[w]}'"
    for w in sorted(c_words ^ e_words):  # a word one side has and the other has not
        m = _NEGATING_PREFIX.match(w)
        mine, theirs = (c_words, e_words) if w in c_words else (e_words, c_words)
        if m and m.group(1) in theirs and m.group(1) not in mine:
            return f"'{w}' against '{m.group(1)}'" if w in c_words else f"'{m.group(1)}' where the evidence says '{w}'"
    return ""


def _directional(word: str) -> bool:
    """A word of increase or decrease: :func:`rag.trust.roles.reversed_direction` compares those by what they are
    about, so "lower yields" beside "higher costs" is no contradiction."""
    return stem(word) in UP or stem(word) in DOWN


class Verifier:
    """Checks drafts against passages using the index's own embedder (vectors cached per text)."""

    def __init__(self, embed: EmbedFn, support: CrossEncoder | Literal[False] | None = None):
        """``support``: the learned support model (default: the shipped one); ``False`` checks with the rules only
        (used to measure what the model adds)."""
        self._embed = embed
        self._given = support  # loaded on first use: extractive answers are verbatim quotes and never need it

    @property
    def _support(self) -> CrossEncoder | None:
        from rag.encoders.scorer import support_model

        return support_model() if self._given is None else (self._given or None)

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

    def covered(self, words: set[str], window_words: set[str]) -> set[str]:
        """The claim ``words`` the window states: the word itself, a word of the same stem ("required" for
        "requirement"), or a word of like meaning (word vectors at least :data:`WORD_SIMILARITY` alike)."""
        found = {w for w in words if w in window_words}
        stems = {stem(w) for w in window_words}
        found |= {w for w in words - found if stem(w) in stems}
        rest = sorted(words - found)
        pool = sorted(w for w in window_words if not any(ch.isdigit() for ch in w))
        if rest and pool:
            sims = self._embed(rest) @ self._embed(pool).T
            found |= {w for w, row in zip(rest, sims) if float(row.max()) >= WORD_SIMILARITY}
        return found

    def judge(self, text: str, vec: np.ndarray, sentences: list[str]) -> tuple[int, float, bool, str]:
        """Best sentence index, support score, verdict and reason of ``text`` against consecutive ``sentences``."""
        words = content_words(text)
        quotes = [i for i, s in enumerate(sentences) if is_quote(text, s)]
        sims = self._embed(sentences) @ vec
        overlap = [len(words & content_words(s)) / max(1, len(words)) for s in sentences]
        j = quotes[0] if quotes else int(np.argmax(0.5 * sims + 0.5 * np.asarray(overlap)))
        window = " ".join(sentences[max(0, j - 1) : j + 2])
        missing = missing_facts(text, window)
        conflict = polarity_conflict(text, sentences[j]) or ("" if quotes else role_conflict(text, window))
        window_words = content_words(window)
        found = words & window_words if quotes else self.covered(words, window_words)
        clauses = [w for w in (_clause_words(c) for c in _CLAUSE_SPLIT.split(text)) if len(w) >= 3]
        weakest = min((len(w & found) / len(w) for w in clauses), default=1.0)
        if quotes:
            score, reason = 1.0, VERBATIM
        else:
            lexical = len(found) / max(1, len(words))
            score = 0.5 * float(sims[j]) + 0.5 * lexical
            reason = "" if score >= SUPPORT_THRESHOLD else f"weak support ({score:.2f} < {SUPPORT_THRESHOLD})"
        if missing:
            reason = f"not in the cited passage: {', '.join(missing[:4])}"
        elif conflict:
            reason = f"contradicts the cited passage: {conflict}"
        elif weakest < CLAUSE_COVERAGE:
            reason = f"a clause is not in the cited passage ({weakest:.2f} of its words)"
        supported = not missing and not conflict and weakest >= CLAUSE_COVERAGE and score >= SUPPORT_THRESHOLD
        if supported and not quotes and self._support is not None:
            learned = float(self._support([(text, window)])[0])
            floor = float(self._support.meta["floor"])
            if learned < floor:
                supported, reason = False, f"the support model does not find it in the cited passage ({learned:.2f} < {floor:.2f})"
        return j, score, supported, reason

    def _best(self, text: str, vec: np.ndarray, pool: list[int], passages: list[RetrievedChunk],
              doc_texts: dict[str, str]) -> tuple[int | None, tuple[int, int] | None, float, bool, str]:
        best: tuple[int | None, tuple[int, int] | None, float, bool, str] = (None, None, 0.0, False,
                                                                             "no passage to check against")
        for p in pool:
            chunk = passages[p].chunk
            doc = doc_texts[chunk.doc_id]
            spans = self._sentences(chunk)
            j, score, supported, reason = self.judge(text, vec, [doc[s:e] for s, e in spans])
            if (supported, score) > (best[3], best[2]):
                best = (p, spans[j], score, supported, reason)
        return best
