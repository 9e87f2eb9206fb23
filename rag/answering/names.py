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
from functools import lru_cache

from rag.answering.questions import demonym_of
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
