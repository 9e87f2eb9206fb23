"""Cost as the corpus grows: build, incremental rebuild, search, answer, first answer, disk and memory, from about a
thousand to about a million chunks, on FAISS (the default store) and on Milvus Lite (up to ``--milvus-max``).

    python bench/scale.py --vectors-from INDEX                       # 1k, 10k, 100k, 1M chunks (about 1.5 h on 2 cores)
    python bench/scale.py --vectors-from INDEX --sizes 1000,10000 --stores faiss
    python bench/scale.py --plot docs/scale.json                     # redraw docs/scale.png and the table from a run
    python bench/scale.py --plot a.json b.json --out docs/scale.json # one table and figure from runs of several sizes
    python bench/scale.py --plot docs/scale.json --serve-rounds 2    # time the serving figures twice more first

**Text.** SciFact's 5,183 abstracts (public BEIR data, ``$BENCH_DATA/scifact``) as .txt files, as in
``bench/run.py --scifact``: the first ones for the smaller sizes (about 2.4 chunks an abstract), all of them, then
copies of all of them whose title starts with ``[r2] ``, ``[r3] ``, ... for the larger ones. A copy's body is its
original's, so its sentences and words are the original's (a build stores each once) and its chunks differ from the
original's by the title only.

**Vectors: embedded once, reused.** Embedding is the bulk of a build (about 20 ms a chunk and 13 ms a sentence on
these two cores) and would take hours at 100k chunks, so every build here gets its vectors from ``--vectors-from``, an
index of the SciFact corpus built once (any size up to all 5,183 abstracts reads it): the build code runs as always,
only ``encode`` finds its texts there (the time it takes to find them is left out of ``build_s``) (by text, a copy's title marker removed) instead of running MiniLM. A copy's
chunk vector is its original's plus a little seeded noise (cosine about 0.95), so copies are near neighbours without
being collapsed as duplicates of each other. Texts it does not hold (the edited files of the incremental rebuild,
queries) are embedded for real. ``embed_s_estimate`` is what MiniLM would have taken for the texts the build got from
the store (their word pieces times MiniLM's seconds per word piece, measured in the same process), and
``full_build_s_estimate`` adds it to the measured build: the figure a build that embeds everything would show.

Each measurement runs in its own process: the build (peak memory of the build), the 1% incremental rebuild, and the
serving process (time to the first answer from a bare interpreter, then search and answer percentiles over SciFact's
queries, then its peak memory). With Milvus Lite its engine is a child process: memory is sampled over the process
tree. One JSON line per (store, size) is printed and all are saved to ``--out``; ``--plot`` draws each figure
against corpus size on log-log axes, with the growth exponent fitted over the sizes run, into ``--png``.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
os.environ.setdefault("HF_HUB_OFFLINE", "1")
BENCH_DATA = Path(os.environ.get("BENCH_DATA", ROOT.parent / "shared" / "bench-data"))
WORK = Path(tempfile.gettempdir()) / "rag-bench-scale"
CHUNKS_PER_ABSTRACT = 12401 / 5183
COPY = re.compile(r"\[r(\d+)\] ")
COPY_NOISE = 0.012
"""Standard deviation of the noise added to a copy's chunk vector per dimension (cosine to the original about 0.95)."""
SEARCHES, ANSWERS = 200, 100
MILVUS_MAX = 100_000
"""Milvus Lite searches by brute force (README, Scaling): about 1.4 s a query at a million vectors
(``bench/stores.py``), so the 300 searches and answers of a serving run would take several minutes there and only
restate that figure; larger corpora belong on a Milvus server."""
SERVED = ("first_answer_s", "search_p50_ms", "search_p95_ms", "answer_p50_ms", "answer_p95_ms", "retrieve_p50_ms",
          "generate_p50_ms", "verify_p50_ms", "conflicts_p50_ms", "serve_peak_rss_mb")
FIGURES = [("full_build_s_estimate", "full build, s (estimated: vectors reused)"),
           ("build_s", "build with vectors reused, s"), ("incremental_s", "rebuild after editing 1% of files, s"),
           ("search_p50_ms", "search p50, ms"), ("answer_p50_ms", "extractive answer p50, ms"),
           ("first_answer_s", "new process to first answer, s"), ("disk_mb", "index on disk, MB"),
           ("build_peak_rss_mb", "peak memory, build, MB"), ("serve_peak_rss_mb", "peak memory, serving, MB")]


# --------------------------------------------------------------------------------------------------- the corpus

def abstracts() -> list[dict]:
    with open(BENCH_DATA / "scifact" / "corpus.jsonl", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


def make_corpus(chunks: int) -> Path:
    """A folder of about ``chunks`` chunks (see the module docstring), made once per size."""
    folder = WORK / f"corpus-{chunks}"
    if (folder / ".done").exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    rows = abstracts()
    wanted = round(chunks / CHUNKS_PER_ABSTRACT)
    for n in range(wanted):
        row, copy = rows[n % len(rows)], n // len(rows) + 1
        title = row.get("title") or row["_id"]
        name = f"{row['_id']}.txt" if copy == 1 else f"{row['_id']}-r{copy}.txt"
        title = title if copy == 1 else f"[r{copy}] {title}"
        (folder / name).write_text(f"{title}\n\n{row['text']}\n", encoding="utf-8")
    (folder / ".done").write_text("")
    return folder


def edit_one_percent(corpus: Path) -> dict[Path, str]:
    """Append a new sentence to 1% of the files (every 100th by name); their texts before, to undo it."""
    files = {path: path.read_text(encoding="utf-8") for path in sorted(corpus.glob("*.txt"))[::100]}
    for i, (path, text) in enumerate(files.items()):
        path.write_text(text + f"\nA follow-up study number {i} reported the same.\n", encoding="utf-8")
    return files


# --------------------------------------------------------------------------------------------------- vectors reused

class ReusedVectors:
    """An embedder that finds its texts' vectors in an index built earlier (see the module docstring); what it does
    not hold, it embeds with the real model. Counts what it reused and what it embedded."""

    def __init__(self, index: Path):
        import numpy as np

        from rag.encoders.registry import embedder_for_key
        from rag.index.snapshot import load_index

        snap = load_index(index)
        self.real = embedder_for_key(snap.embedder_key)
        self.key, self.dim, self.max_tokens = self.real.key, self.real.dim, self.real.max_tokens
        self.token_counter = getattr(self.real, "token_counter", None)
        self.rows = {c.embedding_text: i for i, c in enumerate(snap.chunks)}
        self.vectors = np.asarray(snap.vectors)
        self.stored = snap.text_vectors()
        self.reused_pieces = self.reused = self.embedded = 0
        self.lookup_s = 0.0  # spent finding reused vectors: taken out of the build's time

    def count_tokens(self, text: str) -> int:
        return self.real.count_tokens(text)

    def _one(self, text: str):
        import numpy as np

        m = COPY.match(text)
        base = text[m.end():] if m else text
        row = self.rows.get(base)
        if row is not None:
            vec = self.vectors[row].copy()
            if m:  # a copy's chunk: near its original, not a duplicate of it
                rng = np.random.default_rng(zlib.crc32(text.encode()))
                vec += rng.normal(0, COPY_NOISE, vec.shape).astype(np.float32)
                vec /= np.linalg.norm(vec)
            return vec
        if base in self.stored:
            return self.stored[base]
        return None

    def encode(self, texts, progress=None):
        import numpy as np

        started = time.perf_counter()
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        todo = []
        for i, text in enumerate(texts):
            vec = self._one(text)
            if vec is None:
                todo.append(i)
            else:
                out[i] = vec
                self.reused += 1
                self.reused_pieces += self.real.count_tokens(text) + 2  # with [CLS] and [SEP]
        self.lookup_s += time.perf_counter() - started
        if todo:
            out[todo] = self.real.encode([texts[i] for i in todo])
            self.embedded += len(todo)
        if progress:
            progress(len(texts))
        return out


def seconds_per_piece(embedder) -> float:
    """MiniLM's seconds per word piece on a sample of SciFact chunks, sentences and words, in this process (the
    build path: long texts batched, short ones on the latency model)."""
    from rag.ingest.load import load_corpus

    docs = load_corpus(make_corpus(1000)).documents[:60]
    words = list(dict.fromkeys(w for d in docs for w in d.text.split()))[:400]
    texts = [d.text[:900] for d in docs] + [s for d in docs for s in d.text.split(". ")][:400] + words
    pieces = sum(embedder.count_tokens(t) + 2 for t in texts)
    embedder.encode(texts[:8])
    t = time.perf_counter()
    embedder.encode(texts)
    return (time.perf_counter() - t) / pieces


# --------------------------------------------------------------------------------------------------- measuring

def tree_rss_mb(pid: int) -> float:
    """Resident memory of ``pid`` and its descendants (Milvus Lite's engine is a child process)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
    todo, total = [pid], 0.0
    while todo:
        p = todo.pop()
        try:
            total += int(next(x for x in Path(f"/proc/{p}/status").read_text().splitlines()
                              if x.startswith("VmRSS:")).split()[1]) / 1024
        except (OSError, StopIteration):
            pass
        todo += [c for c, pp in parents.items() if pp == p]
    return total


class PeakTree:
    """Samples the process tree's resident memory every 0.2 s; ``peak`` in MB (at least this process's ru_maxrss)."""

    def __enter__(self) -> PeakTree:
        self.peak, self._stop = 0.0, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            self.peak = max(self.peak, tree_rss_mb(os.getpid()))

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, tree_rss_mb(os.getpid()),
                        resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)


def disk_mb(folder: Path) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 2**20


def pct(values: list[float], q: float) -> float:
    from rag.app.evaluate import percentile

    return percentile(values, q)


def child_build(store: str, chunks: int, vectors_from: Path, incremental: bool) -> dict:
    from rag.app.api import build_index

    corpus, index = make_corpus(chunks), WORK / f"index-{store}-{chunks}"
    if not incremental:
        shutil.rmtree(index, ignore_errors=True)
    embedder = ReusedVectors(vectors_from)
    per_piece = seconds_per_piece(embedder.real) if not incremental else 0.0
    edited = edit_one_percent(corpus) if incremental else {}
    try:
        with PeakTree() as peak:
            t = time.perf_counter()
            report = build_index(corpus, index, embedder=embedder, store=store)
            seconds = time.perf_counter() - t - embedder.lookup_s
    finally:  # the next store builds the corpus as it was
        for path, text in edited.items():
            path.write_text(text, encoding="utf-8")
    if incremental:
        return {"incremental_s": round(seconds, 2), "files_edited": len(edited), "incremental_chunks_embedded":
                report.chunks_embedded, "incremental_texts_embedded": report.texts_embedded}
    estimate = embedder.reused_pieces * per_piece
    return {"store": store, "documents": report.added, "chunks": report.chunks_total,
            "texts_stored": report.texts_embedded, "build_s": round(seconds, 2),
            "chunks_per_s_vectors_reused": round(report.chunks_total / seconds, 1),
            "vectors_reused": embedder.reused, "texts_embedded_for_real": embedder.embedded,
            "pieces_reused": embedder.reused_pieces,
            "embed_ms_per_1k_pieces": round(1e6 * per_piece, 2), "embed_s_estimate": round(estimate, 1),
            "full_build_s_estimate": round(seconds + estimate, 1),
            "full_build_chunks_per_s_estimate": round(report.chunks_total / (seconds + estimate), 1),
            "disk_mb": round(disk_mb(index), 1), "build_peak_rss_mb": round(peak.peak)}


def child_serve(store: str, chunks: int, started: float) -> dict:
    from rag import answer, search
    from rag.app.beir import read_beir

    index = WORK / f"index-{store}-{chunks}"
    _, queries, _ = read_beir(BENCH_DATA / "scifact")
    qs = list(queries.values())
    with PeakTree() as peak:
        answer(qs[0], index_dir=index)
        first = time.perf_counter() - started
        search_t, answer_t, stages = [], [], {s: [] for s in ("retrieve", "generate", "verify", "conflicts")}
        for q in qs[1 : SEARCHES + 1]:
            t = time.perf_counter()
            search(q, index_dir=index)
            search_t.append(time.perf_counter() - t)
        for q in qs[SEARCHES + 1 : SEARCHES + ANSWERS + 1]:
            t = time.perf_counter()
            a = answer(q, index_dir=index)
            answer_t.append(time.perf_counter() - t)
            for s in stages:
                stages[s].append(a.timings.get(s, 0.0))
    return {"first_answer_s": round(first, 2),
            "search_p50_ms": round(1000 * pct(search_t, 0.5), 2), "search_p95_ms": round(1000 * pct(search_t, 0.95), 2),
            "answer_p50_ms": round(1000 * pct(answer_t, 0.5), 1), "answer_p95_ms": round(1000 * pct(answer_t, 0.95), 1),
            **{f"{s}_p50_ms": round(1000 * pct(v, 0.5), 1) for s, v in stages.items()},
            "serve_peak_rss_mb": round(peak.peak)}


def run_child(*args: str) -> dict:
    out = subprocess.run([sys.executable, __file__, "--child", *args], check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def serve_again(rows: list[dict], rounds: int) -> list[dict]:
    """The serving figures measured ``rounds`` times more, every (store, size) once per round, in turn (on a shared
    machine, load that comes and goes then falls on each alike); each figure becomes the median of all its runs."""
    import statistics

    runs: dict[int, list[dict]] = {i: [{k: r[k] for k in r if k in SERVED}] for i, r in enumerate(rows)}
    for _ in range(rounds):
        for i, r in enumerate(rows):
            runs[i].append(run_child("serve", r["store"], str(r["size"]), str(time.perf_counter())))
    for i, r in enumerate(rows):
        r.update({k: round(statistics.median(run[k] for run in runs[i]), 2) for k in SERVED})
        r["serve_runs"] = len(runs[i])
    return rows


def common_estimate(rows: list[dict]) -> None:
    """Re-estimate the full build with one embedding rate for all rows: the median of the rates measured by each
    build (a rate measured while the shared machine was busy would otherwise bend the curve)."""
    import statistics

    rates = [r["embed_ms_per_1k_pieces"] for r in rows if r.get("embed_ms_per_1k_pieces")]
    if not rates:
        return
    rate = statistics.median(rates)
    for r in rows:
        if not r.get("pieces_reused"):  # rows saved before the count was: from the row's own rate and estimate
            r["pieces_reused"] = round(r["embed_s_estimate"] * 1e6 / r["embed_ms_per_1k_pieces"])
        r["embed_s_estimate"] = round(r["pieces_reused"] * rate / 1e6, 1)
        r["full_build_s_estimate"] = round(r["build_s"] + r["embed_s_estimate"], 1)
        r["full_build_chunks_per_s_estimate"] = round(r["chunks"] / r["full_build_s_estimate"], 1)
        r["embed_ms_per_1k_pieces_used"] = rate


# --------------------------------------------------------------------------------------------------- the figure

def exponent(sizes: list[float], values: list[float]) -> float:
    """Least-squares slope of log(value) on log(size): value ~ size ** exponent."""
    import numpy as np

    pairs = [(s, v) for s, v in zip(sizes, values) if s > 0 and v and v > 0]
    if len(pairs) < 2:
        return float("nan")
    x, y = np.log([p[0] for p in pairs]), np.log([p[1] for p in pairs])
    return float(np.polyfit(x, y, 1)[0])


def plot(rows: list[dict], png: Path) -> dict[str, dict[str, float]]:
    """One panel per figure, one line per store, log-log; returns the fitted exponents (printed in the legends): over
    all sizes, and between the last two (where a fixed cost, such as the models' memory, weighs least)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    stores = sorted({r["store"] for r in rows})
    fits: dict[str, dict[str, float]] = {}
    fig, axes = plt.subplots(3, 3, figsize=(13, 11))
    for ax, (key, title) in zip(axes.flat, FIGURES):
        for store in stores:
            mine = sorted((r for r in rows if r["store"] == store and r.get(key)), key=lambda r: r["chunks"])
            if not mine:
                continue
            xs, ys = [r["chunks"] for r in mine], [r[key] for r in mine]
            b, last = exponent(xs, ys), exponent(xs[-2:], ys[-2:])
            fits.setdefault(key, {})[store] = round(b, 2)
            fits.setdefault(f"{key} (last two sizes)", {})[store] = round(last, 2)
            ax.plot(xs, ys, "o-", label=f"{store} (exponent {b:.2f}; last step {last:.2f})")
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_title(title, fontsize=10)
        ax.set_xlabel("chunks")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("rag: cost against corpus size (SciFact abstracts, repeated; bench/scale.py)")
    fig.tight_layout()
    png.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(png, dpi=90)
    return fits


def markdown(rows: list[dict]) -> str:
    """The README's table: one row per (store, size)."""
    head = ("| store | chunks (files) | build, vectors reused: s (chunks/s) | full build, estimated: s (chunks/s) | "
            "rebuild after editing 1%: s | search p50 / p95 ms | answer p50 / p95 ms | new process to first answer: s | "
            "index on disk: MB | peak memory build / serving: MB |")
    lines = [head, "|" + "---|" * 10]
    for r in sorted(rows, key=lambda r: (r["store"], r["chunks"])):
        lines.append(
            f"| {r['store']} | {r['chunks']:,} ({r['documents']:,}) | {r['build_s']:,.0f} ({r['chunks_per_s_vectors_reused']:,.0f}) | "
            f"{r['full_build_s_estimate']:,.0f} ({r['full_build_chunks_per_s_estimate']:.0f}) | {r['incremental_s']:.1f} | "
            f"{r['search_p50_ms']:.1f} / {r['search_p95_ms']:.1f} | {r['answer_p50_ms']:.0f} / {r['answer_p95_ms']:.0f} | "
            f"{r['first_answer_s']:.1f} | {r['disk_mb']:,.0f} | {r['build_peak_rss_mb']:,} / {r['serve_peak_rss_mb']:,.0f} |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", default="1000,10000,100000,1000000", help="comma-separated chunk counts (about)")
    ap.add_argument("--stores", default="faiss,milvus")
    ap.add_argument("--milvus-max", type=int, default=MILVUS_MAX,
                    help="largest size run on Milvus Lite [default: %(default)s; see MILVUS_MAX]")
    ap.add_argument("--vectors-from", type=Path, help="an index of the SciFact corpus to take vectors from")
    ap.add_argument("--out", type=Path, help="where the rows go [default: bench/results/scale.json; with --plot, that file]")
    ap.add_argument("--png", type=Path, default=ROOT / "docs" / "scale.png")
    ap.add_argument("--plot", type=Path, nargs="+", help="only draw the figure from saved --out files (their rows together)")
    ap.add_argument("--serve-rounds", type=int, default=0,
                    help="time the serving figures again on the indexes of a saved --out file (this many rounds, "
                         "sizes and stores interleaved; the median of each figure is kept)")
    ap.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.out = args.out or (args.plot[0] if args.plot else ROOT / "bench" / "results" / "scale.json")
    if args.child:
        kind, store, chunks = args.child[0], args.child[1], int(args.child[2])
        if kind == "serve":
            print(json.dumps(child_serve(store, chunks, float(args.child[3]))))
        else:
            print(json.dumps(child_build(store, chunks, Path(args.child[3]), kind == "incremental")))
        return
    if args.plot:
        rows = [row for path in args.plot for row in json.loads(path.read_text(encoding="utf-8"))]
        if args.serve_rounds:
            rows = serve_again(rows, args.serve_rounds)
            args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    else:
        if args.vectors_from is None:
            raise SystemExit("--vectors-from INDEX is needed (an index of the SciFact corpus, e.g. from "
                             "bench/answer_stages.py --corpus scifact --index INDEX)")
        rows = []
        for chunks in (int(s) for s in args.sizes.split(",")):
            for store in args.stores.split(","):
                if store == "milvus" and chunks > args.milvus_max:
                    print(f"milvus at {chunks:,} chunks: skipped (--milvus-max {args.milvus_max:,})", flush=True)
                    continue
                row = run_child("build", store, str(chunks), str(args.vectors_from))
                row.update(run_child("serve", store, str(chunks), str(time.perf_counter())))
                row.update(run_child("incremental", store, str(chunks), str(args.vectors_from)))
                row["size"] = chunks
                rows.append(row)
                print(json.dumps(row), flush=True)
                args.out.parent.mkdir(parents=True, exist_ok=True)
                args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    common_estimate(rows)
    args.out.write_text(json.dumps(rows, indent=1), encoding="utf-8")
    fits = plot(rows, args.png)
    print(markdown(rows))
    print(json.dumps({"exponents": fits, "png": str(args.png)}))


if __name__ == "__main__":
    main()
