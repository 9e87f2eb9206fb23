"""Finding a backend by name: :func:`backend_for`, over :data:`rag.core.registry.BACKENDS` (built-in backends and
those that installed plug-ins declare in the ``rag.backends`` entry-point group)."""

from __future__ import annotations

from rag.answering.backends.base import Backend
from rag.core.config import Settings
from rag.core.protocols import EmbedFn, OnToken, SnapshotView
from rag.core.registry import BACKENDS


def backend_for(name: str, settings: Settings, snapshot: SnapshotView, embed: EmbedFn,
                on_token: OnToken | None = None) -> Backend:
    """The backend called ``name`` (``extractive``, ``llama-cpp``, ``openai`` or a plug-in's); ``on_token(text)``
    receives an LLM backend's draft as it streams (see :func:`rag.app.api.answer_stream`).

    :raises ConfigError: for an unknown name."""
    return BACKENDS.get(name)(settings, snapshot, embed, on_token)
