"""Attribute binding: whether a sentence states a value *for the thing the question asks about*, read from spaCy's
parse of the question and of the sentence rather than from word lists.

- "How many X …" needs a number bound to X: a number whose noun is X (or a counter, "units", with X named in the
  sentence), or X's phrase holding a number ("South Korea
  secured 260,000 GPUs" answers "How many GPUs …"; "The plant employs 3,000 people" does not answer "How many
  chips …").
- "… in YEAR" (a question not asking for a date) needs that year where the sentence states a year and a figure: a
  sentence about another year's figure does not answer it ("a 2027 target of 30%" for "What is the target for 2030?").
- "What share of M …" needs M: the market, product or group whose share is asked is named in the sentence.

A sentence that states nothing the check can read (no number, no year) is not judged: the other checks decide.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from rag.text import nlp
from rag.text.dates import year_mentions, years

COUNTERS = frozenset({"unit", "piece", "item", "copy", "example", "instance"})
"""English nouns that count whatever the sentence is about ("600,000 units"): a number bound to one counts X when X
is named in the same sentence."""
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_PARSER = ("tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer")


@dataclass(frozen=True)
class Asked:
    """What the question binds its value to: ``counted`` (the words of X in "how many X"), ``year`` (the year the
    value is asked for), ``share_of`` (lemmas of the thing whose share is asked)."""

    counted: tuple[str, ...] = ()
    year: str | None = None
    share_of: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.counted or self.year or self.share_of)


@lru_cache(maxsize=1024)  # spaCy Docs of questions and lead sentences (tens of KB each): kept small
def _parse(text: str):
    pipe = nlp.pipeline()
    return next(pipe.pipe([text], disable=[n for n in pipe.pipe_names if n not in _PARSER]))


@lru_cache(maxsize=1024)
def asked(question: str, answer_type: str) -> Asked:
    """The bindings ``question`` (of answer type ``answer_type``, :func:`rag.answering.questions.answer_type`) asks
    for."""
    counted: tuple[str, ...] = ()
    low = question.lower()
    doc = _parse(question) if "how many" in low or (answer_type == "percent" and "share" in low) else None
    if doc is not None:
        for tok in doc:
            if tok.lower_ == "many" and tok.i > 0 and doc[tok.i - 1].lower_ == "how":
                counted = _counted_words(doc, tok.i + 1)
    year = None
    if answer_type != "date":
        found = years(question)
        year = found[0] if len(found) == 1 else None
    share: tuple[str, ...] = ()
    if answer_type == "percent":
        for tok in doc or ():
            if tok.lemma_.lower() == "share":
                obj = next((g for c in tok.children if c.dep_ == "prep" and c.lower_ == "of"
                            for g in c.children if g.dep_ == "pobj"), None)
                if obj is not None:
                    mods = [c.lemma_.lower() for c in obj.children if c.dep_ == "compound" or c.pos_ == "PROPN"]
                    share = tuple(mods) or (obj.lemma_.lower(),)
    return Asked(counted, year, share)


def unbound(ask: Asked, sentence: str) -> str | None:
    """Why ``sentence`` states its value for something other than what was asked (a reason for the answer), or
    ``None`` when it does not, or cannot be judged."""
    if not ask:
        return None
    if ask.year:
        stated = years(sentence)
        figures = [n for n in _NUMBER.findall(sentence) if n not in stated]
        if stated and figures and ask.year not in stated:
            return f"the closest sentences give a figure for another year than {ask.year}"
    if not (ask.counted or ask.share_of):
        return None  # the parse below is only needed for these
    doc = _parse(sentence)
    lemmas = {t.lemma_.lower() for t in doc} | {t.lower_ for t in doc}
    if ask.counted:
        numbers = [t for t in doc if t.like_num and not _is_year(t)]
        counted = set(ask.counted) | (COUNTERS if lemmas & set(ask.counted) else set())
        if numbers and not any(_binds(t, counted) for t in numbers):
            return f"the closest sentences give no number of {ask.counted[-1]}"
    if ask.share_of and not any(w in lemmas for w in ask.share_of):
        return f"the closest sentences give no share of {' '.join(ask.share_of)}"
    return None


def _is_year(tok) -> bool:
    return tok.shape_ == "dddd" and 1800 <= int(tok.text) <= 2100


def _counted_words(doc, start: int) -> tuple[str, ...]:
    """The nouns of the phrase that starts at token ``start`` ("how many | Ascend dies could …"): up to three nouns,
    proper nouns or words the tagger took for verbs (a plural noun after a name is often tagged as one), lemma and
    surface form; the phrase ends at any other word."""
    out: list[str] = []
    for tok in doc[start : start + 4]:
        if tok.pos_ == "ADJ" or tok.pos_ == "NUM":
            continue
        if tok.pos_ not in ("NOUN", "PROPN", "VERB"):
            break
        out += [tok.lemma_.lower(), tok.lower_]
    return tuple(dict.fromkeys(out))


def _binds(number, nouns: set[str]) -> bool:
    """``number`` counts one of ``nouns``: its head noun is one, or one is in the phrase the number belongs to."""
    head = number.head if number.dep_ in ("nummod", "quantmod", "compound", "nmod") else number
    while head.dep_ in ("quantmod", "compound") and head.head is not head:
        head = head.head
    phrase = {t.lemma_.lower() for t in head.subtree} | {head.lemma_.lower()}
    return bool(phrase & nouns)


def fits_year(ask: Asked, sentence: str, start: int, end: int) -> bool:
    """Whether the value at ``start:end`` of ``sentence`` is the one stated for the asked year: where the sentence
    states the asked year and another, the year written nearest the value must be the asked one ("output of 600,000
    units in 2025, and 1.6 million in 2026": 1.6 million for 2026); a sentence that states only other years has no
    value for it. True when no year is asked or the sentence states none."""
    if not ask.year:
        return True
    mentions = year_mentions(sentence)
    if not mentions:
        return True
    if ask.year not in {y for _, y in mentions}:
        return False  # the sentence's figures are for other years (as :func:`unbound` reads the lead)
    if len({y for _, y in mentions}) < 2:
        return True
    outside = [(p, y) for p, y in mentions if not start <= p < end]
    if not outside:
        return True
    nearest = min(outside, key=lambda m: start - m[0] if m[0] < start else m[0] - end)
    return nearest[1] == ask.year
