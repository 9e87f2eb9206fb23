"""Offline, citation-grounded question answering over a folder of articles.

Public API (stable names)::

    from rag import answer, search, build_index
    build_index("corpus", "index")
    result = answer("What node did SMIC reach without EUV?")
    print(result.text, result.citations)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
_RECORDS = ("Answer", "Citation", "RetrievedChunk", "BuildReport", "Chunk", "Document", "SentenceSupport")
_ERRORS = ("RagError", "ConfigError", "IndexMissingError", "IndexCorruptError", "IndexWriteError", "BuildBusyError",
           "DocumentError", "BackendError", "BackendNotConfiguredError", "FeedFormatError")
__all__ = ["answer", "answer_stream", "search", "build_index", "index_status", "resolve",
           "Answer", "Citation", "RetrievedChunk", "BuildReport", "Chunk", "Document", "SentenceSupport",
           "RagError", "ConfigError", "IndexMissingError", "IndexCorruptError", "IndexWriteError", "BuildBusyError",
           "DocumentError", "BackendError", "BackendNotConfiguredError", "FeedFormatError"]

# rag.app.api imports only config, errors and types, so binding the functions here keeps `import rag` light. No submodule
# shares a public function's name (the answering pipeline is rag.answering.pipeline), so importing one never shadows them.
from rag.app.api import (
    answer,
    answer_stream,
    build_index,
    index_status,
    resolve,
    search,
)

if TYPE_CHECKING:
    from rag.core.errors import (
        BackendError,
        BackendNotConfiguredError,
        BuildBusyError,
        ConfigError,
        DocumentError,
        FeedFormatError,
        IndexCorruptError,
        IndexMissingError,
        IndexWriteError,
        RagError,
    )
    from rag.core.types import (
        Answer,
        BuildReport,
        Chunk,
        Citation,
        Document,
        RetrievedChunk,
        SentenceSupport,
    )


def __getattr__(name: str) -> Any:
    # Heavy modules (torch, faiss, gradio) load on first use, so `import rag` and `rag --help` stay instant.
    if name in _RECORDS:
        from rag.core import types

        return getattr(types, name)
    if name in _ERRORS:  # the same classes as rag.core.errors: `except rag.ConfigError` catches what the API raises
        from rag.core import errors

        return getattr(errors, name)
    raise AttributeError(f"module 'rag' has no attribute {name!r}")
