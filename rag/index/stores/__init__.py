"""Vector stores behind the index: the contract (:class:`VectorStore`), and opening/writing the configured one.

``store = "faiss"`` (default) keeps vectors in FAISS files inside the snapshot; ``store = "milvus"`` keeps them
in Milvus (see :mod:`rag.index.stores.milvus_store` for how builds stay incremental and atomic there). Either way the
snapshot folder holds documents, chunks, ``vectors.npy`` (the embedding cache) and the BM25 arrays, and its
manifest's ``store`` record says where the vectors are searched.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from rag.core.errors import ConfigError
from rag.core.registry import STORES
from rag.index.stores.base import Finish, StoreError, StoreKind, StoreSpec, VectorStore

__all__ = ["StoreError", "StoreKind", "StoreSpec", "VectorStore", "open_store", "write_store"]


def open_store(path: Path, manifest: dict, ids: list[str], doc_ids: list[str], vectors: np.ndarray) -> VectorStore:
    """The store of a snapshot folder, as its manifest records it (no ``store`` record: FAISS)."""
    record = manifest.get("store") or {"kind": "faiss"}
    try:
        kind: StoreKind = STORES.get(record["kind"])
    except ConfigError:
        raise StoreError(f"{path / 'manifest.json'}: unknown vector store {record['kind']!r}") from None
    return kind.open(path, manifest, record, ids, doc_ids, vectors)


def write_store(spec: StoreSpec, index_dir: Path, snapshot_tmp: Path, previous: dict | None,
                previous_ids: list[str], ids: list[str], doc_ids: list[str], vectors: np.ndarray, *,
                full: bool, dense_kind: str = "auto") -> tuple[dict, dict, Finish]:
    """Write the new snapshot's vectors to the configured store.

    :param previous: the live snapshot's manifest, or ``None``; ``previous_ids`` its chunk ids.
    :param full: the embedder or chunker changed: nothing of the previous store is reused.
    :returns: the manifest's ``dense`` and ``store`` records, and the step to run after the switch.
    """
    try:
        kind: StoreKind = STORES.get(spec.kind)
    except ConfigError:
        raise StoreError(f"unknown vector store {spec.kind!r}; use one of {', '.join(STORES.names())}") from None
    return kind.write(spec, index_dir, snapshot_tmp, previous, previous_ids, ids, doc_ids, vectors, full=full,
                      dense_kind=dense_kind)
