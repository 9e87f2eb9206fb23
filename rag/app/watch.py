"""A corpus that keeps itself indexed: watch the corpus folder and run the incremental build after changes.

File-system events come from watchdog (inotify on Linux), which wakes the watcher at once; a slow poll
(:data:`POLL_SECONDS`) backs it up where events are not delivered (network mounts, some containers). Events only
*wake* the watcher: what changed is decided by comparing file content hashes with the live index's manifest
(:func:`rag.index.build.index_status`), so editor temp files, touches and hidden files never trigger a build.

Builds are debounced (a burst of saves makes one build, :data:`DEBOUNCE_SECONDS` after the last event) and run one
at a time in the watcher's thread. Queries keep answering from the last complete snapshot while a build runs (the
index swaps snapshots atomically), so no request fails meanwhile.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from rag.core.errors import BuildBusyError, RagError
from rag.core.types import BuildReport

DEBOUNCE_SECONDS = 1.0
POLL_SECONDS = 30.0
KEEP_EVENTS = 20
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class WatchEvent:
    """One automatic build: when, which files had changed, and what the build did (or why it failed)."""

    at: str
    changed: tuple[str, ...]
    summary: str
    ok: bool

    def describe(self) -> str:
        shown = ", ".join(self.changed[:5]) + (" …" if len(self.changed) > 5 else "")
        return f"{self.at}: {shown} → {self.summary}"


@dataclass
class CorpusWatcher:
    """Watches ``corpus_dir`` and keeps ``index_dir`` up to date. Use :meth:`start` / :meth:`stop` or ``with``."""

    corpus_dir: Path
    index_dir: Path
    build: Callable[[Path, Path], BuildReport] | None = None
    debounce: float = DEBOUNCE_SECONDS
    poll: float = POLL_SECONDS
    on_event: Callable[[WatchEvent], None] | None = None
    events: deque = field(default_factory=lambda: deque(maxlen=KEEP_EVENTS))
    building: bool = False

    def __post_init__(self) -> None:
        self.corpus_dir, self.index_dir = Path(self.corpus_dir).resolve(), Path(self.index_dir).resolve()
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._last_poke = 0.0
        self._thread: threading.Thread | None = None
        self._observer = None

    def poke(self) -> None:
        """Something may have changed: check after the debounce delay."""
        self._last_poke = time.monotonic()
        self._wake.set()

    def start(self) -> CorpusWatcher:
        if not self.corpus_dir.is_dir():
            raise RagError(f"cannot watch {self.corpus_dir}: not a folder")
        from watchdog.events import FileSystemEvent, FileSystemEventHandler
        from watchdog.observers import Observer

        watcher = self

        class _Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:  # created, modified, moved, deleted: all just wake the watcher
                if event.event_type != "opened" and event.event_type != "closed_no_write":
                    watcher.poke()

        self._observer = Observer()
        self._observer.schedule(_Handler(), str(self.corpus_dir), recursive=True)
        self._observer.daemon = True
        self._observer.start()
        self._thread = threading.Thread(target=self._run, name="rag-watch", daemon=True)
        self._thread.start()
        self.poke()  # catch up with changes made while nothing was watching
        return self

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._observer is not None:
            self._observer.stop()
            self._observer.join(5)
        if self._thread is not None:
            self._thread.join(30)

    def __enter__(self) -> CorpusWatcher:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def describe(self) -> str:
        """One paragraph for the UI: watching where, building now or not, the latest automatic builds."""
        line = f"Watching {self.corpus_dir} for changes" + (" — building now…" if self.building else ".")
        if self.events:
            line += " Recent automatic updates: " + "; ".join(e.describe() for e in reversed(self.events))
        return line

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.poll)
            if self._stop.is_set():
                return
            if not self._wake.is_set():
                self._last_poke = 0.0  # periodic poll: no debounce needed
            while time.monotonic() - self._last_poke < self.debounce and not self._stop.is_set():
                time.sleep(min(0.1, self.debounce))  # wait for the burst of saves to end
            self._wake.clear()
            try:
                self._check_and_build()
            except Exception:  # the watcher must outlive any one failure
                log.exception("automatic index update failed")

    def _check_and_build(self) -> None:
        from rag.index.build import index_status

        status = index_status(self.corpus_dir, self.index_dir)
        if status.exists and not status.stale:
            return
        changed = tuple(status.changed)
        build = self.build or _default_build
        self.building = True
        try:
            report = build(self.corpus_dir, self.index_dir)
            event = WatchEvent(time.strftime("%H:%M:%S"), changed, report.summary(), True)
        except BuildBusyError as exc:  # a build started from the UI or the CLI holds the lock: try again shortly
            event = WatchEvent(time.strftime("%H:%M:%S"), changed, f"not updated: {exc}", False)
            threading.Timer(self.debounce * 2, self.poke).start()
        except RagError as exc:  # disk full, a read-only folder …: the next poll (or change) tries again
            event = WatchEvent(time.strftime("%H:%M:%S"), changed, f"not updated: {exc}", False)
        finally:
            self.building = False
        self.events.append(event)
        log.info("corpus changed: %s", event.describe())
        if self.on_event is not None:
            self.on_event(event)


def _default_build(corpus_dir: Path, index_dir: Path) -> BuildReport:
    from rag.app.api import build_index

    return build_index(corpus_dir, index_dir)
