"""HTML -> text in time linear in the input: libxml2's HTML parser (through lxml), one pass over its tree.

The text is what a reader sees: scripts, styles, navigation, footers, forms and the ``<head>`` are left out, and
block elements (paragraphs, list items, table cells, headings, ``<br>`` …) become paragraph breaks. Markdown goes
through here too (:func:`rag.ingest.load.markdown_to_text` renders it to HTML first).

Limits, so that no page can stall a build:

* nesting: libxml2 stops at :data:`MAX_DEPTH` open elements; a page nested deeper is refused with that reason (a
  page of 100,000 nested ``<div>`` is refused in milliseconds; BeautifulSoup's ``html.parser`` tree took over 18
  minutes on it);
* entities: HTML has no entity declarations, and a character reference expands to at most two characters, so text
  never grows beyond the input; a page that declares entities (``<!DOCTYPE html [<!ENTITY …>]>``, the XML
  "billion laughs") is refused rather than shown with its declarations as text.

Every step is linear: the tree is walked iteratively (no recursion, whatever the depth), each node once.
"""

from __future__ import annotations

import re

MAX_DEPTH = 255
"""Deepest nesting of elements a page may have; libxml2 refuses to go deeper (its limit without XML_PARSE_HUGE)."""

BLOCK_TAGS = frozenset((
    "p", "div", "section", "article", "main", "li", "ul", "ol", "dl", "dt", "dd", "table", "tr", "td", "th",
    "pre", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6", "br", "hr", "figure", "figcaption", "header",
))
DROP_TAGS = frozenset(("script", "style", "noscript", "template", "nav", "footer", "aside", "form", "svg", "iframe",
                       "button"))
_NO_TEXT = frozenset(("script", "style", "template"))  # their strings are code, never part of a title
_DECLARED_ENTITY = re.compile(r"<!ENTITY\s", re.IGNORECASE)
_EXPLICIT_HEAD = re.compile(r"<head[\s>/]", re.IGNORECASE)
_DATE_META = (("property", "article:published_time"), ("name", "date"))


def parse_html(html: str):
    """The page's element tree (lxml), or ``None`` for a page without any content.

    :raises ValueError: the page is nested deeper than :data:`MAX_DEPTH` elements, or declares entities.
    """
    from lxml import etree

    if _DECLARED_ENTITY.search(html):
        raise ValueError("HTML declares entities (<!ENTITY ...>), which HTML does not have (an entity-expansion "
                         "bomb?); refused")
    # bytes with the encoding given: the file was already decoded as UTF-8, whatever its <?xml?> or <meta> declares
    parser = etree.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True, no_network=True)
    root = etree.fromstring(html.encode("utf-8", "surrogatepass"), parser) if html.strip() else None
    for error in parser.error_log:
        if error.type_name == "ERR_RESOURCE_LIMIT" or "Excessive depth" in error.message:
            raise ValueError(f"HTML nested more than {MAX_DEPTH} elements deep (the nesting limit); refused")
    return root


def _tag(element) -> str:
    tag = element.tag
    return tag.lower() if isinstance(tag, str) else ""


def _inner_text(element) -> str:
    """The element's text with its strings separated by spaces (as a title is shown), code left out."""
    parts = []
    for node in element.iter():
        if node is not element and _tag(node) in _NO_TEXT:
            continue
        if node.text and (node is element or _tag(node.getparent()) not in _NO_TEXT):
            parts.append(node.text)
        if node is not element and node.tail and _tag(node.getparent()) not in _NO_TEXT:
            parts.append(node.tail)
    return " ".join(" ".join(parts).split())


def _title(root) -> str | None:
    """The ``<title>``, else the first ``<h1>``; ``None`` when the page has neither (an empty one gives "")."""
    for tag in ("title", "h1"):
        for element in root.iter(tag):
            return _inner_text(element)
    return None


def _date(root) -> str | None:
    """The publication date the page states: ``article:published_time`` or ``date`` meta, else ``<time datetime>``."""
    from rag.text.dates import iso_prefix

    candidates = []
    for attr, value in _DATE_META:
        meta = next((m for m in root.iter("meta") if m.get(attr) == value), None)
        if meta is not None:
            candidates.append(meta.get("content"))
            break
    candidates.append(next((t.get("datetime") for t in root.iter("time") if t.get("datetime") is not None), None))
    for candidate in candidates:
        if candidate and iso_prefix(str(candidate)):
            return iso_prefix(str(candidate))
    return None


def _visible_text(root, drop_head: bool) -> str:
    """The text of the page in document order, blocks set apart by blank lines, dropped elements left out."""
    from lxml import etree

    out: list[str] = []
    walk = etree.iterwalk(root, events=("start", "end"))
    head_seen = False
    for event, element in walk:
        tag = _tag(element)
        if event == "start":
            if tag in DROP_TAGS or (tag == "head" and drop_head and not head_seen):
                head_seen = head_seen or tag == "head"
                walk.skip_subtree()  # its "end" event still comes, and adds its tail (the text after it)
                continue
            if tag in BLOCK_TAGS:
                out.append("\n\n")
            if element.text and isinstance(element.tag, str):
                out.append(element.text)
        else:
            if tag in BLOCK_TAGS:
                out.append("\n\n")
            if element.tail and element is not root:
                out.append(element.tail)
    return "".join(out)


def html_text(html: str) -> tuple[str, str | None, str | None]:
    """The visible text of a page (paragraphs not yet normalised), its title and its date, when stated.

    :raises ValueError: as :func:`parse_html`.
    """
    root = parse_html(html)
    if root is None:
        return "", None, None
    # libxml2 puts <title> and <meta> into a <head> of its own when the page has none; like a browser, the text of
    # such a page is everything but scripts and styles, so only a <head> the page wrote is left out
    return _visible_text(root, drop_head=bool(_EXPLICIT_HEAD.search(html))), _title(root), _date(root)
