"""Saved conversations: export answers as JSON or Markdown (citation anchors kept) and re-open them later.

Re-opening resolves every citation's anchor against the live index (:func:`rag.trust.anchors.resolve`), so a conversation
saved before a rebuild shows which of its sources changed since.

JSON: ``{"format": "rag-conversation", "version": 1, "exported": ISO time, "turns": [Answer.to_dict(), ...]}``.
Markdown: one ``## Q:`` section per turn, the answer, then one ``- [n] title (date, source) anchor `...` `` line per
citation followed by the quote as a ``>`` line; re-opening it restores questions, answers and citations (not the
retrieved passages).
"""

from __future__ import annotations

import json
import re
import time
from pathlib import Path
from typing import Any

from rag.core.errors import ConfigError
from rag.core.types import (
    Answer,
    Chunk,
    Citation,
    Conflict,
    RetrievedChunk,
    SentenceSupport,
    ShortAnswer,
    StatedValue,
)

FORMAT, VERSION = "rag-conversation", 1


def to_json(answers: list[Answer]) -> str:
    exported = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return json.dumps({"format": FORMAT, "version": VERSION, "exported": exported,
                       "turns": [a.to_dict() for a in answers]}, indent=1, ensure_ascii=False)


def to_markdown(answers: list[Answer]) -> str:
    lines = ["# Saved conversation", ""]
    for a in answers:
        lines += [f"## Q: {a.question}", "", a.text, ""]
        for c in a.citations:
            lines.append(f"- [{c.marker}] {c.title} ({c.date or 'undated'}, {c.source}) anchor `{c.anchor}`")
            lines.append(f"  > {' '.join(c.quote.split())}")
        lines.append("")
    return "\n".join(lines)


def _citation(d: dict) -> Citation:
    return Citation(**{k: d[k] for k in ("marker", "doc_id", "title", "source", "quote", "start", "end", "chunk_id")},
                    date=d.get("date"), anchor=d.get("anchor", ""))


def _passage(d: dict) -> RetrievedChunk:
    c = d["chunk"]
    chunk = Chunk(c["id"], c["doc_id"], c["title"], c["source"], c["start"], c["end"], c["text"],
                  tuple(tuple(s) for s in c.get("sentences", ())), c.get("date"))
    return RetrievedChunk(chunk, d.get("score", 0.0), d.get("dense_score"), d.get("bm25_score"), d.get("rank", 0))


def answer_from_dict(d: dict) -> Answer:
    """Rebuild an :class:`Answer` from ``Answer.to_dict()`` output. :raises KeyError, TypeError: a malformed record."""
    conflicts = [Conflict(tuple(StatedValue(**v) for v in c["values"]), c.get("score", 0.0))
                 for c in d.get("conflicts", [])]
    support = [SentenceSupport(s["sentence"], tuple(s["markers"]), s["score"], s["supported"], s.get("reason", ""))
               for s in d.get("support", [])]
    return Answer(question=d["question"], text=d["text"], citations=[_citation(c) for c in d.get("citations", [])],
                  abstained=d.get("abstained", False), passages=[_passage(p) for p in d.get("passages", [])],
                  support=support, backend=d.get("backend", "extractive"), notices=list(d.get("notices", [])),
                  conflicts=conflicts, status=d.get("status", "answered"), reason=d.get("reason", ""),
                  rewritten_question=d.get("rewritten_question"), confidence=d.get("confidence"),
                  short_answer=ShortAnswer(**d["short_answer"]) if d.get("short_answer") else None)


_CITE_LINE = re.compile(r"^- \[(\d+)\] (.*) \((.*?), (.*?)\) anchor `([^`]+)`$")


def _from_markdown(text: str) -> list[Answer]:
    from rag.core.anchor_ids import parse_anchor

    answers: list[Answer] = []
    for block in re.split(r"^## Q: ", text, flags=re.M)[1:]:
        lines = block.splitlines()
        question, body = lines[0].strip(), lines[1:]
        answer_lines, citations, i = [], [], 0
        while i < len(body):
            m = _CITE_LINE.match(body[i].strip())
            if m:
                quote = body[i + 1].strip()[2:] if i + 1 < len(body) and body[i + 1].strip().startswith(">") else ""
                anchor = parse_anchor(m.group(5))
                citations.append(Citation(int(m.group(1)), anchor.doc_id, m.group(2), m.group(4), quote, anchor.start,
                                          anchor.end, "", None if m.group(3) == "undated" else m.group(3), m.group(5)))
                i += 2
                continue
            if not citations:
                answer_lines.append(body[i])
            i += 1
        answers.append(Answer(question, "\n".join(answer_lines).strip(), citations, abstained=not citations))
    return answers


def load_transcript(path: str | Path) -> list[Answer]:
    """Read a conversation saved by :func:`to_json` or :func:`to_markdown`.

    :raises ConfigError: the file is neither, or is damaged.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path.name}: cannot read the saved conversation ({exc})") from None
    if text.lstrip().startswith("{"):
        try:
            data = json.loads(text)
            if data.get("format") != FORMAT:
                raise ConfigError(f"{path.name}: not a saved conversation (format {data.get('format')!r})")
            return [answer_from_dict(t) for t in data["turns"]]
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise ConfigError(f"{path.name}: damaged saved conversation ({type(exc).__name__}: {exc})") from None
    answers = _from_markdown(text)
    if not answers:
        raise ConfigError(f"{path.name}: no '## Q:' sections; not a conversation saved by this app")
    return answers


def check_anchors(answers: list[Answer], index_dir: str | Path) -> dict[str, Any]:
    """Resolve every citation anchor of ``answers`` against the live index: anchor -> :class:`Resolution`."""
    from rag.trust.anchors import resolve

    return {c.anchor: resolve(c.anchor, quote=c.quote or None, index_dir=index_dir)
            for a in answers for c in a.citations if c.anchor}
