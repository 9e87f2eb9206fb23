"""Index builds started from the UI: run :func:`rag.app.api.build_index` in a thread and report progress lines.

Chat keeps answering meanwhile: queries read the last complete snapshot until the build swaps the new one in.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.app import api
from rag.core.errors import RagError

log = logging.getLogger(__name__)
POLL_SECONDS = 0.4


def build_with_progress(corpus: Path, index: Path, lines: list[str]) -> Iterator[tuple[str, bool]]:
    """Yield ``(status text, finished)`` while the build runs (``lines`` go first, e.g. upload results)."""
    state: dict[str, Any] = {"done": 0, "total": 0}

    def progress(done: int, total: int) -> None:
        state["done"], state["total"] = done, total

    def work() -> None:
        try:
            state["report"] = api.build_index(corpus, index, progress=progress)
        except RagError as exc:
            state["error"] = str(exc)
        except Exception as exc:
            log.exception("index build failed")
            state["error"] = f"unexpected error ({type(exc).__name__}: {exc}); see the server log"

    started = time.monotonic()
    worker = threading.Thread(target=work, name="rag-ui-build", daemon=True)
    worker.start()
    head = "\n".join(lines + [""]) if lines else ""
    while worker.is_alive():
        elapsed = time.monotonic() - started
        if state["total"]:
            pct = 100 * state["done"] / state["total"]
            now = (f"Rebuilding: embedding {state['done']} of {state['total']} new texts (chunks, sentences, words; "
                   f"{pct:.0f}%), {elapsed:.0f}s")
        else:
            now = f"Rebuilding: reading the corpus and comparing with the index… {elapsed:.0f}s"
        yield head + now, False
        worker.join(POLL_SECONDS)
    if "error" in state:
        final = f"Rebuild failed: {state['error']}"
    else:
        report = state["report"]
        final = f"Index updated: {report.summary()}"
        if report.skipped:
            final += "\nSkipped (unreadable): " + "; ".join(report.skipped)
    yield head + final, True
