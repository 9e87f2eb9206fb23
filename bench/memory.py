"""What a serving process's resident memory is made of: loaded step by step in one process, the resident memory
(VmRSS) after each step, then ``rag serve`` itself after its background warm-up.

    python bench/memory.py                              # the bundled corpus (an index is built in a temporary folder)
    python bench/memory.py --index DIR --questions scifact   # an index built earlier (e.g. SciFact as a corpus)
    python bench/memory.py --serve                      # also start `rag serve` and read its memory after warm-up

Steps: the Python interpreter with ``rag`` imported; the embedder (MiniLM on OpenVINO); the index snapshot
(documents, chunks, vectors, BM25; the stored sentence vectors are memory-mapped and counted when read); the answer
scorer and the support model (two cross-encoders on OpenVINO); spaCy's pipeline; then the answers themselves (the
per-text caches and whatever the runtimes keep). Each step's figure is what it added. Figures are printed, never
asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
BENCH_DATA = Path(os.environ.get("BENCH_DATA", ROOT.parent / "shared" / "bench-data"))


def rss_mb(pid: int | None = None) -> float:
    for line in Path(f"/proc/{pid or os.getpid()}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def questions(which: str, n: int) -> list[str]:
    if which == "scifact":
        from rag.app.beir import read_beir

        return list(read_beir(BENCH_DATA / "scifact")[1].values())[:n]
    from rag.app.evaluate import load_qa

    return [q.question for q in load_qa(ROOT / "tests" / "data" / "qa.jsonl") if not q.history][:n]


def steps(index: Path, which: str, n: int) -> list[tuple[str, float]]:
    """(step, MB it added) in loading order, and the total last."""
    out, last = [], rss_mb()
    out.append(("Python interpreter", last))

    def step(name: str, fn) -> None:
        nonlocal last
        fn()
        now = rss_mb()
        out.append((name, now - last))
        last = now

    def imports() -> None:
        import numpy  # noqa: F401

        import rag.app.api  # noqa: F401
        import rag.index.snapshot  # noqa: F401

    step("import rag, numpy", imports)
    from rag import answer
    from rag.encoders.scorer import answer_scorer, support_model
    from rag.index.snapshot import load_index
    from rag.text import nlp

    holder: dict = {}
    step("index snapshot (documents, chunks, vectors, BM25)", lambda: holder.update(snap=load_index(index)))
    snap = holder["snap"]
    out[-1] = (out[-1][0] + f": {len(snap.chunks):,} chunks, vectors {snap.vectors.nbytes / 2**20:.1f} MB", out[-1][1])

    def embedder() -> None:
        from rag.encoders.cache import vector_cache

        vector_cache(snap)(["warm"])

    step("embedder (MiniLM, OpenVINO) and the stored sentence vectors' keys", embedder)
    step("answer scorer (cross-encoder, OpenVINO)", answer_scorer)
    step("support model (cross-encoder, OpenVINO)", support_model)
    step("spaCy pipeline (en_core_web_sm)", lambda: nlp.entities("Warm up the pipeline in Paris."))
    qs = questions(which, n)
    step(f"{len(qs)} answers (per-text caches, runtime buffers, mapped vector rows)",
         lambda: [answer(q, index_dir=index) for q in qs])
    out.append(("total", rss_mb()))
    return out


def serve_rss(index: Path, corpus: Path, port: int = 7911, settle_s: float = 60.0) -> float:
    """``rag serve``'s resident memory once its warm-up answer and background warm-up are done (waits
    ``settle_s`` after the URL is printed)."""
    env = dict(os.environ, RAG_INDEX_DIR=str(index), RAG_CORPUS_DIR=str(corpus))
    proc = subprocess.Popen([sys.executable, "-m", "rag", "serve", "--port", str(port)], env=env, cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 300
        for line in proc.stdout:
            if f":{port}" in line or time.monotonic() > deadline:
                break
        time.sleep(settle_s)
        return rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--index", type=Path, help="an index built earlier (default: the bundled corpus, built here)")
    ap.add_argument("--corpus", type=Path, default=ROOT / "corpus", help="its corpus (for --serve)")
    ap.add_argument("--questions", default="bundled", choices=["bundled", "scifact"])
    ap.add_argument("-n", type=int, default=100, help="answers in the last step")
    ap.add_argument("--serve", action="store_true", help="also measure `rag serve` after its warm-up")
    args = ap.parse_args()
    index = args.index
    if index is None:
        from rag import build_index

        index = Path(tempfile.mkdtemp()) / "index"
        build_index(args.corpus, index)
    rows = steps(index, args.questions, args.n)
    for name, mb in rows:
        print(f"{mb:8.1f} MB  {name}")
    result = {"index": str(index), "steps_mb": {k: round(v, 1) for k, v in rows}}
    if args.serve:
        result["rag_serve_rss_mb"] = round(serve_rss(index, args.corpus), 1)
        print(f"{result['rag_serve_rss_mb']:8.1f} MB  rag serve, after its warm-up")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
