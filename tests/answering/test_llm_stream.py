"""The OpenAI-compatible backend against a real llama.cpp server on 127.0.0.1 (SmolLM2): tokens stream to the
caller as they arrive, a server killed mid-stream is a clear BackendError (never a half answer), a restarted
server serves the next question (connection retries cover its start-up), a silent server times out, and the
concurrency limit holds."""

import signal
import socket
import subprocess
import time

import pytest

from rag.answering.llm import _slot, stream
from rag.app.api import Draft, answer_stream
from rag.core.config import load_settings
from rag.core.errors import BackendError
from rag.core.types import Answer
from tests.helpers import LLM_QUESTIONS as QUESTIONS
from tests.helpers import free_port, start_llama_server

pytestmark = pytest.mark.llm  # needs llama-cpp-python and the SmolLM2 GGUF (make setup-llm)


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.kill()
    proc.wait(timeout=30)


@pytest.fixture
def openai_env(monkeypatch, real_index):
    port = free_port()
    monkeypatch.setenv("RAG_OPENAI_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("RAG_OPENAI_MODEL", "smollm2")
    monkeypatch.setenv("RAG_INDEX_DIR", str(real_index))
    monkeypatch.setenv("RAG_LLM_MAX_TOKENS", "400")
    monkeypatch.setenv("RAG_LLM_RETRIES", "8")  # exponential backoff up to 8 s per try: covers the server start-up
    return port


def test_server_killed_mid_stream_then_restarted(openai_env, tmp_path):
    port = openai_env
    with open(tmp_path / "server.log", "wb") as log:
        server = start_llama_server(port, log)
        try:
            # no readiness wait: the first requests hit a closed port and are retried with backoff
            events = list(answer_stream(QUESTIONS[2], backend="openai", k=3))
            drafts = [e for e in events if isinstance(e, Draft)]
            assert isinstance(events[-1], Answer) and events[-1].backend == "openai"
            assert len(drafts) > 3 and drafts[-1].text == "".join(d.delta for d in drafts)

            # kill the server as soon as tokens flow: the caller gets a BackendError, not an Answer
            seen: list = []
            with pytest.raises(BackendError, match="openai backend") as info:
                for event in answer_stream(QUESTIONS[2], backend="openai", k=3):
                    seen.append(event)
                    if len(seen) == 1:
                        server.send_signal(signal.SIGKILL)
            assert seen and all(isinstance(e, Draft) for e in seen), "a half answer must never arrive as an Answer"
            print(f"after {len(seen)} draft pieces: {info.value}")
            server.wait(timeout=30)

            server = start_llama_server(port, log)  # restarted: the next question works (retries wait for it to listen)
            after = list(answer_stream(QUESTIONS[0], backend="openai", k=3))
            assert isinstance(after[-1], Answer) and any(isinstance(e, Draft) for e in after)
        finally:
            _stop(server)


@pytest.mark.network  # a listening socket that never answers
def test_silent_server_times_out(monkeypatch, real_index):
    with socket.socket() as silent:  # accepts connections (kernel backlog) and never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        monkeypatch.setenv("RAG_OPENAI_BASE_URL", f"http://127.0.0.1:{silent.getsockname()[1]}/v1")
        monkeypatch.setenv("RAG_OPENAI_MODEL", "x")
        settings = load_settings(backend="openai", llm_timeout=1.0, llm_retries=0)
        started = time.perf_counter()
        with pytest.raises(BackendError, match="Timeout"):
            list(stream(settings, QUESTIONS[0], _passages(real_index)))
        print(f"timed out after {time.perf_counter() - started:.1f} s")


def _passages(index):
    from rag.index.snapshot import load_index
    from rag.retrieval.hybrid import hybrid_search

    return hybrid_search(load_index(index), QUESTIONS[0], 2)


def test_concurrency_limit_makes_extra_requests_wait_then_fail_clearly(monkeypatch, real_index):
    monkeypatch.setenv("RAG_OPENAI_BASE_URL", f"http://127.0.0.1:{free_port()}/v1")
    monkeypatch.setenv("RAG_OPENAI_MODEL", "x")
    settings = load_settings(backend="openai", llm_timeout=0.5, llm_retries=0, llm_concurrency=1)
    slot = _slot(settings)
    assert slot.acquire(timeout=1)  # one request in flight
    try:
        with pytest.raises(BackendError, match="busy: 1 requests already in flight"):
            list(stream(settings, QUESTIONS[0], _passages(real_index)))
    finally:
        slot.release()
    with pytest.raises(BackendError, match="the openai backend failed"):  # the slot is free again: it tries
        list(stream(settings, QUESTIONS[0], _passages(real_index)))
