"""The worker pool every corpus file is read through (rag.ingest.workers): a task over its time or memory limit, or
one that crashes its worker, is reported with the reason and its worker replaced; the next task runs; workers are
reused; and no worker outlives the process that started it."""

from __future__ import annotations

import signal
import subprocess
import sys
import time

from rag.ingest.workers import Limits, run_limited
from tests.helpers import alive, python_env, task_allocate, task_crash, task_fail, task_pid, task_sleep

GENEROUS = 60  # seconds within which a limited task must have been stopped; never a timing, only "it finished"


def test_a_task_over_the_time_limit_is_killed_and_the_next_runs():
    started = time.monotonic()
    outcomes = run_limited(task_sleep, [(600,), (0,)], Limits(seconds=1.5, workers=1))
    took = time.monotonic() - started
    assert not outcomes[0].ok and "1.5 s time limit (parse_timeout)" in outcomes[0].limit
    assert outcomes[1].ok
    assert took < GENEROUS
    print(f"\na 600 s task stopped at the 1.5 s limit; both tasks done in {took:.1f}s")


def test_a_task_over_the_memory_limit_is_stopped_and_the_next_runs():
    outcomes = run_limited(task_allocate, [(2048,), (16,)], Limits(memory_mb=256, workers=1))
    assert not outcomes[0].ok and outcomes[0].limit == "needed more than the 256 MB memory limit (parse_memory_mb)"
    assert outcomes[1].ok and outcomes[1].value == 16 * 2**20


def test_a_crash_and_an_exception_are_reported_and_the_pool_goes_on():
    outcomes = run_limited(task_crash, [()], Limits(workers=1))
    assert not outcomes[0].ok and "killed by SIGSEGV" in outcomes[0].limit
    failed = run_limited(task_fail, [()], Limits(workers=1))
    assert not failed[0].ok and failed[0].limit == "the parser failed (KeyError: 'no such thing')"
    assert run_limited(task_pid, [()], Limits(workers=1))[0].ok


def test_workers_are_reused_across_tasks_and_calls():
    limits = Limits(workers=2)
    run_limited(task_pid, [()], limits)  # workers started
    started = time.perf_counter()
    outcomes = run_limited(task_pid, [()] * 500, limits)
    per_task = (time.perf_counter() - started) / 500
    pids = {o.value for o in outcomes} | {o.value for o in run_limited(task_pid, [()] * 10, limits)}
    assert all(o.ok for o in outcomes) and len(pids) <= 2
    print(f"\n500 tasks on 2 reused workers: {1000 * per_task:.2f} ms per task (a round trip through a pipe)")


def test_no_worker_outlives_the_process_that_started_it(tmp_path):
    """A build killed with SIGKILL (its workers cannot be told): each worker notices and exits by itself."""
    pid_file = tmp_path / "worker.pid"
    code = ("import sys; from rag.ingest.workers import Limits, run_limited; from tests.helpers import task_sleep\n"
            f"open({str(pid_file)!r}, 'w').write(str(run_limited(task_sleep, [(0,)], Limits(workers=1))[0].value))\n"
            "run_limited(task_sleep, [(600,)], Limits(workers=1))\n")
    parent = subprocess.Popen([sys.executable, "-c", code], env=python_env())
    deadline = time.monotonic() + GENEROUS
    while not (pid_file.exists() and pid_file.read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    worker = int(pid_file.read_text())
    time.sleep(0.5)  # the worker is now in its 600 s task
    parent.send_signal(signal.SIGKILL)
    parent.wait()
    while alive(worker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not alive(worker), f"worker {worker} outlived its parent"
