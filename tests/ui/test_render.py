"""The HTML the UI renders (ui.render) for support, removed sentences, conflicts and changed sources, escaped like
everything else, and the outcome labels and badges of the chat."""

from __future__ import annotations

from tests.helpers import SAMPLE_MARKUP, sample_answer


def test_rendering_support_removed_conflicts_and_changes_is_escaped():
    from rag.trust.anchors import AnchorMatch, Resolution
    from ui.render import render_answer, render_section

    result = sample_answer()
    chat = render_answer(result.text, result.citations, 7, result.support)
    assert chat.count('class="support-badge support-high" title="0.93"') == 1  # only the verified sentence
    assert chat.count('class="cite-date" title="2 Jan 2025"') == 2 and 'title="1 Jun 2024"' in chat
    changed = Resolution(result.citations[0].anchor, True, "changed", "edited",
                         AnchorMatch("d1", "T", "x.md", None, f"New {SAMPLE_MARKUP} text.", 0, 9, "a", "p", 0.9))
    panel = render_section(result, 7, {result.citations[0].anchor: changed})
    assert "<script" not in panel + chat and "&lt;script&gt;" in panel
    assert 'class="src-card changed" id="src-7-1"' in panel and "Source changed since this answer" in panel
    assert "Show 1 sentence the verifier removed" in panel and "0.31" in panel and "not in the cited passage" in panel
    assert panel.index("40,000 wafers per month") < panel.index("30,000") and "(projection)" in panel
    assert 'href="#src-7-2"' in panel and 'class="src-sort"' in panel


def test_chat_labels_the_outcome_and_shows_notices_and_quote_badges():
    from rag.core.types import Answer, Citation, SentenceSupport
    from rag.trust.verify import VERBATIM
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
