"""No fault can lose it: real faults during builds, each produced at the operating system's boundary, never by
replacing our own code. The disk fills while a snapshot is written (a small tmpfs in a private mount namespace; where
this system allows none, a file size limit on the build process instead), the index folder is read-only (a read-only
bind mount, or chmod where the tests do not run as root), two `rag build` run at once, and `rag watch` is killed in
the middle of its rebuild. In every case the last good index keeps answering, the error names the cause, and the next
build recovers without a manual step. (SIGKILL at twenty moments of a build, and dropped page caches after each, are
in tests/app/test_reliability.py.)"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.index.snapshot import current_snapshot_dir, read_snapshot
from tests.helpers import (
    ROOT,
    alive,
    big_corpus,
    children,
    copy_corpus,
    lock_is_held,
    private_mounts,
    python_env,
    run_cli,
    start_cli,
)

HASH = {"RAG_EMBEDDER": "hash"}
KNOWN = "Which company built the Kirin 9030 on its N+3 node?"
GIVE_UP = 300  # seconds after which a step counts as stalled (the test fails; never a timing)
CHECK = """import json, sys
from rag.index.snapshot import current_snapshot_dir, read_snapshot
from rag.retrieval.hybrid import hybrid_search
index = sys.argv[1]
snap = read_snapshot(current_snapshot_dir(index), full_check=True)
snap.verify(full=True)
hits = hybrid_search(snap, sys.argv[2], 1)
print(json.dumps({"documents": len(snap.documents), "snapshot": snap.path.name, "top": hits[0].chunk.source,
                  "leftovers": sorted(p.name for p in snap.path.parent.glob(".tmp-*"))}))
"""


def _check(index: Path) -> dict:
    """The live snapshot, loaded in a fresh process and fully checked, and the source of its best passage for KNOWN."""
    proc = subprocess.run([sys.executable, "-c", CHECK, str(index), KNOWN], env=python_env(), capture_output=True,
                          text=True, timeout=GIVE_UP)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout)


def _snapshot_bytes(corpus: Path, index: Path) -> int:
    assert run_cli("build", "--corpus", corpus, "--index", index, env=HASH).returncode == 0
    return sum(p.stat().st_size for p in current_snapshot_dir(index).rglob("*") if p.is_file())


@pytest.mark.slow  # four `rag build` processes, two of them on a tmpfs
def test_a_disk_that_fills_while_a_snapshot_is_written(tmp_path):
    small, large = copy_corpus(tmp_path / "small"), big_corpus(tmp_path / "large", 3)
    size = _snapshot_bytes(small, tmp_path / "probe-small") + _snapshot_bytes(large, tmp_path / "probe-large") // 2
    mounts, mount_point, out = private_mounts(), tmp_path / "disk", tmp_path / "out"
    mount_point.mkdir()
    out.mkdir()
    index = mount_point / "index"
    rag = f"{shlex.quote(sys.executable)} -m rag build --index {index} --corpus"
    check = f"{shlex.quote(sys.executable)} -c {shlex.quote(CHECK)} {index} {shlex.quote(KNOWN)}"
    if mounts:  # a tmpfs that holds one snapshot and a half: the second build's snapshot cannot fit beside the first
        steps = [f"mount -t tmpfs -o size={size} tmpfs {mount_point}", f"{rag} {small}",
                 f"{rag} {large}", check, f"mount -o remount,size={4 * size} {mount_point}", f"{rag} {large}", check]
    else:  # no namespaces here: the file size limit (ulimit -f, in 512-byte blocks) of the second build instead
        steps = [f"{rag} {small}", f"(ulimit -f {size // 2 // 512}; {rag} {large})", check, f"{rag} {large}", check]
    script = " ; ".join(f"{step} >{out}/{i}.out 2>{out}/{i}.err; echo $? >{out}/{i}.rc" for i, step in enumerate(steps))
    proc = subprocess.run([*(mounts or []), "bash", "-c", script], env=python_env(**HASH), cwd=ROOT,
                          capture_output=True, text=True, timeout=GIVE_UP)
    assert proc.returncode == 0, proc.stderr[-2000:]
    result = [((out / f"{i}.rc").read_text().strip(), (out / f"{i}.out").read_text(), (out / f"{i}.err").read_text())
              for i in range(len(steps))]
    first = 1 if mounts else 0  # the step that builds the first index
    failed, after, recovered, final = result[first + 1], result[first + 2], result[-2], result[-1]
    cause = "No space left on device" if mounts else "File too large"
    print(f"\n{'a full tmpfs' if mounts else 'a file size limit'} ({size:,} bytes): {failed[2].strip()[-400:]}")
    assert result[first][0] == "0" and failed[0] == "1"
    assert f"could not write the index in {index}: {cause}" in failed[2]
    assert "The last complete index is unchanged and still answers" in failed[2] and "Traceback" not in failed[2]
    survivor = json.loads(after[1])  # the last good index answers; the failed build left nothing behind
    assert survivor["documents"] == 10 and survivor["top"].startswith("chinas-chip-resilience")
    assert survivor["leftovers"] == []
    assert recovered[0] == "0", recovered[2][-2000:]  # once there is room, the next build just works
    assert json.loads(final[1])["documents"] == 30


@pytest.mark.slow  # `rag build` and `rag search` in child processes
def test_a_read_only_index_folder(tmp_path):
    corpus, index = copy_corpus(tmp_path / "corpus"), tmp_path / "index"
    assert run_cli("build", "--corpus", corpus, "--index", index, env=HASH).returncode == 0
    before = _check(index)
    big_corpus(corpus, 1)  # something to index
    mounts = private_mounts()
    build = [sys.executable, "-m", "rag", "build", "--corpus", str(corpus), "--index", str(index)]
    search = [sys.executable, "-m", "rag", "search", KNOWN, "-k", "1", "--corpus", str(corpus), "--index", str(index)]
    if mounts:  # a read-only bind mount of the index folder, seen by this command only
        read_only = f"mount --bind {index} {index} && mount -o remount,bind,ro {index}"
        script = f"{read_only} && {shlex.join(build)}; echo rc=$? >&2; {shlex.join(search)}"
        proc = subprocess.run([*mounts, "bash", "-c", script], env=python_env(**HASH), cwd=ROOT,
                              capture_output=True, text=True, timeout=GIVE_UP)
        cause = "Read-only file system"
    else:
        assert os.geteuid() != 0, "as root without mount namespaces nothing can make a folder read-only here"
        os.chmod(index, 0o555)
        try:
            proc = subprocess.run(["bash", "-c", f"{shlex.join(build)}; echo rc=$? >&2; {shlex.join(search)}"],
                                  env=python_env(**HASH), cwd=ROOT, capture_output=True, text=True, timeout=GIVE_UP)
        finally:
            os.chmod(index, 0o755)
        cause = "Permission denied"
    print(f"\nread-only index folder ({'bind mount' if mounts else 'chmod'}): "
          + next(line for line in proc.stderr.splitlines() if line.startswith("Error:")))
    assert "rc=1" in proc.stderr and "Traceback" not in proc.stderr
    assert f"could not write the index in {index}: {cause} ({index / '.build.lock'})" in proc.stderr
    assert "make the index folder writable" in proc.stderr
    assert "chinas-chip-resilience" in proc.stdout  # the last index keeps answering
    assert _check(index) == before
    assert run_cli("build", "--corpus", corpus, "--index", index, env=HASH).returncode == 0  # writable again: it works
    assert _check(index)["documents"] == 20


@pytest.mark.slow  # two `rag build` processes at once, then a third
def test_two_builds_at_once(tmp_path):
    corpus, index = big_corpus(tmp_path / "corpus", 6), tmp_path / "index"
    both = [start_cli("build", "--corpus", corpus, "--index", index, env=HASH) for _ in range(2)]
    outcomes = sorted((p.wait(GIVE_UP), p.stderr.read().decode()) for p in both)
    print(f"\ntwo builds at once: exit codes {[rc for rc, _ in outcomes]}; the refused one said: "
          f"{outcomes[1][1].strip()[-200:]}")
    assert [rc for rc, _ in outcomes] == [0, 1]
    assert f"another build is already running on {index}; wait for it to finish" in outcomes[1][1]
    assert "Traceback" not in outcomes[1][1]
    assert _check(index)["documents"] == 60
    again = run_cli("build", "--corpus", corpus, "--index", index, env=HASH)
    assert again.returncode == 0 and "0 of " in again.stdout  # the lock was let go; nothing left to embed


@pytest.mark.slow  # `rag watch` in a child process, killed with SIGKILL during its rebuild, then started again
def test_rag_watch_killed_during_its_rebuild(tmp_path):
    corpus, index = copy_corpus(tmp_path / "corpus"), tmp_path / "index"
    assert run_cli("build", "--corpus", corpus, "--index", index, env=HASH).returncode == 0
    before = _check(index)
    log = (tmp_path / "watch.log").open("w")
    watch = start_cli("watch", "--corpus", corpus, "--index", index, env=HASH, stdout=log, stderr=log)
    time.sleep(3)  # started, and found the index up to date
    big_corpus(corpus, 4)  # 40 new articles: a rebuild of several seconds
    deadline = time.monotonic() + GIVE_UP
    workers: list[int] = []
    while not (lock_is_held(index) and workers):  # its rebuild has started reading the new files in its workers
        assert watch.poll() is None and time.monotonic() < deadline, "the watcher never started its rebuild"
        workers = [pid for pid in children(watch.pid) if "rag.ingest.workers" in _cmdline(pid)]
        time.sleep(0.002)
    watch.send_signal(signal.SIGKILL)
    watch.wait()
    print(f"\nrag watch killed during its rebuild ({len(workers)} reading workers alive); "
          f"left behind: {sorted(p.name for p in index.iterdir())}")
    assert _check(index) == before  # the last good index, intact and answering
    assert not lock_is_held(index)
    while any(alive(pid) for pid in workers):  # its workers notice and exit by themselves
        assert time.monotonic() < deadline, "a worker outlived the killed watcher"
        time.sleep(0.1)
    again = start_cli("watch", "--corpus", corpus, "--index", index, env=HASH, stdout=log, stderr=log)
    try:
        while _documents(index) != 50:  # it catches up by itself: no manual step
            assert again.poll() is None and time.monotonic() < deadline, (tmp_path / "watch.log").read_text()[-2000:]
            time.sleep(0.5)
    finally:
        again.send_signal(signal.SIGINT)
        again.wait(60)
        log.close()
    after = _check(index)
    assert after["leftovers"] == [] and after["snapshot"] != before["snapshot"]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return ""


def _documents(index: Path) -> int:
    try:
        return len(read_snapshot(current_snapshot_dir(index)).documents)
    except Exception:  # noqa: BLE001 - mid-swap: ask again
        return -1

