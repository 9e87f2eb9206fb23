"""Configuration: file, environment and keyword precedence; malformed configuration is a clear error."""

import pytest

from rag.core.config import load_settings
from rag.core.errors import ConfigError
from tests.helpers import assert_light


def test_parse_limits_come_from_the_settings(monkeypatch):
    from rag.ingest.workers import Limits, limits_from

    assert limits_from(load_settings()) == Limits(60.0, 1024, 0)
    monkeypatch.setenv("RAG_PARSE_TIMEOUT", "2.5")
    monkeypatch.setenv("RAG_PARSE_MEMORY_MB", "512")
    assert limits_from(load_settings(parse_workers=1)) == Limits(2.5, 512, 1)


def test_precedence_file_env_kwargs(tmp_path, monkeypatch):
    (tmp_path / "rag.toml").write_text('k = 4\nbackend = "extractive"\nanswer_sentences = 2\n')
    assert load_settings().k == 4
    monkeypatch.setenv("RAG_K", "7")
    settings = load_settings()
    assert (settings.k, settings.answer_sentences) == (7, 2)
    assert load_settings(k=9).k == 9


@pytest.mark.parametrize("toml, message", [
    ("k = [", "not valid TOML"),
    ("colour = 'blue'", "unknown setting"),
    ("k = 'many'", "k must be int"),
    ("k = 0", "k must be between 1 and 50"),
    ("backend = 'gpt'", "backend must be one of"),
    ("port = 70000", "port must be between"),
])
def test_bad_config_file(tmp_path, toml, message):
    (tmp_path / "rag.toml").write_text(toml)
    with pytest.raises(ConfigError, match=message):
        load_settings()


def test_bad_environment_value_names_the_variable(monkeypatch):
    monkeypatch.setenv("RAG_K", "lots")
    with pytest.raises(ConfigError, match="RAG_K"):
        load_settings()


def test_missing_explicit_config_file(tmp_path, monkeypatch):
    monkeypatch.setenv("RAG_CONFIG", str(tmp_path / "nope.toml"))
    with pytest.raises(ConfigError, match="does not exist"):
        load_settings()


def test_openai_env_fallbacks(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1")
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.setenv("RAG_OPENAI_MODEL", "m")
    s = load_settings()
    assert s.openai_configured and s.openai_api_key == "sk-test"


@pytest.mark.parametrize("values, message", [
    ({"rrf_k": -1}, "rrf_k must be 0 or more, got -1"),
    ({"chunk_tokens": 8}, "chunk_tokens must be at least 16, got 8"),
    ({"overlap_tokens": 180}, "overlap_tokens must be at least 0 and less than chunk_tokens \\(180\\), got 180"),
    ({"overlap_tokens": -1}, "overlap_tokens must be at least 0"),
    ({"dense_weight": -0.5}, "dense_weight must be a finite number >= 0, got -0.5"),
    ({"bm25_weight": float("nan")}, "bm25_weight must be a finite number >= 0, got nan"),
    ({"dense_weight": 0.0, "bm25_weight": 0.0}, "cannot both be 0"),
    ({"candidates": 3}, "candidates \\(3\\) must be at least k \\(6\\)"),
    ({"embedder": "bert"}, "embedder must be one of minilm, minilm-torch, hash, got 'bert'"),
    ({"precision": "fp16"}, "precision must be one of auto, fp32, bf16, int8, got 'fp16'"),
    ({"precision": "int8", "embedder": "minilm-torch"}, 'precision "int8" runs on the OpenVINO embedder'),
    ({"llm_context": 200}, "llm_context \\(200\\) must be larger than llm_max_tokens \\(256\\)"),
    ({"llm_max_tokens": 0}, "llm_max_tokens must be between 1 and"),
    ({"max_upload_mb": 0}, "max_upload_mb must be between 1 and 20, got 0"),
    ({"max_upload_mb": 500}, "max_upload_mb must be between 1 and 20, got 500"),
    ({"max_question_chars": 0}, "max_question_chars must be between 1"),
    ({"parse_timeout": 0}, "parse_timeout must be a number of seconds above 0 and at most 3600, got 0"),
    ({"parse_timeout": float("nan")}, "parse_timeout must be a number of seconds above 0"),
    ({"parse_memory_mb": 64}, "parse_memory_mb must be between 128 and 1048576, got 64"),
    ({"parse_workers": -1}, "parse_workers must be between 0 \\(one per CPU\\) and 64, got -1"),
    ({"auth_user": "admin"}, "auth_user and auth_password must be set together"),
    ({"openai_base_url": "localhost:8000/v1"}, "openai_base_url must start with http"),
    ({"index_dir": " "}, "index_dir must not be empty"),
    ({"k": "5"}, "k must be int, got '5'"),
    ({"dense_weight": "heavy"}, "dense_weight must be float, got 'heavy'"),
    ({"port": True}, "port must be int, got True"),
])
def test_every_setting_is_validated_with_a_specific_message(values, message):
    with pytest.raises(ConfigError, match=message):
        load_settings(**values)


def test_invalid_values_from_file_and_environment_are_config_errors(tmp_path, monkeypatch):
    (tmp_path / "rag.toml").write_text("rrf_k = -1\n")  # used to end in ZeroDivisionError at the first search
    with pytest.raises(ConfigError, match="rrf_k must be 0 or more"):
        load_settings()
    (tmp_path / "rag.toml").write_text("k = 4.5\n")
    with pytest.raises(ConfigError, match="k must be int, got 4.5"):
        load_settings()
    (tmp_path / "rag.toml").unlink()
    monkeypatch.setenv("RAG_OVERLAP_TOKENS", "500")
    with pytest.raises(ConfigError, match="overlap_tokens"):
        load_settings()


def test_paths_may_be_given_as_path_objects(tmp_path):
    assert load_settings(index_dir=tmp_path / "ix").index_dir == str(tmp_path / "ix")


def test_fusion_and_chunker_settings_apply_the_same_checks():
    """Built directly (bench scripts, rag.app.beir), the component settings refuse what Settings refuses."""
    from rag.ingest.chunk import ChunkerSettings
    from rag.retrieval.hybrid import FusionSettings

    with pytest.raises(ConfigError, match="rrf_k must be 0 or more, got -1"):
        FusionSettings(rrf_k=-1)
    with pytest.raises(ConfigError, match="bm25_weight must be a finite number"):
        FusionSettings(bm25_weight=float("inf"))
    with pytest.raises(ConfigError, match="overlap_tokens must be at least 0 and less than chunk_tokens \\(100\\), got 100"):
        ChunkerSettings(chunk_tokens=100, overlap_tokens=100)


def test_import_rag_config_stays_light():
    assert_light("import rag.core.config, rag.cli.main", avoid=("numpy", "faiss", "torch"))
