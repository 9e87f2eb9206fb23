"""Citation anchors survive rebuilds: a real edit -> incremental rebuild -> resolve cycle over a copy of the corpus,
with the real MiniLM index (only the edited article is re-embedded)."""

from __future__ import annotations

import json

import pytest

from tests.helpers import copy_index, run_cli

SMIC_DOC = "chinas-triple-output-ai-strategy-tripling-chip-production-by-2026"
FIGURE = "60,000 wafers per month"


@pytest.fixture
def live(real_index, corpus_copy, tmp_path):
    return corpus_copy, copy_index(real_index, tmp_path / "index")


def _cited(index):
    from rag import answer

    result = answer("What is SMIC's advanced-node capacity?", index_dir=index)
    return next(c for c in result.citations if FIGURE in c.quote)


def _edit(path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_anchor_format_and_errors():
    from rag.core.anchor_ids import make_anchor, parse_anchor, sentence_hash
    from rag.core.errors import ConfigError

    anchor = make_anchor("doc:with:colons", "A  sentence.", 10, 22, None)
    parsed = parse_anchor(anchor)
    assert (parsed.doc_id, parsed.start, parsed.end, parsed.date) == ("doc:with:colons", 10, 22, None)
    assert parsed.sha == sentence_hash("A sentence.") != sentence_hash("A sentence!")
    for bad in ("", "doc", "doc:xyz:1-2:2025-01-01", "doc:0123456789abcdef:1:2025", ":0123456789abcdef:1-2:x"):
        with pytest.raises(ConfigError, match="not a citation anchor"):
            parse_anchor(bad)


def test_unchanged_sentence_resolves_after_an_edit_above_it(live):
    import rag
    from rag.app.api import build_index

    corpus, index = live
    cite = _cited(index)
    assert cite.anchor.startswith(f"{SMIC_DOC}:") and cite.anchor.endswith(":2025-12-18")
    same = rag.resolve(cite.anchor, index_dir=index)
    assert not same.changed and not same.offset_moved and same.current.text == cite.quote

    article = corpus / f"{SMIC_DOC}.md"
    text = article.read_text(encoding="utf-8")
    first_para = text.index("\n\n", text.index("\n# ")) + 2
    article.write_text(text[:first_para] + "An analyst note was added above in a later edit of this article.\n\n"
                       + text[first_para:], encoding="utf-8")
    report = build_index(corpus, index)
    assert report.changed == 1 and report.unchanged == 9
    moved = rag.resolve(cite.anchor, index_dir=index)
    print(f"\nanchor after an edit above it: status={moved.status} changed={moved.changed} "
          f"span {cite.start}-{cite.end} -> {moved.current.start}-{moved.current.end}")
    assert moved.changed is False and moved.status == "unchanged" and moved.offset_moved
    assert moved.current.text == cite.quote and moved.current.start > cite.start
    assert moved.current.doc_id == SMIC_DOC and moved.current.date == "2025-12-18"
    assert FIGURE in moved.current.passage


def test_edited_sentence_is_flagged_with_the_closest_sentence(live):
    import rag
    from rag.app.api import build_index

    corpus, index = live
    cite = _cited(index)
    _edit(corpus / f"{SMIC_DOC}.md", "has reached an estimated 60,000 wafers", "has reached an estimated 65,000 wafers")
    build_index(corpus, index)
    by_meaning = rag.resolve(cite.anchor, quote=cite.quote, index_dir=index)
    by_position = rag.resolve(cite.anchor, index_dir=index)
    print(f"\nedited sentence: {by_meaning.status}, closest (similarity {by_meaning.current.similarity}): "
          f"{by_meaning.current.text}")
    for res in (by_meaning, by_position):
        assert res.changed is True and res.status == "changed"
        assert res.current.doc_id == SMIC_DOC and "65,000 wafers per month" in res.current.text
    assert by_meaning.current.similarity > 0.9
    from rag.core.errors import ConfigError

    with pytest.raises(ConfigError, match="does not match"):
        rag.resolve(cite.anchor, quote="Some other sentence.", index_dir=index)


def test_deleted_document_is_flagged(live):
    import rag
    from rag.app.api import build_index

    corpus, index = live
    cite = _cited(index)
    (corpus / f"{SMIC_DOC}.md").unlink()
    assert build_index(corpus, index).removed == 1
    without_quote = rag.resolve(cite.anchor, index_dir=index)
    assert without_quote.changed and without_quote.status == "removed" and without_quote.current is None
    assert SMIC_DOC in without_quote.reason
    with_quote = rag.resolve(cite.anchor, quote=cite.quote, index_dir=index)
    print(f"\ndeleted document: closest elsewhere: {with_quote.current.doc_id}: {with_quote.current.text}")
    assert with_quote.changed and with_quote.current.doc_id != SMIC_DOC
    assert "wafers per month" in with_quote.current.text  # the other article's capacity figure


def test_cli_cite_reports_unchanged_and_changed(live):
    from rag.app.api import build_index

    corpus, index = live
    cite = _cited(index)

    def run(*args):
        return run_cli("cite", cite.anchor, "--index", index, *args)

    ok = run()
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.startswith("UNCHANGED") and cite.quote in ok.stdout
    _edit(corpus / f"{SMIC_DOC}.md", "has reached an estimated 60,000", "has reached roughly 61,000")
    build_index(corpus, index)
    changed = run("--json", "--quote", cite.quote)
    assert changed.returncode == 3, changed.stderr
    data = json.loads(changed.stdout)
    assert data["changed"] is True and "61,000" in data["current"]["text"]
