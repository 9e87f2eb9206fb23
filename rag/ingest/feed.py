"""Feed import: split a feed dump (``Tag:`` line, then ``  • Title`` bullets with indented paragraphs) into Markdown files.

Each article becomes ``corpus/<slug>.md`` with YAML front matter (title, id, tag, date when the article states one,
source feed). The promotional footer that a feed appends under every article is removed generically: trailing
paragraphs that also end most other articles of the same feed (compared after normalising whitespace and URLs) are
dropped, so a footer whose line breaks differ in one article is still recognised.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import yaml

from rag.core.errors import FeedFormatError
from rag.text.dates import stated_date
from rag.text.words import ascii_fold

_BULLET = re.compile(r"^\s*[•*\-]\s+(?P<title>\S.*)$")
_TAG = re.compile(r"^Tag:\s*(?P<tag>.+?)\s*$")


@dataclass(frozen=True)
class FeedArticle:
    title: str
    slug: str
    tag: str | None
    date: str | None
    paragraphs: tuple[str, ...]
    headings: frozenset[str]

    def to_markdown(self, source: str) -> str:
        meta = {"title": self.title, "id": self.slug, "tag": self.tag, "date": self.date, "source": source}
        meta = {k: v for k, v in meta.items() if v is not None}
        body = "\n\n".join(f"## {p}" if p in self.headings else p for p in self.paragraphs)
        front = yaml.safe_dump(meta, allow_unicode=True, sort_keys=False, width=1000)
        return f"---\n{front}---\n\n# {self.title}\n\n{body}\n"


def slugify(title: str, max_len: int = 80) -> str:
    """ASCII, lowercase, dash-separated, cut at a word boundary: ``"China’s 5nm Push"`` -> ``"chinas-5nm-push"``."""
    text = ascii_fold(title)
    text = re.sub(r"['’]", "", text.lower())
    slug = re.sub(r"[^a-z0-9]+", "-", text).strip("-")
    if len(slug) > max_len:
        slug = slug[:max_len].rsplit("-", 1)[0]
    return slug or "article"


def _norm(paragraph: str) -> str:
    return re.sub(r"\W+", " ", re.sub(r"https?://\S+", "", paragraph)).strip().lower()


def _is_heading(paragraph: str) -> bool:
    return len(paragraph) < 160 and not re.search(r"[.!?:;\"”]$", paragraph.rstrip())


def parse_feed(text: str) -> list[FeedArticle]:
    """Split a feed dump into articles; raises :class:`FeedFormatError` when it holds none."""
    tag: str | None = None
    raw: list[tuple[str, list[str]]] = []
    current: list[str] = []
    for line in text.splitlines():
        if tag is None and not raw and (m := _TAG.match(line)):
            tag = m["tag"]
        elif m := _BULLET.match(line):
            current = []
            raw.append((m["title"].strip(), current))
        elif raw:
            current.append(line)
    if not raw:
        raise FeedFormatError("no articles found: expected lines starting with '  • ' followed by the article text")

    articles_paragraphs = []
    for title, lines in raw:
        paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", "\n".join(lines))]
        paragraphs = [p for p in paragraphs if p]
        if paragraphs and paragraphs[0] == title:  # the feed repeats the title as the first line
            paragraphs = paragraphs[1:]
        articles_paragraphs.append((title, paragraphs))

    footer = _common_footer([p for _, p in articles_paragraphs])
    articles, seen = [], Counter[str]()
    for title, paragraphs in articles_paragraphs:
        while paragraphs and _footer_like(paragraphs[-1], footer):
            paragraphs = paragraphs[:-1]
        if not paragraphs:
            raise FeedFormatError(f"article {title!r} has no text")
        slug = slugify(title)
        seen[slug] += 1
        if seen[slug] > 1:
            slug = f"{slug}-{seen[slug]}"
        headings = frozenset(p for p in paragraphs if _is_heading(p))
        body = "\n".join(paragraphs)
        articles.append(FeedArticle(title, slug, tag, stated_date(body), tuple(paragraphs), headings))
    return articles


def _common_footer(articles: list[list[str]]) -> set[str]:
    """Normalised paragraphs that occur in the last few paragraphs of at least half of the articles."""
    if len(articles) < 2:
        return set()
    counts = Counter[str]()
    for paragraphs in articles:
        counts.update({_norm(p) for p in paragraphs[-4:]})
    return {p for p, n in counts.items() if p and n >= max(2, len(articles) // 2)}


def _footer_like(paragraph: str, footer: set[str]) -> bool:
    """A paragraph is footer if it is, or is made of, footer paragraphs (the feed sometimes joins two footer lines)."""
    norm = _norm(paragraph)
    if norm in footer:
        return True
    rest = norm
    for part in sorted(footer, key=len, reverse=True):
        rest = rest.replace(part, " ")
    return bool(footer) and not rest.strip()


def import_feed(feed_path: str | Path, corpus_dir: str | Path = "corpus") -> list[tuple[Path, str]]:
    """Write one Markdown file per article into ``corpus_dir``.

    Files whose content would not change are left untouched, so importing the same feed twice changes nothing.

    :returns: ``(path, status)`` per article, status one of ``"added"``, ``"updated"``, ``"unchanged"``.
    :raises FeedFormatError: the file is not a feed dump; nothing is written.
    """
    feed_path = Path(feed_path)
    try:
        text = feed_path.read_text(encoding="utf-8")
    except UnicodeDecodeError as exc:
        raise FeedFormatError(f"{feed_path} is not UTF-8 text ({exc.reason})") from exc
    articles = parse_feed(text)  # parse everything before writing anything
    corpus_dir = Path(corpus_dir)
    corpus_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for article in articles:
        path = corpus_dir / f"{article.slug}.md"
        content = article.to_markdown(source=feed_path.name)
        if path.exists() and path.read_text(encoding="utf-8") == content:
            results.append((path, "unchanged"))
            continue
        status = "updated" if path.exists() else "added"
        tmp = path.with_suffix(".md.tmp")
        tmp.write_text(content, encoding="utf-8")
        tmp.replace(path)
        results.append((path, status))
    return results
