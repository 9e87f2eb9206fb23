"""Configuration: one dataclass of every knob, with defaults; read from ``rag.toml`` and ``RAG_*`` variables at the edge.

Precedence: keyword arguments > environment variables (``RAG_<FIELD>`` upper-case, e.g. ``RAG_K=8``) > the TOML
file (``$RAG_CONFIG`` or ``./rag.toml``; keys are the field names) > defaults. ``OPENAI_API_KEY`` and
``OPENAI_BASE_URL`` are honoured as fallbacks for the OpenAI-compatible backend.
"""

from __future__ import annotations

import dataclasses
import os
import tomllib
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any

from rag.core import defaults as D
from rag.core.errors import ConfigError
from rag.core.registry import BACKENDS, EMBEDDERS, STORES

_KINDS = {"int": int, "float": float, "str": str, "bool": bool}


@dataclass(frozen=True)
class Settings:
    """Every setting, with its default. See the README's Configuration table for what each one does.

    Shared defaults and limits live in :mod:`rag.core.defaults`. A new setting is one more field with a default (its type
    is checked for you) plus, where it has a valid range, one check in :meth:`__post_init__`.
    """

    corpus_dir: str = "corpus"
    index_dir: str = "index"
    embedder: str = D.EMBEDDER
    precision: str = "auto"
    chunk_tokens: int = D.CHUNK_TOKENS
    overlap_tokens: int = D.OVERLAP_TOKENS
    k: int = D.K
    candidates: int = D.CANDIDATES
    rrf_k: int = D.RRF_K
    dense_weight: float = D.DENSE_WEIGHT
    bm25_weight: float = D.BM25_WEIGHT
    backend: str = "extractive"
    answer_sentences: int = 3
    max_question_chars: int = 2000
    llm_model_path: str = ""
    llm_context: int = 4096
    llm_max_tokens: int = 256
    openai_base_url: str = ""
    openai_model: str = ""
    openai_api_key: str = ""
    llm_timeout: float = 60.0  # seconds per request to the OpenAI-compatible server (connect, and between tokens)
    llm_retries: int = 3  # retries after connection errors, 429 and 5xx, with exponential backoff
    llm_concurrency: int = 4  # requests in flight per process to the OpenAI-compatible server
    store: str = "faiss"
    sentence_vectors: bool = True  # the build embeds every sentence and word for the answerer (rag.index.cache_texts)
    milvus_uri: str = ""  # empty: Milvus Lite in <index_dir>/milvus.db; a .db path: Milvus Lite; http://host:19530
    milvus_token: str = ""  # "user:password" or an API key for a Milvus server; never written to the index
    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str = ""
    auth_password: str = ""
    max_upload_mb: int = 10
    parse_timeout: float = D.PARSE_TIMEOUT  # seconds one file may take to read (worker killed, file skipped)
    parse_memory_mb: int = D.PARSE_MEMORY_MB  # address space of the worker process that reads one file
    parse_workers: int = D.PARSE_WORKERS  # worker processes that read files; 0 = one per CPU, at most 4
    ui_title: str = ""       # web UI heading; "" = the corpus folder's .rag-ui.toml, else generic text
    ui_intro: str = ""       # web UI intro (Markdown); "" as for ui_title
    ui_examples: str = ""    # example questions separated by "|"; "" as for ui_title
    api_keys: str = ""       # comma-separated keys: every /v1 route then needs "Authorization: Bearer <key>"
    rate_limit_per_minute: int = 120  # requests per key (or per client address without keys) per minute; 0 = off
    max_request_kb: int = 256  # largest HTTP request body the API reads
    max_messages: int = 200    # messages in one chat completion request

    def __post_init__(self) -> None:
        """:raises ConfigError: naming the setting, the allowed values and the value given."""
        for f in fields(self):
            _check_type(f.name, f.type, getattr(self, f.name))
        for name in ("corpus_dir", "index_dir", "host"):
            if not getattr(self, name).strip():
                raise ConfigError(f"{name} must not be empty")
        _one_of("embedder", self.embedder, EMBEDDERS.names())
        _one_of("precision", self.precision, D.PRECISIONS)
        D.check_precision(self.embedder, self.precision)
        _one_of("backend", self.backend, BACKENDS.names())
        D.check_chunking(self.chunk_tokens, self.overlap_tokens)
        _between("k", self.k, 1, D.MAX_K)
        if self.candidates < self.k:
            raise ConfigError(f"candidates ({self.candidates}) must be at least k ({self.k})")
        D.check_fusion(self.candidates, self.rrf_k, self.dense_weight, self.bm25_weight)
        _between("answer_sentences", self.answer_sentences, 1, 20)
        _between("max_question_chars", self.max_question_chars, 1, 100_000)
        _between("llm_max_tokens", self.llm_max_tokens, 1, 32_768)
        if self.llm_context <= self.llm_max_tokens:
            raise ConfigError(f"llm_context ({self.llm_context}) must be larger than llm_max_tokens "
                              f"({self.llm_max_tokens}), or the prompt has no room")
        if self.openai_base_url and not self.openai_base_url.startswith(("http://", "https://")):
            raise ConfigError(f"openai_base_url must start with http:// or https://, got {self.openai_base_url!r}")
        _between("port", self.port, 1, 65535)
        if bool(self.auth_user) != bool(self.auth_password):
            # one without the other would silently serve the UI without a login
            raise ConfigError("auth_user and auth_password must be set together (or both left empty)")
        _between("max_upload_mb", self.max_upload_mb, 1, D.MAX_FILE_MB)
        D.check_parse_limits(self.parse_timeout, self.parse_memory_mb, self.parse_workers)
        _one_of("store", self.store, STORES.names())
        if self.milvus_uri and "://" not in self.milvus_uri and not self.milvus_uri.endswith(".db"):
            raise ConfigError(f"milvus_uri must be a Milvus Lite file ending in .db or a server URL such as "
                              f"http://localhost:19530, got {self.milvus_uri!r}")
        if self.milvus_uri and "://" in self.milvus_uri and not self.milvus_uri.startswith(("http://", "https://",
                                                                                            "tcp://", "unix://")):
            raise ConfigError(f"milvus_uri must start with http://, https://, tcp:// or unix://, got {self.milvus_uri!r}")
        if not self.llm_timeout > 0:
            raise ConfigError(f"llm_timeout must be a positive number of seconds, got {self.llm_timeout}")
        _between("llm_retries", self.llm_retries, 0, 10)
        _between("llm_concurrency", self.llm_concurrency, 1, 256)
        if any(not key or any(ch.isspace() for ch in key) for key in self.api_key_list) and self.api_keys.strip():
            raise ConfigError("api_keys must be keys separated by commas, without spaces inside a key")
        _between("rate_limit_per_minute", self.rate_limit_per_minute, 0, 1_000_000)
        _between("max_request_kb", self.max_request_kb, 1, 1_048_576)
        _between("max_messages", self.max_messages, 1, 100_000)

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def api_key_list(self) -> tuple[str, ...]:
        """The keys of :attr:`api_keys`; empty when the API is open."""
        return tuple(k.strip() for k in self.api_keys.split(",")) if self.api_keys.strip() else ()

    @property
    def openai_configured(self) -> bool:
        return bool(self.openai_base_url and self.openai_model)

    @property
    def llama_configured(self) -> bool:
        return bool(self.llm_model_path) and Path(self.llm_model_path).is_file()


def _check_type(name: str, kind: Any, value: Any) -> None:
    kind = _KINDS.get(kind, kind) if isinstance(kind, str) else kind
    if not isinstance(kind, type):
        return  # a composite annotation: its own check in __post_init__ covers it
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        ok = True
    if not ok:
        raise ConfigError(f"{name} must be {kind.__name__}, got {value!r}")


def _one_of(name: str, value: str, allowed: tuple[str, ...]) -> None:
    if value not in allowed:
        raise ConfigError(f"{name} must be one of {', '.join(allowed)}, got {value!r}")


def _between(name: str, value: int, low: int, high: int) -> None:
    if not low <= value <= high:
        raise ConfigError(f"{name} must be between {low} and {high}, got {value}")


def _coerce(name: str, kind: Any, value: Any, origin: str) -> Any:
    kind = _KINDS.get(kind, kind) if isinstance(kind, str) else kind
    try:
        if kind is bool:
            if isinstance(value, bool):
                return value
            if str(value).strip().lower() in ("1", "true", "yes", "on", "0", "false", "no", "off"):
                return str(value).strip().lower() in ("1", "true", "yes", "on")
        elif kind is int and not isinstance(value, bool) and not (isinstance(value, float) and not value.is_integer()):
            return int(value)
        if kind is float:
            return float(value)
        if kind is str:
            return str(value)
    except (TypeError, ValueError):
        pass
    raise ConfigError(f"{origin}: {name} must be {getattr(kind, '__name__', kind)}, got {value!r}")


def load_settings(config_file: str | Path | None = None, **overrides: Any) -> Settings:
    """Resolve settings from the TOML file, the environment and ``overrides`` (``None`` values are ignored).

    :raises ConfigError: unreadable or malformed TOML, unknown keys, or values of the wrong type or range.
    """
    values: dict[str, Any] = {}
    types = {f.name: f.type for f in fields(Settings)}
    path = Path(config_file or os.environ.get("RAG_CONFIG") or "rag.toml")
    if config_file or os.environ.get("RAG_CONFIG") or path.exists():
        try:
            data = tomllib.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"configuration file {path} does not exist") from None
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"configuration file {path} is not valid TOML: {exc}") from None
        unknown = sorted(set(data) - set(types))
        if unknown:
            raise ConfigError(f"configuration file {path}: unknown setting(s) {', '.join(unknown)}")
        values.update({k: _coerce(k, types[k], v, str(path)) for k, v in data.items()})
    for name, kind in types.items():
        env = os.environ.get(f"RAG_{name.upper()}")
        if env is not None and env != "":
            values[name] = _coerce(name, kind, env, f"environment variable RAG_{name.upper()}")
    if not values.get("openai_api_key") and os.environ.get("OPENAI_API_KEY"):
        values["openai_api_key"] = os.environ["OPENAI_API_KEY"]
    if not values.get("openai_base_url") and os.environ.get("OPENAI_BASE_URL"):
        values["openai_base_url"] = os.environ["OPENAI_BASE_URL"]
    # paths may be given as Path objects; every other value must already have the field's type
    values.update({k: os.fspath(v) if isinstance(v, os.PathLike) else v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(values) - set(types))
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)}")
    return Settings(**values)
