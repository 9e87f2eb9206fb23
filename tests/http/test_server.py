"""The server itself (rag.http.server): what it exposes and to whom, the rate limit, the UI's login, readiness, and
answering 20 clients at once while the index is rebuilt."""

from __future__ import annotations

import statistics
import threading
import time

import httpx
import pytest
from fastapi.testclient import TestClient

from rag.core.config import Settings
from rag.core.errors import ConfigError
from rag.http.routes import check_exposure
from rag.http.security import RateLimiter
from rag.http.server import create_app, serve
from tests.helpers import CORPUS, copy_corpus, copy_index, free_port, run_cli, wait_until_up

SMIC = "What node did SMIC reach without EUV lithography?"


def test_serving_beyond_this_machine_needs_keys_or_a_login_unless_insecure(tmp_path):
    check_exposure(Settings(), "127.0.0.1", insecure=False)
    with pytest.raises(ConfigError, match="--insecure"):
        check_exposure(Settings(), "0.0.0.0", insecure=False)
    check_exposure(Settings(), "0.0.0.0", insecure=True)
    check_exposure(Settings(api_keys="k1"), "0.0.0.0", insecure=False)
    check_exposure(Settings(auth_user="ana", auth_password="s3cret"), "192.0.2.1", insecure=False)
    refused = run_cli("serve", "--host", "0.0.0.0", "--corpus", CORPUS, "--index", tmp_path / "index",
                      env={"RAG_EMBEDDER": "hash"})
    assert refused.returncode != 0 and "--insecure" in refused.stderr and "Traceback" not in refused.stderr


def test_the_rate_limit_answers_429_with_retry_after(tmp_path):
    limiter = RateLimiter(2)
    assert limiter.retry_after("a", now=0.0) is None and limiter.retry_after("a", now=1.0) is None
    assert limiter.retry_after("a", now=2.0) == 58 and limiter.retry_after("b", now=2.0) is None
    assert limiter.retry_after("a", now=60.5) is None  # the first call left the window
    app, state, _ = create_app(CORPUS, tmp_path / "index", Settings(api_keys="k1,k2", rate_limit_per_minute=2))
    try:
        with TestClient(app) as client:
            for key, expected in [("k1", 200), ("k1", 200), ("k1", 429), ("k2", 200)]:
                reply = client.get("/v1/models", headers={"Authorization": f"Bearer {key}"})
                assert reply.status_code == expected
            assert reply.status_code == 200
            limited = client.get("/v1/models", headers={"Authorization": "Bearer k1"})
            assert limited.json()["error"]["code"] == "rate_limit_exceeded"
            assert 1 <= int(limited.headers["Retry-After"]) <= 60
    finally:
        state.metrics.close()


def test_with_keys_the_ui_needs_its_login_and_a_key_opens_it(tmp_path):
    app, state, _ = create_app(CORPUS, tmp_path / "index", Settings(api_keys="k1"))
    try:
        with TestClient(app) as client:
            assert client.get("/config").status_code == 401
            assert client.post("/login", data={"username": "me", "password": "wrong"}).status_code == 400
            assert client.post("/login", data={"username": "me", "password": "k1"}).status_code == 200
            assert client.get("/config").status_code == 200
    finally:
        state.metrics.close()
    app, state, _ = create_app(CORPUS, tmp_path / "index", Settings())  # no keys, no login: the UI is open
    try:
        with TestClient(app) as client:
            assert client.get("/config").status_code == 200
    finally:
        state.metrics.close()


def test_host_and_port_come_from_the_settings_and_without_an_index_it_is_not_ready(monkeypatch, tmp_path):
    port = free_port()
    monkeypatch.setenv("RAG_PORT", str(port))
    monkeypatch.setenv("RAG_EMBEDDER", "hash")
    server = serve(CORPUS, tmp_path / "no-index", block=False, quiet=True)
    try:
        assert server.url == f"http://127.0.0.1:{port}/"
        assert httpx.get(server.url + "healthz").status_code == 200
        ready = httpx.get(server.url + "readyz")
        assert ready.status_code == 503 and "no index" in ready.json()["reason"]
        reply = httpx.post(server.url + "v1/answer", json={"question": SMIC})
        assert reply.status_code == 503 and "rag build" in reply.json()["error"]["message"]
    finally:
        server.close()


def test_the_server_is_warm_and_ready_when_its_port_opens(real_index):
    """The embedder, the index and one answer are loaded before the port opens: the first question does not wait."""
    from rag.encoders import registry
    from rag.index import snapshot

    server = serve(CORPUS, real_index, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    try:
        assert server.state.warm.is_set()
        assert any(name == "minilm" for name, _ in registry._cache)
        assert any(str(real_index.resolve()) in str(path) for path in snapshot._loaded)
        assert httpx.get(server.url + "readyz").status_code == 200
    finally:
        server.close()


@pytest.mark.network
def test_twenty_clients_at_once_during_a_rebuild_are_all_answered(real_index, tmp_path):
    """20 clients ask through /v1/chat/completions while the index is rebuilt from an edited corpus: every request
    is answered (from the old snapshot or the new one), none fails. Latencies are printed, not asserted."""
    corpus = copy_corpus(tmp_path / "corpus")
    index = copy_index(real_index, tmp_path / "index")
    server = serve(corpus, index, host="127.0.0.1", port=free_port(), block=False, quiet=True)
    wait_until_up(server.url)
    results: list[tuple[int, float]] = []

    def client() -> None:
        started = time.perf_counter()
        reply = httpx.post(server.url + "v1/chat/completions", timeout=300, json={
            "model": "rag-extractive", "messages": [{"role": "user", "content": SMIC}]})
        results.append((reply.status_code, time.perf_counter() - started))

    try:
        (corpus / "extra.md").write_text("# Extra\n\nA new fab in Ohio will make 3nm chips from 2027.\n", "utf-8")
        from rag import build_index

        rebuild = threading.Thread(target=build_index, args=(corpus, index))
        clients = [threading.Thread(target=client) for _ in range(20)]
        rebuild.start()
        for t in clients:
            t.start()
        for t in clients + [rebuild]:
            t.join(timeout=600)
        assert [status for status, _ in results] == [200] * 20
        seconds = sorted(s for _, s in results)
        print(f"\n20 clients during a rebuild: p50 {statistics.median(seconds):.2f}s, max {seconds[-1]:.2f}s")
        later = httpx.post(server.url + "v1/answer", json={"question": "Where will the new fab make 3nm chips?"},
                           timeout=120).json()
        assert "Ohio" in later["text"]
    finally:
        server.close()
