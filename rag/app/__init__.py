"""The application: the public Python API (api), the watched corpus (watch), the server's warm-up (warmup),
evaluation (evaluate, report, beir), saved conversations (transcript) and the LangChain retriever (lc_retriever)."""
