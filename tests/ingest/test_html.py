"""HTML -> text (rag.ingest.html): linear time, nesting and declared entities refused with their reason, and the
text a reader sees (scripts, navigation and an explicit head left out; blocks as paragraphs)."""

from __future__ import annotations

import time

import pytest

from rag.ingest.html import MAX_DEPTH
from rag.ingest.load import html_to_text, markdown_to_text


def test_a_page_nested_100000_deep_is_refused_at_once():
    page = "<html><body>" + "<div>" * 100_000 + "deep text" + "</div>" * 100_000 + "</body></html>"
    started = time.perf_counter()
    with pytest.raises(ValueError, match=f"nested more than {MAX_DEPTH} elements deep"):
        html_to_text(page)
    print(f"\n100,000 nested <div>: refused in {time.perf_counter() - started:.3f}s")


def test_nesting_up_to_the_limit_is_read():
    depth = MAX_DEPTH - 3  # <html> and <body> count too
    text, _, _ = html_to_text("<html><body>" + "<div>" * depth + "deep text" + "</div>" * depth + "</body></html>")
    assert text == "deep text"


def test_declared_entities_are_refused_and_references_never_grow_the_text():
    laughs = ('<!DOCTYPE html [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
              "<html><body><p>&b;&b;</p></body></html>")
    with pytest.raises(ValueError, match="declares entities"):
        html_to_text(laughs)
    refs = "<p>" + "&amp;&#x41;&nbsp;&unknown;" * 10_000 + "</p>"
    text, _, _ = html_to_text(refs)
    assert len(text) <= len(refs) and text.startswith("&A &unknown;&A")


def test_visible_text_title_and_date():
    page = ("<?xml version='1.0' encoding='latin-1'?><html><head><title>The  Title</title>"
            "<meta property='article:published_time' content='2025-03-04T10:00:00Z'></head><body>"
            "<nav>Menu</nav><h1>Heading</h1><p>First <i>para</i>graph.</p><script>x = 1</script><!-- note -->"
            "<ul><li>one</li><li>two</li></ul>tail<footer>Footer</footer>after</body></html>")
    text, title, date = html_to_text(page)
    assert text == "Heading\n\nFirst paragraph.\n\none\n\ntwo\n\ntailafter"  # the footer goes, the text around it stays
    assert (title, date) == ("The Title", "2025-03-04")


def test_a_title_without_a_written_head_stays_in_the_text_as_before():
    assert html_to_text("<title>T</title><p>Body.</p>") == ("T\n\nBody.", "T", None)
    assert html_to_text("<h1>A <b>B</b></h1><time datetime='2024-01-02'>x</time>") == ("A B\n\nx", "A B", "2024-01-02")
    assert html_to_text("   ") == ("", None, None)


def test_markdown_nested_50000_deep_loads_in_linear_time():
    started = time.perf_counter()
    text = markdown_to_text("- " * 50_000 + "x\n")
    assert time.perf_counter() - started < 30  # it takes well under a second; a generous limit, not a timing
    assert "x" not in text  # markdown-it stops nesting at 20 levels and drops what lies deeper
