"""Shared fixtures: the real MiniLM index over the bundled corpus (built once per run), a fast hash-embedder index
for plumbing tests, and a guard that fails any network connection that does not go to 127.0.0.1."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT / "corpus"
QA = ROOT / "tests" / "data" / "qa.jsonl"
# Everything the suite reads is inside the repository (tests/fixtures/README.md says where each file comes from).
FIXTURES = ROOT / "tests" / "fixtures"
SEED = FIXTURES / "000_1b9477a9252b1901.txt"
SCIFACT_SAMPLE = FIXTURES / "scifact-sample"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch, tmp_path):
    """No user configuration leaks into tests; no test may talk to anything but loopback."""
    import os

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
    """The bundled corpus indexed with the real all-MiniLM-L6-v2 (what users get)."""
    from rag.api import build_index

    index_dir = tmp_path_factory.mktemp("real") / "index"
    build_index(CORPUS, index_dir)
    return index_dir


@pytest.fixture
def corpus_copy(tmp_path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(CORPUS, target)
    return target


class CountingEmbedder:
    """The hash embedder, counting what it is asked to embed (to check incremental builds)."""

    def __init__(self, key: str = "hash-384"):
        from rag.embed import HashEmbedder

        self.inner = HashEmbedder()
        self.dim, self.max_tokens, self.key = self.inner.dim, self.inner.max_tokens, key
        self.embedded: list[str] = []

    def count_tokens(self, text):
        return self.inner.count_tokens(text)

    def encode(self, texts, progress=None):
        self.embedded.extend(texts)
        return self.inner.encode(texts, progress)


@pytest.fixture
def counting_embedder():
    return CountingEmbedder()
