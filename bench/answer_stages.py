"""Where the time of one answer goes: per-stage p50 / p95 of :attr:`rag.Answer.timings` (retrieve, generate, verify,
conflicts, total) on a corpus, in a new process, without the server's warm-up.

    python bench/answer_stages.py --corpus bundled                       # chip-war dev questions, the bundled corpus
    python bench/answer_stages.py --corpus scifact --index /tmp/sf-idx   # SciFact's claims over its 5,183 abstracts
    python bench/answer_stages.py --corpus bundled --corpus scifact --markdown   # both, as a Markdown table
    python bench/answer_stages.py --corpus bundled --corpus scifact --index /tmp/b --index /tmp/rag-bench-scale/index-faiss-100000 --markdown
                                   # the README's table: the largest corpus of bench/scale.py, SciFact's claims
    python bench/answer_stages.py --corpus scifact --index DIR --profile 30      # cProfile of 30 answers, top 25

``--index`` reuses an index built earlier (built there when missing). Each corpus runs in its own subprocess, so its
caches and memory are its own; the first answer of that process is reported apart (``first_ms``) and left out of the
percentiles. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
BENCH_DATA = Path(os.environ.get("BENCH_DATA", ROOT.parent / "shared" / "bench-data"))
STAGES = ("retrieve", "generate", "verify", "conflicts", "total")


def scifact_corpus(folder: Path, limit: int | None = None) -> Path:
    """SciFact's abstracts as .txt files (title, blank line, abstract), as ``bench/run.py``'s scifact section."""
    folder.mkdir(parents=True, exist_ok=True)
    with open(BENCH_DATA / "scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if limit is not None and i >= limit:
                break
            row = json.loads(line)
            path = folder / f"{row['_id']}.txt"
            if not path.exists():
                path.write_text(f"{row.get('title') or row['_id']}\n\n{row['text']}\n", encoding="utf-8")
    return folder


def corpus_and_questions(name: str, n: int) -> tuple[Path, list[str]]:
    if name == "bundled":
        from rag.app.evaluate import load_qa

        return ROOT / "corpus", [q.question for q in load_qa(ROOT / "tests" / "data" / "qa.jsonl") if not q.history][:n]
    if name == "scifact":
        from rag.app.beir import read_beir

        folder = Path(tempfile.gettempdir()) / "rag-bench-scifact-corpus"
        _, queries, _ = read_beir(BENCH_DATA / "scifact")
        return scifact_corpus(folder), list(queries.values())[:n]
    raise SystemExit(f"unknown corpus {name!r}: bundled or scifact")


def pct(values: list[float], q: float) -> float:
    from rag.app.evaluate import percentile

    return percentile(values, q)


def record(a) -> dict:
    """What must not change when a change claims to change no answer (as ``bench/answer_snapshot.py``)."""
    return {"text": a.text, "status": a.status, "reason": a.reason, "confidence": a.confidence,
            "citations": [[c.marker, c.doc_id, c.start, c.end] for c in a.citations]}


def measure(name: str, index: Path | None, n: int, profile: int, out: Path | None = None) -> dict:
    """Answer ``n`` questions over corpus ``name`` in this process; per-stage percentiles in ms. ``out``: write every
    answer there (JSON, by question) to compare two versions of the code."""
    from rag import answer, build_index

    corpus, qs = corpus_and_questions(name, n)
    index = index or Path(tempfile.mkdtemp()) / "index"
    if not (index / "CURRENT").exists():
        build_index(corpus, index)
    t = time.perf_counter()
    first = answer(qs[0], index_dir=index)
    first_ms = 1000 * (time.perf_counter() - t)
    if profile:
        import cProfile
        import pstats

        prof = cProfile.Profile()
        prof.enable()
        for q in qs[1 : profile + 1]:
            answer(q, index_dir=index)
        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(25)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        return {}
    per: dict[str, list[float]] = {s: [] for s in STAGES}
    answers = {qs[0]: record(first)}
    for q in qs[1:]:
        a = answer(q, index_dir=index)
        answers[q] = record(a)
        for s in STAGES:
            per[s].append(1000 * a.timings.get(s, 0.0))
    if out is not None:
        out.write_text(json.dumps(answers, indent=1), encoding="utf-8")
    from rag.index.snapshot import load_index

    snap = load_index(index)
    return {"corpus": name, "documents": len(snap.documents), "chunks": len(snap.chunks), "questions": len(qs) - 1,
            "first_ms": round(first_ms, 1), "first_timings_ms": {k: round(1000 * v, 1) for k, v in first.timings.items()},
            **{f"{s}_p50_ms": round(pct(per[s], 0.5), 1) for s in STAGES},
            **{f"{s}_p95_ms": round(pct(per[s], 0.95), 1) for s in STAGES},
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)}


def markdown(rows: list[dict]) -> str:
    head = "| corpus (files, chunks, questions) | " + " | ".join(f"{s} p50 / p95 ms" for s in STAGES) + " |"
    lines = [head, "|" + "---|" * (len(STAGES) + 1)]
    for r in rows:
        cells = [f"{r[f'{s}_p50_ms']:.1f} / {r[f'{s}_p95_ms']:.1f}" for s in STAGES]
        lines.append(f"| {r['corpus']} ({r['documents']:,}, {r['chunks']:,}, {r['questions']}) | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", action="append", help="bundled (default) or scifact; repeatable")
    ap.add_argument("--index", type=Path, action="append",
                    help="index folder to reuse (built there when missing); repeatable, one per --corpus, in order")
    ap.add_argument("-n", type=int, default=201, help="questions per corpus, the first one reported apart")
    ap.add_argument("--profile", type=int, default=0, help="cProfile this many answers instead of timing")
    ap.add_argument("--markdown", action="store_true", help="also print the table as Markdown")
    ap.add_argument("--answers", type=Path, help="write every answer to this JSON file (one corpus only)")
    ap.add_argument("--diff", type=Path, help="an earlier --answers file: count the answers that differ")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = args.corpus or ["bundled"]
    indexes = args.index or []
    if args.child or args.profile:
        print(json.dumps(measure(names[0], indexes[0] if indexes else None, args.n, args.profile, args.answers)))
        return
    rows = []
    for i, name in enumerate(names):  # one process per corpus: its caches and peak memory are its own
        cmd = [sys.executable, __file__, "--child", "--corpus", name, "-n", str(args.n)]
        cmd += ["--index", str(indexes[i])] if i < len(indexes) else []
        cmd += ["--answers", str(args.answers)] if args.answers else []
        out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
        rows.append(json.loads(out.strip().splitlines()[-1]))
        print(json.dumps(rows[-1]), flush=True)
    if args.markdown:
        print(markdown(rows))
    if args.answers and args.diff:
        now, before = (json.loads(p.read_text(encoding="utf-8")) for p in (args.answers, args.diff))
        differing = [q for q in before.keys() | now.keys() if before.get(q) != now.get(q)]
        print(f"{len(differing)} of {len(now)} answers differ from {args.diff}")
        for q in differing[:10]:
            print(" ", json.dumps({"question": q, "before": before.get(q), "now": now.get(q)})[:600])


if __name__ == "__main__":
    main()
