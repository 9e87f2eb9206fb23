"""Fixtures for the whole suite: the real MiniLM index over the bundled corpus (built once per run), a copy of the
corpus, a counting hash embedder for plumbing tests, and a guard that fails any network connection that does not go
to 127.0.0.1. Helpers and paths are in tests/helpers.py; the browser fixtures in tests/ui/conftest.py.

Markers (pyproject.toml) are set here where a test's fixtures tell: see ``pytest_collection_modifyitems``.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from tests.helpers import CORPUS, CountingEmbedder, copy_corpus

# Fixtures that start a server on 127.0.0.1 (in this process or a child one): a test that uses one is marked
# `network`. A new fixture that serves something belongs here too.
SERVER_FIXTURES = frozenset({"app", "own_app", "hostile_app", "trust_app", "llm_app", "llama_server", "openai_env",
                             "api_server"})
HEAVY = ("real_index", "network", "browser")  # each of these makes a test `slow` too


def pytest_collection_modifyitems(config, items):
    """Mark by fixture: `real_index` for a test that uses the session's MiniLM index (directly or through another
    fixture), `network` for one that uses a server fixture, `browser` for one that drives Chromium; and `slow` for all
    three. Tests that build a MiniLM index of their own or start a server inline are marked by hand."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "real_index" in fixtures:
            item.add_marker(pytest.mark.real_index)
        if fixtures & SERVER_FIXTURES:
            item.add_marker(pytest.mark.network)
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)
        if any(item.get_closest_marker(name) for name in HEAVY):
            item.add_marker(pytest.mark.slow)


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No user configuration leaks into tests; no test may talk to anything but loopback."""
    for name in list(os.environ):
        if name.startswith("RAG_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
            monkeypatch.delenv(name)
    monkeypatch.chdir(tmp_path)
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if self.family in (socket.AF_INET, socket.AF_INET6) and host not in ("127.0.0.1", "localhost", "::1"):
            raise OSError(f"network access to {host} blocked in tests")
        return real_connect(self, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


@pytest.fixture(scope="session")
def real_index(tmp_path_factory) -> Path:
    """The bundled corpus indexed with the real all-MiniLM-L6-v2 (what users get). Tests that use it are marked
    `real_index` and `slow`."""
    from rag.app.api import build_index

    index_dir = tmp_path_factory.mktemp("real") / "index"
    build_index(CORPUS, index_dir)
    return index_dir


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    return copy_corpus(tmp_path / "corpus")


@pytest.fixture
def counting_embedder() -> CountingEmbedder:
    return CountingEmbedder()


@pytest.fixture(scope="module")
def module_env(tmp_path_factory):
    """What conftest's autouse fixture does per test, for the module-scoped servers: no user configuration,
    no proxies, a scratch working directory."""
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("RAG_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL") or \
                    name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
                mp.delenv(name)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.chdir(tmp_path_factory.mktemp("ui-cwd"))
        yield
