"""Vector stores for real: FAISS (default) and Milvus through the real Milvus Lite engine (a file per test), no
mocks. Incremental builds touch only changed chunks, deletes remove a document's rows, Milvus returns the same
passages and answers as FAISS, and a build killed midway never shows a half-updated collection."""

import json
import signal
import time

import pytest

from rag.app.api import answer, search
from rag.app.evaluate import load_qa
from rag.core.config import load_settings
from rag.core.errors import ConfigError, IndexCorruptError
from rag.index.build import build_index
from rag.index.snapshot import current_snapshot_dir, load_index, read_snapshot
from rag.index.stores import StoreSpec, VectorStore
from rag.index.stores.milvus_store import close_clients
from rag.ingest.chunk import ChunkerSettings
from rag.retrieval.hybrid import hybrid_search
from tests.helpers import CORPUS, QA, CountingEmbedder, copy_corpus, copy_index, start_cli

MILVUS = StoreSpec("milvus")


@pytest.fixture(autouse=True)
def _release_milvus():
    """Milvus Lite holds a lock on its file: release it after each test (and before a subprocess opens it)."""
    yield
    close_clients()


def _build(corpus, index, embedder, store=MILVUS):
    return build_index(corpus, index, embedder=embedder, chunker=ChunkerSettings(max_model_tokens=254), store=store)


def _store(index):
    return load_index(index).dense


def _rows(index, doc_id):
    store = _store(index)
    return store.client.query(store.collection, filter=f'doc_id == "{doc_id}"', output_fields=["id", "gen"])


def test_milvus_incremental_build_update_and_delete(corpus_copy, tmp_path, counting_embedder):
    index = tmp_path / "ix"
    first = _build(corpus_copy, index, counting_embedder)
    snap = load_index(index)
    record = snap.manifest["store"]
    assert record["kind"] == "milvus" and record["uri"] == "milvus.db" and (index / "milvus.db").exists()
    assert isinstance(snap.dense, VectorStore) and snap.dense.count() == len(snap.chunks) == first.chunks_total
    assert record["inserted"] == first.chunks_total and "milvus_token" not in json.dumps(snap.manifest)
    snap.verify(full=True)  # every chunk id has a visible row

    counting_embedder.embedded.clear()
    again = _build(corpus_copy, index, counting_embedder)
    rec2 = load_index(index).manifest["store"]
    assert again.chunks_embedded == 0 and rec2["inserted"] == 0 and rec2["removed"] == []
    assert rec2["collection"] == record["collection"] and rec2["generation"] == record["generation"] + 1

    # edit one article: only its changed chunk is inserted, the replaced one deleted after the switch
    path = sorted(corpus_copy.glob("*.md"))[0]
    path.write_text(path.read_text(encoding="utf-8") + "\nSMIC announced a brand new 3nm node today.\n", encoding="utf-8")
    edited = _build(corpus_copy, index, counting_embedder)
    snap = load_index(index)
    rec3 = snap.manifest["store"]
    assert rec3["collection"] == record["collection"] and rec3["inserted"] == edited.chunks_embedded >= 1
    assert 1 <= len(rec3["removed"]) <= 2 and snap.dense.missing(rec3["removed"]) == rec3["removed"]
    assert snap.dense.count() == len(snap.chunks)
    assert hybrid_search(snap, "brand new 3nm node", 1)[0].chunk.source == path.name

    # delete one article, add another: the deleted article's rows are gone from the collection
    victim = sorted(corpus_copy.glob("*.md"))[1]
    doc_id = snap.manifest["files"][victim.name]["doc_id"]
    assert _rows(index, doc_id)
    victim.unlink()
    (corpus_copy / "new.txt").write_text("Brand New Doc\n\nRapidus plans 2nm chips in Hokkaido.")
    report = _build(corpus_copy, index, counting_embedder)
    assert (report.removed, report.added) == (1, 1)
    snap = load_index(index)
    assert _rows(index, doc_id) == [] and snap.dense.count() == len(snap.chunks)
    assert hybrid_search(snap, "Rapidus 2nm Hokkaido", 1)[0].chunk.source == "new.txt"
    snap.verify(full=True)

    # the store contract's own delete_documents and upsert work on the live collection
    store = snap.dense
    some = snap.chunks[0]
    assert store.delete_documents([some.doc_id]) >= 1 and _rows(index, some.doc_id) == []
    with pytest.raises(IndexCorruptError, match="visible vectors"):
        snap.verify(full=True)
    store.write_generation = store.generation
    store.upsert([some.id], [some.doc_id], snap.vectors[[0]])
    assert [r["id"] for r in _rows(index, some.doc_id)] == [some.id]


def test_store_switch_and_full_rebuild_use_a_new_collection(corpus_copy, tmp_path, counting_embedder):
    index = tmp_path / "ix"
    _build(corpus_copy, index, counting_embedder, store=StoreSpec("faiss"))
    assert load_index(index).manifest["store"] == {"kind": "faiss", "index": "flat"}
    counting_embedder.embedded.clear()
    _build(corpus_copy, index, counting_embedder)  # faiss -> milvus: no re-embedding, every row inserted
    first = load_index(index).manifest["store"]
    assert counting_embedder.embedded == [] and first["inserted"] == len(load_index(index).chunks)
    other = CountingEmbedder(key="hash-384-v2")  # another embedder: full rebuild into a fresh collection
    _build(corpus_copy, index, other)
    second = load_index(index).manifest["store"]
    assert second["collection"] != first["collection"] and second["index_id"] == first["index_id"]
    _build(corpus_copy, index, CountingEmbedder(key="hash-384-v3"))
    third = load_index(index).manifest["store"]
    names = _store(index).own_collections()
    # the previous snapshot is kept on disk (with its collection); the one before it and its collection are gone
    assert set(names) == {second["collection"], third["collection"]}


@pytest.fixture(scope="module")
def milvus_real_index(real_index, tmp_path_factory):
    """The real MiniLM index, rebuilt onto Milvus Lite: same chunks and vectors (reused, not re-embedded)."""
    index = copy_index(real_index, tmp_path_factory.mktemp("milvus") / "index")
    from rag.app.api import build_index as api_build

    report = api_build(CORPUS, index, store="milvus")
    assert report.chunks_embedded == 0
    yield index
    close_clients()


def test_milvus_returns_the_same_passages_as_faiss(real_index, milvus_real_index):
    assert load_index(milvus_real_index).dense.kind == "milvus" and load_index(real_index).dense.kind == "faiss"
    questions = [q for q in load_qa(QA) if q.answerable and not q.history]
    assert len(questions) >= 25
    for q in questions:
        faiss_top = [r.chunk.id for r in search(q.question, k=5, index_dir=real_index)]
        milvus_top = [r.chunk.id for r in search(q.question, k=5, index_dir=milvus_real_index)]
        assert milvus_top == faiss_top, q.question
        snap_f, snap_m = load_index(real_index), load_index(milvus_real_index)
        qvec = snap_f.vectors[0]
        ids_f, scores_f = snap_f.dense.search(qvec, 10)
        ids_m, scores_m = snap_m.dense.search(qvec, 10)
        assert ids_m == ids_f and abs(scores_m - scores_f).max() < 1e-4


def test_whole_answer_path_on_milvus(real_index, milvus_real_index):
    for q in ["What node did SMIC reach without EUV lithography?", "What is the salary of Huawei's CEO?"]:
        on_faiss = answer(q, index_dir=real_index)
        on_milvus = answer(q, index_dir=milvus_real_index)
        assert on_milvus.text == on_faiss.text and on_milvus.abstained == on_faiss.abstained
        assert [c.quote for c in on_milvus.citations] == [c.quote for c in on_faiss.citations]
        docs = load_index(milvus_real_index).documents
        assert all(docs[c.doc_id].text[c.start : c.end] == c.quote for c in on_milvus.citations)


def test_store_settings_are_validated():
    with pytest.raises(ConfigError, match="store must be one of"):
        load_settings(store="elastic")
    with pytest.raises(ConfigError, match="milvus_uri must be"):
        load_settings(milvus_uri="index/milvus")
    with pytest.raises(ConfigError, match="milvus_uri must start with"):
        load_settings(milvus_uri="ftp://host:19530")
    assert load_settings(store="milvus", milvus_uri="http://milvus:19530").milvus_uri == "http://milvus:19530"


KNOWN = "Which company built the Kirin 9030 on its N+3 node?"


@pytest.mark.slow  # 10 `rag build`/`rag ask` processes on Milvus Lite, 6 of them killed
def test_kill_during_milvus_build_keeps_queries_on_the_old_collection(tmp_path):
    corpus, index = copy_corpus(tmp_path / "corpus"), tmp_path / "index"
    env = {"RAG_EMBEDDER": "hash", "RAG_STORE": "milvus"}
    base = ["--corpus", str(corpus), "--index", str(index)]
    first = start_cli("build", *base, env=env)
    assert first.wait(timeout=300) == 0, first.stderr.read().decode()[-2000:]
    snap = read_snapshot(current_snapshot_dir(index), full_check=True)
    snap.verify(full=True)
    expected = [r.chunk.id for r in hybrid_search(snap, KNOWN, 5)]
    live = snap.manifest["store"]
    close_clients()
    # an incremental build that inserts many rows: 30 new articles (copies with new ids), timed to spread the kills
    for i in range(30):
        for src in sorted(CORPUS.glob("*.md"))[:1]:
            text = src.read_text(encoding="utf-8").replace("\nid: ", f"\nid: extra{i}-", 1)
            (corpus / f"extra{i}-{src.name}").write_text(text + f"\nExtra marker {i}.\n", encoding="utf-8")
    probe_index = tmp_path / "probe"  # the same work into another index, to spread the kills over a build
    started = time.perf_counter()
    probe = start_cli("build", "--corpus", str(corpus), "--index", str(probe_index), env=env)
    assert probe.wait(timeout=300) == 0, probe.stderr.read().decode()[-2000:]
    duration = time.perf_counter() - started
    new_docs = len(read_snapshot(current_snapshot_dir(probe_index)).documents)
    close_clients()
    kills, switched, orphans = 6, 0, 0
    for i in range(kills):
        proc = start_cli("build", *base, env=env)
        time.sleep(duration * (i + 0.5) / kills)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        close_clients()
        snap = read_snapshot(current_snapshot_dir(index), full_check=True)
        snap.verify(full=True)
        record = snap.manifest["store"]
        if record["generation"] == live["generation"]:  # the kill came before the switch: the old snapshot
            assert [r.chunk.id for r in hybrid_search(snap, KNOWN, 5)] == expected
            # rows the killed build inserted (generation + 1) are invisible to it
            assert snap.dense.count() == len(snap.chunks)
            raw = snap.dense.client.query(record["collection"], filter=f"gen > {record['generation']}",
                                          output_fields=["count(*)"])
            orphans = max(orphans, int(raw[0]["count(*)"]) if raw else 0)
        else:  # the build finished its switch before the kill: the new snapshot is complete
            assert len(snap.documents) == new_docs
            switched += 1
        close_clients()
    print(f"{kills} kills: {kills - switched} before the switch (old collection served), {switched} after it; "
          f"up to {orphans} rows of a killed build were in the collection, invisible to queries")
    assert kills - switched >= 2  # the check above really ran against interrupted builds
    # a normal build afterwards cleans up and the CLI answers from the Milvus index
    done = start_cli("build", *base, env=env)
    assert done.wait(timeout=300) == 0, done.stderr.read().decode()[-2000:]
    close_clients()
    asked = start_cli("ask", KNOWN, *base, env=env)
    out, err = asked.communicate(timeout=300)
    assert asked.returncode == 0, err.decode()[-2000:]
    assert "Sources:" in out.decode() or "do not say" in out.decode()
    snap = read_snapshot(current_snapshot_dir(index), full_check=True)
    snap.verify(full=True)
    assert snap.dense.count() == len(snap.chunks) and snap.manifest["store"]["kind"] == "milvus"


def test_rows_of_an_unfinished_build_are_invisible_and_cleaned_up(corpus_copy, tmp_path, counting_embedder):
    """What a build killed between its inserts and its switch leaves behind, written with the store's own calls."""
    index = tmp_path / "ix"
    _build(corpus_copy, index, counting_embedder)
    snap = load_index(index)
    before = [r.chunk.id for r in hybrid_search(snap, KNOWN, 5)]
    g = snap.manifest["store"]["generation"]
    from rag.index.stores.milvus_store import MilvusStore

    half = MilvusStore(snap.dense.uri, snap.dense.collection, snap.vectors.shape[1], g, write_generation=g + 1)
    fake_ids = [f"unfinished{i}" for i in range(50)]
    half.upsert(fake_ids, ["unfinished"] * 50, snap.vectors[:50])  # near-copies of real chunks: would rank high
    assert snap.dense.count() == len(snap.chunks) and snap.dense.missing(fake_ids) == fake_ids
    assert [r.chunk.id for r in hybrid_search(snap, KNOWN, 5)] == before
    assert not set(snap.dense.search(snap.vectors[0], 20)[0]) & set(fake_ids)
    _build(corpus_copy, index, counting_embedder)  # the next build removes the leftovers before writing
    raw = _store(index).client.query(snap.dense.collection, filter='doc_id == "unfinished"', output_fields=["id"])
    assert raw == [] and load_index(index).manifest["store"]["generation"] == g + 1


def test_snapshots_map_their_vectors_and_an_hnsw_one_updates(corpus_copy, tmp_path, counting_embedder):
    """FAISS keeps its own copy of the vectors (flat, or HNSW above the exact-search limit): the snapshot maps
    vectors.npy instead of loading a second copy; HNSW searches like the flat index, and an incremental build (which
    reads the mapped rows) still works."""
    import numpy as np

    def build(index, kind):
        return build_index(corpus_copy, index, embedder=counting_embedder, dense_kind=kind,
                           chunker=ChunkerSettings(max_model_tokens=254))

    build(tmp_path / "flat", "flat")
    build(tmp_path / "hnsw", "hnsw")
    flat, hnsw = load_index(tmp_path / "flat"), load_index(tmp_path / "hnsw")
    assert hnsw.manifest["dense"]["kind"] == "hnsw" and flat.manifest["dense"]["kind"] == "flat"
    assert isinstance(hnsw.vectors, np.memmap) and isinstance(flat.vectors, np.memmap)
    assert np.array_equal(np.asarray(hnsw.vectors), flat.vectors)
    query = flat.vectors[3]
    assert hnsw.dense.search(query, 3)[0][0] == flat.dense.search(query, 3)[0][0] == flat.chunks[3].id
    doc = sorted(corpus_copy.glob("*.md"))[0]
    doc.write_text(doc.read_text(encoding="utf-8") + "\n\nA new closing paragraph about wafer supply.\n",
                   encoding="utf-8")
    counting_embedder.embedded.clear()
    report = build(tmp_path / "hnsw", "hnsw")
    again = load_index(tmp_path / "hnsw")
    assert 0 < report.chunks_embedded < report.chunks_total and again.dense.count() == len(again.chunks)
    again.verify(full=True)
