"""Saved conversations: JSON and Markdown round trips keep anchors, damaged files are clear errors. (The HTML the UI
renders for the same answer is tested in tests/ui/test_render.py.)"""

from __future__ import annotations

import pytest

from tests.helpers import sample_answer


def test_citations_get_anchors_and_conflict_summary_is_newest_first():
    result = sample_answer()
    assert result.citations[0].anchor.startswith("d1:") and result.citations[0].anchor.endswith(":2025-01-02")
    assert "(18" not in result.text and "40,000 wafers per month (2 Jan 2025) [1]" in result.text
    assert "(projection, 1 Jun 2024) [2]" in result.text
    assert result.conflicts[0].summary(latest_first=True).startswith("Sources differ; the newest says 40,000")


def test_json_and_markdown_round_trips_keep_anchors(tmp_path):
    from rag.app.transcript import load_transcript, to_json, to_markdown

    original = sample_answer()
    (tmp_path / "c.json").write_text(to_json([original]), encoding="utf-8")
    (tmp_path / "c.md").write_text(to_markdown([original]), encoding="utf-8")
    from_json = load_transcript(tmp_path / "c.json")[0]
    assert from_json == original
    from_md = load_transcript(tmp_path / "c.md")[0]
    assert from_md.question == original.question and from_md.text == original.text
    assert [c.anchor for c in from_md.citations] == [c.anchor for c in original.citations]
    assert [c.quote for c in from_md.citations] == [c.quote for c in original.citations]


def test_damaged_saved_conversations_are_clear_errors(tmp_path):
    from rag.app.transcript import load_transcript
    from rag.core.errors import ConfigError

    cases = {"a.json": '{"format": "other"}', "b.json": '{"format": "rag-conversation", "turns": [{}]}',
             "c.md": "just some notes", "d.json": "{not json"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=name):
            load_transcript(tmp_path / name)
