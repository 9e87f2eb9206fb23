"""Configuration: file, environment and keyword precedence; malformed configuration is a clear error."""

import pytest

from rag.config import load_settings
from rag.errors import ConfigError


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
