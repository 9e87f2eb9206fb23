"""bench/scale.py's reporting: rows of several runs joined into one table and one figure, with growth exponents
fitted on log-log axes. The rows are synthetic, with known growth; nothing is timed here."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def row(store: str, chunks: int) -> dict:
    n = chunks / 1000
    return {"store": store, "size": chunks, "chunks": chunks, "documents": chunks // 2, "build_s": 2.0 * n,
            "chunks_per_s_vectors_reused": 500.0, "pieces_reused": 300 * chunks, "embed_ms_per_1k_pieces": 100.0,
            "embed_s_estimate": 30.0 * n, "full_build_s_estimate": 32.0 * n, "full_build_chunks_per_s_estimate": 31.2,
            "incremental_s": 0.5 * n, "search_p50_ms": 4.0 * n ** 0.5, "search_p95_ms": 9.0, "answer_p50_ms": 70.0,
            "answer_p95_ms": 140.0, "first_answer_s": 2.0, "disk_mb": 25.0 * n, "build_peak_rss_mb": 700,
            "serve_peak_rss_mb": 800}


def test_runs_join_into_one_table_and_figure_with_their_growth_exponents(tmp_path):
    small, large = tmp_path / "small.json", tmp_path / "large.json"
    small.write_text(json.dumps([row("faiss", 1000), row("faiss", 10000), row("milvus", 1000), row("milvus", 10000)]))
    large.write_text(json.dumps([row("faiss", 1000000)]))
    out, png = tmp_path / "all.json", tmp_path / "scale.png"
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "scale.py"), "--plot", str(small), str(large),
                           "--out", str(out), "--png", str(png)], capture_output=True, text=True, check=True)
    lines = done.stdout.strip().splitlines()
    table = [line for line in lines if line.startswith("| faiss") or line.startswith("| milvus")]
    assert len(table) == 5 and "| faiss | 1,000,000 (500,000) |" in done.stdout
    fits = json.loads(lines[-1])["exponents"]
    assert abs(fits["build_s"]["faiss"] - 1.0) < 0.01
    assert abs(fits["search_p50_ms"]["milvus"] - 0.5) < 0.01
    assert abs(fits["answer_p50_ms"]["faiss"]) < 0.01
    assert len(json.loads(out.read_text())) == 5
    assert png.stat().st_size > 10_000
