"""How records show themselves to people: shortened texts in reprs, and dates as ``18 Dec 2025``."""

from __future__ import annotations

import datetime


def short(text: str, limit: int = 100) -> str:
    """``text`` cut to ``limit`` characters with ``...`` at the end."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def human_date(date: str | None) -> str:
    """``2025-12-18`` -> ``18 Dec 2025`` (other strings are returned as they are)."""
    if not date:
        return "undated"
    try:
        day = datetime.date.fromisoformat(date)
        return f"{day.day} {day:%b %Y}"  # not %-d: that is glibc-only
    except ValueError:
        return date
