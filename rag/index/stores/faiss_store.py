"""The default vector store: FAISS in process (see :mod:`rag.index.vectors`), saved in the snapshot folder.

Exact search (``IndexFlatIP``) up to :data:`rag.index.vectors.EXACT_LIMIT` vectors, HNSW beyond. A flat index is not
written to disk: it is rebuilt from the snapshot's ``vectors.npy`` on load; HNSW goes to ``dense.faiss``. These
are the same files and the same behaviour as before the store contract existed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from rag.index.stores.base import Finish, StoreSpec, VectorStore
from rag.index.vectors import DenseIndex


class FaissStore:
    """Chunk vectors in a FAISS index; row ``i`` is chunk ``ids[i]``.

    :param kind: ``"flat"``, ``"hnsw"`` or ``"auto"`` (see :func:`rag.index.vectors.choose_kind`).
    """

    kind = "faiss"

    def __init__(self, ids: Sequence[str], doc_ids: Sequence[str], vectors: np.ndarray, kind: str = "auto",
                 dense: DenseIndex | None = None):
        self.ids, self.doc_ids = list(ids), list(doc_ids)
        self.vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        self._requested = kind
        self._dense = dense if dense is not None else DenseIndex(self.vectors, kind=kind)

    @classmethod
    def from_snapshot(cls, path: Path, manifest: dict, ids: Sequence[str], doc_ids: Sequence[str],
                      vectors: np.ndarray) -> FaissStore:
        """Reopen the store of a snapshot folder. :raises RuntimeError: unreadable ``dense.faiss``."""
        if manifest["dense"]["kind"] == "flat":
            return cls(ids, doc_ids, vectors, kind="flat")
        return cls(ids, doc_ids, vectors, kind="hnsw", dense=DenseIndex.load(path / "dense.faiss"))

    @property
    def dense(self) -> DenseIndex:
        return self._dense

    @property
    def index_kind(self) -> str:
        return self._dense.kind

    def _rebuild(self, keep: np.ndarray, extra_ids: list[str], extra_docs: list[str], extra: np.ndarray) -> None:
        self.ids = [self.ids[i] for i in np.flatnonzero(keep)] + extra_ids
        self.doc_ids = [self.doc_ids[i] for i in np.flatnonzero(keep)] + extra_docs
        self.vectors = np.ascontiguousarray(np.concatenate([self.vectors[keep], extra]), dtype=np.float32)
        self._dense = DenseIndex(self.vectors, kind=self._requested)  # FAISS flat/HNSW cannot remove rows cheaply

    def upsert(self, ids: Sequence[str], doc_ids: Sequence[str], vectors: np.ndarray) -> None:
        new = set(ids)
        keep = np.array([i not in new for i in self.ids], dtype=bool)
        self._rebuild(keep, list(ids), list(doc_ids), np.asarray(vectors, np.float32).reshape(len(ids), -1))

    def delete(self, ids: Iterable[str]) -> int:
        gone = set(ids)
        keep = np.array([i not in gone for i in self.ids], dtype=bool)
        self._rebuild(keep, [], [], np.zeros((0, self.vectors.shape[1]), np.float32))
        return len(gone)

    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        gone = set(doc_ids)
        victims = [i for i, d in zip(self.ids, self.doc_ids) if d in gone]
        self.delete(victims)
        return len(victims)

    def search(self, query: np.ndarray, k: int) -> tuple[list[str], np.ndarray]:
        rows, scores = self._dense.search(query, k)
        return [self.ids[r] for r in rows.tolist()], scores

    def count(self) -> int:
        return self._dense.size

    def save(self, directory: Path) -> dict:
        if self._dense.kind != "flat":
            self._dense.save(Path(directory) / "dense.faiss")
        return {"kind": self.kind, "index": self._dense.kind}

    def close(self) -> None:
        self._dense = DenseIndex(np.zeros((0, self.vectors.shape[1]), np.float32), kind="flat")
        self.ids, self.doc_ids = [], []


class FaissKind:
    """The ``faiss`` entry of :data:`rag.core.registry.STORES`: FAISS files inside the snapshot folder."""

    def write(self, spec: StoreSpec, index_dir: Path, snapshot_tmp: Path, previous: dict | None,
              previous_ids: list[str], ids: list[str], doc_ids: list[str], vectors: np.ndarray, *,
              full: bool, dense_kind: str = "auto") -> tuple[dict, dict, Finish]:
        store = FaissStore(ids, doc_ids, vectors, kind=dense_kind)
        record = store.save(snapshot_tmp)
        return {"kind": store.index_kind}, record, lambda kept: None

    def open(self, path: Path, manifest: dict, record: dict, ids: list[str], doc_ids: list[str],
             vectors: np.ndarray) -> VectorStore:
        return FaissStore.from_snapshot(path, manifest, ids, doc_ids, vectors)


KIND = FaissKind()
