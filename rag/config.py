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

from rag.errors import ConfigError

BACKENDS = ("extractive", "llama-cpp", "openai")


@dataclass(frozen=True)
class Settings:
    """Every setting, with its default. See the README's Configuration table for what each one does."""

    corpus_dir: str = "corpus"
    index_dir: str = "index"
    embedder: str = "minilm"
    precision: str = "auto"
    chunk_tokens: int = 180
    overlap_tokens: int = 40
    k: int = 6
    candidates: int = 50
    rrf_k: int = 30
    dense_weight: float = 0.8
    bm25_weight: float = 1.0
    backend: str = "extractive"
    answer_sentences: int = 3
    max_question_chars: int = 2000
    llm_model_path: str = ""
    llm_context: int = 4096
    llm_max_tokens: int = 256
    openai_base_url: str = ""
    openai_model: str = ""
    openai_api_key: str = ""
    host: str = "127.0.0.1"
    port: int = 7860
    auth_user: str = ""
    auth_password: str = ""
    max_upload_mb: int = 10
    ui_title: str = ""       # web UI heading; "" = the corpus folder's .rag-ui.toml, else generic text
    ui_intro: str = ""       # web UI intro (Markdown); "" as for ui_title
    ui_examples: str = ""    # example questions separated by "|"; "" as for ui_title

    def __post_init__(self) -> None:
        if not 1 <= self.k <= 50:
            raise ConfigError(f"k must be between 1 and 50, got {self.k}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if not 1 <= self.answer_sentences <= 20:
            raise ConfigError(f"answer_sentences must be between 1 and 20, got {self.answer_sentences}")
        if self.candidates < self.k:
            raise ConfigError(f"candidates ({self.candidates}) must be at least k ({self.k})")
        if not 0 < self.port < 65536:
            raise ConfigError(f"port must be between 1 and 65535, got {self.port}")

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})

    @property
    def openai_configured(self) -> bool:
        return bool(self.openai_base_url and self.openai_model)

    @property
    def llama_configured(self) -> bool:
        return bool(self.llm_model_path) and Path(self.llm_model_path).is_file()


def _coerce(name: str, kind: Any, value: Any, origin: str) -> Any:
    kind = {"int": int, "float": float, "str": str}.get(kind, kind) if isinstance(kind, str) else kind
    try:
        if kind is int and not isinstance(value, bool):
            return int(value)
        if kind is float:
            return float(value)
        if kind is str:
            return str(value)
    except (TypeError, ValueError):
        pass
    raise ConfigError(f"{origin}: {name} must be {kind.__name__}, got {value!r}")


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
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = sorted(set(values) - set(types))
    if unknown:
        raise ConfigError(f"unknown setting(s) {', '.join(unknown)}")
    return Settings(**values)
