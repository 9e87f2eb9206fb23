"""The CLI in-process: each command's output and its one-line errors (exit code 1, no traceback)."""

import json

import pytest
from click.testing import CliRunner

from rag.cli.main import main
from tests.helpers import CORPUS, SEED, copy_corpus


@pytest.fixture
def runner():
    return CliRunner()


def test_help_lists_every_command(runner):
    out = runner.invoke(main, ["--help"]).output
    for cmd in ("build", "search", "ask", "serve", "status", "check", "eval", "eval-retrieval", "import-feed"):
        assert cmd in out


def test_ask_and_search_plain_and_json(runner, real_index):
    result = runner.invoke(main, ["ask", "What node did SMIC reach without EUV lithography?", "--index", str(real_index),
                                  "--corpus", str(CORPUS)])
    assert result.exit_code == 0, result.output
    assert "5nm" in result.output and "Sources:" in result.output and "[1]" in result.output
    data = json.loads(runner.invoke(main, ["ask", "Who is the CEO of TechInsights?", "--json", "--index",
                                           str(real_index), "--corpus", str(CORPUS)]).output)
    assert data["abstained"] is True and data["citations"] == [] and data["passages"]
    hits = json.loads(runner.invoke(main, ["search", "EUV prototype", "-k", "2", "--json", "--index", str(real_index),
                                           "--corpus", str(CORPUS)]).output)
    assert len(hits) == 2 and hits[0]["rank"] == 1 and "doc_id" in hits[0]


def test_check_status_and_stale_warning(runner, real_index, tmp_path):
    assert "OK:" in runner.invoke(main, ["check", "--index", str(real_index)]).output
    result = runner.invoke(main, ["status", "--index", str(real_index), "--corpus", str(CORPUS)])
    assert "up to date" in result.output and result.exit_code == 0
    corpus = copy_corpus(tmp_path / "c")
    (corpus / "new.txt").write_text("New Doc\n\nSomething else entirely.")
    result = runner.invoke(main, ["status", "--index", str(real_index), "--corpus", str(corpus)])
    out = result.output
    assert "stale" in out and "new.txt" in out and "rag build" in out
    assert result.exit_code == 1  # scripts can tell a stale index from a current one
    result = runner.invoke(main, ["status", "--index", str(tmp_path / "none"), "--corpus", str(corpus)])
    assert "No index yet" in result.output and result.exit_code == 2


@pytest.mark.parametrize("args, message", [
    (["ask", "   "], "the question is empty"),
    (["search", "x", "-k", "0"], "Invalid value for '-k'"),
    (["ask", "x", "--backend", "nope"], "Invalid value for '-b' / '--backend'"),
    (["import-feed", "missing-file.txt"], "does not exist"),
])
def test_errors_are_one_line_messages(runner, real_index, args, message):
    result = runner.invoke(main, args + (["--index", str(real_index), "--corpus", str(CORPUS)] if args[0] != "import-feed" else []))
    assert result.exit_code != 0 and message in result.output and "Traceback" not in result.output


def test_missing_or_corrupt_index(runner, tmp_path):
    result = runner.invoke(main, ["check", "--index", str(tmp_path / "none")])
    assert result.exit_code == 1 and "No index found" in result.output and "rag build" in result.output
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "CURRENT").write_text("snap-missing")
    result = runner.invoke(main, ["search", "chips", "--index", str(tmp_path / "bad"), "--corpus", str(CORPUS)])
    assert result.exit_code == 1 and "points at a missing snapshot" in result.output


def test_cli_add_vets_files_like_uploads(runner, tmp_path):
    corpus = tmp_path / "corpus"
    good, bad = tmp_path / "My Notes.md", tmp_path / "tool.exe"
    good.write_text("# Notes\n\nSome text.\n", encoding="utf-8")
    bad.write_bytes(b"MZ")
    out = runner.invoke(main, ["add", str(good), str(bad), "--no-build", "--corpus", str(corpus)])
    assert out.exit_code == 1 and "added as My_Notes.md" in out.output and "only .md" in out.output
    assert sorted(p.name for p in corpus.iterdir()) == ["My_Notes.md"]


def test_cli_add_updates_the_index_right_after(runner, tmp_path, monkeypatch):
    """`rag add` (its --build default) copies the file, then builds: the new article is indexed and searchable."""
    monkeypatch.setenv("RAG_EMBEDDER", "hash")
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    note = tmp_path / "ferries.md"
    note.write_text("# Ferries\n\nThe harbour ferry company bought three electric ferries in 2024.\n", encoding="utf-8")
    out = runner.invoke(main, ["add", str(note), "--corpus", str(corpus), "--index", str(index)])
    assert out.exit_code == 0, out.output
    assert "ferries.md: added" in out.output and "1 added" in out.output
    found = runner.invoke(main, ["search", "electric ferries", "--json", "--corpus", str(corpus), "--index", str(index)])
    assert found.exit_code == 0 and "ferries" in found.output


def test_import_feed_command(runner, tmp_path):
    out = runner.invoke(main, ["import-feed", str(SEED), "--corpus", str(tmp_path / "c")]).output
    assert "10 articles, 10 written" in out
    out = runner.invoke(main, ["import-feed", str(SEED), "--corpus", str(tmp_path / "c")]).output
    assert "10 articles, 0 written" in out


def test_configured_folders_and_k_apply_when_options_are_not_given(runner, tmp_path, monkeypatch):
    """rag.toml (in the working directory) and RAG_* set corpus_dir, index_dir and k for every command; an option
    given on the command line wins. Nothing named corpus/ or index/ exists in the working directory."""
    from rag.index.snapshot import current_snapshot_dir

    corpus, index = copy_corpus(tmp_path / "articles"), tmp_path / "configured-index"
    (tmp_path / "rag.toml").write_text(f'corpus_dir = "{corpus}"\nindex_dir = "{index}"\nembedder = "hash"\nk = 2\n')
    result = runner.invoke(main, ["search", "EUV prototype", "--json"])  # no index yet: built from corpus_dir first
    assert result.exit_code == 0, result.output
    assert f"building it from {corpus}" in result.stderr
    assert len(json.loads(result.stdout)) == 2
    assert current_snapshot_dir(index).is_dir() and not (tmp_path / "index").exists()
    assert "up to date" in runner.invoke(main, ["status"]).output
    assert "OK:" in runner.invoke(main, ["check"]).output
    (corpus / "extra.txt").write_text("Extra Doc\n\nGallium export licences were tightened again.")
    assert "stale" in runner.invoke(main, ["status"]).output and "extra.txt" in runner.invoke(main, ["status"]).output
    answer = json.loads(runner.invoke(main, ["ask", "What node did SMIC reach without EUV lithography?", "--json"]).stdout)
    assert len(answer["passages"]) == 2
    # the environment beats the file; an option beats both
    monkeypatch.setenv("RAG_INDEX_DIR", str(tmp_path / "env-index"))
    assert "11 added" in runner.invoke(main, ["build"]).output
    assert current_snapshot_dir(tmp_path / "env-index").is_dir()
    assert runner.invoke(main, ["build", "--index", str(tmp_path / "opt-index")]).exit_code == 0
    assert current_snapshot_dir(tmp_path / "opt-index").is_dir()
    assert len(json.loads(runner.invoke(main, ["search", "gallium", "--json", "-k", "3"]).stdout)) == 3
    out = runner.invoke(main, ["import-feed", str(SEED)]).output
    assert "10 articles, 0 written" in out  # into the configured corpus, which already holds these articles
