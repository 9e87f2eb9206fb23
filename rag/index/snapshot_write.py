"""The write side of index snapshots: a complete snapshot folder written durably and swapped in atomically, and the
clean-up of old ones (the read side is :mod:`rag.index.snapshot`, the build itself :mod:`rag.index.build`)."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import resource
import shutil
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from rag.core.types import Chunk, Document
from rag.index.cache_texts import text_keys
from rag.index.snapshot import CURRENT, TEXT_VECTORS, sha256_file
from rag.index.sparse import BM25Index


def text_sha(doc: Document) -> str:
    """A document's identity for incremental builds: title, date, source and cleaned text."""
    return hashlib.sha256(f"{doc.title}\x00{doc.date}\x00{doc.source}\x00{doc.text}".encode()).hexdigest()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_bytes(path: Path, data: bytes) -> None:
    with open(path, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def _write_jsonl(path: Path, rows: list[dict]) -> None:
    _write_bytes(path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows).encode())


def write_snapshot(index_dir: Path, manifest: dict, docs: list[Document], chunks: list[Chunk],
                    vectors: np.ndarray, bm25: BM25Index, write_dense: Callable,
                    text_vectors: tuple[list[str], np.ndarray]) -> tuple[Path, Callable]:
    """Write a snapshot aside, durably, and make it live (``CURRENT``). If a write fails (disk full, read-only …),
    what was written is removed, so that the failed build holds no space, and the error is raised; the previous
    snapshot stays live."""
    tmp = index_dir / f".tmp-{uuid.uuid4().hex[:12]}"
    try:
        return _write(index_dir, tmp, manifest, docs, chunks, vectors, bm25, write_dense, text_vectors)
    except BaseException as exc:
        cause = _diagnose(exc, tmp) if isinstance(exc, Exception) else exc
        shutil.rmtree(tmp, ignore_errors=True)
        with contextlib.suppress(OSError):
            (index_dir / f".{CURRENT}.tmp").unlink()
        if cause is exc:
            raise
        raise cause from exc


def _diagnose(exc: Exception, tmp: Path) -> Exception:
    """The operating system's reason for a failed write. Libraries that write with C ``fwrite`` (numpy's
    ``tofile``, bm25s, FAISS) report a short write without it ("1519488 requested and 764896 written"); a full
    file system or a reached file size limit is then found by looking, while the partial snapshot still exists."""
    if isinstance(exc, OSError) and exc.errno:
        return exc
    with contextlib.suppress(OSError):
        fs = os.statvfs(tmp if tmp.exists() else tmp.parent)
        if fs.f_bavail * fs.f_frsize < 2**20:
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(tmp))
        soft = resource.getrlimit(resource.RLIMIT_FSIZE)[0]
        if soft != resource.RLIM_INFINITY and any(p.stat().st_size >= soft for p in tmp.rglob("*") if p.is_file()):
            return OSError(errno.EFBIG, os.strerror(errno.EFBIG), str(tmp))
    return exc


def remove_unfinished(index_dir: Path) -> None:
    """Remove the temporary folders of builds that were killed before they finished; call it holding the build lock."""
    for tmp in index_dir.glob(".tmp-*"):
        if tmp.is_dir():
            shutil.rmtree(tmp, ignore_errors=True)


def _write(index_dir: Path, tmp: Path, manifest: dict, docs: list[Document], chunks: list[Chunk],
           vectors: np.ndarray, bm25: BM25Index, write_dense: Callable,
           text_vectors: tuple[list[str], np.ndarray]) -> tuple[Path, Callable]:
    tmp.mkdir()
    doc_rows = [{**d.to_dict(), "tags": list(d.tags), "text_sha256": text_sha(d)} for d in docs]
    _write_jsonl(tmp / "documents.jsonl", doc_rows)
    _write_jsonl(tmp / "chunks.jsonl", [{**c.to_dict(), "sentences": [list(s) for s in c.sentences]} for c in chunks])
    with open(tmp / "vectors.npy", "wb") as fh:
        np.save(fh, vectors, allow_pickle=False)
        fh.flush()
        os.fsync(fh.fileno())
    if text_vectors[0]:
        _write_jsonl(tmp / TEXT_VECTORS[0], [{"text": t} for t in text_vectors[0]])
        for name, array in ((TEXT_VECTORS[1], text_vectors[1]), (TEXT_VECTORS[2], text_keys(text_vectors[0]))):
            with open(tmp / name, "wb") as fh:
                np.save(fh, array, allow_pickle=False)
                fh.flush()
                os.fsync(fh.fileno())
    (tmp / "bm25").mkdir()
    bm25.save(tmp / "bm25")
    finish = write_dense(tmp)  # FAISS: dense.faiss into tmp; Milvus: rows inserted (invisible) and flushed
    written = {}
    for file in sorted(p for p in tmp.rglob("*") if p.is_file()):
        if file.parent != tmp:  # bm25s writes its own files; make them durable too
            with open(file, "rb+") as fh:
                os.fsync(fh.fileno())
        written[file.relative_to(tmp).as_posix()] = {"bytes": file.stat().st_size, "sha256": sha256_file(file)}
    manifest["files_written"] = written
    _write_bytes(tmp / "manifest.json", json.dumps(manifest, indent=1, ensure_ascii=False).encode())
    _fsync_dir(tmp / "bm25")
    _fsync_dir(tmp)
    final = index_dir / f"snap-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
    os.rename(tmp, final)
    pointer = index_dir / f".{CURRENT}.tmp"
    try:
        _write_bytes(pointer, final.name.encode())
        os.replace(pointer, index_dir / CURRENT)
    except BaseException:  # not live: it goes too
        shutil.rmtree(final, ignore_errors=True)
        raise
    _fsync_dir(index_dir)
    return final, finish


def kept_manifests(index_dir: Path) -> list[dict]:
    kept = []
    for snap in index_dir.glob("snap-*"):
        with contextlib.suppress(OSError, ValueError):
            kept.append(json.loads((snap / "manifest.json").read_text(encoding="utf-8")))
    return kept


def cleanup(index_dir: Path, keep: set[str], keep_previous: int = 1) -> None:
    """Remove temporary folders of interrupted builds and all but the newest ``keep_previous`` older snapshots.

    One older snapshot is kept so that a process that loaded it just before the swap can finish its queries.
    """
    snaps = sorted((p for p in index_dir.glob("snap-*") if p.is_dir() and p.name not in keep),
                   key=lambda p: p.stat().st_mtime, reverse=True)
    for old in snaps[keep_previous:] + [p for p in index_dir.glob(".tmp-*") if p.is_dir()]:
        shutil.rmtree(old, ignore_errors=True)
