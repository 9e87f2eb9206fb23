"""Fuzzing the question path: questions, conversation histories and settings of any shape through rag.answer and
rag.search, over a small index of the bundled articles made with the hash embedder (fast; the answerer, verifier
and conflict detection are the real ones). An input is answered (every citation's marker in the text, its span
inside its passage) or refused with a RagError that says why; nothing else may escape, and nothing may hang.

Budget: 100 examples of well-formed inputs and 150 of any shape a run (about 30 s here), and the inputs it found
interesting, kept as @example cases.
Marked slow: `make test` (CI) runs it, `make test-fast` does not.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from rag.app.api import answer, search
from rag.core.errors import RagError
from rag.index.snapshot import load_index
from tests.helpers import CORPUS, scaled

FUZZ = settings(max_examples=scaled(150), deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
QUESTIONS = ["What node did SMIC reach without EUV lithography?", "Why did China blacklist TechInsights?",
             "And how fast is its top core clocked?", "how many wafers per month can SMIC produce",
             "WHICH COMPANY BUILT THE KIRIN 9030?", "Who?", "What is the salary of Huawei's CEO?"]
ANY_TEXT = st.text(alphabet=st.characters(), max_size=300)  # any code point, surrogates and controls included
QUESTION = st.one_of(st.sampled_from(QUESTIONS), ANY_TEXT,
                     st.tuples(st.sampled_from(QUESTIONS), ANY_TEXT).map(" ".join),
                     st.text(alphabet="ab .?\n", min_size=1900, max_size=2600),
                     st.none(), st.integers(), st.lists(st.text(max_size=5), max_size=3))
TURN = st.one_of(st.fixed_dictionaries({"role": st.sampled_from(["user", "assistant", "system", "", "tool"]),
                                        "content": st.one_of(st.sampled_from(QUESTIONS), ANY_TEXT)}),
                 st.dictionaries(st.sampled_from(["role", "content", "name"]),
                                 st.one_of(st.none(), st.integers(), ANY_TEXT), max_size=3),
                 st.none(), ANY_TEXT, st.integers())
HISTORY = st.one_of(st.none(), st.lists(TURN, max_size=6), ANY_TEXT, st.integers())
K = st.one_of(st.none(), st.integers(-3, 60), st.floats(allow_nan=True), st.booleans(), st.text(max_size=3))
BACKEND = st.one_of(st.none(), st.sampled_from(["extractive", "llama-cpp", "openai", "EXTRACTIVE", ""]),
                    st.text(max_size=8), st.integers())
SENTENCES = st.one_of(st.none(), st.integers(-2, 30), st.text(max_size=3), st.floats())
# inputs of the right shape, so that most examples go through the whole pipeline
GOOD_QUESTION = st.one_of(st.sampled_from(QUESTIONS), st.tuples(st.sampled_from(QUESTIONS), ANY_TEXT).map(" ".join),
                          ANY_TEXT.filter(lambda t: sum(ch.isalnum() for ch in t) > 3))
GOOD_HISTORY = st.one_of(st.none(), st.lists(st.fixed_dictionaries(
    {"role": st.sampled_from(["user", "assistant"]), "content": st.one_of(st.sampled_from(QUESTIONS), ANY_TEXT)}),
    max_size=4))


@pytest.fixture(scope="module")
def hash_index(tmp_path_factory):
    from rag.encoders.hashing import HashEmbedder
    from rag.index.build import build_index

    index = tmp_path_factory.mktemp("fuzz") / "index"
    build_index(CORPUS, index, embedder=HashEmbedder())
    return index


def _answered_or_refused(index, question, history, k, backend, sentences) -> bool:
    """Whether ``question`` was answered (checked); False when it was refused with a reason."""
    try:
        result = answer(question, history=history, k=k, backend=backend, index_dir=index, max_sentences=sentences)
    except RagError as exc:  # a refusal that says why
        assert str(exc).strip() and "Traceback" not in str(exc)
        return False
    assert isinstance(result.text, str) and result.text.strip()
    assert result.status in ("answered", "partial", "not_found")
    snapshot = load_index(index)
    for c in result.citations:
        chunk = snapshot.chunks[snapshot.chunk_index(c.chunk_id)]
        assert chunk.doc_id == c.doc_id and chunk.start <= c.start < c.end <= chunk.end, c
        assert f"[{c.marker}]" in result.text
    hits = search(question, k=k, index_dir=index)
    assert len(hits) <= (k or 6)
    return True


@pytest.mark.slow
@settings(FUZZ, max_examples=scaled(100))
@example(question="What node did SMIC reach \ud800 without \x00 EUV\u202e?", history=None, k=None, sentences=None)
@example(question="And its clock speed?", history=[{"role": "assistant", "content": "\ufffd" * 50},
                                                   {"role": "user", "content": "Kirin 9030 " * 300}], k=50, sentences=8)
@example(question="what  " * 400 + "SMIC", history=[], k=1, sentences=1)  # cut at 2,000 characters, with a notice
@given(question=GOOD_QUESTION, history=GOOD_HISTORY, k=st.one_of(st.none(), st.integers(1, 50)),
       sentences=st.one_of(st.none(), st.integers(1, 8)))
def test_fuzz_questions_and_histories(hash_index, question, history, k, sentences):
    _answered_or_refused(hash_index, question, history, k, "extractive", sentences)


@pytest.mark.slow
@FUZZ
@example(question="???", history=None, k=None, backend=None, sentences=None)  # no words: refused
@example(question=" \t\x85\u2028 ", history=None, k=None, backend=None, sentences=None)  # only spaces: refused
@example(question=QUESTIONS[0], history=[{"role": "user"}, None, 5, {"content": None}], k=True, backend="",
         sentences=0.5)
@example(question=QUESTIONS[0], history="not a list", k=6.0, backend="EXTRACTIVE", sentences="3")
@example(question=["a list"], history=None, k=None, backend=None, sentences=None)
@given(question=QUESTION, history=HISTORY, k=K, backend=BACKEND, sentences=SENTENCES)
def test_fuzz_inputs_of_any_shape(hash_index, question, history, k, backend, sentences):
    _answered_or_refused(hash_index, question, history, k, backend, sentences)
