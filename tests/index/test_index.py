"""Index: incremental builds, full rebuild on settings change, atomic swap, corruption detection, no pickle."""

import json
from pathlib import Path

import numpy as np
import pytest

import rag.index.build as index_mod
import rag.index.snapshot as snapshot_mod
from rag.core.errors import IndexCorruptError, IndexMissingError, IndexWriteError
from rag.index.build import build_index, index_status
from rag.index.snapshot import current_snapshot_dir, load_index, read_snapshot
from rag.ingest.chunk import ChunkerSettings
from rag.retrieval.hybrid import hybrid_search
from tests.helpers import CountingEmbedder


def _build(corpus, index, embedder, **kw):
    return build_index(corpus, index, embedder=embedder, chunker=ChunkerSettings(max_model_tokens=254, **kw))


class TestIncremental:
    def test_second_build_embeds_nothing(self, corpus_copy, tmp_path, counting_embedder):
        first = _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert (first.added, first.chunks_embedded) == (10, first.chunks_total) and first.chunks_total > 50
        counting_embedder.embedded.clear()
        second = _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert (second.unchanged, second.added, second.changed, second.chunks_embedded) == (10, 0, 0, 0)
        assert counting_embedder.embedded == []
        # the answerer's sentence and word vectors are built once too, and reported
        assert first.texts_embedded > 500 and "sentences and words" in first.summary() and second.texts_embedded == 0

    def test_edit_one_file_reembeds_only_its_changed_chunks(self, corpus_copy, tmp_path, counting_embedder):
        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        path = sorted(corpus_copy.glob("*.md"))[0]
        path.write_text(path.read_text(encoding="utf-8") + "\nSMIC announced a brand new 3nm node today.\n", encoding="utf-8")
        counting_embedder.embedded.clear()
        report = _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert (report.changed, report.unchanged) == (1, 9)
        assert 1 <= report.chunks_embedded <= 2
        # besides its chunks, only the new sentence and the words no article had before (for the vector cache)
        n = report.chunks_embedded
        chunks, others = counting_embedder.embedded[:n], counting_embedder.embedded[n:]
        assert all("3nm node today" in t for t in chunks)
        assert "SMIC announced a brand new 3nm node today." in others
        assert all(w in {"3nm", "brand"} or " " in w for w in others), others
        snap = load_index(tmp_path / "ix")
        assert hybrid_search(snap, "brand new 3nm node", 1)[0].chunk.source == path.name
        stored = snap.text_vectors()
        assert len(stored) == snap.manifest["counts"]["text_vectors"] > 500
        assert np.allclose(stored["SMIC announced a brand new 3nm node today."],
                           counting_embedder.inner.encode(["SMIC announced a brand new 3nm node today."])[0])

    def test_delete_and_add_files(self, corpus_copy, tmp_path, counting_embedder):
        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        victim = sorted(corpus_copy.glob("*.md"))[1]
        doc_id = read_snapshot(current_snapshot_dir(tmp_path / "ix")).manifest["files"][victim.name]["doc_id"]
        victim.unlink()
        (corpus_copy / "new.txt").write_text("Brand New Doc\n\nRapidus plans 2nm chips in Hokkaido.")
        report = _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert (report.removed, report.added, report.unchanged) == (1, 1, 9)
        snap = load_index(tmp_path / "ix")
        assert doc_id not in snap.documents and all(c.doc_id != doc_id for c in snap.chunks)
        assert snap.vectors.shape[0] == len(snap.chunks) == snap.bm25.size

    def test_changed_model_or_chunker_forces_full_rebuild(self, corpus_copy, tmp_path):
        first = _build(corpus_copy, tmp_path / "ix", CountingEmbedder())
        other_model = _build(corpus_copy, tmp_path / "ix", CountingEmbedder(key="hash-384-v2"))
        assert other_model.full_rebuild and other_model.chunks_embedded == other_model.chunks_total
        other_chunks = _build(corpus_copy, tmp_path / "ix", CountingEmbedder(key="hash-384-v2"), chunk_tokens=100)
        assert other_chunks.full_rebuild and other_chunks.chunks_total > first.chunks_total

    def test_build_never_modifies_the_corpus(self, corpus_copy, tmp_path, counting_embedder):
        before = {p: p.read_bytes() for p in corpus_copy.rglob("*") if p.is_file()}
        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert {p: p.read_bytes() for p in corpus_copy.rglob("*") if p.is_file()} == before


class TestAtomicity:
    def test_failure_midway_keeps_previous_index(self, corpus_copy, tmp_path, counting_embedder, monkeypatch):
        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        old = current_snapshot_dir(tmp_path / "ix")
        expected = [r.chunk.id for r in hybrid_search(load_index(tmp_path / "ix"), "EUV prototype Shenzhen", 3)]
        (corpus_copy / "extra.txt").write_text("Extra Doc\n\nSomething new about gallium exports.")

        def boom(*args, **kwargs):
            raise OSError("disk full (simulated)")

        monkeypatch.setattr(index_mod.BM25Index, "save", boom)
        with pytest.raises(IndexWriteError, match="simulated"):
            _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert current_snapshot_dir(tmp_path / "ix") == old
        snap = read_snapshot(old, full_check=True)
        assert [r.chunk.id for r in hybrid_search(snap, "EUV prototype Shenzhen", 3)] == expected
        monkeypatch.undo()
        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert not list((tmp_path / "ix").glob(".tmp-*"))

    def test_a_corpus_with_no_readable_article_is_refused_and_the_index_kept(self, corpus_copy, tmp_path,
                                                                             counting_embedder):
        """Emptying the corpus, or filling it with files that cannot be read, does not replace a good index with an
        empty one (which would answer "the articles do not say" to everything): the build says why and stops."""
        from rag.core.errors import DocumentError

        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        old = current_snapshot_dir(tmp_path / "ix")
        for path in corpus_copy.glob("*.md"):
            path.unlink()
        (corpus_copy / "blank.md").write_text("  \n")
        (corpus_copy / "binary.txt").write_bytes(b"\x00\x01\x02 not text")
        with pytest.raises(DocumentError, match=r"no readable articles.*left as it was") as refused:
            _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert "blank.md: empty file" in str(refused.value) and "binary.txt: binary data" in str(refused.value)
        assert current_snapshot_dir(tmp_path / "ix") == old and len(load_index(tmp_path / "ix").documents) == 10
        (tmp_path / "empty").mkdir()
        with pytest.raises(DocumentError, match="no readable articles to index; add .md"):
            _build(tmp_path / "empty", tmp_path / "other", counting_embedder)

    def test_missing_index_is_reported(self, tmp_path):
        with pytest.raises(IndexMissingError, match="rag build"):
            load_index(tmp_path / "nothing")
        assert not index_status(tmp_path, tmp_path / "nothing").exists


class TestCorruption:
    @pytest.mark.parametrize("name, damage", [
        ("vectors.npy", lambda p: p.write_bytes(p.read_bytes()[: len(p.read_bytes()) // 2])),
        ("chunks.jsonl", lambda p: p.write_text(p.read_text()[:-50])),
        ("manifest.json", lambda p: p.write_text("{not json")),
        ("bm25/params.json", lambda p: p.unlink()),
    ])
    def test_damaged_file_is_named(self, corpus_copy, tmp_path, counting_embedder, name, damage):
        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        snap_dir = current_snapshot_dir(tmp_path / "ix")
        damage(snap_dir / name)
        snapshot_mod._loaded.clear()
        with pytest.raises(IndexCorruptError) as err:
            load_index(tmp_path / "ix")
        assert name.split("/")[0] in str(err.value) and "rag build" in str(err.value)

    def test_vectors_that_are_not_numbers_are_refused_and_replaced(self, corpus_copy, tmp_path, counting_embedder):
        """An index an embedder wrote NaN into (OpenVINO's AMX kernels did, on one Xeon) is refused when loaded, naming
        the file, and the next build embeds every chunk again instead of reusing those vectors."""
        first = _build(corpus_copy, tmp_path / "ix", counting_embedder)
        path = current_snapshot_dir(tmp_path / "ix") / "vectors.npy"
        vectors = np.load(path)
        vectors[3] = np.nan
        np.save(path, vectors)
        snapshot_mod._loaded.clear()
        with pytest.raises(IndexCorruptError, match="not numbers") as err:
            load_index(tmp_path / "ix")
        assert "vectors.npy" in str(err.value) and "rag build" in str(err.value)
        counting_embedder.embedded.clear()
        report = _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert report.full_rebuild and report.chunks_embedded == first.chunks_total
        snapshot_mod._loaded.clear()
        assert np.isfinite(load_index(tmp_path / "ix").vectors).all()

    def test_same_size_bitflip_is_caught_by_full_check(self, corpus_copy, tmp_path, counting_embedder):
        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        path = current_snapshot_dir(tmp_path / "ix") / "vectors.npy"
        data = bytearray(path.read_bytes())
        data[-5] ^= 0xFF
        path.write_bytes(bytes(data))
        with pytest.raises(IndexCorruptError, match="checksum"):
            read_snapshot(path.parent, full_check=True)


def test_index_files_load_without_pickle(corpus_copy, tmp_path, counting_embedder):
    _build(corpus_copy, tmp_path / "ix", counting_embedder)
    snap_dir = current_snapshot_dir(tmp_path / "ix")
    for npy in snap_dir.rglob("*.npy"):
        np.load(npy, allow_pickle=False)
    for js in snap_dir.rglob("*.json"):
        json.loads(js.read_text())
    manifest = json.loads((snap_dir / "manifest.json").read_text())
    assert manifest["embedder"] == "hash-384" and manifest["chunker"]["chunk_tokens"] == 180
    assert set(manifest["files"]) == {p.name for p in corpus_copy.glob("*.md")}


def _edit_manifest(snap_dir: Path, edit) -> None:
    path = snap_dir / "manifest.json"
    manifest = json.loads(path.read_text())
    edit(manifest)
    path.write_text(json.dumps(manifest))


def _first(d: dict) -> dict:
    return next(iter(d.values()))


BROKEN_MANIFESTS = {
    "no counts": (lambda m: m.pop("counts"), "has no 'counts'"),
    "no embedder": (lambda m: m.pop("embedder"), "has no 'embedder'"),
    "no dense": (lambda m: m.pop("dense"), "has no 'dense'"),
    "no files": (lambda m: m.pop("files"), "has no 'files'"),
    "no chunker": (lambda m: m.pop("chunker"), "has no 'chunker'"),
    "no files_written": (lambda m: m.pop("files_written"), "has no 'files_written'"),
    "counts without chunks": (lambda m: m["counts"].pop("chunks"), "'counts' has no 'chunks'"),
    "counts a string": (lambda m: m.update(counts="many"), "'counts' should be dict"),
    "dense kind missing": (lambda m: m["dense"].clear(), "'dense' has no 'kind'"),
    "file entry without sha256": (lambda m: _first(m["files"]).pop("sha256"), "has no 'sha256'"),
    "file entry a list": (lambda m: m["files"].update({k: [] for k in list(m["files"])[:1]}), "is not a JSON object"),
    "checksums without bytes": (lambda m: _first(m["files_written"]).pop("bytes"), "has no 'bytes'"),
    "checksums do not cover vectors": (lambda m: m["files_written"].pop("vectors.npy"), "lacks vectors.npy"),
    "checksum of a file outside": (lambda m: m["files_written"].update({"../../x": {"bytes": 1, "sha256": ""}}),
                                   "outside the snapshot"),
    "format missing": (lambda m: m.pop("format"), "index format None"),
}


class TestBrokenManifest:
    @pytest.mark.parametrize("case", sorted(BROKEN_MANIFESTS))
    def test_is_a_named_error_everywhere_and_build_rebuilds_in_full(self, corpus_copy, tmp_path, counting_embedder,
                                                                      case):
        from click.testing import CliRunner

        from rag.cli.main import main

        edit, reason = BROKEN_MANIFESTS[case]
        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        snap_dir = current_snapshot_dir(tmp_path / "ix")
        _edit_manifest(snap_dir, edit)
        snapshot_mod._loaded.clear()
        with pytest.raises(IndexCorruptError, match=reason) as err:
            load_index(tmp_path / "ix")
        assert err.value.path == snap_dir / "manifest.json"
        status = index_status(corpus_copy, tmp_path / "ix")
        assert not status.exists and "manifest.json" in status.problem and reason in status.problem
        for args in (["status", "--corpus", str(corpus_copy)], ["check"], ["search", "EUV", "--corpus", str(corpus_copy)]):
            result = CliRunner().invoke(main, [*args, "--index", str(tmp_path / "ix")])
            assert "manifest.json" in result.output and "Traceback" not in result.output, (args, result.output)
            assert not isinstance(result.exception, (KeyError, TypeError, AttributeError)), result.exception
        counting_embedder.embedded.clear()
        report = _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert report.full_rebuild and "manifest.json" in report.full_rebuild_reason
        assert report.chunks_embedded == report.chunks_total and "previous index was unusable" in report.summary()
        assert current_snapshot_dir(tmp_path / "ix") != snap_dir
        read_snapshot(current_snapshot_dir(tmp_path / "ix"), full_check=True).verify(full=True)


class TestBrokenRecords:
    @pytest.mark.parametrize("name, damage, reason", [
        ("documents.jsonl", lambda rows: rows[0].pop("text"), "unexpected content"),
        ("chunks.jsonl", lambda rows: rows.__setitem__(0, [1, 2, 3]), "unexpected content"),
        ("chunks.jsonl", lambda rows: rows[0].update(start="zero"), "does not match its document|unexpected content"),
    ])
    def test_a_bad_record_names_its_file_and_build_recovers(self, corpus_copy, tmp_path, counting_embedder, name,
                                                            damage, reason):
        _build(corpus_copy, tmp_path / "ix", counting_embedder)
        snap_dir = current_snapshot_dir(tmp_path / "ix")
        path = snap_dir / name
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        damage(rows)
        path.write_text("".join(json.dumps(r) + "\n" for r in rows))
        _edit_manifest(snap_dir, lambda m: m["files_written"][name].update(bytes=path.stat().st_size))
        snapshot_mod._loaded.clear()
        with pytest.raises(IndexCorruptError, match=reason) as err:
            load_index(tmp_path / "ix")
        assert err.value.path == path
        report = _build(corpus_copy, tmp_path / "ix", counting_embedder)
        assert report.full_rebuild and name in report.full_rebuild_reason
        assert load_index(tmp_path / "ix").path != snap_dir


def test_every_corpus_gets_build_time_sentence_vectors_and_answers_read_them_past_the_lru(
        corpus_copy, tmp_path, counting_embedder):
    """Whatever its size, a corpus's sentences and words are embedded by the build and looked up by key when an
    answer meets them, without passing through the LRU: an LRU of 10 entries still embeds none of them (issue 33:
    before, corpora over 15,000 sentences stored none, and their answers embedded every sentence they read)."""
    from rag.encoders.cache import SnapshotVectors, VectorCache
    from rag.index.cache_texts import corpus_texts

    report = _build(corpus_copy, tmp_path / "ix", counting_embedder)
    snap = load_index(tmp_path / "ix")
    sentences, words = corpus_texts(snap)
    assert report.texts_embedded == len(sentences) + len(words) == snap.manifest["counts"]["text_vectors"]
    assert (snap.path / "text_keys.npy").is_file()
    counting_embedder.embedded.clear()
    embed = SnapshotVectors(VectorCache(counting_embedder, size=10), snap.text_vectors())
    texts = sentences + words[:500] + ["A question nobody stored?"]
    vectors = embed(texts)
    assert counting_embedder.embedded == ["A question nobody stored?"] and len(embed.data) == 1
    assert np.allclose(vectors, counting_embedder.inner.encode(texts), atol=1e-6)
    assert all(t in embed for t in texts) and "never seen" not in embed


def test_sentence_vectors_off_embeds_chunks_only_and_answers_still_embed_what_they_read(corpus_copy, tmp_path,
                                                                                        counting_embedder):
    """``sentence_vectors = false``: a faster build; answers embed the sentences they meet."""
    from rag.encoders.cache import vector_cache

    report = build_index(corpus_copy, tmp_path / "ix", embedder=counting_embedder, sentence_vectors=False,
                         chunker=ChunkerSettings(max_model_tokens=254))
    snap = load_index(tmp_path / "ix")
    assert report.texts_embedded == 0 and len(counting_embedder.embedded) == report.chunks_total
    assert snap.manifest["counts"]["text_vectors"] == 0 and len(snap.text_vectors()) == 0
    assert not (snap.path / "text_vectors.npy").exists()
    sentence = snap.documents[snap.chunks[0].doc_id].text[slice(*snap.chunks[0].sentence_spans[0])]
    assert vector_cache(snap)([sentence]).shape == (1, counting_embedder.dim)


def test_a_snapshot_without_stored_keys_finds_its_vectors_by_text(corpus_copy, tmp_path, counting_embedder):
    """Snapshots built before the keys were stored (issue 33) key their texts when first read."""
    from rag.index.cache_texts import corpus_texts

    _build(corpus_copy, tmp_path / "ix", counting_embedder)
    snap = read_snapshot(current_snapshot_dir(tmp_path / "ix"))
    (snap.path / "text_keys.npy").unlink()
    sentence = corpus_texts(snap)[0][3]
    assert np.allclose(snap.text_vectors()[sentence], counting_embedder.inner.encode([sentence])[0])
    assert sentence in set(snap.text_vectors())


def test_stored_rows_that_are_not_numbers_are_embedded_again(corpus_copy, tmp_path, counting_embedder, caplog):
    from rag.encoders.cache import SnapshotVectors, VectorCache
    from rag.index.cache_texts import StoredVectors, corpus_texts

    _build(corpus_copy, tmp_path / "ix", counting_embedder)
    snap = read_snapshot(current_snapshot_dir(tmp_path / "ix"))
    stored = snap.text_vectors()
    vectors = np.array(stored.vectors)
    vectors[0] = np.nan
    broken = StoredVectors(np.load(snap.path / "text_keys.npy"), vectors)
    first = corpus_texts(snap)[0][0]
    counting_embedder.embedded.clear()
    out = SnapshotVectors(VectorCache(counting_embedder), broken)([first])
    assert counting_embedder.embedded == [first] and np.isfinite(out).all() and "not numbers" in caplog.text


def test_stored_text_vectors_that_do_not_fit_are_ignored(corpus_copy, tmp_path, counting_embedder, caplog):
    """The stored sentence vectors are a cache: when they do not fit the embedder, they are logged and not used."""
    _build(corpus_copy, tmp_path / "ix", counting_embedder)
    snap = read_snapshot(current_snapshot_dir(tmp_path / "ix"))
    assert len(snap.text_vectors()) > 500
    snap.manifest["dim"], snap._text_vectors = 16, None  # as if the vectors had another width
    assert len(snap.text_vectors()) == 0 and "stored sentence vectors not used" in caplog.text


def test_a_missing_corpus_folder_is_a_clear_error_and_leaves_no_index_folder(tmp_path):
    from rag.core.errors import DocumentError

    index = tmp_path / "index"
    with pytest.raises(DocumentError, match="corpus folder does not exist"):
        build_index(tmp_path / "no-such-corpus", index)  # raised before the model loads or the lock is taken
    assert not index.exists()  # it once left index/.build.lock behind
