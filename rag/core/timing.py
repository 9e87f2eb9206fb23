"""Timing the stages of one piece of work: ``with timer.stage("retrieve"): ...``, then :attr:`StageTimer.seconds`.

The answer pipeline times its stages with one :class:`StageTimer` (``Answer.timings``: retrieve, generate, verify,
conflicts), and the public API adds the total, so every figure in ``rag eval``, the bench and the UI comes from the
same clock and the same stage names.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager


class StageTimer:
    """Seconds spent in named stages; a stage entered twice adds up."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.started = time.perf_counter()

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` (also when it raises)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.seconds[name] = self.seconds.get(name, 0.0) + time.perf_counter() - start

    def total(self) -> float:
        """Seconds since the timer was made."""
        return time.perf_counter() - self.started
