"""The LLM backends (llama.cpp GGUF, OpenAI-compatible HTTP) behind the :class:`~rag.answering.backends.base.Backend` contract.

A thin adapter over :func:`rag.answering.llm.generate` (prompting, streaming, timeouts and retries live there). The model's
own judgement is not trusted: its draft is marked ``answered`` and the verifier decides what survives.
"""

from __future__ import annotations

from rag.answering.backends.base import Draft, Prepared
from rag.core.config import Settings
from rag.core.protocols import EmbedFn, OnToken, SnapshotView


class Generative:
    def __init__(self, settings: Settings, on_token: OnToken | None = None):
        self.settings, self.on_token = settings, on_token
        self.name = settings.backend

    def draft(self, prep: Prepared, max_sentences: int) -> Draft:
        from rag.answering.llm import generate

        sentences = generate(self.settings, prep.query, prep.passages, on_token=self.on_token)
        if not sentences:
            return Draft([], "not_found", "the model found no answer in the passages", scorer=self.name)
        return Draft(sentences, "answered", scorer=self.name)


def create(settings: Settings, snapshot: SnapshotView, embed: EmbedFn, on_token: OnToken | None = None) -> Generative:
    """The registry's factory for ``llama-cpp`` and ``openai`` (:data:`rag.core.registry.BACKENDS`); which server or
    model file it talks to is ``settings.backend`` and its settings."""
    return Generative(settings, on_token)
