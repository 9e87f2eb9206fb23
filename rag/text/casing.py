"""Restore the case of a question typed all in lower or all in upper case, from how the corpus writes its words.

Question analysis finds the question's names by their capitals (:func:`rag.answering.questions.entities`): "when did smic reach
n+3" has none, so the check that the articles mention them is skipped, and "HOW MUCH DID SAMSUNG GET?" has nothing
but names, none of which the articles hold. Such a question gets each word in the form the corpus mostly writes it
in, away from the start of a sentence ("smic" -> "SMIC", "samsung" -> "Samsung", "much" -> "much"); words the corpus
never writes are left in lower case (a name it does not know cannot be recognised from lower case). Questions with
mixed case are the user's own casing and are never changed.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from collections.abc import Iterable

from rag.text.words import map_written_words, sentence_initial_words, written_words

_cache: dict[object, dict[str, str]] = {}
_lock = threading.Lock()
CACHED_CORPORA = 4


def casing(texts: Iterable[str]) -> dict[str, str]:
    """Lower-cased word -> its most frequent written form in ``texts``, counting only words that do not start a
    sentence, and only where that form is not plain lower case ("smic" -> "SMIC", "huawei" -> "Huawei")."""
    written: Counter = Counter()
    for text in texts:  # every word, less those that start a sentence, a line or a quote (counted in C by findall)
        written.update(written_words(text))
        written.subtract(sentence_initial_words(text))
    forms: defaultdict[str, list[tuple[int, str]]] = defaultdict(list)
    for form, count in written.items():
        if count > 0:
            forms[form.lower()].append((count, form))
    out = {}
    for key, counted in forms.items():
        form = max(counted)[1]
        if form != key:
            out[key] = form
    return out


def corpus_casing(snapshot) -> dict[str, str]:
    """:func:`casing` of a snapshot's titles and texts, computed once per snapshot (on the first question that needs
    it: about 0.5 s per million words)."""
    key = snapshot.path
    with _lock:
        if key in _cache:
            return _cache[key]
    table = casing(t for d in snapshot.documents.values() for t in (d.title, d.text))
    with _lock:
        if len(_cache) >= CACHED_CORPORA:
            _cache.pop(next(iter(_cache)))
        _cache[key] = table
    return table


def needs_case(question: str) -> bool:
    """Whether ``question`` is written all in lower or all in upper case (at least two words with letters)."""
    letters = "".join(c for c in question if c.isalpha())
    return len(written_words(question)) >= 2 and (letters.islower() or letters.isupper())


def restore_case(question: str, table: dict[str, str]) -> str:
    """``question`` with each word in the corpus's usual form (see the module docstring), its first letter capital;
    returned unchanged unless :func:`needs_case`."""
    if not needs_case(question):
        return question
    text = map_written_words(question, lambda w: table.get(w.lower(), w.lower()))
    return text[:1].upper() + text[1:]
