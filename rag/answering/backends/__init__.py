"""Answer backends behind one contract.

The contract is in :mod:`rag.answering.backends.base`, the registry in :mod:`rag.answering.backends.registry`.
A backend turns a :class:`Prepared` question (resolved query, its vector, retrieved passages, analysis) into a
:class:`Draft`: sentences citing passages, plus the backend's own judgement of the outcome (``answered``,
``partial`` or ``not_found``) and why. Every draft then goes through the same verifier (:mod:`rag.trust.verify`).

- ``extractive`` (:mod:`rag.answering.backends.extractive`): picks cited sentences; offline, the default.
- ``llama-cpp`` / ``openai`` (:mod:`rag.answering.backends.generative`): an LLM writes the answer (functions of
  :mod:`rag.answering.llm`); when the verifier drops all of it, the extractive answer is returned with a notice.
"""
