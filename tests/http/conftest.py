"""The servers of the HTTP tests: the real server (API and UI on one port) over copies of the bundled corpus and of
the session's MiniLM index, with ``RAG_API_KEYS=k1``. Tests that use them are marked `network`, `real_index` and
`slow` (tests/conftest.py)."""

from __future__ import annotations

import os

import pytest

from tests.helpers import app_over_copies

KEY = "k1"


@pytest.fixture(scope="module")
def api_server(real_index, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("RAG_") or name in ("OPENAI_API_KEY", "OPENAI_BASE_URL") or \
                    name.lower() in ("http_proxy", "https_proxy", "all_proxy"):
                mp.delenv(name)
        mp.setenv("NO_PROXY", "127.0.0.1,localhost")
        mp.chdir(tmp_path_factory.mktemp("http-cwd"))
        mp.setenv("RAG_API_KEYS", KEY)
        running = app_over_copies(real_index, tmp_path_factory.mktemp("http-app"))
    yield running
    running.close()
