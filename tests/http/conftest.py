"""The servers of the HTTP tests: the real server (API and UI on one port) over copies of the bundled corpus and of
the session's MiniLM index, with ``RAG_API_KEYS=k1``. Tests that use them are marked `network`, `real_index` and
`slow` (tests/conftest.py)."""

from __future__ import annotations

import pytest

from tests.helpers import app_over_copies

KEY = "k1"


@pytest.fixture(scope="module")
def api_server(module_env, real_index, tmp_path_factory):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("RAG_API_KEYS", KEY)  # read when the server starts: its key check keeps it
        running = app_over_copies(real_index, tmp_path_factory.mktemp("http-app"))
    yield running
    running.close()
