"""What passes between the stages, as Protocols: a stage names what it needs from another stage's object without
importing that stage (the embedding model, the view of an index snapshot, an embed function, progress callbacks).

The concrete classes live in their stages (:class:`rag.index.snapshot.IndexSnapshot`,
:class:`rag.encoders.minilm_openvino.OpenVINOEmbedder`, ...); these Protocols are what a lower stage may rely on.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeAlias

from rag.core.types import Chunk, Document

if TYPE_CHECKING:  # numpy stays unimported here: `import rag` and `rag --help` load no array library
    import numpy as np

EmbedFn: TypeAlias = "Callable[[list[str]], np.ndarray]"
"""Texts -> their unit-length float32 vectors, one row a text (an embedder's cached ``encode``)."""
Progress = Callable[[int, int], None]
"""``progress(done, total)``, called as long work advances."""
OnToken = Callable[[str], None]
"""Called with each piece of an LLM's draft as it arrives."""


class Embedder(Protocol):
    """What the index and the answerer need from an embedding model."""

    key: str
    """Identifies model and numeric path (e.g. ``all-MiniLM-L6-v2@bf16``); stored in the manifest."""
    dim: int
    max_tokens: int
    """Word pieces the model reads, special tokens excluded; longer input would be truncated."""

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """``(len(texts), dim)`` float32, unit length. ``progress(n)`` is called after each batch of ``n`` texts."""
        ...

    def count_tokens(self, text: str) -> int:
        """Word pieces of ``text`` without special tokens."""
        ...


class SnapshotView(Protocol):
    """What the stages below the index read from a loaded index snapshot (:class:`rag.index.snapshot.IndexSnapshot`)."""

    @property
    def path(self) -> Path: ...

    @property
    def embedder_key(self) -> str: ...

    @property
    def chunks(self) -> list[Chunk]: ...

    @property
    def documents(self) -> dict[str, Document]: ...

    def text_vectors(self) -> TextVectors:
        """The sentence and word vectors the build stored (text -> vector)."""
        ...


class TextVectors(Protocol):
    """Vectors stored by text (:class:`rag.index.cache_texts.StoredVectors`)."""

    def lookup(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """``(found, vectors)``: which texts have a stored vector (bool per text) and those vectors, in order."""
        ...

    def __contains__(self, text: object) -> bool: ...

    def __len__(self) -> int: ...
