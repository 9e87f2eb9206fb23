"""HTML for the chat UI: answers with citation markers and support badges, and the Sources panel.

Pure functions of :class:`rag.core.types.Answer` records (no retrieval, no answering). Every piece of document or user
text is HTML-escaped before it reaches the page: articles may contain hostile markup.

The outcome label, badges and dates in the chat are drawn by CSS from ``title`` attributes (``::before`` /
``::after``; the chat's HTML sanitiser drops ``data-`` attributes), so they are visible but not part of the answer's
text; the chat's copy button copies that text with its markers (``ui/static/cite.js``), not the HTML.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator, Sequence
from typing import Any

from rag.core.display import human_date
from rag.core.types import Answer, Citation, RetrievedChunk, ShortAnswer
from rag.trust.verify import VERBATIM

CONTEXT_CHARS = 360     # passage text shown either side of a cited sentence
MAX_STREAM_STEPS = 40
HIGH_SUPPORT, LOW_SUPPORT = 0.8, 0.6  # badge colours: the verifier keeps a sentence from 0.6 (verify.SUPPORT_THRESHOLD)
QUESTION_ECHO_CHARS = 300  # the question as repeated at the top of its Sources section
OUTCOME_LABELS = {"answered": "Answered", "partial": "Partial answer", "not_found": "Not found"}

EMPTY_PANEL = (
    '<div class="sources"><h3>Sources</h3><p class="src-empty">The passages behind each answer appear here, with the '
    "cited sentence highlighted. Click a marker such as <b>[1]</b> in an answer to jump to its source.</p></div>"
)


def esc(text: Any) -> str:
    """HTML-escape document or user text for the page. ``{``, ``}`` and ``$`` become entities too, so no template
    engine on the page can read the text as a placeholder."""
    return (html.escape(str(text), quote=True)
            .replace("{", "&#123;").replace("}", "&#125;").replace("$", "&#36;"))


_MD_SPECIAL = re.compile(r"([\\`*_\[\]()#+\-.!|~])")
_MARKER = re.compile(r"\[(\d+)\]")


def md_text(text: str) -> str:
    """Text for the chat's Markdown renderer: Markdown syntax neutralised with backslashes, HTML escaped."""
    return esc(_MD_SPECIAL.sub(r"\\\1", text))


def _level(score: float) -> str:
    return "high" if score >= HIGH_SUPPORT else "mid" if score >= LOW_SUPPORT else "low"


def _badge(support: Any) -> str:
    """A sentence's support badge: "quote" for a verbatim quote (always supported, so a score would say nothing),
    else the verifier's score, coloured by level."""
    if support.reason == VERBATIM:
        return '<span class="support-badge support-quote" title="quote"></span>'
    return f'<span class="support-badge support-{_level(support.score)}" title="{support.score:.2f}"></span>'


def render_answer(text: str, citations: list[Citation], turn: int, support: list | None = None, *,
                  status: str | None = None, notices: Sequence[str] = (), short: ShortAnswer | None = None) -> str:
    """Chat message for an answer: escaped text, each known marker ``[n]`` a link to its source card.

    With ``support`` (``Answer.support``), the i-th marker gets the i-th kept sentence's badge (:func:`_badge`; the
    answer text is those sentences in order, one marker each); markers after them (the "Sources differ" line) get
    none. Every linked marker of a dated article carries its date. ``status`` adds the outcome label in front
    (answered, partial, not found) and ``notices`` a note line each (a shortened question, an unverified LLM draft);
    ``short`` (``Answer.short_answer``) is shown first, above the cited sentences, with a link to its source.
    """
    by_marker = {c.marker: c for c in citations}
    kept = [s for s in (support or []) if s.supported and s.markers]
    out, pos, seen = [], 0, 0
    if status in OUTCOME_LABELS:
        out.append(f'<span class="outcome outcome-{status}" title="{OUTCOME_LABELS[status]}"></span>')
    if short is not None and short.marker in by_marker:
        out.append(f'<span class="short-answer"><b>{md_text(short.text)}</b> '
                   f'<a class="cite" href="#src-{turn}-{short.marker}">[{short.marker}]</a></span>\n\n')
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        cite = by_marker.get(n)
        if cite is None:
            continue
        out.append(md_text(text[pos:m.start()]))
        date = human_date(cite.date)
        out.append(f'<a class="cite" href="#src-{turn}-{n}" title="Source {n}: {esc(cite.title)} ({esc(date)})">'
                   f'[{n}]</a>' + (f'<span class="cite-date" title="{esc(date)}"></span>' if cite.date else ""))
        if seen < len(kept) and n in kept[seen].markers:
            out.append(_badge(kept[seen]))
        seen += 1
        pos = m.end()
    out.append(md_text(text[pos:]))
    out.extend(f"\n\n_{md_text('Note: ' + n)}_" for n in notices)
    return "".join(out)


def stream_steps(text: str) -> Iterator[str]:
    """Growing prefixes of ``text``, split at word boundaries, about ``MAX_STREAM_STEPS`` of them."""
    words = re.findall(r"\S+\s*", text)
    step = max(1, -(-len(words) // MAX_STREAM_STEPS))
    for i in range(step, len(words), step):
        yield "".join(words[:i])
    yield text


def passage_for(citation: Citation, passages: list[RetrievedChunk]) -> RetrievedChunk | None:
    """The retrieved passage that contains the citation's span (same document, chunk span covering it)."""
    for p in passages:
        if p.chunk.id == citation.chunk_id and p.chunk.start <= citation.start and citation.end <= p.chunk.end:
            return p
    for p in passages:
        if p.doc_id == citation.doc_id and p.chunk.start <= citation.start and citation.end <= p.chunk.end:
            return p
    return None


def _meta(date: str | None, source: str) -> str:
    parts = [esc(date)] if date else []
    parts.append(f"<code>{esc(source)}</code>")
    return " · ".join(parts)


def _changed_note(resolution: Any) -> str:
    """A flag for a citation whose sentence changed since the answer was saved (a :class:`rag.trust.anchors.Resolution`)."""
    if resolution is None:
        return ""
    if not resolution.changed:
        return '<div class="src-unchanged">Source unchanged since this answer was saved.</div>'
    cur = resolution.current
    closest = (f'<br>Closest current sentence ({esc(cur.title)}, {esc(cur.date or "undated")}): '
               f'<q class="src-closest">{esc(cur.text)}</q>') if cur is not None else ""
    return f'<div class="src-changed"><b>Source changed since this answer:</b> {esc(resolution.reason)}.{closest}</div>'


def _with_short(quote: str, citation: Citation, short: ShortAnswer | None) -> str:
    """The escaped quote, with the short answer in bold where it lies inside it."""
    if short is None or short.doc_id != citation.doc_id or not citation.start <= short.start < short.end <= citation.end:
        return esc(quote)
    a, b = short.start - citation.start, short.end - citation.start
    return f'{esc(quote[:a])}<b class="short-answer">{esc(quote[a:b])}</b>{esc(quote[b:])}'


def render_citation(citation: Citation, passages: list[RetrievedChunk], turn: int, resolution: Any = None,
                    short: ShortAnswer | None = None) -> str:
    p = passage_for(citation, passages)
    if p is not None:
        a, b = citation.start - p.chunk.start, citation.end - p.chunk.start
        text = p.chunk.text
        before, after = text[:a], text[b:]
        if len(before) > CONTEXT_CHARS:  # keep the passage readable: some context either side of the quote
            before = "… " + before[-CONTEXT_CHARS:].split(" ", 1)[-1]
        if len(after) > CONTEXT_CHARS:
            after = after[:CONTEXT_CHARS].rsplit(" ", 1)[0] + " …"
        body = f"{esc(before)}<mark>{_with_short(text[a:b], citation, short)}</mark>{esc(after)}"
    else:
        body = f"<mark>{_with_short(citation.quote, citation, short)}</mark>"
    flag = " changed" if resolution is not None and resolution.changed else ""
    return (
        f'<div class="src-card{flag}" id="src-{turn}-{citation.marker}" data-marker="{citation.marker}" '
        f'data-date="{esc(citation.date or "")}" data-anchor="{esc(citation.anchor)}">'
        f'<div class="src-head"><span class="src-marker">[{citation.marker}]</span>'
        f'<span class="src-title">{esc(citation.title)}</span></div>'
        f'<div class="src-meta">{_meta(citation.date, citation.source)}</div>'
        f'<p class="src-passage">{body}</p>{_changed_note(resolution)}</div>'
    )


def _snippet(text: str, limit: int = 320) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"


def render_conflicts(result: Answer, turn: int) -> str:
    """The "Sources differ" box: each value with its date, marker and whether it is a projection, newest first."""
    boxes = []
    for conflict in getattr(result, "conflicts", None) or []:
        items = "".join(
            f'<li><b>{esc(v.phrase)}</b> <span class="src-date">{esc(human_date(v.date))}</span>'
            f'{" <i>(projection)</i>" if v.projection else ""} <a class="cite" href="#src-{turn}-{v.marker}">'
            f"[{v.marker}]</a> <span class=\"src-from\">{esc(v.title)}</span></li>"
            for v in conflict.values)
        boxes.append(f'<div class="src-conflict"><b>Sources differ</b> (newest first):<ul>{items}</ul></div>')
    return "".join(boxes)


def render_removed(result: Answer) -> str:
    """A toggle revealing the sentences the verifier removed from the answer, each with its score and reason."""
    removed = [s for s in result.support if not s.supported]
    if not removed:
        return ""
    items = "".join(f'<li><span class="support-score">{s.score:.2f}</span> {esc(s.sentence)} '
                    f'<i class="removed-reason">({esc(s.reason or "not supported by the passages")})</i></li>'
                    for s in removed)
    return (f'<details class="src-removed"><summary>Show {len(removed)} sentence{"s" * (len(removed) > 1)} the '
            f"verifier removed</summary><ul>{items}</ul></details>")


def _outcome(result: Answer) -> str:
    """The answer's outcome in a box styled by status: answered (with its confidence), partial or not found, and
    why."""
    status = result.status if result.status in OUTCOME_LABELS else "answered"
    if status == "answered":
        conf = f" (confidence {result.confidence:.2f})" if result.confidence is not None else ""
        body = f"<b>Answered</b>{conf}. Each sentence cites the source card with its number."
    elif status == "partial":
        body = (f"<b>Partial answer: {esc(result.reason or 'not clearly answered')}.</b> "
                "These are the closest sentences in the articles.")
    else:
        body = (f"<b>Not found: {esc(result.reason or 'nothing in the articles answers it')}.</b> "
                "The assistant says so instead of guessing.")
    return f'<div class="src-outcome" data-status="{status}">{body}</div>'


def render_section(result: Answer, turn: int, resolutions: dict[str, Any] | None = None) -> str:
    """The Sources panel section for one answer (``resolutions``: anchor -> Resolution, for a re-opened answer)."""
    head = f'<p class="src-question">Q: {esc(_snippet(result.question, QUESTION_ECHO_CHARS))}</p>'
    if result.rewritten_question and result.rewritten_question != result.question:
        head += f'<p class="src-notice">Read with the conversation as: {esc(result.rewritten_question)}</p>'
    notices = "".join(f'<p class="src-notice">Note: {esc(n)}</p>' for n in result.notices) + _outcome(result)
    if result.status == "not_found":
        near = "".join(
            f'<div class="src-card near" id="src-{turn}-near-{i}"><div class="src-head">{esc(p.title)}</div>'
            f'<div class="src-meta">{_meta(p.chunk.date, p.source)}</div>'
            f'<p class="src-passage">{esc(_snippet(p.text))}</p></div>'
            for i, p in enumerate(result.passages[:5], 1)
        )
        return (head + notices
                + (f"<h3>Closest passages considered</h3>{near}" if near else "<p>No passages were retrieved.</p>")
                + render_removed(result))
    resolutions = resolutions or {}
    cards = "".join(render_citation(c, result.passages, turn, resolutions.get(c.anchor), result.short_answer)
                    for c in result.citations)
    sort = ('<button class="src-sort" type="button" data-order="marker">Sort by date</button>'
            if len(result.citations) > 1 else "")
    return (head + notices + render_conflicts(result, turn) + sort
            + f'<div class="src-cards">{cards or "<p class=src-empty>This answer has no citations.</p>"}</div>'
            + render_removed(result))


def render_error(question: str, message: str) -> str:
    return (f'<p class="src-question">Q: {esc(_snippet(question, QUESTION_ECHO_CHARS))}</p>'
            f'<div class="src-error"><b>Error:</b> {esc(message)}</div>')


def render_panel(sections: list[tuple[str, str]]) -> str:
    """The whole panel: the latest answer's sources, earlier answers' sources collapsed below."""
    if not sections:
        return EMPTY_PANEL
    (_, latest), earlier = sections[-1], sections[:-1]
    parts = ['<div class="sources"><h3>Sources for the latest answer</h3>', latest]
    for question, body in reversed(earlier):
        parts.append(f"<details><summary>Earlier: {esc(_snippet(question, 80))}</summary>{body}</details>")
    parts.append("</div>")
    return "".join(parts)
