"""The routes: ``/v1/chat/completions`` and ``/v1/models`` (OpenAI-compatible), ``/v1/answer``, ``/v1/search`` and
``/v1/status`` (the Python API as JSON), and the operators' ``/healthz``, ``/readyz`` and ``/metrics``."""

from __future__ import annotations

import dataclasses
import itertools
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse
from pydantic import BaseModel, Field

from rag.app import api
from rag.core.config import Settings
from rag.core.defaults import MAX_K
from rag.core.errors import RagError
from rag.http import chat
from rag.http.errors import body, from_rag_error
from rag.http.metrics import Metrics
from rag.http.security import Guard, is_loopback


class AnswerRequest(BaseModel):
    question: str
    history: list[dict[str, str]] | None = None
    k: int | None = Field(default=None, ge=1, le=MAX_K)
    backend: str | None = None
    max_sentences: int | None = Field(default=None, ge=1, le=20)


class SearchRequest(BaseModel):
    query: str
    k: int | None = Field(default=None, ge=1, le=MAX_K)


class State:
    """What the routes share: settings, folders, metrics, whether the server is warm, and the answer slots."""

    def __init__(self, settings: Settings, corpus_dir: Path, index_dir: Path, metrics: Metrics):
        self.settings, self.corpus_dir, self.index_dir, self.metrics = settings, corpus_dir, index_dir, metrics
        self.warm = threading.Event()
        self.stopped = threading.Event()
        self.slots = threading.BoundedSemaphore(max(1, settings.llm_concurrency))
        """Answers computed at once through the API; more wait their turn (the CPU is the limit, not the threads)."""


def v1_router(state: State) -> APIRouter:
    router = APIRouter(prefix="/v1", dependencies=[Depends(Guard(state.settings))])
    settings = state.settings

    @router.get("/models", summary="The backends served here, as OpenAI models")
    def list_models() -> dict[str, Any]:
        return {"object": "list", "data": [{"id": m, "object": "model", "created": 0, "owned_by": "rag"}
                                           for m in chat.models(settings)]}

    @router.post("/chat/completions", summary="A cited answer to the conversation's last question")
    def chat_completions(request: chat.ChatRequest) -> Any:
        backend = chat.backend_of(request.model, settings)
        question, history = chat.conversation(request, settings)
        with state.slots:
            if not request.stream:
                answer = _answer(state, question, history=history, backend=backend)
                return chat.completion(answer, request)
            events = api.answer_stream(question, history=history, backend=backend, index_dir=state.index_dir)
            try:
                first = next(events)  # bad input, a missing index or a dead LLM fail here, with their status code
            except RagError as exc:
                raise from_rag_error(exc) from None
        return StreamingResponse(_sse(request, itertools.chain([first], events), state),
                                 media_type="text/event-stream", headers={"Cache-Control": "no-cache"})

    @router.post("/answer", summary="rag.answer(): the whole Answer as JSON")
    def answer(request: AnswerRequest) -> dict[str, Any]:
        with state.slots:
            result = _answer(state, request.question, history=request.history, k=request.k,
                             backend=request.backend, max_sentences=request.max_sentences)
        return result.to_dict()

    @router.post("/search", summary="rag.search(): the best passages, without an answer")
    def search(request: SearchRequest) -> list[dict[str, Any]]:
        hits = api.search(request.query, k=request.k, index_dir=state.index_dir)
        return [{**h.to_dict()["chunk"], "score": h.score, "dense_score": h.dense_score, "bm25_score": h.bm25_score,
                 "rank": h.rank} for h in hits]

    @router.get("/status", summary="rag.index_status(): whether the index is up to date with the corpus")
    def status() -> dict[str, Any]:
        found = api.index_status(state.corpus_dir, state.index_dir)
        return {**dataclasses.asdict(found), "describe": found.describe()}

    return router


def _answer(state: State, question: str, **options: Any) -> Any:
    result = api.answer(question, index_dir=state.index_dir, **options)
    state.metrics.count_answer(result)
    return result


def _sse(request: chat.ChatRequest, events: Iterator[api.Draft | Any], state: State) -> Iterator[str]:
    """The stream, with an error event (OpenAI's shape) instead of a broken connection when the backend fails."""
    try:
        yield from chat.stream(request, events, on_answer=state.metrics.count_answer)
    except RagError as exc:
        err = from_rag_error(exc)
        yield f"data: {json.dumps(body(err.status, err.message, err.code))}\n\n"
        yield "data: [DONE]\n\n"


def operator_routes(app: FastAPI, state: State) -> None:
    guard = Guard(state.settings)  # its key check only: scrapers and probes are not rate limited

    @app.get("/healthz", summary="The process is up", tags=["operators"])
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", summary="The index is loaded and the models are warm (503 until then)", tags=["operators"])
    def readyz() -> JSONResponse:
        found = api.index_status(state.corpus_dir, state.index_dir)
        if not found.exists:
            return JSONResponse({"status": "not ready", "reason": found.problem or "no index yet"}, status_code=503)
        if not state.warm.is_set():
            return JSONResponse({"status": "not ready", "reason": "warming up"}, status_code=503)
        return JSONResponse({"status": "ready", "index": found.describe()})

    @app.get("/metrics", summary="Prometheus metrics (needs a key when api_keys is set)", tags=["operators"])
    def metrics(request: Request) -> Response:
        guard.check_key(request)
        return Response(state.metrics.exposition(), media_type="text/plain; version=0.0.4; charset=utf-8")


def check_exposure(settings: Settings, host: str, insecure: bool) -> None:
    """:raises ConfigError: serving beyond this machine with neither API keys nor a UI login, unless ``insecure``."""
    from rag.core.errors import ConfigError

    if not is_loopback(host) and not settings.api_key_list and not settings.auth_user and not insecure:
        raise ConfigError(f"refusing to serve on {host} with neither api_keys nor a UI login (auth_user and "
                          "auth_password): anyone who can reach it could use it. Set RAG_API_KEYS (and/or "
                          "RAG_AUTH_USER and RAG_AUTH_PASSWORD), or pass --insecure to serve it open anyway")

