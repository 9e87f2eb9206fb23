"""The background cache warm-up (rag.app.warmup) with the real embedder and spaCy on the bundled corpus."""

from __future__ import annotations

import json
import threading
import time

import pytest

from rag.app import warmup as warm
from rag.core.activity import answering
from rag.encoders.cache import vector_cache
from rag.index.snapshot import load_index
from rag.index.cache_texts import corpus_texts
from tests.helpers import run_python


def test_after_warm_up_an_answer_embeds_no_corpus_sentence(real_index):
    from rag.app.api import answer

    snapshot = load_index(real_index)
    report = warm.warm_caches(snapshot)
    sentences, words = corpus_texts(snapshot)
    assert report.sentences == len(sentences) > 100 and report.words == len(words) and not report.skipped
    cache = vector_cache(snapshot)
    assert all(s in cache for s in sentences[:50])

    embedded: list[str] = []
    encode = cache.embedder.encode

    def recording(texts, *args, **kwargs):
        embedded.extend(texts)
        return encode(texts, *args, **kwargs)

    cache.embedder.encode = recording
    try:
        a = answer("Which company did Beijing blacklist after its teardown of a Huawei chip?", index_dir=real_index)
    finally:
        del cache.embedder.encode  # back to the class's method
    assert a.citations
    assert not set(embedded) & set(sentences), "a corpus sentence was embedded again after warm-up"

    from rag.text import mentions, nlp

    warm.clear_caches(snapshot)  # what the benchmark does before measuring first-time answers
    assert not cache.data and not nlp._cache and not mentions._mention_cache


def test_warm_up_pauses_while_an_answer_runs_and_stops_on_request(real_index):
    snapshot = load_index(real_index)
    stop = threading.Event()
    result: list[warm.WarmReport] = []
    with answering():
        thread = threading.Thread(target=lambda: result.append(warm.warm_caches(snapshot, stop)))
        thread.start()
        time.sleep(0.3)
        assert thread.is_alive() and not result, "warm-up ran while an answer was in progress"
        stop.set()
    thread.join(timeout=10)
    assert not thread.is_alive() and result


def test_a_corpus_too_large_to_keep_warm_is_skipped_with_a_reason(real_index):
    report = warm.warm_caches(load_index(real_index), max_sentences=10)
    assert report.sentences == 0 and "more than the 10 kept warm" in report.skipped


@pytest.mark.real_index  # builds a small MiniLM index of its own
def test_the_warm_up_thread_warms_a_rebuilt_index_too(tmp_path):
    from rag.app.api import build_index

    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.md").write_text("# Harbours\n\nThe harbour of Tallinn handled four million passengers last year. "
                                 "Its new ferry terminal opened in the spring.\n", encoding="utf-8")
    build_index(corpus, index)
    thread, stop = warm.start(index, poll_seconds=0.1)
    from rag.text import nlp

    try:
        added = "The ferry line to Helsinki now runs every forty minutes in summer."
        _until(lambda: "Its new ferry terminal opened in the spring." in nlp._cache)
        (corpus / "b.md").write_text(f"# Ferries\n\n{added} Tickets are sold at the terminal.\n", encoding="utf-8")
        build_index(corpus, index)
        _until(lambda: added in nlp._cache)
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def _until(condition, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "the warm-up thread did not get there"
        time.sleep(0.05)


def test_a_new_process_starts_with_the_sentence_vectors_the_build_stored(real_index):
    """The build stores the vectors of every corpus sentence and word; a process's first answer embeds the question
    and no corpus sentence (no warm-up ran there)."""
    script = f"""
import json
from rag.app.api import answer
from rag.encoders.cache import vector_cache
from rag.index.snapshot import load_index
cache = vector_cache(load_index({str(real_index)!r}))
embedded = []
encode = cache.embedder.encode
cache.embedder.encode = lambda texts, *a, **k: (embedded.extend(texts), encode(texts, *a, **k))[1]
a = answer("Which company did Beijing blacklist after its teardown of a Huawei chip?", index_dir={str(real_index)!r})
print(json.dumps({{"embedded": embedded, "cited": bool(a.citations)}}))
"""
    result = json.loads(run_python(script, timeout=120).stdout.strip().splitlines()[-1])
    sentences, words = corpus_texts(load_index(real_index))
    assert result["cited"]
    # the question first; then at most the names the alias check weighs for "Beijing", which the article does not
    # write (rag.answering.names.Aliases): never a corpus sentence
    assert result["embedded"][0] == "Which company did Beijing blacklist after its teardown of a Huawei chip?"
    assert not set(result["embedded"]) & set(sentences)
    assert all(len(text.split()) <= 6 for text in result["embedded"][1:])
    stored = load_index(real_index).text_vectors()
    assert set(sentences) <= set(stored) and len(stored) == len(sentences) + len(words)
    # the build's vectors are the ones a query-time call gives (another compiled model, the same numbers)
    sample = sentences[:20]
    fresh = vector_cache(load_index(real_index)).embedder.encode(sample)
    assert min(float(fresh[i] @ stored[s]) for i, s in enumerate(sample)) > 0.999
