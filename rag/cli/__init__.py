"""The ``rag`` command line: shared options and helpers (common), the core commands (main), corpus commands (corpus)
and evaluation commands (evaluation)."""
