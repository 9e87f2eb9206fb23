"""The HTTP server: an OpenAI-compatible chat endpoint with citations, a REST API over the Python API, API keys, rate
limits, health checks and Prometheus metrics, with the Gradio chat UI mounted on the same port (``rag serve``).

Modules: ``errors`` (OpenAI's error shape), ``security`` (keys, rate limits, body limits), ``metrics``
(Prometheus), ``chat`` (messages in, cited completions out, streamed or not), ``routes`` (the ``/v1`` routes and the
health checks), ``server`` (the FastAPI app, the UI mounted in it, and running it with uvicorn).
"""
