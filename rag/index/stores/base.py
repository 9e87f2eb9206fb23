"""The vector-store contract: what the index needs from a place that keeps chunk vectors and searches them.

Two implementations: :class:`rag.index.stores.faiss_store.FaissStore` (default; in-process, files in the snapshot
folder) and :class:`rag.index.stores.milvus_store.MilvusStore` (Milvus Lite in a local file, or a Milvus server or
cluster). Rows are keyed by chunk id (a content hash, see :func:`rag.ingest.chunk.chunk_id`) and carry their document id,
so an incremental build touches only the chunks that changed. Chunk text, spans and documents never live in a
store: the snapshot folder (``chunks.jsonl``, ``documents.jsonl``) stays the source of truth for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from rag.core.config import Settings
from rag.core.errors import RagError


class StoreError(RagError):
    """The vector store cannot be reached or refused an operation; the message names the store and the fix."""


@runtime_checkable
class VectorStore(Protocol):
    """A searchable set of unit vectors keyed by chunk id (inner product = cosine similarity)."""

    kind: str
    """``"faiss"`` or ``"milvus"``; recorded in the snapshot manifest."""

    def upsert(self, ids: Sequence[str], doc_ids: Sequence[str], vectors: np.ndarray) -> None:
        """Add rows, replacing rows that have the same id. ``vectors`` is float32, one row per id."""

    def delete(self, ids: Iterable[str]) -> int:
        """Remove the rows with these chunk ids; returns how many were asked for (missing ids are ignored)."""

    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        """Remove every row of these documents; returns how many rows went."""

    def search(self, query: np.ndarray, k: int) -> tuple[list[str], np.ndarray]:
        """Chunk ids and cosine scores of the ``k`` nearest rows to one query vector, best first."""

    def count(self) -> int:
        """Rows visible to searches."""

    def save(self, directory: Path) -> dict:
        """Make every write durable (files under the snapshot ``directory`` for FAISS, a flush for Milvus) and
        return the manifest record (``{"kind": ..., ...}``) from which :func:`rag.index.stores.open_store` reopens it."""

    def close(self) -> None:
        """Release files, connections and memory; the store is unusable afterwards."""


@dataclass(frozen=True)
class StoreSpec:
    """Which store a build writes to. ``uri`` empty means ``<index_dir>/milvus.db`` (Milvus Lite)."""

    kind: str = "faiss"
    uri: str = ""
    token: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> StoreSpec:
        return cls(settings.store, settings.milvus_uri, settings.milvus_token)


Finish = Callable[[list[dict]], None]
"""Called after the new snapshot is live, with the manifests of the snapshots kept on disk."""


class StoreKind(Protocol):
    """One kind of vector store as the registry (:data:`rag.core.registry.STORES`) knows it: how a build writes a
    snapshot's vectors to it, and how a loaded snapshot opens them again. A plug-in's entry point names an object with
    these two methods."""

    def write(self, spec: StoreSpec, index_dir: Path, snapshot_tmp: Path, previous: dict | None,
              previous_ids: list[str], ids: list[str], doc_ids: list[str], vectors: np.ndarray, *,
              full: bool, dense_kind: str = "auto") -> tuple[dict, dict, Finish]:
        """Write the new snapshot's vectors (see :func:`rag.index.stores.write_store`)."""
        ...

    def open(self, path: Path, manifest: dict, record: dict, ids: list[str], doc_ids: list[str],
             vectors: np.ndarray) -> VectorStore:
        """The store of the snapshot folder ``path``, from its manifest's ``store`` ``record``."""
        ...
