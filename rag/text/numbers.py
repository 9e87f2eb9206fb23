"""Numbers as values: scales, number words, ranges, currencies and percentages.

Two readers share one table of scales (:data:`SCALES`) and one of number words (:data:`NUMBER_WORDS`):

* :func:`number_mentions` / :func:`number_values` read every number written in free text ("60,000" = "60000" =
  "60k"; "$1.6 billion" = 1.6e9): the verifier compares a claim's numbers with its evidence's this way;
* :func:`entity_value` reads the one figure of a spaCy entity, a range as its middle and half-width ("40-50%" = 45
  +- 5) and a date as a count of months (:func:`rag.text.dates.month_count`): :mod:`rag.text.mentions` compares
  figures of different sources this way. A number word standing alone counts there only up to twenty
  (:data:`COUNT_WORDS`).

"t" is a trillion for both ("$1.2t"): one copy of the scale table once lacked it (``tests/text/test_text_toolkit.py``
pins the choice).
"""

from __future__ import annotations

import re

from rag.text.dates import month_count
from rag.text.words import letter_runs

SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12}
SCALE_ABBREVIATIONS = {"k": 1e3, "m": 1e6, "mn": 1e6, "b": 1e9, "bn": 1e9, "t": 1e12, "tn": 1e12}
SCALES = {**SCALE_WORDS, **SCALE_ABBREVIATIONS}
"""Words and abbreviations that scale the number before them ("1.6 billion", "60k", "$8bn", "$1.2t")."""

NUMBER_WORDS = {w: i for i, w in enumerate("zero one two three four five six seven eight nine ten eleven twelve "
                                           "thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty"
                                           .split())} | {"thirty": 30, "forty": 40, "fifty": 50, "hundred": 100,
                                                         "dozen": 12}
"""English number words ("three" = 3, "a dozen" = 12)."""

COUNT_WORDS = {w: v for w, v in NUMBER_WORDS.items() if v <= 20 and w != "dozen"}
"""The number words :func:`entity_value` reads ("zero" to "twenty"): a figure written as a larger word ("fifty
inventions", "several hundred horsepower") is not compared with other sources' figures."""

PERCENT_SIGN = "%"
PERCENT_WORDS = (PERCENT_SIGN, "percent")
"""How a percentage is written after its number ("35%", "35 percent")."""

_NUMBER = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(?:\s*-?\s*(" + "|".join(sorted(SCALES, key=len, reverse=True))
    + r")(?![a-z]))?", re.I)
_WORD_NUMBER = re.compile(r"\b(" + "|".join(NUMBER_WORDS) + r")\b", re.I)
_FIRST_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_RANGE_END = re.compile(r"\s*(?:-|–|to)\s*(\d+(?:\.\d+)?)")

# --- free text ---------------------------------------------------------------------------------------------------


def number_mentions(text: str) -> list[tuple[str, float]]:
    """Numbers written with digits, as (text, value): "60,000" = "60000" = "60k" = 60000.0; "$1.6 billion" = 1.6e9;
    "35%" = 35.0. Digits glued to a unit ("5nm", "2.75GHz") count; codes such as "N+3" count too."""
    return [(text[start:end], value) for start, end, value in number_spans(text)]


def number_spans(text: str) -> list[tuple[int, int, float]]:
    """:func:`number_mentions` with where each is written: ``(start, end, value)`` ("$1.6 billion" spans
    "1.6 billion")."""
    out = []
    for m in _NUMBER.finditer(text):
        value = float(m.group(1).replace(",", ""))
        if m.group(2):
            value *= SCALES[m.group(2).lower()]
        out.append((m.start(), m.end(), value))
    return out


def number_values(text: str, words: bool = True) -> list[float]:
    """Values of :func:`number_mentions`; with ``words``, number words too ("three" = 3.0)."""
    out = [v for _, v in number_mentions(text)]
    if words:
        out += [float(NUMBER_WORDS[w.lower()]) for w in _WORD_NUMBER.findall(text)]
    return out


def same_value(a: float, b: float) -> bool:
    """``a`` and ``b`` are one value up to floating-point error (60000.0 and 60 * 1e3)."""
    return abs(a - b) <= 1e-9 * max(1.0, abs(a), abs(b))


# --- one figure ----------------------------------------------------------------------------------------------------


def may_hold_number(text: str) -> bool:
    """A cheap pre-check for :func:`entity_value`: ``text`` has a digit or one of the :data:`COUNT_WORDS`."""
    return bool(re.search(r"\d", text)) or any(w in COUNT_WORDS for w in letter_runs(text))


def entity_value(text: str, kind: str) -> tuple[float, float] | None:
    """``(value, half-width)`` of an entity's text (``kind``: its spaCy label): a range ("40-50%", "40 to 50") is its
    middle and half-width, so that overlapping ranges agree; a scale word after the number multiplies both
    ("$8.2 billion"); a ``DATE`` is :func:`rag.text.dates.month_count`. ``None`` when the text holds no number."""
    if kind == "DATE":
        months = month_count(text)
        return None if months is None else (months, 0.0)
    low = text.lower().replace(",", "")
    num = _FIRST_NUMBER.search(low)
    spread = 0.0
    if num:
        value = float(num.group())
        upper = _RANGE_END.match(low[num.end():])
        if upper:
            value, spread = (value + float(upper.group(1))) / 2, abs(float(upper.group(1)) - value) / 2
    else:
        word = next((w for w in letter_runs(low) if w in COUNT_WORDS), None)
        if word is None:
            return None
        value = float(COUNT_WORDS[word])
    scale = next((SCALES[w] for w in letter_runs(low[num.end():] if num else low) if w in SCALES), 1.0)
    return value * scale, spread * scale


# --- currencies ----------------------------------------------------------------------------------------------------

CURRENCY_NAMES = (r"[Ee]uros?|[Dd]ollars?|[Pp]ounds?|yen|yuan|renminbi|rupees?|francs?|kronor|kroner|krona|krone|"
                  r"rubles?|roubles?|pesos?|reais|lira|rand|ringgit|baht|shekels?|zlotys?|forints?")
"""Currency names after an amount, as a regex (generic English)."""
CURRENCY_CODES = ("EUR", "USD", "GBP", "JPY", "CNY", "RMB", "KRW", "INR", "CHF", "SEK", "NOK", "DKK", "AUD", "CAD",
                  "HKD", "TWD", "SGD")
"""ISO 4217 codes written before an amount ("EUR 19 million")."""
_AMOUNT = r"\d[\d,.]*(?:\s+(?:" + "|".join(SCALE_WORDS) + r"))?"
_MONEY_TEXT = re.compile(
    rf"\b{_AMOUNT}\s+(?:{CURRENCY_NAMES})\b|"
    rf"\b(?:{'|'.join(CURRENCY_CODES)})\s?{_AMOUNT}|\b{_AMOUNT}\s?(?:EUR|USD|GBP)\b")


def states_money(text: str) -> bool:
    """Whether ``text`` writes an amount in a currency by name or code ("19 million euros", "EUR 19 million",
    "5,000 yen"): spaCy's small model reads some of these as plain numbers."""
    return bool(_MONEY_TEXT.search(text))
