"""The corpus watcher: files added, edited and removed while it runs are indexed by themselves, and questions asked
meanwhile never fail (they keep reading the last complete snapshot). Real MiniLM index, real watchdog events."""

from __future__ import annotations

import threading
import time

import pytest

from tests.helpers import copy_index, start_app

QUESTION = "Where did Quokka Semiconductor open its first fab?"
ARTICLE = ("# Quokka Semiconductor opens a fab\n\nQuokka Semiconductor opened its first fab in {city} in 2024, "
           "producing 12,000 wafers per month.\n")
GIVE_UP = 120  # seconds before a test fails; the time it actually took is printed, never asserted


@pytest.fixture
def watched(real_index, corpus_copy, tmp_path):
    from rag.app.watch import CorpusWatcher

    index = copy_index(real_index, tmp_path / "index")
    watcher = CorpusWatcher(corpus_copy, index, debounce=0.5).start()
    yield corpus_copy, index, watcher
    watcher.stop()


def _until(check, what: str) -> float:
    started = time.monotonic()
    while not check():
        if time.monotonic() - started > GIVE_UP:
            pytest.fail(f"{what} did not happen within {GIVE_UP}s")
        time.sleep(0.2)
    return time.monotonic() - started


def test_watcher_indexes_changes_while_questions_keep_being_answered(watched):
    from rag import answer

    corpus, index, watcher = watched
    failures: list[BaseException] = []
    answered = [0]
    stop = threading.Event()

    def keep_asking() -> None:  # a user asking all along
        while not stop.is_set():
            try:
                result = answer("What node did SMIC reach without EUV lithography?", index_dir=index)
                assert not result.abstained
                answered[0] += 1
            except BaseException as exc:  # noqa: BLE001 - any failure of a request counts
                failures.append(exc)

    asker = threading.Thread(target=keep_asking, daemon=True)
    asker.start()
    try:
        def says(city: str):
            return lambda: city in answer(QUESTION, index_dir=index).text

        article = corpus / "quokka.md"
        article.write_text(ARTICLE.format(city="Hobart"), encoding="utf-8")
        added = _until(says("Hobart"), "the added article becoming answerable")
        article.write_text(ARTICLE.format(city="Launceston"), encoding="utf-8")
        edited = _until(says("Launceston"), "the edited sentence becoming answerable")
        article.unlink()
        removed = _until(lambda: answer(QUESTION, index_dir=index).abstained, "the removed article disappearing")
        print(f"\nwatcher (2 shared cores): added -> answerable {added:.1f}s, edited {edited:.1f}s, "
              f"removed {removed:.1f}s; {answered[0]} other questions answered meanwhile")
    finally:
        stop.set()
        asker.join(60)
    assert not failures, failures[:3]
    assert answered[0] > 0
    changed = [e for e in watcher.events if "quokka.md" in e.changed]
    assert len(changed) >= 3 and all(e.ok for e in changed)
    assert any("1 added" in e.summary for e in changed) and any("1 removed" in e.summary for e in changed)
    assert "quokka.md" in watcher.describe()


def test_hidden_and_unsupported_files_do_not_trigger_builds(watched):
    corpus, index, watcher = watched
    _until(lambda: not watcher.building, "the start-up check")
    before = len(watcher.events)
    (corpus / ".notes.md").write_text("hidden", encoding="utf-8")
    (corpus / "image.png").write_bytes(b"\x89PNG")
    time.sleep(2.5)  # several debounce periods: any build would have started
    assert len(watcher.events) == before and not watcher.building


@pytest.mark.network  # serves the app (slow, from the marker and the real_index fixture)
@pytest.mark.filterwarnings("ignore:'future.no_silent_downcasting' is deprecated")
@pytest.mark.filterwarnings("ignore:The copy keyword is deprecated")
def test_served_app_with_watch_answers_an_edited_file(real_index, corpus_copy, tmp_path, monkeypatch):
    """`rag serve --watch`: the app's /ask answers a sentence written into the corpus while it runs."""
    from gradio_client import Client

    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)
    running = start_app(corpus_copy, copy_index(real_index, tmp_path / "index"), watch=True)
    try:
        client = Client(running.url, verbose=False)
        assert client.predict(QUESTION, api_name="/ask")["abstained"] is True
        (corpus_copy / "quokka.md").write_text(ARTICLE.format(city="Hobart"), encoding="utf-8")
        took = _until(lambda: "Hobart" in client.predict(QUESTION, api_name="/ask")["text"],
                      "the new sentence becoming answerable through the running app")
        print(f"\nserve --watch: new sentence answerable through /ask after {took:.1f}s")
        assert any("quokka.md" in e.changed for e in running.server.watcher.events)
    finally:
        running.close()  # stops the watcher too
