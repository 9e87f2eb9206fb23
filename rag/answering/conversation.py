"""Conversation: resolve a follow-up question against earlier turns, without an LLM.

"And what is its yield?" after "What node did SMIC reach without EUV?" becomes a retrieval query that carries the
earlier question's names and topic. A question that names its own subject is left alone.
"""

from __future__ import annotations

import re

from rag.answering.questions import entities
from rag.core.errors import ConfigError

_FOLLOW_UP = re.compile(
    r"^(?:and|but|also|so|what about|how about|and what|and how|then)\b|\b(?:it|its|it's|they|them|their|this|that|"
    r"these|those|he|she|his|her|there|the company|the chip|the firm|the same)\b", re.I)


def check_history(history: object) -> list[dict]:
    """Validate the OpenAI/Gradio message format. :raises ConfigError: naming the bad message."""
    if history is None:
        return []
    if not isinstance(history, (list, tuple)):
        raise ConfigError("history must be a list of {'role': 'user'|'assistant', 'content': str} messages "
                          "('system' messages are accepted and ignored)")
    for i, msg in enumerate(history):
        if not isinstance(msg, dict) or msg.get("role") not in ("user", "assistant", "system") or not isinstance(
                msg.get("content"), str):
            raise ConfigError(f"history[{i}] must be a dict with role 'user', 'assistant' or 'system' (ignored) "
                              "and string content")
    return list(history)


def is_follow_up(question: str) -> bool:
    return bool(_FOLLOW_UP.search(question)) or (len(question.split()) <= 5 and not entities(question))


def resolve(question: str, history: list[dict] | None) -> str:
    """A self-contained version of ``question`` for retrieval: a follow-up gets the latest earlier user question
    that named something appended in parentheses; other questions are returned unchanged."""
    history = check_history(history)
    if not history or not is_follow_up(question):
        return question
    for msg in reversed(history):
        if msg["role"] == "user" and entities(msg["content"]):
            previous = msg["content"].strip()
            return f"{question} ({previous})"
    return question
