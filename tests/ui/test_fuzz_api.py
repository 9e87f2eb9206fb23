"""Fuzzing the Gradio API's handlers (/ask and /ask_stream: ui.handlers.api_ask, api_ask_stream, what the routes call)
with inputs of any JSON shape, as a client could send them, over a small hash-embedder index of the bundled articles.
The result is a JSON-serialisable answer, or a gr.Error with a reason; nothing else escapes, and no message shows a
traceback.

Budget: 120 examples a run (about 15 s here). Marked slow: `make test` (CI) runs it, `make test-fast` does not.
"""

from __future__ import annotations

import json

import gradio as gr
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from tests.helpers import CORPUS, scaled

QUESTIONS = ["What node did SMIC reach without EUV lithography?", "Why did China blacklist TechInsights?", "", " ",
             "?!", "a" * 2500]
JSON = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12), st.floats(),
                              st.text(alphabet=st.characters(), max_size=40)),
                    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=5), inner,
                                                                                          max_size=3)), max_leaves=6)


@pytest.fixture(scope="module")
def hash_index(tmp_path_factory):
    from rag.encoders.hashing import HashEmbedder
    from rag.index.build import build_index

    index = tmp_path_factory.mktemp("fuzz") / "index"
    build_index(CORPUS, index, embedder=HashEmbedder())
    return index


@pytest.mark.slow
@settings(max_examples=scaled(120), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@example(question=None, k=6, backend="extractive", stream=False)
@example(question={"question": "What node did SMIC reach?"}, k="6", backend=["extractive"], stream=True)
@example(question="What node did SMIC reach without EUV lithography?", k=1e300, backend=None, stream=False)
@example(question="\ud83d\ude00" * 10 + "\ud800", k=6, backend="extractive", stream=True)
@given(question=st.one_of(st.sampled_from(QUESTIONS), st.text(alphabet=st.characters(), max_size=200), JSON),
       k=st.one_of(st.integers(1, 10), st.integers(-5, 60), JSON),  # most examples well-formed, answered in full
       backend=st.one_of(st.just("extractive"), st.just("extractive"), st.sampled_from(["openai", "llama-cpp"]), JSON),
       stream=st.booleans())
def test_fuzz_the_ask_routes(hash_index, question, k, backend, stream):
    from ui.handlers import api_ask, api_ask_stream

    try:
        if stream:
            steps = list(api_ask_stream(hash_index, question, k, backend))
            assert steps and all(isinstance(s, str) for s in steps)
        else:
            json.dumps(api_ask(hash_index, question, k, backend))
    except gr.Error as exc:
        assert exc.message.strip() and "Traceback" not in exc.message and 'File "' not in exc.message
