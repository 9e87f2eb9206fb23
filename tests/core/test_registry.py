"""The plug-in registries (rag.core.registry): built-in entries load by name, unknown names are clear errors, and an
installed package adds a backend, an embedder and a vector store through entry points, without editing rag."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys

import pytest

from rag.core.errors import ConfigError
from rag.core.registry import BACKENDS, EMBEDDERS, STORES, Registry
from tests.helpers import FIXTURES, ROOT, run_cli

PLUGIN = FIXTURES / "rag-plugin-demo"


def test_built_in_entries_load_by_name_and_unknown_names_list_the_known_ones():
    from rag.answering.backends.extractive import create
    from rag.index.stores.faiss_store import KIND

    assert BACKENDS.get("extractive") is create and STORES.get("faiss") is KIND
    assert EMBEDDERS.builtins == ("minilm", "minilm-torch", "hash")
    with pytest.raises(ConfigError, match=r"unknown backend 'nope'; choose one of: extractive, llama-cpp, openai"):
        BACKENDS.get("nope")


def test_a_registered_entry_is_found_and_a_built_in_cannot_be_replaced():
    registry = Registry("thing", "rag.tests-no-such-group", {"one": "json:dumps"})
    registry.register("two", len)
    assert registry.names() == ("one", "two") and registry.get("one") is json.dumps and registry.get("two") is len
    with pytest.raises(ConfigError, match="built in"):
        registry.register("one", len)
    registry.register("broken", "no_such_module_xyz:thing")
    with pytest.raises(ConfigError, match=r"the thing 'broken' \(no_such_module_xyz:thing\) could not be loaded"):
        registry.get("broken")
    registry.forget_plugins()
    assert registry.names() == ("one",)


@pytest.mark.slow
def test_an_installed_plugin_package_adds_a_backend_an_embedder_and_a_store(tmp_path):
    """pip installs tests/fixtures/rag-plugin-demo (entry points in its pyproject.toml); the CLI then builds with its
    embedder and store, and answers with its backend, whose sentence goes through the verifier like any other."""
    site, source = tmp_path / "site", tmp_path / "plugin"
    shutil.copytree(PLUGIN, source)  # the build writes build/ and *.egg-info beside the sources: not into the repo
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-build-isolation", "--no-index",
                    "--target", str(site), str(source)], check=True, capture_output=True, timeout=300)
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "ferries.md").write_text("---\ntitle: Harbour ferries\n---\n\nThe harbour ferry company bought three "
                                       "electric ferries in 2024. Each ferry carries 300 passengers.\n")
    env = {"PYTHONPATH": os.pathsep.join([str(ROOT), str(site)]), "RAG_EMBEDDER": "demo-hash",
           "RAG_STORE": "demo-faiss"}
    index = tmp_path / "index"
    built = run_cli("build", "--corpus", corpus, "--index", index, env=env)
    assert built.returncode == 0, built.stderr
    manifest = json.loads(next(index.glob("snap-*/manifest.json")).read_text())
    assert manifest["embedder"] == "demo-hash@auto" and manifest["store"]["kind"] == "demo-faiss"

    asked = run_cli("ask", "How many electric ferries did the company buy?", "-b", "demo-echo", "--json",
                    "--corpus", corpus, "--index", index, env=env)
    assert asked.returncode == 0, asked.stderr
    result = json.loads(asked.stdout)
    assert result["backend"] == "demo-echo"
    assert result["text"] == "The harbour ferry company bought three electric ferries in 2024 [1]."
    assert result["citations"] and result["citations"][0]["doc_id"]

    unknown = run_cli("ask", "Anything?", "-b", "demo-missing", "--corpus", corpus, "--index", index, env=env)
    assert unknown.returncode != 0 and "demo-echo" in unknown.stderr  # the error lists the installed plug-in
