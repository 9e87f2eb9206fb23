"""Work under limits: a pool of long-lived worker processes that run one task at a time each, with a deadline and a
memory ceiling per task. The loader reads every corpus file through it (:func:`rag.ingest.load.read_files`), so
that no file, however hostile, can stall a build or fill the memory of the process that serves answers.

* **Time**: each task has ``seconds`` to finish; a worker past its deadline is killed (SIGKILL) and replaced, and the
  task's outcome says so.
* **Memory**: each worker runs with ``RLIMIT_AS`` set to ``memory_mb``; a task that needs more gets ``MemoryError``
  (or its C library fails to allocate), and its worker is replaced. Some parsers catch the MemoryError and spin at
  the limit, so the pool also reads each busy worker's address space every 0.25 s and stops one that has sat at
  95% of the limit twice in a row. A worker whose heap grew past half the limit after a task retires.
* **Crashes**: a worker that dies (a parser's segfault, an abort) is replaced; the task's outcome names the signal.

Each worker is a fresh interpreter (``python -c``, importing the modules named in ``preload`` before its memory
limit applies, about 0.3 s), reused across tasks, builds and uploads: the per-task overhead is one round trip through
a pipe. A worker exits by itself when the process that started it is gone. One call runs at a time (a lock); an
upload waits for a build's reading step.
Where processes cannot be started at all (a sandbox), tasks run in this process without limits, with a warning.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rag.core import defaults
from rag.core.config import Settings

log = logging.getLogger(__name__)
_POOLS_LOCK = threading.RLock()
MEMORY_CHECK_SECONDS = 0.25
"""How often the pool reads each busy worker's address space (/proc/PID/statm)."""


@dataclass(frozen=True)
class Limits:
    """Per-task limits. ``workers = 0``: one per CPU, at most :data:`rag.core.defaults.MAX_PARSE_WORKERS`."""

    seconds: float = defaults.PARSE_TIMEOUT
    memory_mb: int = defaults.PARSE_MEMORY_MB
    workers: int = defaults.PARSE_WORKERS

    def __post_init__(self) -> None:
        defaults.check_parse_limits(self.seconds, self.memory_mb, self.workers)

    @property
    def processes(self) -> int:
        return self.workers or max(1, min(os.cpu_count() or 1, defaults.MAX_PARSE_WORKERS))


def limits_from(settings: Settings) -> Limits:
    """The parsing limits of :class:`rag.core.config.Settings`."""
    return Limits(settings.parse_timeout, settings.parse_memory_mb, settings.parse_workers)


@dataclass(frozen=True)
class Outcome:
    """A task's result (``ok``) or why there is none: ``limit`` says which limit it went over, or how it crashed."""

    ok: bool
    value: Any = None
    limit: str = ""


def _exit_with_parent(parent: int) -> None:
    """Exit as soon as the process that started this worker is gone (checked every half second, even in the middle
    of a task): a killed build or ``rag watch`` leaves no worker behind."""
    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, daemon=True, name="rag-parse-parent").start()


def address_space(pid: int) -> int:
    """The bytes of address space process ``pid`` has mapped (what ``RLIMIT_AS`` limits); 0 where /proc is missing."""
    try:
        with open(f"/proc/{pid}/statm") as fh:
            return int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def serve(task_fd: int, result_fd: int, memory_mb: int, parent: int, preload: Sequence[str] = ()) -> None:
    """A worker's loop (``python -c`` runs it): receive ``(fn, args)``, send back ``("ok", value)``,
    ``("memory", "")`` or ``("error", text)``. Exits after a MemoryError (its heap may be in any state) and when the
    task pipe closes."""
    import importlib
    import resource
    from multiprocessing.connection import Connection

    _exit_with_parent(parent)
    for name in preload:
        importlib.import_module(name)
    limit = memory_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    tasks, results = Connection(task_fd, writable=False), Connection(result_fd, readable=False)
    while True:
        try:
            task = tasks.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        fn, args = task
        try:
            reply: tuple[str, Any] = ("ok", fn(*args))
        except MemoryError:
            reply = ("memory", "")
        except Exception as exc:  # noqa: BLE001 - reported to the caller as the task's failure
            reply = ("error", f"{type(exc).__name__}: {exc}")
        # a worker whose heap has grown past half its limit retires, so that every task gets (nearly) the whole limit
        retire = reply[0] == "memory" or address_space(os.getpid()) > limit // 2
        try:
            results.send((*reply, retire))
        except MemoryError:
            results.send(("memory", "", True))
        if retire:
            return


_ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
"""The folder this package was imported from: workers import it from there too."""


class _Worker:
    """One worker process: a fresh interpreter (``sys.executable -c``), never a fork of this process (whose threads
    and state it must not inherit) and never a re-import of this program's main script (as multiprocessing's
    spawn and forkserver children do, which breaks scripts without a ``__main__`` guard)."""

    def __init__(self, memory_mb: int, preload: Sequence[str]) -> None:
        import subprocess
        import sys
        from multiprocessing.connection import Connection

        task_r, task_w = os.pipe()
        result_r, result_w = os.pipe()
        code = (f"from rag.ingest.workers import serve; serve({task_r}, {result_w}, {memory_mb}, {os.getpid()}, "
                f"{tuple(preload)!r})")
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [_ROOT, os.environ.get("PYTHONPATH")])),
               "MALLOC_ARENA_MAX": "1"}  # no 64 MB arena reserved per thread out of the address-space limit
        try:
            self.process = subprocess.Popen([sys.executable, "-c", code], pass_fds=(task_r, result_w), env=env,
                                            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL, cwd=_ROOT)
        finally:
            os.close(task_r)
            os.close(result_w)
        self.tasks, self.results = Connection(task_w, readable=False), Connection(result_r, writable=False)
        self._full = False

    def at_limit(self, memory_mb: int) -> bool:
        """Whether this worker has sat at its address-space limit for two checks in a row: allocations fail there,
        and a parser that catches the MemoryError (some do) would spin until its deadline."""
        full = address_space(self.process.pid) >= 0.95 * memory_mb * 2**20
        full, self._full = full and self._full, full
        return full

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self.tasks.close()
        self.results.close()

    def stop(self) -> None:
        import subprocess

        try:
            self.tasks.send(None)
            self.process.wait(1)
        except (OSError, subprocess.TimeoutExpired):
            pass  # killed below
        self.kill()


class Pool:
    """Long-lived workers under ``limits``; :meth:`run` maps a function over argument tuples.

    :param preload: modules each worker imports when it starts, before its memory limit applies.
    """

    def __init__(self, limits: Limits, preload: Sequence[str] = ()) -> None:
        self.limits = limits
        self._preload = list(preload)
        self._idle: list[_Worker] = []
        self._lock = threading.Lock()

    def run(self, fn: Callable[..., Any], tasks: Sequence[tuple]) -> list[Outcome]:
        """``fn(*args)`` for each task, in worker processes, under the limits; outcomes in the order of ``tasks``.

        ``fn`` must be a module-level function (it is sent by name). :raises OSError: processes cannot be started."""
        with self._lock:
            return self._run(fn, tasks)

    def _run(self, fn: Callable[..., Any], tasks: Sequence[tuple]) -> list[Outcome]:
        from multiprocessing.connection import wait

        outcomes: list[Outcome | None] = [None] * len(tasks)
        todo = deque(range(len(tasks)))
        busy: dict[Any, tuple[_Worker, int, float]] = {}  # result connection -> (worker, task, deadline)
        try:
            while todo or busy:
                while todo and len(busy) < self.limits.processes:
                    worker = self._idle.pop() if self._idle else _Worker(self.limits.memory_mb, self._preload)
                    i = todo.popleft()
                    try:
                        worker.tasks.send((fn, tasks[i]))
                    except OSError:  # it died while idle: replace it and try again
                        worker.kill()
                        todo.appendleft(i)
                        continue
                    busy[worker.results] = (worker, i, time.monotonic() + self.limits.seconds)
                first = min(deadline for _, _, deadline in busy.values())
                for conn in wait(list(busy), timeout=max(0.0, min(first - time.monotonic(), MEMORY_CHECK_SECONDS))):
                    worker, i, _ = busy.pop(conn)
                    outcomes[i] = self._receive(worker)
                now = time.monotonic()
                for conn, (worker, i, deadline) in list(busy.items()):
                    full = worker.at_limit(self.limits.memory_mb)
                    if deadline <= now or full:
                        busy.pop(conn)
                        worker.kill()
                        outcomes[i] = Outcome(False, limit=self._memory_limit() if full else
                                              f"took longer than the {self.limits.seconds:g} s time limit "
                                              "(parse_timeout)")
        finally:
            for worker, _, _ in busy.values():  # interrupted (KeyboardInterrupt): no task left running
                worker.kill()
        return [o for o in outcomes if o is not None]

    def _receive(self, worker: _Worker) -> Outcome:
        try:
            kind, value, retire = worker.results.recv()
        except (EOFError, OSError):
            worker.kill()
            code = worker.process.returncode
            how = (f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 and
                   -code in signal.valid_signals() else f"exit code {code}")
            return Outcome(False, limit=f"the parser crashed ({how}; over the {self.limits.memory_mb} MB memory "
                                        "limit, parse_memory_mb, or a parser bug)")
        if retire:
            worker.kill()  # it exits by itself; this waits for it
        else:
            self._idle.append(worker)
        if kind == "memory":
            return Outcome(False, limit=self._memory_limit())
        if kind == "error":
            return Outcome(False, limit=f"the parser failed ({value})")
        return Outcome(True, value)

    def _memory_limit(self) -> str:
        return f"needed more than the {self.limits.memory_mb} MB memory limit (parse_memory_mb)"

    def close(self) -> None:
        with self._lock:
            for worker in self._idle:
                worker.stop()
            self._idle.clear()


_POOLS: dict[tuple[Limits, tuple[str, ...]], Pool] = {}
_NO_PROCESSES: list[str] = []  # why worker processes cannot be started here, once known


def run_limited(fn: Callable[..., Any], tasks: Sequence[tuple], limits: Limits,
                preload: Sequence[str] = ()) -> list[Outcome]:
    """``fn(*args)`` for each task under ``limits`` in the shared pool for these limits (started on first use, kept
    for the process's lifetime); in this process, without limits, where processes cannot be started."""
    if not tasks:
        return []
    if not _NO_PROCESSES:
        with _POOLS_LOCK:
            key = (limits, tuple(preload))
            pool = _POOLS.get(key)
            if pool is None:
                for other in _POOLS.values():  # limits changed (settings): the old workers go
                    other.close()
                _POOLS.clear()
                pool = _POOLS[key] = Pool(limits, preload)
        try:
            return pool.run(fn, tasks)
        except OSError as exc:  # no processes here
            _NO_PROCESSES.append(f"{type(exc).__name__}: {exc}")
            log.warning("worker processes cannot be started (%s); files are read in this process, without the "
                        "time and memory limits", exc)
    return [_in_process(fn, args) for args in tasks]


def _in_process(fn: Callable[..., Any], args: tuple) -> Outcome:
    try:
        return Outcome(True, fn(*args))
    except MemoryError:
        return Outcome(False, limit="ran out of memory")


def _close_all() -> None:
    with _POOLS_LOCK:
        for pool in _POOLS.values():
            pool.close()
        _POOLS.clear()


atexit.register(_close_all)
