"""Whether a text mentions a name from a question, the way a reader would judge it.

A name is mentioned when every one of its words occurs in the text, where a word also matches:

- its place through an adjective of nationality ("Japanese" ~ "Japan", :func:`rag.answering.questions.demonym_of`);
- an initialism of capitalised words the text holds ("UN" ~ "United Nations", "NY" ~ "New York Times") or written
  with periods ("US" ~ "U.S."), and the other way round ("United Nations" ~ "UN");
- the same word with one slip of the keyboard, for words of :data:`TYPO_MIN_LETTERS` letters or more
  ("Goverment" ~ "Government"; ``difflib``'s similarity ratio, at least :data:`TYPO_RATIO`). Shorter words and
  words with digits ("910B" vs "910C", "Micron" vs "Macron") must match exactly: there one letter is another name.

All generic English and string similarity: nothing here knows the corpus.
"""

from __future__ import annotations

import difflib
import re
from collections import Counter
from functools import lru_cache

import numpy as np

from rag.answering.questions import demonym_of
from rag.core.protocols import EmbedFn
from rag.text.labels import COUNTRY_LABELS, NATIONALITY_LABEL, PERSON_LABEL
from rag.text.words import capitalised_names, fold, name_words

TYPO_MIN_LETTERS = 7
TYPO_RATIO = 0.85
_ACRONYM = re.compile(r"\b[A-Z]{2,5}\b")


def _initials(name: str) -> list[str]:
    """Initialisms of every run of two or more capitalised words of ``name`` ("New York Times" -> "ny", "nyt", "yt")."""
    caps = [w for w in name.split() if w[:1].isupper()]
    return ["".join(w[0] for w in caps[i:j]).lower() for i in range(len(caps)) for j in range(i + 2, len(caps) + 1)]


@lru_cache(maxsize=64)  # keyed by whole texts (up to an article each): kept small
def initialisms(text: str) -> frozenset[str]:
    """Initialisms of the capitalised names in ``text`` (see :func:`_initials`)."""
    return frozenset(i for name in capitalised_names(fold(text)) for i in _initials(name))


@lru_cache(maxsize=2048)
def _near(word: str, hay: frozenset[str]) -> bool:
    """``word`` (long, letters only) is one slip away from a word of ``hay``."""
    return bool(difflib.get_close_matches(word, [w for w in hay if abs(len(w) - len(word)) <= 1], n=1,
                                          cutoff=TYPO_RATIO))


def contains(haystack: str, name: str) -> bool:
    """All words of ``name`` occur in ``haystack``, exactly or in one of the ways listed in the module docstring."""
    hay = name_words(haystack)

    def found(word: str) -> bool:
        return word in hay or any(demonym_of(word, w) or demonym_of(w, word) for w in hay if w[:4] == word[:4])

    missing = {w for w in name_words(name) if w and not found(w)}
    if not missing:
        return True
    folded = fold(name)
    acronyms = {a.lower() for a in _ACRONYM.findall(folded)} & missing
    if acronyms:
        dotted = {w.replace(".", "") for w in hay if "." in w}  # "u.s" for "U.S."
        missing -= acronyms & (initialisms(haystack) | dotted)
    expansion = [w.lower() for w in folded.split() if w[:1].isupper()]
    if len(expansion) >= 2 and "".join(w[0] for w in expansion) in hay:
        missing -= set(expansion)
    missing = {w for w in missing
               if not (len(w) >= TYPO_MIN_LETTERS and w.isalpha() and _near(w, hay))}
    return not missing


# Thresholds read off generic capital/country pairs with the shipped MiniLM (comments, not strings: the examples are
# not word lists).
# A name is *city-like* when its embedding is closer to "capital city" than to "country" by more than CITY_MARGIN
# (Washington 0.01, Tokyo 0.08, Brussels -0.04; China -0.30, Netherlands -0.37, EU -0.19).
CITY_MARGIN = -0.12
# A city-like name of the question stands for a country-like name of the text when "the government in <city>" and
# "the government of <country>" embed at least GOVERNMENT_SIMILARITY close and no other name of the text is closer
# (Washington ~ the United States 0.76, Brussels ~ European 0.74, Taipei ~ Taiwan 0.88; Moscow ~ China 0.57,
# Canberra ~ US 0.62).
GOVERNMENT_SIMILARITY = 0.70
# An adjective of nationality stands for the text's closest place name at NATIONALITY_SIMILARITY or more
# ("Dutch" ~ "Netherlands" 0.78), where English morphology (demonym_of) cannot see it.
NATIONALITY_SIMILARITY = 0.75
# The text's most frequent names are the candidates: the actors an article is about are named often, and the first
# answer of a process embeds at most this many names per article (cached after).
ALIAS_CANDIDATES = 12
MEMO_SIZE = 20000  # (name, label, text) judgements kept; sentences recur across questions


class Aliases:
    """Names of a text that stand for a question's name when its own words are not there, judged by the embedding
    model rather than by lists (the thresholds above were read off generic capital/country pairs, not this corpus):

    - a capital for its government ("Washington" for "the United States", "Brussels" for "the European Union");
    - an adjective of nationality for its country ("Dutch" for "the Netherlands");
    - a person's surname for the person ("Huang" for "Jensen Huang"), as news writing names people after the first
      mention.

    Acronyms and their expansions are :func:`contains`'s own rule."""

    def __init__(self, embed: EmbedFn):
        self.embed = embed
        self._kind: dict[str, float] = {}
        self._memo: dict[tuple[str, str | None, str], tuple[str, ...]] = {}

    def _city_margin(self, names: list[str]) -> dict[str, float]:
        todo = [n for n in dict.fromkeys(names) if n not in self._kind]
        if todo:
            ref = self.embed(["capital city", "country"])
            vecs = self.embed(todo)
            for n, v in zip(todo, vecs):
                self._kind[n] = float(v @ ref[0] - v @ ref[1])
        return {n: self._kind[n] for n in names}

    def of(self, name: str, label: str | None, text: str) -> tuple[str, ...]:
        """Names in ``text`` that stand for ``name`` (whose spaCy label in the question is ``label``): empty when
        nothing does."""
        key = (name, label, text)
        if key not in self._memo:
            if len(self._memo) >= MEMO_SIZE:
                self._memo.clear()
            self._memo[key] = self._of(name, label, text)
        return self._memo[key]

    def _of(self, name: str, label: str | None, text: str) -> tuple[str, ...]:
        words = name.split()
        if label == PERSON_LABEL and len(words) >= 2 and words[-1][:1].isupper():
            return (words[-1],) if contains(text, words[-1]) else ()
        if label not in COUNTRY_LABELS or len(words) > 3:
            return ()
        if label != NATIONALITY_LABEL and self._city_margin([name])[name] <= CITY_MARGIN:
            return ()  # only a city stands for a country: checked before the text's names are read
        counts = Counter(n for n in capitalised_names(text) + _ACRONYM.findall(text) if n != name and len(n.split()) <= 3)
        others = [n for n, _ in counts.most_common(ALIAS_CANDIDATES)]
        if not others:
            return ()
        if label == NATIONALITY_LABEL:
            vecs = self.embed([name, *others])
            sims = vecs[1:] @ vecs[0]
            best = int(np.argmax(sims))
            return (others[best],) if sims[best] >= NATIONALITY_SIMILARITY else ()
        kinds = self._city_margin(others)
        countries = [n for n in others if kinds[n] <= CITY_MARGIN]
        if not countries:
            return ()
        vecs = self.embed([f"the government in {name}"] + [f"the government of {n}" for n in countries])
        sims = vecs[1:] @ vecs[0]
        best = int(np.argmax(sims))
        return (countries[best],) if sims[best] >= GOVERNMENT_SIMILARITY else ()
