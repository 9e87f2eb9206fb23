"""Answering: the answer pipeline (pipeline), question analysis (questions, names), follow-ups (conversation), the
LLM chain (llm) and the answer backends (backends/)."""
