"""Numbers stated in a sentence, parsed with spaCy's small English pipeline: value, unit, subject, year, forecast.

A *mention* is a number the pipeline tags as CARDINAL, PERCENT, MONEY, QUANTITY or DATE
(:data:`rag.text.labels.VALUE_LABELS`; or a number in digits it left untagged), with what the dependency parse says about it:

* its **value** (:func:`rag.text.numbers.entity_value`: a range such as "40-50%" keeps its half-width, so
  overlapping ranges agree);
* its **unit**: ``%`` or an amount's currency, plus the noun it is *of* when the parse says so directly
  ("30% completion", "a $8.2 billion fund"); ``date`` for a date; else the noun it counts plus any ``per ...`` rate
  ("60,000 wafers per month" -> ``wafer per month``). Numbers that name a kind of thing ("5nm chips", "Mate 80")
  are not mentions;
* its **subject**: lemmas of the nouns, names and adjectives in its clause (path to the nearest verb, that verb's
  arguments, one preposition hop), and the **nouns** within :data:`WINDOW` tokens of it;
* the **years** it holds for ("... 70% by 2025 and 100% by 2030": 2025 for the 70%);
* whether it is a **projection**: a modal ("will", "could") or a forecasting verb governs it (generic English).
"""

from __future__ import annotations

from dataclasses import dataclass

from rag.text.dates import years as written_years
from rag.text.labels import VALUE_LABELS
from rag.text.nlp import pipeline
from rag.text.numbers import PERCENT_WORDS, SCALES, entity_value, may_hold_number

WINDOW = 6
"""Tokens either side of a number that form its local context (embedded to compare what two numbers are about)."""
# Generic English: what makes a figure a forecast or target rather than a reported fact.
FORECAST_LEMMAS = frozenset("project expect forecast anticipate predict plan aim target projection forecast "
                            "goal outlook".split())
# Generic English cue words for "the newest figure, please".
TEMPORAL_CUES = frozenset("latest now current currently today recent recently newest presently nowadays "
                          "present updated".split())
_SUBJECT_DEPS = frozenset("nsubj nsubjpass dobj pobj compound poss amod nmod attr appos".split())
_CONTENT_POS = frozenset(("NOUN", "PROPN", "ADJ"))

@dataclass(frozen=True)
class Mention:
    """A number stated in a sentence, with its unit, subject and local clause."""

    phrase: str
    value: float
    spread: float
    """Half-width of a stated range, else 0."""
    unit: str
    kind: str
    projection: bool
    subject: frozenset[str]
    local: str
    start: int
    """Char offset of the mention in its sentence."""
    years: frozenset[str] = frozenset()
    """Years stated next to the number ("by 2025"): two figures for different years are different events."""
    nouns: frozenset[str] = frozenset()
    """Lemmas of the nouns next to the number (within :data:`WINDOW` tokens), its unit excluded."""


def _anchor_token(ent):
    """The number token of an entity ("an estimated 60,000": 60,000); spaCy's ``Span.root`` may pick "an"."""
    nums = [t for t in ent if t.like_num]
    return nums[-1] if nums else ent.root


def _measured(ent) -> str:
    """The noun a percentage or an amount is of, when the parse says so directly: "30% completion", "a $8.2 billion
    fund", "50% of their compute power", "$540 billion in investments"; else ""."""
    top = ent.root
    head = top.head
    if head not in ent and head.pos_ == "NOUN" and top.dep_ in ("nummod", "amod", "compound", "quantmod", "nmod"):
        return head.lemma_.lower()
    for prep in (c for c in top.children if c.dep_ == "prep" and c.lower_ in ("of", "in")):
        obj = next((g for g in prep.children if g.dep_ == "pobj" and g.pos_ == "NOUN"), None)
        if obj is not None:
            return obj.lemma_.lower()
    return ""


def _unit(ent, kind: str) -> str:
    if kind == "DATE":
        return "date"
    if kind == "PERCENT":
        return "%" + (f" {_measured(ent)}" if _measured(ent) else "")
    words = [t.lemma_.lower() for t in ent if not t.like_num and t.lower_ not in SCALES and t.is_alpha]
    if kind == "MONEY":
        symbol = next((t.text for t in ent if t.is_currency), "")
        currency = symbol or " ".join(w for w in words if w not in ("about", "nearly", "over")) or "?"
        return f"money {currency}" + (f" {_measured(ent)}" if _measured(ent) else "")
    num = _anchor_token(ent)
    head = num.head if num.dep_ in ("nummod", "quantmod", "compound", "nmod", "amod") else None
    if head is not None and head.pos_ in ("NOUN", "PROPN") and head not in ent:
        unit = head.lemma_.lower()
        per = next((c for c in head.children if c.lower_ == "per"), None)
        obj = next((c for c in per.children if c.dep_ == "pobj"), None) if per is not None else None
        return f"{unit} per {obj.lemma_.lower()}" if obj is not None else unit
    if kind == "QUANTITY" and words:
        return " ".join(words)
    return ""


def _path(ent) -> list:
    """The entity's number and its ancestors up to the nearest verb (the clause that states the number)."""
    path = [_anchor_token(ent)]
    for tok in path[0].ancestors:
        path.append(tok)
        if tok.pos_ in ("VERB", "AUX"):
            break
    return path


def _attributive(ent) -> bool:
    """The number names a kind of thing rather than measuring it: "5nm chips", "9-core CPU", "Mate 80", "6G"."""
    num = _anchor_token(ent)
    if any(ch.isalpha() for ch in num.text) and not num.text.isalpha():
        return True  # "15th", "6G", "N+3": ordinals and model names
    nxt = num.nbor(1) if num.i + 1 < len(num.doc) else None
    if nxt is not None and not num.whitespace_ and (nxt.is_alpha or nxt.text == "-"):
        return True  # "5nm", "5G", "9-core": a class of thing, not an amount of it
    head = num.head
    if head.pos_ == "PROPN" and ent.label_ != "MONEY":
        return True
    return head is not num and head not in ent and head.pos_ == "NOUN" and head.dep_ in ("compound", "amod", "nmod") \
        and head.head.pos_ in ("NOUN", "PROPN")


def _spans(doc) -> list:
    """The entities of the wanted kinds, plus numbers written in digits that the small NER model left untagged
    (with the words that qualify them: "nearly", "about")."""
    from spacy.tokens import Span

    spans = [e for e in doc.ents if e.label_ in VALUE_LABELS]
    covered = {t.i for e in spans for t in e}
    for tok in doc:
        if tok.i in covered or not tok.like_num or not any(ch.isdigit() for ch in tok.text):
            continue
        start = min([tok.i] + [c.i for c in tok.children if c.dep_ in ("quantmod", "advmod") and c.i < tok.i])
        nxt = doc[tok.i + 1] if tok.i + 1 < len(doc) else None
        percent = nxt is not None and nxt.lower_ in PERCENT_WORDS
        spans.append(Span(doc, start, tok.i + 1 + percent, label="PERCENT" if percent else "CARDINAL"))
    return spans


def _subject(path: list, ent, unit: str) -> tuple[set, frozenset[str]]:
    """Tokens near the mention in the parse (its path to the root, their arguments, and one preposition hop) and
    the content lemmas among them: what the number is about."""
    near = set(path)
    for p in path:
        for c in p.children:
            if c.dep_ in _SUBJECT_DEPS:
                near.add(c)
            elif c.dep_ == "prep":  # "leads to considerable yield challenges": the object of the preposition
                near.update(g for g in c.children if g.dep_ == "pobj")
    near |= {c for t in list(near) for c in t.children if c.dep_ in ("compound", "amod", "poss") and t.pos_ == "NOUN"}
    subject = frozenset(t.lemma_.lower() for t in near if t.pos_ in _CONTENT_POS and t not in ent
                        and t.lemma_.lower() not in unit.split())
    return near, subject


def _is_projection(path: list, ent) -> bool:
    """A modal or forecasting word governs the number, unless it is the starting point ("from 35% to 50%")."""
    num = _anchor_token(ent)
    if any(t.lower_ == "from" for t in (num.head, num.head.head)) and "pobj" in (num.dep_, num.head.dep_):
        return False
    chain = [num, *num.ancestors]  # the whole chain: "is projected to expand ... to 50,000"
    return any(t.lemma_.lower() in FORECAST_LEMMAS or t.tag_ == "MD" for p in chain for t in (p, *p.children)
               if t.dep_ not in ("acl", "relcl", "advcl") or t in chain)


def _years(ent) -> frozenset[str]:
    """Years of the statement: dates attached to the number or to any word governing it ("by late 2025 ... has
    reached 60,000", "In 2026 ... is projected to push ... past 20%"), not dates of other clauses."""
    doc, found = ent.doc, set[str]()
    for step in (1, -1):  # the nearest date after it (else before it), up to another figure ("70% by 2025 and 100%")
        if found:
            break
        i = ent.start - 1 if step < 0 else ent.end
        while 0 <= i < len(doc) and abs(i - (ent.start if step < 0 else ent.end - 1)) <= WINDOW:
            tok = doc[i]
            if tok.like_num and tok.ent_type_ != "DATE" or tok.is_sent_start:
                break
            if tok.ent_type_ == "DATE":
                found |= set(written_years(tok.text))
            i += step
    if found:
        return frozenset(found)
    num = _anchor_token(ent)
    for tok in [num, *num.ancestors]:
        for child in tok.children:
            if child.dep_ in ("prep", "npadvmod", "tmod", "pobj") and num not in child.subtree and not any(
                    t.like_num and t.ent_type_ != "DATE" for t in child.subtree):  # "... and 100% by 2030": not ours
                found |= {y for t in child.subtree if t.ent_type_ == "DATE"
                          for y in written_years(t.text)}
    return frozenset(found)


def mentions(sentence: str) -> tuple[Mention, ...]:
    """Every number in ``sentence`` that has a value and a unit (see the module docstring)."""
    return mentions_many([sentence])[0]


_mention_cache: dict[str, tuple[Mention, ...]] = {}
_CACHE_SIZE = 20000


def clear_cache() -> None:
    """Forget every parsed sentence (benchmarks and tests that need a cold cache)."""
    _mention_cache.clear()


def mentions_many(sentences: list[str]) -> list[tuple[Mention, ...]]:
    """:func:`mentions` of each sentence: one batched spaCy call for those not seen before (results are cached,
    corpus sentences recur across questions)."""
    todo = list(dict.fromkeys(s for s in sentences if s not in _mention_cache and may_hold_number(s)))
    if todo:
        if len(_mention_cache) > _CACHE_SIZE:
            _mention_cache.clear()
        for sentence, doc in zip(todo, pipeline().pipe(todo, batch_size=64)):
            _mention_cache[sentence] = _from_doc(doc, sentence)
    return [_mention_cache.get(s, ()) for s in sentences]


def _from_doc(doc, sentence: str) -> tuple[Mention, ...]:
    found = []
    for ent in _spans(doc):
        number = entity_value(ent.text, ent.label_)
        unit = _unit(ent, ent.label_)
        if number is None or not unit or (ent.label_ in ("CARDINAL", "QUANTITY") and _attributive(ent)):
            continue
        path = _path(ent)
        near, subject = _subject(path, ent, unit)
        projection = _is_projection(path, ent)
        sent = ent.sent
        lo_tok, hi_tok = max(sent.start, ent.start - WINDOW), min(sent.end, ent.end + WINDOW)
        window = doc[lo_tok:hi_tok]
        lo, hi = window.start_char, window.end_char
        years = _years(ent)
        nouns = frozenset(t.lemma_.lower() for t in window if t.pos_ in ("NOUN", "PROPN") and t not in ent
                          and t.lemma_.lower() not in unit.split())
        found.append(Mention(ent.text, *number, unit, ent.label_, projection, subject, sentence[lo:hi], ent.start_char,
                             years, nouns))
    if any(m.kind != "DATE" for m in found):  # then its dates say when those figures hold, not when an event was
        found = [m for m in found if m.kind != "DATE"]
    return tuple(found)


def asks_for_latest(question: str) -> bool:
    """The question asks for the current or newest figure ("latest", "now", "currently", ...)."""
    return any(t.lemma_.lower() in TEMPORAL_CUES or t.lower_ in TEMPORAL_CUES for t in pipeline()(question))
