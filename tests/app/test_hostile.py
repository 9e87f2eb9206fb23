"""No file can stall it: a corpus of hostile files beside a few good articles goes through `rag build`, UI uploads
(rag.ingest.corpus.store_upload, what the Corpus tab calls) and `rag watch` (CorpusWatcher). Each path finishes
within the parse limits, skips exactly the hostile files with their reasons, answers from the good ones, and never
touches the corpus. The files are made by the test (tests/helpers.py: write_hostile_files); what each one does and
how long it took is printed, never asserted."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.index.snapshot import current_snapshot_dir, read_manifest
from tests.helpers import (
    GOOD_ARTICLES,
    HOSTILE_LIMITS,
    NAME_ONLY,
    ODD_NAMES,
    corpus_fingerprint,
    run_cli,
    write_good_files,
    write_hostile_files,
)

GIVE_UP = 300  # seconds: a build or watch step that takes longer has stalled (the test fails; never a timing)
HASH = {"RAG_EMBEDDER": "hash", **HOSTILE_LIMITS}
VERSION = "Revision {} of the gallium note: exports of gallium were restricted by China in 2023. "


def _skipped(stderr: str) -> dict[str, str]:
    return dict(line.removeprefix("skipped ").split(": ", 1) for line in stderr.splitlines()
                if line.startswith("skipped "))


def _start_rewriting(path: Path, versions: Path) -> subprocess.Popen:
    """A process that rewrites ``path`` in place without pause, alternating two versions of the same size (A and B),
    a 4 KB block at a time, so that a read sees A, B, or a torn mix of both."""
    versions.mkdir()
    for name in "AB":
        (versions / name).write_text(VERSION.format(name) * 20_000, encoding="utf-8")
    path.write_bytes((versions / "A").read_bytes())
    code = ("import os, sys\nfd = os.open(sys.argv[1], os.O_WRONLY)\n"
            "data = [open(v, 'rb').read() for v in sys.argv[2:]]\n"
            "while True:\n    for d in data:\n        for i in range(0, len(d), 4096):\n"
            "            os.pwrite(fd, d[i:i + 4096], i)\n")
    return subprocess.Popen([sys.executable, "-c", code, str(path), str(versions / "A"), str(versions / "B")])


def _assert_answers_from_the_good_files(index: Path) -> None:
    from rag.app.api import answer, search

    for name, (fact, question) in ODD_NAMES.items():  # each note under an odd name is found by its question
        assert search(question, k=1, index_dir=index)[0].chunk.source == name, (name, question)
    quokka = answer(ODD_NAMES["ünïcödé – 中文.md"][1], index_dir=index)
    assert quokka.status == "answered" and "Hobart" in quokka.text, quokka.text
    assert [c.source for c in quokka.citations] == ["ünïcödé – 中文.md"]
    smic = answer("What node did SMIC reach without EUV lithography?", index_dir=index)
    assert smic.citations and {c.source for c in smic.citations} <= set(GOOD_ARTICLES), smic.text


def _wait(check, what: str) -> None:
    deadline = time.monotonic() + GIVE_UP
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {GIVE_UP}s")
        time.sleep(0.5)


@pytest.mark.slow  # `rag build` in a child process over 20 hostile files, two of them stopped at a limit
def test_rag_build_skips_exactly_the_hostile_files_and_answers_from_the_good_ones(tmp_path):
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    hostile = write_hostile_files(corpus)
    good = write_good_files(corpus)
    rewriter = _start_rewriting(corpus / "changing.txt", tmp_path / "versions")
    try:
        fingerprint = {k: v for k, v in corpus_fingerprint(corpus).items() if not k.endswith("changing.txt")}
        started = time.monotonic()
        proc = run_cli("build", "--corpus", corpus, "--index", index, env=HASH, timeout=GIVE_UP)
        took = time.monotonic() - started
    finally:
        rewriter.kill()
        rewriter.wait()
    assert proc.returncode == 0, proc.stderr[-3000:]
    skipped = _skipped(proc.stderr)
    print(f"\nrag build over {len(hostile)} hostile and {len(good)} good files (and one being rewritten): "
          f"{took:.1f}s\n" + "\n".join(f"  {name}: {reason}" for name, reason in skipped.items()))
    changing = skipped.pop("changing.txt", None)
    assert set(skipped) == set(hostile), set(skipped) ^ set(hostile)
    for name, fragment in hostile.items():
        assert fragment in skipped[name], (name, skipped[name])
    manifest = read_manifest(current_snapshot_dir(index))
    assert set(manifest["files"]) - {"changing.txt"} == set(good)
    assert {k: v for k, v in corpus_fingerprint(corpus).items() if not k.endswith("changing.txt")} == fingerprint
    _assert_answers_from_the_good_files(index)
    # the file rewritten throughout the build: skipped as changing (two reads differed), or indexed as it stood
    # through two identical reads; either way the next build, once it is still, indexes exactly what it holds
    print(f"  (the file rewritten throughout: {changing or 'indexed as it stood during two identical reads'})")
    assert changing is None or changing.startswith("the file changed while it was being read"), changing
    assert run_cli("build", "--corpus", corpus, "--index", index, env=HASH, timeout=GIVE_UP).returncode == 0
    rows = [json.loads(line) for line in (current_snapshot_dir(index) / "documents.jsonl").open(encoding="utf-8")]
    from rag.ingest.load import load_document

    final = load_document(corpus / "changing.txt", corpus)
    assert next(row["text"] for row in rows if row["source"] == "changing.txt") == final.text


@pytest.mark.slow  # each hostile file through the upload path, two of them stopped at a limit
def test_uploads_refuse_the_hostile_files_with_their_reasons(tmp_path, monkeypatch):
    from rag.core.config import load_settings
    from rag.ingest.corpus import store_upload
    from rag.ingest.workers import limits_from

    for name, value in HOSTILE_LIMITS.items():
        monkeypatch.setenv(name, value)
    limits = limits_from(load_settings())
    incoming, corpus = tmp_path / "incoming", tmp_path / "corpus"
    hostile = write_hostile_files(incoming)
    good = write_good_files(incoming)
    rows = []
    for path in sorted(incoming.iterdir()):
        if not path.is_file() or path.is_symlink():  # a browser uploads regular files only
            continue
        started = time.monotonic()
        ok, message = store_upload(path, corpus, 20 * 2**20, limits)
        rows.append((message.split(": ", 1)[0], ok, message, time.monotonic() - started))
    print("\nuploads (the file's time, its outcome):\n" + "\n".join(
        f"  {took:5.2f}s {'added  ' if ok else 'refused'} {message}" for _, ok, message, took in rows))
    refused = {name for name, ok, _, _ in rows if not ok}
    assert refused == set(hostile) - set(NAME_ONLY) - {"zero.txt"}  # names are sanitised on upload, not refused
    for name, ok, message, _ in rows:
        if not ok and name != "huge.txt":
            assert hostile[name] in message, (name, message)
    assert "over the 20 MB limit" in next(m for n, _, m, _ in rows if n == "huge.txt")  # never read
    added = [name for name, ok, _, _ in rows if ok]
    assert len(added) == len(good) + len(NAME_ONLY) == len(list(corpus.iterdir()))
    assert all(p.name.isascii() and p.name.isprintable() for p in corpus.iterdir())


@pytest.mark.slow  # a watcher's rebuild over the hostile files, under the parse limits
def test_rag_watch_indexes_the_good_files_beside_hostile_ones_and_settles(tmp_path, monkeypatch):
    from rag.app.api import index_status
    from rag.app.watch import CorpusWatcher

    for name, value in HASH.items():
        monkeypatch.setenv(name, value)
    corpus, index, staging = tmp_path / "corpus", tmp_path / "index", tmp_path / "staging"
    good = write_good_files(corpus)
    watcher = CorpusWatcher(corpus, index, debounce=0.5).start()
    try:
        _wait(lambda: len(watcher.events) >= 1 and not watcher.building, "the first build")
        hostile = write_hostile_files(staging)
        fingerprint = corpus_fingerprint(staging)
        started = time.monotonic()
        for path in staging.iterdir():
            path.rename(corpus / path.name)  # they land at once, as a move into a watched folder does
        _wait(lambda: len(watcher.events) >= 2 and not watcher.building and not index_status(corpus, index).stale,
              "the index taking in the hostile files")
        took = time.monotonic() - started
        events = list(watcher.events)
        print(f"\nrag watch: hostile files landed -> index up to date in {took:.1f}s; events: "
              + " | ".join(e.describe() for e in events))
        assert all(e.ok for e in events)
        manifest = read_manifest(current_snapshot_dir(index))
        assert set(manifest["files"]) == set(good) and set(manifest["skipped"]) == set(hostile)
        before = len(watcher.events)
        watcher.poke()  # an up-to-date index beside skipped files is not rebuilt again and again
        time.sleep(3)
        assert len(watcher.events) == before and not watcher.building
    finally:
        watcher.stop()
    moved = {k.replace(str(staging), str(corpus)): v for k, v in fingerprint.items()}
    assert {k: v for k, v in corpus_fingerprint(corpus).items() if k in moved} == moved
    _assert_answers_from_the_good_files(index)
