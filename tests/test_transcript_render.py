"""Saved conversations (JSON and Markdown round trips keep anchors) and the HTML the UI renders for support, removed
sentences, conflicts and changed sources (escaped like everything else)."""

from __future__ import annotations

import pytest

from rag.types import Answer, Chunk, Citation, Conflict, RetrievedChunk, SentenceSupport, StatedValue

HOSTILE = "<script>alert(1)</script>"


def _answer() -> Answer:
    text = "Intro. Zorblax made 40,000 wafers per month in 2024. Later text."
    start = text.index("Zorblax")
    end = text.index(" Later")
    chunk = Chunk("c1", "d1", f"Title {HOSTILE}", "x.md", 0, len(text), text, ((0, 6), (start, end)), "2025-01-02")
    cite = Citation(1, "d1", f"Title {HOSTILE}", "x.md", text[start:end], start, end, "c1", "2025-01-02")
    other = Citation(2, "d2", "Other", "y.md", "Zorblax made 30,000 wafers per month.", 0, 37, "c2", "2024-06-01")
    conflict = Conflict((StatedValue("40,000 wafers per month", 40000.0, "wafer per month", "CARDINAL", False, 1, "d1",
                                     cite.title, cite.date, cite.quote, cite.anchor),
                         StatedValue(f"30,000 {HOSTILE}", 30000.0, "wafer per month", "CARDINAL", True, 2, "d2",
                                     "Other", other.date, other.quote, other.anchor)), 0.9)
    support = [SentenceSupport(cite.quote, (1,), 0.93, True),
               SentenceSupport(f"Zorblax is run by {HOSTILE}.", (), 0.31, False, "not in the cited passage: Zorblax")]
    return Answer("How much does Zorblax make?", f"{cite.quote[:-1]} [1]. {conflict.summary()}", [cite, other],
                  passages=[RetrievedChunk(chunk, 1.0)], support=support, conflicts=[conflict])


def test_citations_get_anchors_and_conflict_summary_is_newest_first():
    result = _answer()
    assert result.citations[0].anchor.startswith("d1:") and result.citations[0].anchor.endswith(":2025-01-02")
    assert "(18" not in result.text and "40,000 wafers per month (2 Jan 2025) [1]" in result.text
    assert "(projection, 1 Jun 2024) [2]" in result.text
    assert result.conflicts[0].summary(latest_first=True).startswith("Sources differ; the newest says 40,000")


def test_json_and_markdown_round_trips_keep_anchors(tmp_path):
    from rag.transcript import load_transcript, to_json, to_markdown

    original = _answer()
    (tmp_path / "c.json").write_text(to_json([original]), encoding="utf-8")
    (tmp_path / "c.md").write_text(to_markdown([original]), encoding="utf-8")
    from_json = load_transcript(tmp_path / "c.json")[0]
    assert from_json == original
    from_md = load_transcript(tmp_path / "c.md")[0]
    assert from_md.question == original.question and from_md.text == original.text
    assert [c.anchor for c in from_md.citations] == [c.anchor for c in original.citations]
    assert [c.quote for c in from_md.citations] == [c.quote for c in original.citations]


def test_damaged_saved_conversations_are_clear_errors(tmp_path):
    from rag.errors import ConfigError
    from rag.transcript import load_transcript

    cases = {"a.json": '{"format": "other"}', "b.json": '{"format": "rag-conversation", "turns": [{}]}',
             "c.md": "just some notes", "d.json": "{not json"}
    for name, text in cases.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        with pytest.raises(ConfigError, match=name):
            load_transcript(tmp_path / name)


def test_rendering_support_removed_conflicts_and_changes_is_escaped():
    from rag.anchors import AnchorMatch, Resolution
    from ui.render import render_answer, render_section

    result = _answer()
    chat = render_answer(result.text, result.citations, 7, result.support)
    assert chat.count('class="support-badge support-high" title="0.93"') == 1  # only the verified sentence
    assert chat.count('class="cite-date" title="2 Jan 2025"') == 2 and 'title="1 Jun 2024"' in chat
    changed = Resolution(result.citations[0].anchor, True, "changed", "edited",
                         AnchorMatch("d1", "T", "x.md", None, f"New {HOSTILE} text.", 0, 9, "a", "p", 0.9))
    panel = render_section(result, 7, {result.citations[0].anchor: changed})
    assert "<script" not in panel + chat and "&lt;script&gt;" in panel
    assert 'class="src-card changed" id="src-7-1"' in panel and "Source changed since this answer" in panel
    assert "Show 1 sentence the verifier removed" in panel and "0.31" in panel and "not in the cited passage" in panel
    assert panel.index("40,000 wafers per month") < panel.index("30,000") and "(projection)" in panel
    assert 'href="#src-7-2"' in panel and 'class="src-sort"' in panel


def test_chat_labels_the_outcome_and_shows_notices_and_quote_badges():
    from rag.types import Answer, Citation, SentenceSupport
    from rag.verify import VERBATIM
    from ui.render import render_answer, render_section

    cite = Citation(1, "d1", "T", "x.md", "Acme makes chips.", 0, 17, "c1", date=None)
    quote = SentenceSupport("Acme makes chips.", (1,), 1.0, True, VERBATIM)
    for status, label in (("answered", "Answered"), ("partial", "Partial answer"), ("not_found", "Not found")):
        chat = render_answer("Acme makes chips [1].", [cite], 2, [quote], status=status)
        # the label is drawn by CSS from its title, so it is shown but never part of the copied text
        assert chat.startswith(f'<span class="outcome outcome-{status}" title="{label}"></span>')
    chat = render_answer("Acme makes chips [1].", [cite], 2, [quote], notices=["The question was cut."])
    assert 'class="support-badge support-quote" title="quote"' in chat  # a verbatim quote, not a score of 1.00
    assert "cite-date" not in chat  # no date label for an undated article
    assert chat.endswith("_Note: The question was cut\\._")
    result = Answer("When was that announced?", "Acme makes chips [1].", [cite], status="partial",
                    reason="related", rewritten_question="When was that announced? (Who makes chips?)",
                    notices=["x" * 5])
    panel = render_section(result, 2)
    assert 'data-status="partial"' in panel and "Partial answer: related." in panel
    assert "Read with the conversation as: When was that announced? (Who makes chips?)" in panel
    long = Answer("why " * 1000, "The articles do not say.", status="not_found", reason="no names")
    panel = render_section(long, 3)
    assert 'data-status="not_found"' in panel and "Not found: no names." in panel
    assert len(panel) < 1200  # the question's echo is shortened
