"""Milvus as the vector store: Milvus Lite (``milvus_uri`` is a ``.db`` file path) or a Milvus server or cluster
(``http://host:19530``, optional ``milvus_token``), through the same :class:`pymilvus.MilvusClient` calls.

How a build stays incremental *and* never exposes a half-updated collection (no copy, no alias switch):

* Every row carries the build **generation** that inserted it (``gen``). A snapshot's manifest records its
  collection and generation ``g``; its searches filter ``gen <= g``. A build inserts only new chunk ids, with
  ``gen = g + 1``: rows of a build that is still running, or was killed, are invisible to the live snapshot.
* The snapshot switch itself is the existing atomic ``CURRENT`` pointer swap (see :mod:`rag.index.build`). Only after it
  are the chunks that the new snapshot dropped deleted; the manifest lists them, so a build killed in that window
  finishes the deletion next time. Until then a search may return such a row; it is ignored because the snapshot
  does not know its id (:func:`rag.retrieval.hybrid.hybrid_search` keeps only the snapshot's chunks).
* A build first deletes rows with ``gen > g`` (leftovers of a killed build), so generations never mix.
* A full rebuild (other embedder or chunker, first build, other URI) writes a new collection; collections that no
  kept snapshot references are dropped after the switch. An alias per build would have to copy every row each
  time, which would make incremental builds of a million-chunk corpus cost a full re-insert.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from rag.index.stores.base import Finish, StoreError, StoreSpec, VectorStore

PREFIX = "ragcw_"
BATCH = 2000  # rows per insert/delete call (keeps gRPC messages well under Milvus' 64 MB limit)
ID_LENGTH = 64
HNSW_LIMIT = 100_000  # as rag.index.vectors.EXACT_LIMIT: exact search up to here, HNSW beyond (on a server)
HNSW = {"M": 32, "efConstruction": 80}
HNSW_EF = 256

_clients: dict[tuple[str, str], Any] = {}
_clients_lock = threading.Lock()


def is_lite(uri: str) -> bool:
    """A URI without a scheme is a Milvus Lite database file."""
    return "://" not in uri


def client_for(uri: str, token: str = ""):
    """One :class:`pymilvus.MilvusClient` per URI and token per process (Milvus Lite allows one opener per file).

    :raises StoreError: pymilvus is missing or the server cannot be reached.
    """
    key = (uri, token)
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            try:
                from pymilvus import MilvusClient
            except ImportError:
                raise StoreError("store = \"milvus\" needs pymilvus (and milvus-lite for a local file): "
                                 "pip install pymilvus milvus-lite") from None
            if is_lite(uri):
                Path(uri).parent.mkdir(parents=True, exist_ok=True)
            try:
                client = MilvusClient(uri=uri, token=token) if token else MilvusClient(uri=uri)
            except Exception as exc:  # pymilvus raises MilvusException, gRPC errors, OSError from milvus-lite
                hint = (" Milvus Lite lets one process at a time open a database file: stop the other process "
                        "(e.g. rag serve; rebuild from its UI instead) or use a Milvus server." if is_lite(uri) else "")
                raise StoreError(f"cannot open Milvus at {uri}: {type(exc).__name__}: {exc}.{hint}") from None
            _clients[key] = client
        return client


def close_clients() -> None:
    """Close every cached client and stop the in-process Milvus Lite engines, releasing their file locks (tests;
    a process that hands a Milvus Lite file to another)."""
    with _clients_lock:
        for (uri, _), client in _clients.items():
            try:
                client.close()
                if is_lite(uri):
                    from milvus_lite.server_manager import server_manager_instance

                    server_manager_instance.release_server(uri)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass
        _clients.clear()


class MilvusStore:
    """One collection seen at one generation: searches see rows with ``gen <= generation``; writes get
    ``write_generation``.

    :param collection: collection name (created on first write when missing).
    :param dim: vector dimension, for creating the collection.
    """

    kind = "milvus"

    def __init__(self, uri: str, collection: str, dim: int, generation: int, *, token: str = "",
                 write_generation: int | None = None, index_id: str = ""):
        self.uri, self.collection, self.dim = uri, collection, dim
        self.generation = generation
        self.write_generation = generation if write_generation is None else write_generation
        self.index_id = index_id
        self._token = token
        client_for(uri, token)  # connect now, so a wrong URI fails at load time

    @property
    def client(self):
        """The shared client for this URI, reopened if it was closed (:func:`close_clients`)."""
        return client_for(self.uri, self._token)

    # -- collection life cycle -----------------------------------------------------------------------------
    @staticmethod
    def new_collection_name(index_id: str) -> str:
        return f"{PREFIX}{index_id}_{uuid.uuid4().hex[:8]}"

    def _call(self, what: str, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            try:
                return fn(*args, **kwargs)
            except Exception as exc:
                # a collection written by another process (or before a restart) starts released: load it once
                if "load()" not in str(exc) and "not loaded" not in str(exc):
                    raise
                self.client.load_collection(self.collection)
                fn = getattr(self.client, fn.__name__)
                return fn(*args, **kwargs)
        except StoreError:
            raise
        except Exception as exc:  # one clear error for every failure of the engine or the network
            raise StoreError(f"Milvus at {self.uri} failed to {what} collection {self.collection}: "
                             f"{type(exc).__name__}: {exc}") from None

    def ensure_loaded(self) -> None:
        """Load the collection for searching (one written by another process starts released)."""
        try:
            self.client.load_collection(self.collection)
        except Exception as exc:  # a missing collection is the likely cause: say which
            raise StoreError(f"Milvus at {self.uri} cannot load collection {self.collection} "
                             f"({type(exc).__name__}: {exc}); rebuild the index with: rag build") from None

    def exists(self) -> bool:
        return bool(self._call("look up", self.client.has_collection, self.collection))

    def create(self, expected_rows: int = 0) -> None:
        """Create the collection (chunk id key, document id, generation, vector) with its vector index."""
        from pymilvus import DataType

        schema = self.client.create_schema(auto_id=False, enable_dynamic_field=False)
        schema.add_field("id", DataType.VARCHAR, is_primary=True, max_length=ID_LENGTH)
        schema.add_field("doc_id", DataType.VARCHAR, max_length=256)
        schema.add_field("gen", DataType.INT64)
        schema.add_field("vector", DataType.FLOAT_VECTOR, dim=self.dim)
        index = self.client.prepare_index_params()
        # Milvus Lite serves FLAT (exact); a server gets HNSW like FAISS does above HNSW_LIMIT vectors.
        if is_lite(self.uri) or expected_rows <= HNSW_LIMIT:
            index.add_index(field_name="vector", index_type="FLAT", metric_type="IP")
        else:
            index.add_index(field_name="vector", index_type="HNSW", metric_type="IP", params=HNSW)
        self._call("create", self.client.create_collection, self.collection, schema=schema, index_params=index,
                   consistency_level="Strong")

    def drop(self) -> None:
        self._call("drop", self.client.drop_collection, self.collection)

    def own_collections(self) -> list[str]:
        """Collections of this index (same ``index_id``) on this Milvus."""
        names = self._call("list", self.client.list_collections)
        return [n for n in names if n.startswith(f"{PREFIX}{self.index_id}_")]

    # -- the VectorStore contract --------------------------------------------------------------------------
    def upsert(self, ids: Sequence[str], doc_ids: Sequence[str], vectors: np.ndarray) -> None:
        vectors = np.asarray(vectors, dtype=np.float32)
        for start in range(0, len(ids), BATCH):
            rows = [{"id": i, "doc_id": d, "gen": self.write_generation, "vector": v}
                    for i, d, v in zip(ids[start:start + BATCH], doc_ids[start:start + BATCH],
                                       vectors[start:start + BATCH])]
            self._call("write to", self.client.upsert, self.collection, data=rows)

    def delete(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        for start in range(0, len(ids), BATCH):
            self._call("delete from", self.client.delete, self.collection, ids=ids[start:start + BATCH])
        return len(ids)

    def delete_documents(self, doc_ids: Iterable[str]) -> int:
        doc_ids = list(doc_ids)
        if not doc_ids:
            return 0
        before = self.count()
        self._call("delete from", self.client.delete, self.collection, filter=f"doc_id in {_literal(doc_ids)}")
        return before - self.count()

    def delete_newer(self) -> None:
        """Remove rows written by builds after this generation (a killed build's leftovers)."""
        self._call("clean", self.client.delete, self.collection, filter=f"gen > {self.generation}")

    def search(self, query: np.ndarray, k: int) -> tuple[list[str], np.ndarray]:
        if k <= 0:
            return [], np.zeros(0, dtype=np.float32)
        params = {"metric_type": "IP", "params": {"ef": max(HNSW_EF, k)}}
        hits = self._call("search", self.client.search, self.collection,
                          data=[np.asarray(query, dtype=np.float32).ravel().tolist()], anns_field="vector",
                          limit=k, filter=f"gen <= {self.generation}", search_params=params,
                          output_fields=["gen"])  # an empty list would return every field, vectors included
        first = hits[0] if hits else []
        return [h["id"] for h in first], np.array([h["distance"] for h in first], dtype=np.float32)

    def count(self) -> int:
        rows = self._call("count", self.client.query, self.collection, filter=f"gen <= {self.generation}",
                          output_fields=["count(*)"])
        return int(rows[0]["count(*)"]) if rows else 0

    def missing(self, ids: Sequence[str]) -> list[str]:
        """Which of ``ids`` have no visible row (integrity check)."""
        found: set[str] = set()
        for start in range(0, len(ids), BATCH):
            part = list(ids[start:start + BATCH])
            rows = self._call("read", self.client.query, self.collection,
                              filter=f"id in {_literal(part)} and gen <= {self.generation}", output_fields=["id"])
            found.update(r["id"] for r in rows)
        return [i for i in ids if i not in found]

    def save(self, directory: Path) -> dict:
        self._call("flush", self.client.flush, self.collection)
        return {"kind": self.kind, "uri": self.uri, "collection": self.collection,
                "generation": self.write_generation, "index_id": self.index_id}

    def close(self) -> None:
        """The client is shared per URI (see :func:`client_for`) and stays open for other stores and snapshots;
        :func:`close_clients` closes them all."""


def _literal(values: Sequence[str]) -> str:
    """A Milvus filter list literal; ids are hex/ASCII, but quote-escape anyway so no id can alter the filter."""
    return "[" + ", ".join('"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' for v in values) + "]"


MILVUS_FILE = "milvus.db"
"""Where Milvus Lite keeps its data when ``milvus_uri`` is empty: inside the index folder."""


def _record_uri(uri: str, index_dir: Path) -> str:
    """The URI as the manifest keeps it: a Lite file inside the index folder is stored relative to it, so the
    index folder can be moved; a server URI as is. Tokens are never written to the manifest."""
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
    return str(index_dir / recorded) if is_lite(recorded) and not Path(recorded).is_absolute() else recorded


def _token() -> str:
    from rag.core.config import load_settings

    return load_settings().milvus_token


class MilvusKind:
    """The ``milvus`` entry of :data:`rag.core.registry.STORES`: Milvus Lite or a Milvus server, written
    incrementally (see the module docstring)."""

    def open(self, path: Path, manifest: dict, record: dict, ids: list[str], doc_ids: list[str],
             vectors: np.ndarray) -> VectorStore:
        store = MilvusStore(_open_uri(record["uri"], path.parent), record["collection"], int(manifest["dim"]),
                            int(record["generation"]), token=_token(), index_id=record.get("index_id", ""))
        store.ensure_loaded()
        return store

    def write(self, spec: StoreSpec, index_dir: Path, snapshot_tmp: Path, previous: dict | None,
              previous_ids: list[str], ids: list[str], doc_ids: list[str], vectors: np.ndarray, *,
              full: bool, dense_kind: str = "auto") -> tuple[dict, dict, Finish]:
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
            index_id = prev.get("index_id") or uuid.uuid4().hex[:8]
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


KIND = MilvusKind()
