"""Tests of rag/http: the OpenAI-compatible and REST API, keys, limits, health and metrics, and the server."""
