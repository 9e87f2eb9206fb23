"""Index snapshots, the read side: the on-disk layout, checksums, ``read_manifest`` / ``read_snapshot`` /
``load_index`` and the loaded :class:`IndexSnapshot`. Building and swapping snapshots is :mod:`rag.index.build`; the
layout is described there.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.core.errors import IndexCorruptError, IndexMissingError
from rag.core.types import Chunk, Document
from rag.index.cache_texts import StoredVectors, text_keys
from rag.index.sparse import BM25Index
from rag.index.stores import VectorStore, open_store
from rag.ingest.load import MAX_FILE_BYTES, iter_corpus_files

log = logging.getLogger(__name__)
FORMAT = 1
CURRENT = "CURRENT"
TEXT_VECTORS = ("texts.jsonl", "text_vectors.npy", "text_keys.npy")
"""Sentences and words embedded at build time, their vectors and a key per text (:mod:`rag.index.cache_texts`;
snapshots built before issue 33 have no keys, and only those of small corpora have the texts)."""
NOT_NUMBERS = "holds vectors that are not numbers (NaN or infinity): the embedder that wrote them computed wrong ones"


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def corpus_hashes(corpus_dir: str | Path) -> dict[str, str]:
    """sha256 of every supported file in the corpus, keyed by path relative to it. A file over the loader's size limit
    is identified by its size and modification time instead (never read: it is skipped anyway)."""
    corpus_dir = Path(corpus_dir)
    hashes = {}
    for path in iter_corpus_files(corpus_dir):
        with contextlib.suppress(OSError):
            stat = path.stat()
            rel = path.relative_to(corpus_dir).as_posix()
            hashes[rel] = (f"too-large:{stat.st_size}:{stat.st_mtime_ns}" if stat.st_size > MAX_FILE_BYTES
                           else sha256_file(path))
    return hashes


@dataclass
class IndexSnapshot:
    """One loaded, immutable index snapshot: everything a query needs, in memory."""

    path: Path
    manifest: dict
    documents: dict[str, Document]
    chunks: list[Chunk]
    vectors: np.ndarray
    dense: VectorStore
    bm25: BM25Index
    _by_id: dict[str, int] = field(default_factory=dict, repr=False)
    _text_vectors: StoredVectors | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self._by_id = {c.id: i for i, c in enumerate(self.chunks)}

    def text_vectors(self) -> StoredVectors:
        """The sentence and word vectors the build stored (text -> unit vector, :class:`StoredVectors`; empty for
        snapshots built before they were stored), opened on first use: the keys are read, the vectors mapped. They
        are only a cache (of the answerer's vector cache, and for the next build): files that do not fit each other
        or the embedder are logged and ignored, so those texts are embedded again."""
        if self._text_vectors is None:
            try:
                self._text_vectors = self._read_text_vectors()
            except IndexCorruptError as exc:
                log.warning("stored sentence vectors not used: %s", exc)
                self._text_vectors = StoredVectors.empty(self.manifest["dim"])
        return self._text_vectors

    def _read_text_vectors(self) -> StoredVectors:
        count = self.manifest["counts"].get("text_vectors")
        if not count:
            return StoredVectors.empty(self.manifest["dim"])
        names, vectors, keys_file = (self.path / name for name in TEXT_VECTORS)

        def texts() -> list[str]:
            with _reading(names):
                return [row["text"] for row in _read_jsonl(names)]

        with _reading(vectors):
            array = np.load(vectors, allow_pickle=False, mmap_mode="r")  # rows are read when an answer needs them
        if keys_file.is_file():
            with _reading(keys_file):
                keys = np.load(keys_file, allow_pickle=False)
        else:  # a snapshot built before the keys were stored
            keys = text_keys(texts())
        if array.shape != (count, self.manifest["dim"]) or array.dtype != np.float32:
            raise IndexCorruptError(vectors, f"shape {array.shape} does not fit {count} texts")
        if keys.shape != (count,) or keys.dtype != np.uint64:
            raise IndexCorruptError(keys_file, f"shape {keys.shape} does not fit {count} texts")
        return StoredVectors(keys, array, texts, vectors)

    @property
    def embedder_key(self) -> str:
        return self.manifest["embedder"]

    def chunk_index(self, chunk_id: str) -> int | None:
        return self._by_id.get(chunk_id)

    def _verify_store(self, n: int, full: bool) -> None:
        rows = self.dense.count()
        if self.dense.kind == "faiss" and rows != n:
            raise IndexCorruptError(self.path / "manifest.json", f"FAISS holds {rows} vectors for {n} chunks")
        if self.dense.kind == "milvus":
            # rows the previous build dropped may linger until its deletion step ran (see rag.index.stores.milvus_store)
            missing = self.dense.missing([c.id for c in self.chunks]) if full else [] if rows >= n else ["?"]  # type: ignore[attr-defined]  # a MilvusStore
            if missing:
                raise IndexCorruptError(f"Milvus collection {self.manifest['store']['collection']}",
                                        f"{rows} visible vectors for {n} chunks")

    def verify(self, full: bool = True) -> None:
        """Integrity check: manifest, chunk store and vectors agree; with ``full``, file checksums match.

        :raises IndexCorruptError: naming the file and the problem.
        """
        verify_snapshot_files(self.path, self.manifest, full=full)
        n = self.manifest["counts"]["chunks"]
        if len(self.chunks) != n or self.vectors.shape[0] != n or self.bm25.size != n:
            raise IndexCorruptError(self.path / "manifest.json", "chunk, vector and BM25 counts disagree")
        self._verify_store(n, full)
        if len(self.documents) != self.manifest["counts"]["documents"]:
            raise IndexCorruptError(self.path / "documents.jsonl", "document count disagrees with the manifest")
        with _reading(self.path / "chunks.jsonl"):  # e.g. a span that is not a number
            for chunk in self.chunks:
                doc = self.documents.get(chunk.doc_id)
                if doc is None or doc.text[chunk.start : chunk.end] != chunk.text:
                    raise IndexCorruptError(self.path / "chunks.jsonl", f"chunk {chunk.id} does not match its document")


def verify_snapshot_files(path: Path, manifest: dict, full: bool) -> None:
    for name, meta in manifest["files_written"].items():
        file = path / name
        if not file.is_file():
            raise IndexCorruptError(file, "file is missing")
        if file.stat().st_size != meta["bytes"]:
            raise IndexCorruptError(file, f"size {file.stat().st_size} bytes, manifest says {meta['bytes']}")
        if full and sha256_file(file) != meta["sha256"]:
            raise IndexCorruptError(file, "checksum does not match the manifest")


def current_snapshot_dir(index_dir: str | Path) -> Path:
    """The live snapshot folder. :raises IndexMissingError: when no build has completed yet."""
    index_dir = Path(index_dir)
    try:
        name = (index_dir / CURRENT).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        raise IndexMissingError(index_dir) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(index_dir / CURRENT, f"unreadable ({exc})") from None
    if not name.startswith("snap-") or "/" in name or not (index_dir / name).is_dir():
        raise IndexCorruptError(index_dir / CURRENT, f"points at a missing snapshot {name!r}")
    return index_dir / name


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexCorruptError(path, "file is missing") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(path, f"not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise IndexCorruptError(path, "not a JSON object")
    return data


def _read_jsonl(path: Path) -> Iterator[dict]:
    try:
        with open(path, encoding="utf-8") as fh:
            for line_no, line in enumerate(fh, 1):
                try:
                    yield json.loads(line)
                except ValueError:
                    raise IndexCorruptError(path, f"line {line_no} is not valid JSON") from None
    except FileNotFoundError:
        raise IndexCorruptError(path, "file is missing") from None
    except UnicodeDecodeError:
        raise IndexCorruptError(path, "not valid UTF-8") from None


# What every reader relies on in manifest.json: key -> type, and for the nested records their keys and types.
_MANIFEST: dict[str, type] = {"format": int, "embedder": str, "chunker": dict, "dense": dict, "counts": dict, "files": dict,
             "files_written": dict}
_NESTED: dict[str, dict[str, type]] = {"dense": {"kind": str}, "counts": {"documents": int, "chunks": int}}
_CORE_FILES = ("documents.jsonl", "chunks.jsonl", "vectors.npy")
_PER_FILE: dict[str, dict[str, type]] = {"files": {"sha256": str, "doc_id": str}, "files_written": {"bytes": int, "sha256": str}}


def _need(record: object, keys: dict[str, type], where: str, path: Path) -> None:
    if not isinstance(record, dict):
        raise IndexCorruptError(path, f"{where} is not a JSON object")
    for key, kind in keys.items():
        if key not in record:
            raise IndexCorruptError(path, f"{where} has no {key!r}")
        value = record[key]
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise IndexCorruptError(path, f"{where}: {key!r} should be {kind.__name__}, got {type(value).__name__}")


def read_manifest(snapshot_dir: Path) -> dict:
    """The snapshot's manifest, checked for every key and type that readers and the next build rely on.

    :raises IndexCorruptError: naming ``manifest.json`` and the missing or malformed key.
    """
    path = snapshot_dir / "manifest.json"
    manifest = _read_json(path)
    if manifest.get("format") != FORMAT:
        raise IndexCorruptError(path, f"index format {manifest.get('format')!r}, expected {FORMAT}")
    _need(manifest, _MANIFEST, "the manifest", path)
    for key, keys in _NESTED.items():
        _need(manifest[key], keys, f"the manifest's {key!r}", path)
    for key, keys in _PER_FILE.items():
        for name, meta in manifest[key].items():
            _need(meta, keys, f"the manifest's {key!r} entry {name!r}", path)
    # the checksums must cover the core files, and name only files inside the snapshot
    missing = sorted(set(_CORE_FILES) - set(manifest["files_written"]))
    if missing:
        raise IndexCorruptError(path, f"the manifest's 'files_written' lacks {', '.join(missing)}")
    outside = [n for n in manifest["files_written"] if Path(n).is_absolute() or ".." in Path(n).parts]
    if outside:
        raise IndexCorruptError(path, f"the manifest's 'files_written' names a file outside the snapshot: {outside[0]!r}")
    if not isinstance(manifest.get("corpus_hashes", {}), dict):
        raise IndexCorruptError(path, "the manifest's 'corpus_hashes' is not a JSON object")
    return manifest


@contextlib.contextmanager
def _reading(path: Path) -> Iterator[None]:
    """Any failure while decoding ``path`` means the file is unusable: report it as such, naming the file."""
    try:
        yield
    except IndexCorruptError:
        raise
    except Exception as exc:  # noqa: BLE001 - a damaged file can make any decoder fail in any way
        raise IndexCorruptError(path, f"unexpected content ({type(exc).__name__}: {exc})") from exc


def _chunk_from_row(row: dict) -> Chunk:
    row = dict(row)
    row["sentences"] = tuple(tuple(s) for s in row.get("sentences", ()))
    return Chunk(**row)


def _document_from_row(row: dict) -> Document:
    row = {k: v for k, v in row.items() if k != "text_sha256"}
    row["tags"] = tuple(row.get("tags", ()))
    return Document(**row)


def read_snapshot(path: Path, full_check: bool = False) -> IndexSnapshot:
    """Load a snapshot folder. :raises IndexCorruptError: on any damaged or inconsistent file, naming it."""
    manifest = read_manifest(path)
    verify_snapshot_files(path, manifest, full=full_check)
    with _reading(path / "documents.jsonl"):
        documents = {d.id: d for d in map(_document_from_row, _read_jsonl(path / "documents.jsonl"))}
    with _reading(path / "chunks.jsonl"):
        chunks = [_chunk_from_row(r) for r in _read_jsonl(path / "chunks.jsonl")]
    milvus = (manifest.get("store") or {}).get("kind") == "milvus"
    # The vector store keeps its own copy (FAISS flat or HNSW) or none in process (Milvus); the snapshot's array is
    # read row by row (diversity, conflicts) or once to build a flat index: map the file, do not load a second copy
    with _reading(path / "vectors.npy"):
        vectors = np.load(path / "vectors.npy", allow_pickle=False, mmap_mode="r")
    if vectors.ndim != 2 or vectors.dtype != np.float32 or vectors.shape[0] != len(chunks):
        raise IndexCorruptError(path / "vectors.npy", f"shape {vectors.shape} does not fit {len(chunks)} chunks")
    # about 10 ms per 40k vectors; with Milvus they are mapped, not read, and only new vectors are checked (on embedding)
    if not milvus and not np.isfinite(vectors).all():
        raise IndexCorruptError(path / "vectors.npy", NOT_NUMBERS)
    with _reading(path / "bm25"):
        bm25 = BM25Index.load(path / "bm25")
    ids, doc_ids = [c.id for c in chunks], [c.doc_id for c in chunks]
    if milvus:  # an unreachable server is not a damaged file: the store raises its own error, naming the server
        dense = open_store(path, manifest, ids, doc_ids, vectors)
    else:
        with _reading(path / ("vectors.npy" if manifest["dense"]["kind"] == "flat" else "dense.faiss")):
            dense = open_store(path, manifest, ids, doc_ids, vectors)
    snapshot = IndexSnapshot(path, manifest, documents, chunks, vectors, dense, bm25)
    snapshot.verify(full=False)
    return snapshot


_loaded: dict[str, IndexSnapshot] = {}
_load_lock = threading.Lock()


def load_index(index_dir: str | Path = "index") -> IndexSnapshot:
    """The live snapshot, loaded once per process and reloaded when a build swaps in a new one.

    :raises IndexMissingError: no index yet. :raises IndexCorruptError: a damaged index file, with its name.
    """
    path = current_snapshot_dir(index_dir)
    key = str(path.resolve())
    with _load_lock:
        snapshot = _loaded.get(key)
        if snapshot is None:
            snapshot = read_snapshot(path)
            for old in [k for k in _loaded if Path(k).parent == path.resolve().parent]:
                del _loaded[old]
            _loaded[key] = snapshot
        return snapshot
