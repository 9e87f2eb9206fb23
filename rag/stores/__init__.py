"""Vector stores behind the index: the contract (:class:`VectorStore`), and opening/writing the configured one.

``store = "faiss"`` (default) keeps vectors in FAISS files inside the snapshot; ``store = "milvus"`` keeps them
in Milvus (see :mod:`rag.stores.milvus_store` for how builds stay incremental and atomic there). Either way the
snapshot folder holds documents, chunks, ``vectors.npy`` (the embedding cache) and the BM25 arrays, and its
manifest's ``store`` record says where the vectors are searched.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from rag.stores.base import StoreError, VectorStore
from rag.stores.faiss_store import FaissStore

STORES = ("faiss", "milvus")
MILVUS_FILE = "milvus.db"
"""Where Milvus Lite keeps its data when ``milvus_uri`` is empty: inside the index folder."""

__all__ = ["STORES", "StoreError", "StoreSpec", "VectorStore", "open_store", "write_store"]


@dataclass(frozen=True)
class StoreSpec:
    """Which store a build writes to. ``uri`` empty means ``<index_dir>/milvus.db`` (Milvus Lite)."""

    kind: str = "faiss"
    uri: str = ""
    token: str = ""

    @classmethod
    def from_settings(cls, settings) -> StoreSpec:
        return cls(settings.store, settings.milvus_uri, settings.milvus_token)


def _record_uri(uri: str, index_dir: Path) -> str:
    """The URI as the manifest keeps it: a Lite file inside the index folder is stored relative to it, so the
    index folder can be moved; a server URI as is. Tokens are never written to the manifest."""
    from rag.stores.milvus_store import is_lite

    if not uri:
        return MILVUS_FILE
    if not is_lite(uri):
        return uri
    path = Path(uri).resolve()
    try:
        return path.relative_to(index_dir.resolve()).as_posix()
    except ValueError:
        return str(path)


def _open_uri(recorded: str, index_dir: Path) -> str:
    from rag.stores.milvus_store import is_lite

    return str(index_dir / recorded) if is_lite(recorded) and not Path(recorded).is_absolute() else recorded


def _token() -> str:
    from rag.config import load_settings

    return load_settings().milvus_token


def open_store(path: Path, manifest: dict, ids: list[str], doc_ids: list[str], vectors: np.ndarray) -> VectorStore:
    """The store of a snapshot folder, as its manifest records it (no ``store`` record: FAISS)."""
    record = manifest.get("store") or {"kind": "faiss"}
    if record["kind"] == "faiss":
        return FaissStore.from_snapshot(path, manifest, ids, doc_ids, vectors)
    if record["kind"] == "milvus":
        from rag.stores.milvus_store import MilvusStore

        store = MilvusStore(_open_uri(record["uri"], path.parent), record["collection"], int(manifest["dim"]),
                            int(record["generation"]), token=_token(), index_id=record.get("index_id", ""))
        store.ensure_loaded()
        return store
    raise StoreError(f"{path / 'manifest.json'}: unknown vector store {record['kind']!r}")


Finish = Callable[[list[dict]], None]
"""Called after the new snapshot is live, with the manifests of the snapshots kept on disk."""


def write_store(spec: StoreSpec, index_dir: Path, snapshot_tmp: Path, previous: dict | None,
                previous_ids: list[str], ids: list[str], doc_ids: list[str], vectors: np.ndarray, *,
                full: bool, dense_kind: str = "auto") -> tuple[dict, dict, Finish]:
    """Write the new snapshot's vectors to the configured store.

    :param previous: the live snapshot's manifest, or ``None``; ``previous_ids`` its chunk ids.
    :param full: the embedder or chunker changed: nothing of the previous store is reused.
    :returns: the manifest's ``dense`` and ``store`` records, and the step to run after the switch.
    """
    if spec.kind == "faiss":
        store = FaissStore(ids, doc_ids, vectors, kind=dense_kind)
        record = store.save(snapshot_tmp)
        return {"kind": store.index_kind}, record, lambda kept: None
    if spec.kind != "milvus":
        raise StoreError(f"unknown vector store {spec.kind!r}; use one of {', '.join(STORES)}")
    from rag.stores.milvus_store import MilvusStore

    uri_rec = _record_uri(spec.uri, index_dir)
    uri = _open_uri(uri_rec, index_dir)
    dim = int(vectors.shape[1])
    prev = (previous or {}).get("store") or {}
    store = None
    if not full and prev.get("kind") == "milvus" and prev.get("uri") == uri_rec:
        store = MilvusStore(uri, prev["collection"], dim, int(prev["generation"]), token=spec.token,
                            write_generation=int(prev["generation"]) + 1, index_id=prev.get("index_id", ""))
        if not store.exists():
            store = None
    if store is not None:
        store.delete(prev.get("removed", []))  # a build killed right after its switch left these
        store.delete_newer()                    # a build killed before its switch left these
        known, keep = set(previous_ids), set(ids)
        new = [n for n, i in enumerate(ids) if i not in known]
        removed = [i for i in previous_ids if i not in keep]
    else:
        index_id = prev.get("index_id") or __import__("uuid").uuid4().hex[:8]
        store = MilvusStore(uri, MilvusStore.new_collection_name(index_id), dim, 0, token=spec.token,
                            write_generation=1, index_id=index_id)
        store.create(expected_rows=len(ids))
        new, removed = list(range(len(ids))), []
    if new:
        store.upsert([ids[n] for n in new], [doc_ids[n] for n in new], vectors[new])
    record = {**store.save(snapshot_tmp), "uri": uri_rec, "removed": removed, "inserted": len(new)}

    def finish(kept: list[dict]) -> None:
        store.delete(removed)
        referenced = {m["store"]["collection"] for m in kept if (m.get("store") or {}).get("kind") == "milvus"}
        for name in store.own_collections():
            if name not in referenced and name != store.collection:
                store.client.drop_collection(name)

    return {"kind": "milvus"}, record, finish
