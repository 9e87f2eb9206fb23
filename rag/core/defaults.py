"""The one place for the defaults and valid ranges that several modules share.

:class:`rag.core.config.Settings`, :class:`rag.retrieval.hybrid.FusionSettings` and :class:`rag.ingest.chunk.ChunkerSettings` all take
their defaults and their checks from here, so a tuned value or a limit is written once. This module imports nothing
heavy (no numpy, faiss or torch): ``import rag.core.config`` and ``rag --help`` stay instant.
"""

from __future__ import annotations

import math
from pathlib import Path

from rag.core.errors import ConfigError

# The package's data files: the shipped models (rag/models) and the answerability model (rag/answerability.json).
PACKAGE_DIR = Path(__file__).resolve().parents[1]
MODELS_DIR = PACKAGE_DIR / "models"

# Embedding model and numeric path (rag.encoders.registry builds them; names listed here so that config can check them cheaply).
MODEL_NAME = "all-MiniLM-L6-v2"
"""The sentence-transformers model both MiniLM embedders run; the first part of their embedder key."""
EMBEDDER = "minilm"
"""The default embedder; the others and any plug-in's are listed by :data:`rag.core.registry.EMBEDDERS`."""
PRECISIONS = ("auto", "fp32", "bf16", "int8")  # int8: the OpenVINO embedder only (rag/models/embedder-int8)

# Sentence and word vectors kept per process (rag.encoders.cache.VectorCache); rag.app.warmup fills it up to this size.
VECTOR_CACHE_SIZE = 20000

# Chunking, in tiktoken tokens (a change rebuilds the index).
CHUNK_TOKENS = 180
OVERLAP_TOKENS = 40
MIN_CHUNK_TOKENS = 16

# Retrieval: candidates per retriever before fusion, and weighted reciprocal-rank fusion (tuned with
# bench/tune_fusion.py on SciFact train and NFCorpus dev, never on test).
K = 6
MAX_K = 50
CANDIDATES = 50
RRF_K = 30
DENSE_WEIGHT = 0.8
BM25_WEIGHT = 1.0

# Largest corpus file the loader reads; uploads may not be larger.
MAX_FILE_MB = 20

# Every corpus file is read in a worker process under these limits (rag.ingest.workers); a file over one is skipped
# with the reason. The largest legitimate files measured read in 1.5-3 s within 384 MB of address space (20 MB of
# HTML, Markdown or text), a 36-page PDF in 0.8 s; a Markdown "bomb" of 11 MB reaches 1024 MB in about 17 s.
PARSE_TIMEOUT = 60.0
PARSE_MEMORY_MB = 1024
PARSE_WORKERS = 0  # 0: one per CPU, at most MAX_PARSE_WORKERS
MAX_PARSE_WORKERS = 4


def check_precision(embedder: str, precision: str) -> None:
    """:raises ConfigError: ``precision = "int8"`` with an embedder other than the OpenVINO one (the only one that has
    an int8 model)."""
    if precision == "int8" and embedder != "minilm":
        raise ConfigError(f'precision "int8" runs on the OpenVINO embedder (embedder "minilm") only, not {embedder!r}; '
                          "choose auto, fp32 or bf16 for it")


def check_parse_limits(seconds: float, memory_mb: int, workers: int) -> None:
    """:raises ConfigError: a parse time limit that is not a positive number of seconds (at most an hour), a memory
    limit under 128 MB (a worker needs about 60 MB before it reads anything), or a negative number of workers."""
    if not (isinstance(seconds, (int, float)) and 0 < seconds <= 3600):
        raise ConfigError(f"parse_timeout must be a number of seconds above 0 and at most 3600, got {seconds}")
    if not 128 <= memory_mb <= 1_048_576:
        raise ConfigError(f"parse_memory_mb must be between 128 and 1048576, got {memory_mb}")
    if not 0 <= workers <= 64:
        raise ConfigError(f"parse_workers must be between 0 (one per CPU) and 64, got {workers}")


def check_chunking(chunk_tokens: int, overlap_tokens: int) -> None:
    """:raises ConfigError: chunk size below ``MIN_CHUNK_TOKENS`` or an overlap outside ``0..chunk_tokens-1``."""
    if chunk_tokens < MIN_CHUNK_TOKENS:
        raise ConfigError(f"chunk_tokens must be at least {MIN_CHUNK_TOKENS}, got {chunk_tokens}")
    if not 0 <= overlap_tokens < chunk_tokens:
        raise ConfigError(f"overlap_tokens must be at least 0 and less than chunk_tokens ({chunk_tokens}), "
                          f"got {overlap_tokens}")


def check_fusion(candidates: int, rrf_k: int, dense_weight: float, bm25_weight: float) -> None:
    """:raises ConfigError: a fusion setting that would divide by zero, rank nothing, or weigh negatively."""
    if candidates < 1:
        raise ConfigError(f"candidates must be at least 1, got {candidates}")
    # rrf_k = 0 is plain 1/rank; below 0 the first rank divides by zero or flips the sign of the score.
    if rrf_k < 0:
        raise ConfigError(f"rrf_k must be 0 or more, got {rrf_k}")
    for name, weight in (("dense_weight", dense_weight), ("bm25_weight", bm25_weight)):
        if not math.isfinite(weight) or weight < 0:
            raise ConfigError(f"{name} must be a finite number >= 0, got {weight}")
    if dense_weight + bm25_weight == 0:
        raise ConfigError("dense_weight and bm25_weight cannot both be 0 (nothing would be retrieved)")
