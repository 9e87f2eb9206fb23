"""What the HTTP API adds to an answer: the same dev questions asked through ``rag.answer()`` and through
``POST /v1/chat/completions`` of a running ``rag serve`` (the real server, on 127.0.0.1), interleaved, after both
are warm. Prints p50/p95 of each and of the difference per question; nothing is asserted.

Also: 20 clients at once through the API, and how long they wait (p50/p95/max).

Run:  python bench/http_overhead.py [--questions 60] [--index index]
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, int(round(q * (len(values) - 1))))]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--questions", type=int, default=60)
    ap.add_argument("--index", help="an index of corpus/ (built into a temporary folder when not given)")
    args = ap.parse_args()
    import os

    import httpx

    import rag

    os.environ["RAG_RATE_LIMIT_PER_MINUTE"] = "0"  # measured here: the limit would refuse the 2 x 60 + 20 calls
    from rag.http.server import serve

    index = Path(args.index) if args.index else Path(tempfile.mkdtemp()) / "index"
    if not args.index:
        rag.build_index(ROOT / "corpus", index)
    questions = [json.loads(line)["question"] for line in (ROOT / "tests/data/qa.jsonl").read_text().splitlines()]
    questions = questions[: args.questions]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = serve(ROOT / "corpus", index, host="127.0.0.1", port=port, block=False, quiet=True)
    client = httpx.Client(timeout=300)

    def over_http(q: str) -> float:
        started = time.perf_counter()
        reply = client.post(server.url + "v1/chat/completions",
                            json={"model": "rag-extractive", "messages": [{"role": "user", "content": q}]})
        reply.raise_for_status()
        return time.perf_counter() - started

    def direct(q: str) -> float:
        started = time.perf_counter()
        rag.answer(q, index_dir=index)
        return time.perf_counter() - started

    for q in questions:  # warm both paths: every sentence's caches filled once
        direct(q)
        over_http(q)
    d, h = [], []
    for q in questions:
        d.append(direct(q))
        h.append(over_http(q))
    added = [b - a for a, b in zip(d, h)]
    ms = lambda xs, q: round(1000 * pct(xs, q), 1)  # noqa: E731
    print(json.dumps({"questions": len(questions),
                      "direct_ms": {"p50": ms(d, .5), "p95": ms(d, .95)},
                      "http_ms": {"p50": ms(h, .5), "p95": ms(h, .95)},
                      "added_ms": {"p50": ms(added, .5), "p95": ms(added, .95)}}, indent=1))
    waits: list[float] = []

    def one(q: str) -> None:
        waits.append(over_http(q))

    threads = [threading.Thread(target=one, args=(questions[i % len(questions)],)) for i in range(20)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(json.dumps({"concurrent_clients": 20, "all_answered": len(waits) == 20,
                      "wall_s": round(time.perf_counter() - started, 2),
                      "wait_s": {"p50": round(statistics.median(waits), 2), "p95": round(pct(waits, .95), 2),
                                 "max": round(max(waits), 2)}}, indent=1))
    server.close()


if __name__ == "__main__":
    main()
