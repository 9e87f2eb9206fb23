"""The LLM backends (llama.cpp GGUF, OpenAI-compatible HTTP) behind the :class:`~rag.backends.Backend` contract.

A thin adapter over :func:`rag.llm.generate` (prompting, streaming, timeouts and retries live there). The model's
own judgement is not trusted: its draft is marked ``answered`` and the verifier decides what survives.
"""

from __future__ import annotations

from rag.backends import Draft, Prepared


class Generative:
    def __init__(self, settings, on_token=None):
        self.settings, self.on_token = settings, on_token
        self.name = settings.backend

    def draft(self, prep: Prepared, max_sentences: int) -> Draft:
        from rag.llm import generate

        sentences = generate(self.settings, prep.query, prep.passages, on_token=self.on_token)
        if not sentences:
            return Draft([], "not_found", "the model found no answer in the passages", scorer=self.name)
        return Draft(sentences, "answered", scorer=self.name)
