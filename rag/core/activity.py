"""Whether an answer is being computed right now: the answer pipeline marks each answer (:func:`answering`), and
background work that would compete for the CPU (the server's cache warm-up, :mod:`rag.app.warmup`) waits until none
is (:func:`wait_until_idle`)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

_active = 0
_active_lock = threading.Lock()


@contextmanager
def answering() -> Iterator[None]:
    """Marks an answer in progress; warm-up pauses until none is."""
    global _active
    with _active_lock:
        _active += 1
    try:
        yield
    finally:
        with _active_lock:
            _active -= 1


def wait_until_idle(stop: threading.Event | None) -> None:
    while _active and not (stop and stop.is_set()):
        time.sleep(0.02)
