"""Words: every word tokenizer of the project, its stop-word lists and accent folding.

Each tokenizer below decides something different, so each keeps its own rules; all of them are defined here and
nowhere else:

* :func:`plain_words`: the words extractive answers weigh and the corpus vocabulary is made of ("n+3", "910c");
* :func:`bm25_words` (with :data:`BM25_SPLITTER` and :func:`bm25_stopwords`): what the BM25 index stores; changing
  it changes every index;
* :func:`claim_tokens`: the verifier's tokens, numbers whole with their separators ("1,131", "4.5");
* :func:`name_words`: words of a name or of a text a name is looked for in, with their hyphen and period parts;
* :func:`question_tokens`: the focus terms of a question as typed ("5.2%", "$5bn");
* :func:`written_words`, :func:`sentence_initial_words`, :func:`map_written_words`: words as written (case kept), for
  restoring a question's case from the corpus;
* :func:`letter_runs`: runs of ASCII letters, lower-cased (number words and scale words next to a number);
* :func:`hash_words`, :func:`rough_token_count`: the plumbing-test hash embedder's words and token count.

Stop words: :data:`FUNCTION_WORDS` (articles, prepositions, pronouns, auxiliaries and wh-words) is the core that
:data:`CLAIM_STOP_WORDS` (the verifier's) and :data:`QUESTION_WORDS` (question analysis) extend, and
:data:`GENERIC_WORDS` extends :data:`QUESTION_WORDS`; BM25 uses bm25s's English list (:func:`bm25_stopwords`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

# --- accent folding ----------------------------------------------------------------------------------------------


def fold(text: str) -> str:
    """``text`` with accents removed ("Beyoncé" -> "Beyonce"): names match whether or not they are written with them.
    Letters without a plain form ("ł", "ø") are kept."""
    if text.isascii():  # NFKD leaves ASCII as it is: most text, at no cost (whole articles are folded per answer)
        return text
    return "".join(ch for ch in unicodedata.normalize("NFKD", text) if not unicodedata.combining(ch))


def ascii_fold(text: str) -> str:
    """:func:`fold`, then without what has no ASCII form ("Crème brûlée" -> "Creme brulee", "Łódź" -> "odz"): for
    slugs."""
    return fold(text).encode("ascii", "ignore").decode()


# --- stop words --------------------------------------------------------------------------------------------------

FUNCTION_WORDS = frozenset(
    "a an the and or of in on to for by with at from about as is are was were be been being it its this that these "
    "those has have had will would can could also than there their they which who whom what when where why how".split())
"""Generic English function words (articles, prepositions, pronouns, auxiliaries, wh-words) that every stop-word
list below holds."""

CLAIM_STOP_WORDS = FUNCTION_WORDS | frozenset(
    "may might then them but into over under after before while such more most very per via".split())
"""Words the verifier ignores when it compares a claim with its evidence (:mod:`rag.trust.verify`)."""

QUESTION_WORDS = FUNCTION_WORDS | frozenset(
    "whose does did do much many long far kind type name named according article articles report reports say said "
    "says tell mention mentioned roughly approximately exactly currently now actually any some so".split())
"""Words that say how a question asks, not what it asks about: never a question's term or name
(:mod:`rag.answering.questions`)."""

GENERIC_WORDS = QUESTION_WORDS | frozenset(
    "doe get go goes put take come make use used new one other most more own today expect expected plan planned "
    "need needs out off up down into like not only even though rather all just still after before under".split())
""":data:`QUESTION_WORDS` plus common verbs and adverbs: words too generic to weigh when an extractive answer's
sentences are scored ("doe": "does" less its plural s)."""

LEADING_WORDS = frozenset(
    "in if for on as before after under since during by besides apart according beyond between among at from with "
    "without and but so also going below above".split())
"""Words that may open a question before its first name ("In 2025, ...", "According to ..."): not part of the name."""

AUXILIARIES = ("is", "are", "was", "were", "does", "did", "do", "has", "have", "had", "can", "could", "will", "would",
               "should", "may", "might")
"""English auxiliary verbs (an auxiliary ends a question's noun phrase: "which GPU *did* ...")."""


def bm25_stopwords() -> tuple[str, ...]:
    """The English stop words the BM25 index drops: bm25s's list (NLTK's English list), loaded on first use."""
    from rag.core.imports import blocked_imports

    with blocked_imports("numba", "scipy"):  # bm25s's optional backends; we use its numpy code only
        from bm25s.stopwords import STOPWORDS_EN

    return STOPWORDS_EN


# --- tokenizers --------------------------------------------------------------------------------------------------


def plain_words(text: str) -> list[str]:
    """Lower-cased words of ``text``: a word that starts with a letter keeps its digits, "+" and inner hyphens ("n+3",
    "kirin-9030"), one that starts with a digit is letters and digits only ("910c"; "5g-a" is "5g", "a")."""
    return re.findall(r"[a-z][a-z0-9+-]*[a-z0-9]|[a-z0-9]+", text.lower())


BM25_SPLITTER = r"(?u)\b\w\w+\b"
"""The BM25 index's splitter (bm25s's default): runs of two or more word characters of the lower-cased text. It
decides what every index stores: one-letter words and punctuation are not indexed."""
_BM25_WORD = re.compile(BM25_SPLITTER)


def bm25_words(text: str) -> list[str]:
    """The words the BM25 index reads in ``text`` (:data:`BM25_SPLITTER`), before stop words and stemming."""
    return _BM25_WORD.findall(text.lower())


def claim_tokens(text: str) -> list[str]:
    """The verifier's tokens: lower-cased words and numbers; numbers keep their decimals and thousands separators as
    one token ("1,131", "4.5"), a possessive "'s" is dropped ("huawei's" -> "huawei")."""
    found = re.findall(r"\d+(?:[.,]\d+)*|[^\W\d_]+(?:'[^\W\d_]+)?", text.lower().replace("’", "'"))
    return [w[:-2] if w.endswith("'s") else w for w in found]


@lru_cache(maxsize=4096)
def name_words(text: str) -> frozenset[str]:
    """Lower-cased tokens of ``text`` ("5nm-class", "n+3", "u.s") and their hyphen/period parts ("5nm", "class"), with
    accents folded ("Sévérine" and "Severine" are one name)."""
    tokens = re.findall(r"[\w][\w.+-]*[\w+]|[\w]", fold(text.lower()))
    return frozenset(tokens + [p for t in tokens if "-" in t or "." in t for p in re.split(r"[-.]", t) if p])


def question_tokens(text: str) -> list[str]:
    """Words of a question as typed, case kept, with the signs inside or after them ("5.2%", "$5bn" less its "$",
    "N+3", "U.S"); question analysis takes its terms from them."""
    return re.findall(r"[A-Za-z0-9][\w+\-.%$]*[A-Za-z0-9%]|[A-Za-z0-9]", text)


_WRITTEN = re.compile(r"[^\W\d_][\w'’+-]*")
_INITIAL = re.compile(r"(?:^|[.!?:\"“]\s*|\n\s*)([^\W\d_][\w'’+-]*)", re.M)


def written_words(text: str) -> list[str]:
    """Words as written, case kept: a letter, then letters, digits, apostrophes, "+" and "-" ("SMIC's", "N+3")."""
    return _WRITTEN.findall(text)


def sentence_initial_words(text: str) -> list[str]:
    """The :func:`written_words` that start a sentence, a line or a quote (capitalised for that reason alone)."""
    return _INITIAL.findall(text)


def map_written_words(text: str, change: Callable[[str], str]) -> str:
    """``text`` with each of its :func:`written_words` replaced by ``change(word)``."""
    return _WRITTEN.sub(lambda m: change(m.group()), text)


def letter_runs(text: str) -> list[str]:
    """Runs of ASCII letters of the lower-cased ``text`` ("$8.2bn in 2024" -> ["bn", "in"])."""
    return re.findall(r"[a-z]+", text.lower())


def hash_words(text: str) -> list[str]:
    """Lower-cased runs of word characters: the hash embedder's words (:mod:`rag.encoders.hashing`)."""
    return re.findall(r"\w+", text.lower())


def rough_token_count(text: str) -> int:
    """Words plus punctuation marks: a stand-in for a model's token count (the hash embedder's)."""
    return len(re.findall(r"\w+|[^\w\s]", text))


# --- names -------------------------------------------------------------------------------------------------------

_CAP = r"[A-ZÀ-ÖØ-Þ]"
_CAPSEQ = re.compile(rf"\b(?:{_CAP}[\w&'’.-]*[^\W_]|{_CAP})(?:\s+(?:of|and|for|de|&)?\s*{_CAP}[\w&'’.-]*[^\W_])*")


def capitalised_names(text: str) -> list[str]:
    """Capitalised names in ``text`` (not counting the sentence's first word)."""
    out = []
    for m in _CAPSEQ.finditer(text):
        if m.start() == 0 and " " not in m.group():
            continue
        out.append(m.group())
    return out


@lru_cache(maxsize=1)
def stemmer():
    """PyStemmer's English Snowball stemmer when installed (it is a core dependency), else ``None``: the one stemmer
    of BM25 (:mod:`rag.index.sparse`) and of the verifier's role checks (:func:`stem`)."""
    try:
        import Stemmer
    except ImportError:  # pragma: no cover - PyStemmer is a core dependency
        return None
    return Stemmer.Stemmer("english")


def stem(word: str) -> str:
    """The Snowball stem of ``word`` ("required" -> "requir"); the word itself without PyStemmer."""
    snowball = stemmer()
    return snowball.stemWord(word) if snowball is not None else word
