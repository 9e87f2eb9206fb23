"""Load test: concurrent clients on the running app's Gradio API (the /ask endpoint and the streamed chat) while a
rebuild swaps the index. Loopback only; bounded in time; stops by itself. Prints requests, errors, latencies.

    python bench/load_test.py                       # 20 clients for 60 s, a rebuild in the middle
    python bench/load_test.py --clients 4 --seconds 10

Reports JSON on the last line: {"requests", "errors", "p50_s", "p95_s", "p99_s", "rebuilds", ...}.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

QUESTIONS = [
    "What node did SMIC reach without EUV lithography?",
    "Why did China blacklist TechInsights?",
    "What deadlines has Germany set for removing Huawei and ZTE gear?",
    "What does the Mate 80 cost?",
    "How many wafers per month can SMIC's advanced nodes produce?",
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run(clients: int = 20, seconds: float = 60.0, rebuilds: int = 1) -> dict:
    from gradio_client import Client

    from rag.app.api import build_index
    from rag.app.evaluate import percentile
    from rag.http.server import serve

    work = Path(tempfile.mkdtemp())
    corpus, index = work / "corpus", work / "index"
    shutil.copytree(ROOT / "corpus", corpus)
    build_index(corpus, index)
    port = free_port()
    server = serve(corpus, index, host="127.0.0.1", port=port, block=False, quiet=True)
    url = f"http://127.0.0.1:{port}/"
    latencies: list[float] = []
    errors: list[str] = []
    served = {"ask": 0, "chat": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + seconds

    def client_loop(n: int) -> None:
        client = Client(url, verbose=False)
        chat_api = "/ask" if n % 2 == 0 else None
        i = n
        while time.monotonic() < deadline:
            question = QUESTIONS[i % len(QUESTIONS)]
            i += 1
            t = time.perf_counter()
            try:
                if chat_api:
                    result = client.predict(question, api_name="/ask")
                    ok = isinstance(result, dict) and "text" in result
                    kind = "ask"
                else:
                    job = client.submit(question, api_name="/ask_stream")
                    outputs = list(job)  # streamed updates
                    ok = bool(outputs)
                    kind = "chat"
                if not ok:
                    raise RuntimeError("malformed response")
                with lock:
                    latencies.append(time.perf_counter() - t)
                    served[kind] += 1
            except Exception as exc:  # noqa: BLE001 - every failure is counted and reported
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}"[:200])

    def rebuild_loop() -> None:
        for r in range(rebuilds):
            time.sleep(seconds / (rebuilds + 1))
            (corpus / "load-test-note.txt").write_text(f"Load Test Note\n\nRevision {r}: gallium export controls.")
            build_index(corpus, index)

    threads = [threading.Thread(target=client_loop, args=(n,)) for n in range(clients)]
    threads.append(threading.Thread(target=rebuild_loop))
    started = time.perf_counter()
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=seconds + 300)
    elapsed = time.perf_counter() - started
    server.close()
    shutil.rmtree(work, ignore_errors=True)
    return {"clients": clients, "seconds": round(elapsed, 1), "requests": len(latencies), "ask": served["ask"],
            "chat_streams": served["chat"], "errors": len(errors), "error_samples": errors[:5], "rebuilds": rebuilds,
            "p50_s": percentile(latencies, 0.5), "p95_s": percentile(latencies, 0.95), "p99_s": percentile(latencies, 0.99)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clients", type=int, default=20)
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--rebuilds", type=int, default=1)
    args = ap.parse_args()
    print(json.dumps(run(args.clients, args.seconds, args.rebuilds)))


if __name__ == "__main__":
    main()
