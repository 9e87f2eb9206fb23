"""Index: incremental build, atomic swap, and loading of immutable index snapshots.

Layout of ``index/`` (every file is inspectable; nothing is loaded with pickle)::

    CURRENT                 name of the live snapshot folder (replaced atomically with os.replace)
    snap-<time>-<id>/       one complete, immutable snapshot
        manifest.json       format, embedder key, chunker and BM25 settings, per-file sha256, counts, file checksums
        documents.jsonl     cleaned documents (citation spans refer to their ``text``)
        chunks.jsonl        chunks with doc-relative char spans and sentence spans
        vectors.npy         float32 unit vectors, row i = chunk i (also the embedding cache for the next build)
        texts.jsonl         corpora up to 15,000 sentences: its sentences and words (rag.index.cache_texts.build_time_texts) ...
        text_vectors.npy    ... and their vectors, which start every process's vector cache
        bm25/               bm25s arrays (.npy) and vocabulary (.json)
        dense.faiss         only for approximate (HNSW) indexes; exact ones are rebuilt from vectors.npy on load
    milvus.db               only with ``store = "milvus"`` and an empty ``milvus_uri``: the Milvus Lite database
    .build.lock             held while a build runs

A build writes a new snapshot into a temporary folder, fsyncs it, renames it, and only then points ``CURRENT`` at
it (:mod:`rag.index.snapshot_write`). A build that fails or is killed at any moment therefore leaves the previous snapshot
live and intact. Readers resolve ``CURRENT`` once per query and keep using the snapshot they loaded, so a query never
mixes two indexes.
The vectors are searched in the store the manifest's ``store`` record names (FAISS files here, or a Milvus
collection at one build generation: see :mod:`rag.index.stores`).
"""

from __future__ import annotations

import contextlib
import fcntl
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from rag.core.errors import (
    BuildBusyError,
    DocumentError,
    IndexCorruptError,
    IndexMissingError,
    IndexWriteError,
)
from rag.core.protocols import Embedder
from rag.core.types import BuildReport, Chunk, Document
from rag.encoders.registry import encode_with_progress, get_embedder
from rag.index.cache_texts import build_time_texts

from rag.index.snapshot import (
    FORMAT,
    IndexSnapshot,
    corpus_hashes,
    current_snapshot_dir,
    read_manifest,
    read_snapshot,
)
from rag.index.snapshot_write import cleanup, kept_manifests, remove_unfinished, text_sha, write_snapshot
from rag.index.sparse import BM25Index
from rag.index.stores import StoreSpec, write_store
from rag.ingest.chunk import ChunkerSettings, chunk_many
from rag.ingest.load import SUFFIXES, CorpusLoad, load_corpus
from rag.ingest.workers import Limits

log = logging.getLogger(__name__)
Progress = Callable[[int, int], None]
"""``progress(done, total)`` for the embedding step."""


@dataclass(frozen=True)
class IndexStatus:
    exists: bool
    stale: bool
    changed: list[str] = field(default_factory=list)
    built_at: str | None = None
    embedder: str | None = None
    documents: int = 0
    chunks: int = 0
    problem: str | None = None

    def describe(self) -> str:
        if self.problem:
            return self.problem
        if not self.exists:
            return "No index yet. Build it with: rag build"
        state = "stale" if self.stale else "up to date"
        line = f"Index {state}: {self.documents} documents, {self.chunks} chunks, built {self.built_at} with {self.embedder}"
        if self.stale:
            shown = ", ".join(self.changed[:5]) + (" ..." if len(self.changed) > 5 else "")
            line += f". Changed since: {shown}. Update it with: rag build"
        return line


def index_status(corpus_dir: str | Path = "corpus", index_dir: str | Path = "index") -> IndexStatus:
    """Whether an index exists and whether the corpus changed since it was built (by file content hash)."""
    try:
        manifest = read_manifest(current_snapshot_dir(index_dir))
    except IndexMissingError:
        return IndexStatus(exists=False, stale=True)
    except IndexCorruptError as exc:
        return IndexStatus(exists=False, stale=True, problem=str(exc))
    now = corpus_hashes(corpus_dir) if Path(corpus_dir).is_dir() else {}
    before = manifest.get("corpus_hashes", {})
    changed = sorted(k for k in set(now) | set(before) if now.get(k) != before.get(k))
    return IndexStatus(True, bool(changed), changed, manifest.get("created"), manifest.get("embedder"),
                       manifest["counts"]["documents"], manifest["counts"]["chunks"])


@contextlib.contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    """Hold the index folder's build lock (one build at a time; the kernel releases it when a build dies), and clear
    what builds killed before writing their snapshot left behind (no other build can be writing now).

    :raises BuildBusyError: another build holds it. :raises IndexWriteError: the folder cannot be written."""
    try:
        index_dir.mkdir(parents=True, exist_ok=True)
        fh = open(index_dir / ".build.lock", "a+")
    except OSError as exc:
        raise IndexWriteError(index_dir, exc) from None
    with fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildBusyError(index_dir) from None
        try:
            remove_unfinished(index_dir)
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)


def _previous(index_dir: Path) -> tuple[IndexSnapshot | None, str | None]:
    """The live snapshot, for reuse, or why there is none to reuse. A damaged one is not reused: the build replaces
    it with a full rebuild (it stays on disk, untouched, until a newer snapshot has been swapped in)."""
    try:
        return read_snapshot(current_snapshot_dir(index_dir)), None
    except IndexMissingError:
        return None, None
    except IndexCorruptError as exc:
        log.warning("previous index not reused: %s", exc)
        return None, f"the previous index was unusable: {exc.path}: {exc.reason}"


def build_index(
    corpus_dir: str | Path = "corpus",
    index_dir: str | Path = "index",
    *,
    embedder: Embedder | None = None,
    chunker: ChunkerSettings | None = None,
    progress: Progress | None = None,
    dense_kind: str = "auto",
    store: StoreSpec | None = None,
    limits: Limits | None = None,
    sentence_vectors: bool = True,
) -> BuildReport:
    """Build or update the index incrementally and swap it in atomically.

    Unchanged chunks reuse their vectors (cached by chunk content hash); a different embedder or chunker setting
    rebuilds everything. Unreadable corpus files are skipped and listed in ``BuildReport.skipped``.

    :param embedder: ``None`` uses the default MiniLM embedder.
    :param progress: called as ``progress(done, total)`` while embedding.
    :param store: where the vectors go; ``None`` is FAISS. With Milvus only new chunks are inserted and dropped
        ones deleted after the switch (see :mod:`rag.index.stores.milvus_store`).
    :param limits: time and memory limits for reading each file (:mod:`rag.ingest.workers`); ``None``: the defaults.
    :param sentence_vectors: also embed and store every sentence and word of the corpus, so that answers embed
        only the question (:mod:`rag.index.cache_texts`); ``False`` builds faster and answers embed what they read.
    :raises RagError: the corpus folder is missing or holds no readable article (the index is left as it was);
        :class:`BuildBusyError`: another build holds the lock; :class:`IndexWriteError`: the operating system refused
        a write (disk full, read-only folder …): nothing is left behind and the last index stays live.
    """
    started = time.perf_counter()
    corpus_dir, index_dir = Path(corpus_dir), Path(index_dir)
    if not corpus_dir.is_dir():  # before the model and the lock: a mistyped path leaves no index folder behind
        raise DocumentError(corpus_dir, "corpus folder does not exist")
    embedder = embedder or get_embedder()
    settings = chunker or ChunkerSettings(max_model_tokens=embedder.max_tokens)
    with _build_lock(index_dir):
        loaded = load_corpus(corpus_dir, limits)
        if not loaded.documents:  # an empty index would answer "the articles do not say" to everything
            skipped = "; ".join(f"{k}: {v}" for k, v in loaded.skipped.items())
            skipped = f" (skipped {skipped})" if skipped else ""
            raise DocumentError(corpus_dir, f"no readable articles to index{skipped}; add {', '.join(SUFFIXES)} files. "
                                "The index was left as it was")
        previous, unusable = _previous(index_dir)
        full = previous is None or (
            previous.manifest["embedder"] != embedder.key or previous.manifest["chunker"] != settings.to_dict()
        )
        new_files = loaded.file_hashes
        counts = _file_counts({} if previous is None else previous.manifest["files"], new_files)
        chunks = _chunk_documents(loaded.documents, settings, embedder, None if full else previous)
        texts = build_time_texts(chunks, {d.id: d for d in loaded.documents}) if sentence_vectors else []
        vectors, text_vectors, embedded, texts_embedded = _embed(chunks, texts, embedder, None if full else previous,
                                                                 progress)
        bm25 = BM25Index().index([c.embedding_text for c in chunks])
        manifest = _manifest(embedder, settings, bm25, loaded, chunks, texts, corpus_dir)
        spec = store or StoreSpec()

        def write_dense(tmp: Path) -> Callable[[list[dict]], None]:
            manifest["dense"], manifest["store"], finish = write_store(
                spec, index_dir, tmp, None if previous is None else previous.manifest,
                [] if previous is None else [c.id for c in previous.chunks], [c.id for c in chunks],
                [c.doc_id for c in chunks], vectors, full=full, dense_kind=dense_kind)
            return finish

        try:
            snapshot_dir, finish = write_snapshot(index_dir, manifest, loaded.documents, chunks, vectors, bm25,
                                                   write_dense, (texts, text_vectors))
        except OSError as exc:  # disk full, read-only, a file size limit: the snapshot written so far is removed
            raise IndexWriteError(index_dir, exc) from None
        cleanup(index_dir, keep={snapshot_dir.name})
        finish(kept_manifests(index_dir))
    return BuildReport(**counts, chunks_total=len(chunks), chunks_embedded=embedded, texts_embedded=texts_embedded,
                       seconds=time.perf_counter() - started, full_rebuild=full and (previous is not None or bool(unusable)),
                       full_rebuild_reason=unusable,
                       skipped=[f"{k}: {v}" for k, v in loaded.skipped.items()], index_dir=str(snapshot_dir))


def _file_counts(old_files: dict[str, dict], new_files: dict[str, str]) -> dict[str, int]:
    """Files added, removed, changed and unchanged since the previous build (by content hash)."""
    return dict(
        added=sum(1 for f in new_files if f not in old_files),
        removed=sum(1 for f in old_files if f not in new_files),
        changed=sum(1 for f in new_files if f in old_files and old_files[f]["sha256"] != new_files[f]),
        unchanged=sum(1 for f in new_files if f in old_files and old_files[f]["sha256"] == new_files[f]),
    )


def _manifest(embedder: Embedder, settings: ChunkerSettings, bm25: BM25Index, loaded: CorpusLoad,
              chunks: list[Chunk], texts: list[str], corpus_dir: Path) -> dict:
    """The new snapshot's manifest, less the ``dense`` and ``store`` records the vector store adds."""
    new_files = loaded.file_hashes
    return {
        "format": FORMAT,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "embedder": embedder.key,
        "dim": embedder.dim,
        "chunker": settings.to_dict(),
        "bm25": bm25.params,
        "counts": {"documents": len(loaded.documents), "chunks": len(chunks), "text_vectors": len(texts)},
        "files": {rel: {"sha256": digest, "doc_id": doc.id}
                  for doc in loaded.documents for rel, digest in [(doc.source, new_files[doc.source])]},
        # what the build read stands for each file it read: one edited since then shows as changed (rag status)
        "corpus_hashes": {**corpus_hashes(corpus_dir), **loaded.read_hashes},
        "skipped": loaded.skipped,
    }


def _chunk_documents(docs: list[Document], settings: ChunkerSettings, embedder: Embedder,
                     previous: IndexSnapshot | None) -> list[Chunk]:
    """Chunk every document, reusing the previous chunks of documents whose cleaned text did not change."""
    reuse: dict[str, list[Chunk]] = {}
    if previous is not None:
        for chunk in previous.chunks:
            reuse.setdefault(chunk.doc_id, []).append(chunk)
    def reusable(doc: Document) -> bool:
        old = previous.documents.get(doc.id) if previous else None
        return old is not None and text_sha(old) == text_sha(doc) and doc.id in reuse

    todo = [doc for doc in docs if not reusable(doc)]
    # a picklable token counter lets large builds chunk in worker processes (rag.ingest.chunk.chunk_many)
    counter = getattr(embedder, "token_counter", None) or embedder.count_tokens
    fresh = dict(zip((d.id for d in todo), chunk_many(todo, settings, counter)))
    chunks: list[Chunk] = []
    for doc in docs:
        chunks.extend(fresh[doc.id] if doc.id in fresh else reuse[doc.id])
    return chunks


def _embed(chunks: list[Chunk], texts: list[str], embedder: Embedder, previous: IndexSnapshot | None,
           progress: Progress | None) -> tuple[np.ndarray, np.ndarray, int, int]:
    """Vectors of the chunks and of the build-time ``texts`` (sentences and words, :func:`rag.index.cache_texts.build_time_texts`),
    reusing the previous snapshot's for what did not change; one embedding pass for the rest. Also returns how many
    chunks and how many texts were embedded."""
    vectors = np.zeros((len(chunks), embedder.dim), dtype=np.float32)
    text_vectors = np.zeros((len(texts), embedder.dim), dtype=np.float32)
    missing = []
    for i, chunk in enumerate(chunks):
        j = previous.chunk_index(chunk.id) if previous is not None else None
        if j is None:
            missing.append(i)
        else:
            vectors[i] = previous.vectors[j]  # type: ignore[union-attr]  # j is None without a previous snapshot
    new_texts = list(range(len(texts)))
    if previous is not None:
        found, old = previous.text_vectors().lookup(texts)
        text_vectors[found] = old
        new_texts = np.flatnonzero(~found).tolist()
    todo = [chunks[i].embedding_text for i in missing] + [texts[i] for i in new_texts]
    if todo:
        done = encode_with_progress(embedder, todo, progress)
        vectors[missing], text_vectors[new_texts] = done[: len(missing)], done[len(missing) :]
    return vectors, text_vectors, len(missing), len(new_texts)
