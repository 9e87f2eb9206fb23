"""Plug-in registries: answer backends, embedders and vector stores, each found by name through one :class:`Registry`.

The built-in entries are named as ``"module:attribute"`` strings and imported on first use, so naming them here costs
nothing and this module imports no stage above :mod:`rag.core`. Another installed package adds an entry without
editing this repository by declaring an entry point in the registry's group, the way ``llm`` plug-ins register
models::

    # the plug-in's pyproject.toml
    [project.entry-points."rag.backends"]
    echo = "rag_echo:create"          # create(settings, snapshot, embed, on_token) -> Backend

    [project.entry-points."rag.embedders"]
    tiny = "rag_tiny:TinyEmbedder"    # called with the configured precision -> Embedder

    [project.entry-points."rag.stores"]
    memory = "rag_memory:KIND"        # an object with write(...) and open(...) (rag.index.stores.base.StoreKind)

After ``pip install`` of that package, ``backend = "echo"`` (``RAG_BACKEND=echo``, ``rag ask -b echo``) selects it.
A plug-in cannot replace a built-in entry: a name that is already taken is logged and ignored.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Mapping
from importlib.metadata import entry_points
from typing import Any

from rag.core.errors import ConfigError

log = logging.getLogger(__name__)


class Registry:
    """Named entries of one kind: the built-in ones, those added with :meth:`register`, and those that installed
    packages declare in the entry-point ``group``."""

    def __init__(self, kind: str, group: str, builtins: Mapping[str, str]):
        self.kind, self.group = kind, group
        self._builtins = dict(builtins)
        self._targets: dict[str, Any] = dict(builtins)  # name -> "module:attribute" or the loaded object
        self._lock = threading.Lock()
        self._scanned = False

    @property
    def builtins(self) -> tuple[str, ...]:
        """The names this project ships, in their documented order."""
        return tuple(self._builtins)

    def register(self, name: str, target: Any) -> None:
        """Add ``target`` (an object, or ``"module:attribute"``) under ``name``.

        :raises ConfigError: when ``name`` is a built-in entry."""
        if name in self._builtins:
            raise ConfigError(f"{self.kind} {name!r} is built in and cannot be replaced")
        with self._lock:
            self._targets[name] = target

    def names(self) -> tuple[str, ...]:
        """Every name that :meth:`get` accepts: built-in first, then the registered and installed ones."""
        self._scan()
        return tuple(self._targets)

    def get(self, name: str) -> Any:
        """The entry called ``name``, imported on first use.

        :raises ConfigError: for an unknown name (listing the known ones) or an entry that fails to import."""
        self._scan()
        with self._lock:
            target = self._targets.get(name)
        if target is None:
            raise ConfigError(f"unknown {self.kind} {name!r}; choose one of: {', '.join(self._targets)}")
        if isinstance(target, str):
            target = _load(self.kind, name, target)
            with self._lock:
                self._targets[name] = target
        return target

    def _scan(self) -> None:
        """Add the entry points of :attr:`group` once per process (about 20 ms: only when a name is looked up)."""
        if self._scanned:
            return
        with self._lock:
            if self._scanned:
                return
            for point in entry_points(group=self.group):
                if point.name in self._builtins:
                    log.warning("ignoring the %s plug-in %r from %s: the name is built in", self.kind, point.name,
                                point.value)
                    continue
                self._targets.setdefault(point.name, point.value)
            self._scanned = True

    def forget_plugins(self) -> None:
        """Drop what was registered or scanned (tests, and after installing a plug-in into a running process)."""
        with self._lock:
            self._targets = dict(self._builtins)
            self._scanned = False


def _load(kind: str, name: str, target: str) -> Any:
    module, _, attribute = target.partition(":")
    try:
        obj: Any = importlib.import_module(module)
        for part in filter(None, attribute.split(".")):
            obj = getattr(obj, part)
    except (ImportError, AttributeError) as exc:
        raise ConfigError(f"the {kind} {name!r} ({target}) could not be loaded: {exc}") from exc
    return obj


BACKENDS = Registry("backend", "rag.backends", {
    "extractive": "rag.answering.backends.extractive:create",
    "llama-cpp": "rag.answering.backends.generative:create",
    "openai": "rag.answering.backends.generative:create",
})
"""Answer backends: ``create(settings, snapshot, embed, on_token) -> Backend`` (:mod:`rag.answering.backends`)."""

EMBEDDERS = Registry("embedder", "rag.embedders", {
    "minilm": "rag.encoders.minilm_openvino:OpenVINOEmbedder",
    "minilm-torch": "rag.encoders.minilm_torch:MiniLMEmbedder",
    "hash": "rag.encoders.hashing:create",
})
"""Embedders: called with the precision -> ``Embedder`` (:mod:`rag.encoders.registry`)."""

STORES = Registry("store", "rag.stores", {
    "faiss": "rag.index.stores.faiss_store:KIND",
    "milvus": "rag.index.stores.milvus_store:KIND",
})
"""Vector stores: a ``StoreKind`` with ``write`` and ``open`` (:mod:`rag.index.stores`)."""
