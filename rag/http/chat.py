"""OpenAI-style chat completions over the cited answer.

The messages are the conversation: the last user message is the question, the earlier user and assistant turns are
its history (follow-ups are read against them), system messages are accepted and ignored. The reply is the answer's
text with its ``[n]`` markers followed by a short Markdown "Sources" list, so a plain chat client shows where each
claim comes from; the response also carries the structured data at the top level: ``citations``, ``status``,
``reason``, ``conflicts`` and ``usage``.

Streaming (``stream: true``) sends OpenAI's ``chat.completion.chunk`` events and ends with ``data: [DONE]``. The
content that streams is always the *verified* reply: an LLM backend's unverified draft is sent while it is written,
but in a separate field of each chunk (``rag_draft``), never in ``delta.content``, because a streamed delta cannot be
taken back and the verifier may drop or replace the draft's sentences. So the joined ``delta.content`` of a stream is
exactly the ``message.content`` of the same request without streaming.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from rag.app import api
from rag.core.config import Settings
from rag.core.display import human_date
from rag.core.registry import BACKENDS
from rag.core.types import Answer
from rag.http.errors import APIError
from rag.ingest.chunk import tiktoken_encoding

PREFIX = "rag-"
SOURCES = "\n\n**Sources**\n"
STREAM_WORDS = 4
"""Words per streamed content chunk."""


class Message(BaseModel):
    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None
    name: str | None = None


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatRequest(BaseModel):
    """The fields of OpenAI's chat completion request; the ones that mean nothing here are accepted and ignored
    (temperature, top_p, seed, penalties, user, ...)."""

    model_config = ConfigDict(extra="allow")

    model: str
    messages: list[Message] = Field(min_length=1)
    stream: bool = False
    stream_options: StreamOptions | None = None
    max_tokens: int | None = Field(default=None, ge=1)
    max_completion_tokens: int | None = Field(default=None, ge=1)
    stop: str | list[str] | None = None
    n: int = 1
    temperature: float | None = Field(default=None, ge=0, le=2)
    tools: list[dict[str, Any]] | None = None
    response_format: dict[str, Any] | None = None


def models(settings: Settings) -> list[str]:
    """Each backend that can answer here, as a model name: extractive always, an LLM backend once configured, and
    every installed plug-in's."""
    names = []
    for name in BACKENDS.names():
        if name == "llama-cpp" and not settings.llama_configured:
            continue
        if name == "openai" and not settings.openai_configured:
            continue
        names.append(PREFIX + name)
    return names


def backend_of(model: str, settings: Settings) -> str:
    """The backend a model name stands for (``rag`` alone: the configured default).

    :raises APIError: 404 for a model that is not served here."""
    if model == "rag":
        return settings.backend
    if model not in models(settings):
        raise APIError(404, f"The model '{model}' does not exist; GET /v1/models lists the models served here "
                            f"({', '.join(models(settings))}).", code="model_not_found", param="model")
    return model.removeprefix(PREFIX)


def text_of(message: Message) -> str:
    """A message's text; content parts other than text (images, audio, files) are refused."""
    if message.content is None or isinstance(message.content, str):
        return message.content or ""
    parts = []
    for part in message.content:
        if part.get("type") != "text":
            raise APIError(400, f"content parts of type {part.get('type')!r} are not supported: send text",
                           code="unsupported_content", param="messages")
        parts.append(str(part.get("text", "")))
    return "\n".join(parts)


def conversation(request: ChatRequest, settings: Settings) -> tuple[str, list[dict[str, str]]]:
    """The question (the last user message) and the history before it (user and assistant turns; an assistant turn
    that is one of our replies loses its Sources list).

    :raises APIError: 400 for a request this endpoint cannot answer."""
    if request.n != 1:
        raise APIError(400, "n must be 1: one answer is given per question", code="invalid_value", param="n")
    if request.tools:
        raise APIError(400, "tool calling is not supported by this model", code="unsupported_parameter",
                       param="tools")
    if request.response_format and request.response_format.get("type") not in (None, "text"):
        raise APIError(400, "only text responses are supported (response_format)", code="unsupported_parameter",
                       param="response_format")
    if len(request.messages) > settings.max_messages:
        raise APIError(400, f"at most {settings.max_messages} messages per request (max_messages), got "
                            f"{len(request.messages)}", code="too_many_messages", param="messages")
    if request.messages[-1].role != "user":
        raise APIError(400, "the last message must be the user's question", code="invalid_value", param="messages")
    history = []
    for message in request.messages[:-1]:
        if message.role in ("user", "assistant"):
            history.append({"role": message.role, "content": text_of(message).split(SOURCES, 1)[0]})
    return text_of(request.messages[-1]), history


def sources(answer: Answer) -> str:
    """The Markdown list of the cited sentences: marker, title, date and the quoted sentence."""
    lines = []
    for c in answer.citations:
        date = f", {human_date(c.date)}" if c.date else ""
        lines.append(f"- [{c.marker}] *{c.title}*{date}: “{c.quote}”")
    return SOURCES + "\n".join(lines) if lines else ""


def cut(text: str, stop: str | list[str] | None, max_tokens: int | None) -> tuple[str, str]:
    """The reply cut at the first stop sequence, then to ``max_tokens`` tokens; and OpenAI's finish reason."""
    stops = [stop] if isinstance(stop, str) else [s for s in (stop or []) if s]
    cuts = [text.find(s) for s in stops if s in text]
    if cuts:
        text = text[: min(cuts)]
    if max_tokens is not None:
        pieces = _encode(text)
        if len(pieces) > max_tokens:
            return tiktoken_encoding().decode(pieces[:max_tokens]), "length"
    return text, "stop"


def _encode(text: str) -> list[int]:
    """Token ids of ``text``; a special token's spelling in an article ("<|endoftext|>") is plain text here."""
    return tiktoken_encoding().encode(text, disallowed_special=())


def tokens(text: str) -> int:
    return len(_encode(text))


def usage(request: ChatRequest, content: str) -> dict[str, int]:
    prompt = sum(tokens(text_of(m)) + 4 for m in request.messages)  # about 4 tokens of framing per message
    completion = tokens(content)
    return {"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion}


def extras(answer: Answer) -> dict[str, Any]:
    """The structured data beside the reply: citations, outcome and disagreeing sources."""
    return {
        "citations": [{"marker": c.marker, "title": c.title, "date": c.date, "quote": c.quote, "source": c.source,
                       "doc_id": c.doc_id, "anchor": c.anchor, "start": c.start, "end": c.end}
                      for c in answer.citations],
        "short_answer": answer.short_answer.to_dict() if answer.short_answer else None,
        "status": answer.status,
        "reason": answer.reason,
        "confidence": answer.confidence,
        "conflicts": [c.to_dict() for c in answer.conflicts],
        "notices": answer.notices,
    }


def reply(answer: Answer, request: ChatRequest) -> tuple[str, str]:
    """The reply's content and finish reason."""
    return cut(answer.text + sources(answer), request.stop, request.max_completion_tokens or request.max_tokens)


def completion(answer: Answer, request: ChatRequest) -> dict[str, Any]:
    """The whole ``chat.completion`` object."""
    content, finish = reply(answer, request)
    return {
        "id": f"chatcmpl-{uuid.uuid4().hex}", "object": "chat.completion", "created": int(time.time()),
        "model": request.model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content, "refusal": None},
                     "logprobs": None, "finish_reason": finish}],
        "usage": usage(request, content),
        **extras(answer),
    }


def _chunk(ident: str, created: int, model: str, delta: dict[str, Any], finish: str | None = None,
           **extra: Any) -> str:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    event = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model,
             "choices": [choice], **extra}
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n"


def stream(request: ChatRequest, answer_events: Iterator[api.Draft | Answer],
           on_answer: Callable[[Answer], None] | None = None) -> Iterator[str]:
    """Server-sent events of one streamed completion: the role, the draft as ``rag_draft`` while an LLM writes it,
    then the verified reply in pieces, a last chunk with the finish reason and the structured data, the usage when
    ``stream_options.include_usage`` asks for it, and ``[DONE]``."""
    ident, created, model = f"chatcmpl-{uuid.uuid4().hex}", int(time.time()), request.model
    yield _chunk(ident, created, model, {"role": "assistant", "content": ""})
    answer = None
    for event in answer_events:
        if isinstance(event, api.Draft):
            yield _chunk(ident, created, model, {}, rag_draft={"delta": event.delta})
        else:
            answer = event
    assert answer is not None  # answer_stream always ends with the Answer, or raises
    if on_answer is not None:
        on_answer(answer)
    content, finish = reply(answer, request)
    words = content.split(" ")
    for i in range(0, len(words), STREAM_WORDS):
        piece = " ".join(words[i: i + STREAM_WORDS]) + (" " if i + STREAM_WORDS < len(words) else "")
        yield _chunk(ident, created, model, {"content": piece})
    yield _chunk(ident, created, model, {}, finish, **extras(answer))
    if request.stream_options is not None and request.stream_options.include_usage:
        last = {"id": ident, "object": "chat.completion.chunk", "created": created, "model": model, "choices": [],
                "usage": usage(request, content)}
        yield f"data: {json.dumps(last)}\n\n"
    yield "data: [DONE]\n\n"
