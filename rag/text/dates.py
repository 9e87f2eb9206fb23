"""Dates: month names, years, full dates stated in text, and ISO dates.

Three readings of a year keep three ranges, because each decides something different (widening one changed which
figures and answer types the dev questions see):

* :func:`years` (the years a figure holds for, the year of an article's date): 1900-2099;
* :func:`month_count` (the value of a date that spaCy tagged ``DATE``): 1800-2199;
* :func:`states_year` (a sentence holds a date answer): 1000-2099.

How a date is *shown* (``18 Dec 2025``) is :func:`rag.core.display.human_date`: records show themselves from
:mod:`rag.core`, which cannot import this module.
"""

from __future__ import annotations

import datetime as dt
import re

MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
          "November", "December")
"""English month names, in calendar order."""

_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_DATE_YEAR = re.compile(r"\b(1[89]\d\d|2[01]\d\d)\b")
_ANY_YEAR = re.compile(r"\b(?:1\d|20)\d\d\b")
_MONTH_PREFIX = [(n, re.compile(rf"\b{name[:3].lower()}[a-z]*\b")) for n, name in enumerate(MONTHS, 1)]
_FULL_DATE = re.compile(rf"\b(?P<month>{'|'.join(MONTHS)})\s+(?P<day>\d{{1,2}}),\s+(?P<year>(?:19|20)\d\d)\b")
_ISO = re.compile(r"\d{4}-\d\d-\d\d")


def years(text: str) -> list[str]:
    """Years 1900-2099 written in ``text``, as written ("by 2025 and 2030" -> ["2025", "2030"])."""
    return _YEAR.findall(text)


def year_mentions(text: str) -> list[tuple[int, str]]:
    """Each year written in ``text`` with its character offset (:func:`years`, with positions)."""
    return [(m.start(), m.group()) for m in _YEAR.finditer(text)]


def states_year(text: str) -> bool:
    """Whether ``text`` writes a year 1000-2099 ("in 1066", "by 2030")."""
    return bool(_ANY_YEAR.search(text))


def month_of(text: str) -> int:
    """The month ``text`` names (1-12), read from lower-case words that start like a month ("dec", "december",
    "sept"); the earliest month in the calendar when it names several, 0 when none."""
    return next((n for n, pattern in _MONTH_PREFIX if pattern.search(text)), 0)


def month_count(text: str) -> float | None:
    """A date as a count of months, ``year * 12 + month`` (month 0 when the text names none): "December 2025" and
    "2025" are comparable values. The year is the first one 1800-2199; ``None`` when there is none."""
    low = text.lower().replace(",", "")
    year = _DATE_YEAR.search(low)
    if not year:
        return None
    return float(int(year.group(1)) * 12 + month_of(low))


def stated_date(text: str) -> str | None:
    """The first full date ("December 18, 2025") the text states, as ISO ``YYYY-MM-DD``."""
    match = _FULL_DATE.search(text)
    if not match:
        return None
    month = MONTHS.index(match["month"]) + 1
    return f"{int(match['year']):04d}-{month:02d}-{int(match['day']):02d}"


def iso_prefix(text: str) -> str | None:
    """The ISO date ``text`` starts with ("2025-12-18T09:00:00Z" -> "2025-12-18"), else ``None``."""
    return text[:10] if _ISO.match(text) else None


def iso_date(value: object) -> str | None:
    """A date given as a ``date``/``datetime``, an ISO string or a sentence that states one, as ISO ``YYYY-MM-DD``
    (front matter's ``date:``, which YAML may already have parsed)."""
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()[:10]
    if not isinstance(value, str):
        return None
    return iso_prefix(value.strip()) or stated_date(value)
