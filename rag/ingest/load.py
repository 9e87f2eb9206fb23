"""Loading: corpus files (.md, .txt, .html, .pdf, in subfolders) -> cleaned :class:`Document` records.

Every format is reduced to plain text whose paragraphs are separated by a blank line; all char spans in the index
refer to that text. A file that cannot be read is reported with the reason and skipped; the rest loads.
Boilerplate (a paragraph repeated in many documents, such as a promotional footer) is removed generically.

Builds, ``rag watch``, ``rag add`` and UI uploads all read files through :func:`read_files`: each file in a worker
process under time and memory limits (:mod:`rag.ingest.workers`), read once (twice, to compare) and hashed from the
bytes that were parsed, its text refused when it is not text or holds no sentences (:mod:`rag.ingest.quality`).
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
import unicodedata
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from rag.core.defaults import MAX_FILE_MB
from rag.core.errors import DocumentError
from rag.core.types import Document
from rag.ingest.feed import slugify
from rag.ingest.html import html_text
from rag.ingest.quality import garbage_reason, prose_reason
from rag.ingest.workers import Limits, run_limited
from rag.text.dates import iso_date, stated_date

log = logging.getLogger(__name__)

SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".pdf")
MAX_FILE_BYTES = MAX_FILE_MB * 1024 * 1024


@dataclass
class CorpusLoad:
    """Result of :func:`load_corpus`: the documents, the raw sha256 of each loaded file, and the skipped files.

    ``read_hashes`` holds the sha256 of what was read of every file a worker read, loaded or not (a file that changed
    while it was read gets a :data:`CHANGED` mark instead): the index records them, so that a file edited after it
    was read shows as changed."""

    documents: list[Document] = field(default_factory=list)
    file_hashes: dict[str, str] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    boilerplate_removed: int = 0
    read_hashes: dict[str, str] = field(default_factory=dict)


_CONTROLS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")  # category Cc but for \t and \n
_SPACES = re.compile(r"\s+")  # str.split's whitespace


def normalize_paragraphs(text: str) -> str:
    """Collapse whitespace inside paragraphs and separate paragraphs by exactly one blank line.

    Regular expressions rather than per-character Python or ``str.split`` lists: a 10 MB paragraph would otherwise
    hold a list of millions of strings (memory several times the text's)."""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _CONTROLS.sub("", text)
    paragraphs = (_SPACES.sub(" ", p).strip() for p in re.split(r"\n\s*\n", text))
    return "\n\n".join(p for p in paragraphs if p)


def _decode(raw: bytes) -> str:
    if not raw.strip():
        raise ValueError("empty file")
    if b"\x00" in raw[:8192]:
        raise ValueError("binary data (NUL bytes), not text")
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); re-save it as UTF-8") from None
    controls = sum(1 for ch in text[:8192] if unicodedata.category(ch) == "Cc" and ch not in "\n\r\t\f")
    if controls > 0.05 * min(len(text), 8192):
        raise ValueError("binary data (mostly control characters), not text")
    return text


def html_to_text(html: str) -> tuple[str, str | None, str | None]:
    """Visible text of an HTML page as paragraphs, plus its title and date when the page states them
    (:mod:`rag.ingest.html`: linear time, nesting and entities capped). :raises ValueError: a page over a cap."""
    text, title, date = html_text(html)
    return normalize_paragraphs(text), title, date


def markdown_to_text(markdown: str) -> str:
    """Plain text of Markdown: rendered with markdown-it (a CommonMark parser), then reduced like HTML."""
    from markdown_it import MarkdownIt

    text, _, _ = html_to_text(MarkdownIt("commonmark", {"html": False}).render(markdown))
    return text


def _front_matter(text: str) -> tuple[dict, str]:
    import frontmatter
    import yaml

    if not text.lstrip("\ufeff").startswith("---"):
        return {}, text
    try:
        meta, body = frontmatter.parse(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        raise ValueError(f"malformed YAML front matter{where}: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(meta, dict):
        raise ValueError("front matter is not a mapping of keys to values")
    return meta, body


def _pdf_text(raw: bytes) -> tuple[str, str | None]:
    """The text of a PDF's pages (not yet normalised) and its title."""
    import io

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    quiet = logging.getLogger("pypdf")  # its warnings ("EOF marker not found") would come before our reason
    level = quiet.level
    quiet.setLevel(logging.ERROR)
    try:
        reader = PdfReader(io.BytesIO(raw))
        pages = [page.extract_text() or "" for page in reader.pages]
        title = reader.metadata.title if reader.metadata else None
        title = title if isinstance(title, str) else None  # a damaged /Info can hold a dictionary here
    except (PdfReadError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"unreadable PDF ({exc})") from None
    finally:
        quiet.setLevel(level)
    # PDF text has hard line breaks inside paragraphs; normalising keeps blank-line paragraph breaks only.
    return "\n\n".join(pages), title


CHANGED = "changed-while-read:"
"""Prefix of the hash recorded for a file that changed while it was read: it matches no content, so the index reads
as stale and the next build (or ``rag watch``) reads the file again."""


def read_bytes(path: Path) -> bytes:
    """The file's content, read at most :data:`MAX_FILE_BYTES`, and read twice: a file written to while it is read
    can give bytes it never held at any one moment (its start from before a write, its end from after), and
    modification times are too coarse (a few milliseconds) to tell. The second read, compared block by block with
    the first (no second copy is kept), must find the same bytes.

    :raises ValueError: too large, or it changed while it was read.
    """
    with open(path, "rb") as fh:
        before = os.fstat(fh.fileno())
        if before.st_size > MAX_FILE_BYTES:
            raise ValueError(f"file too large ({before.st_size / 2**20:.1f} MB, limit {MAX_FILE_MB} MB)")
        raw = fh.read(MAX_FILE_BYTES + 1)
        if len(raw) > MAX_FILE_BYTES:
            raise ValueError(f"file too large (grew past the {MAX_FILE_MB} MB limit while it was read)")
        fh.seek(0)
        view, same = memoryview(raw), True
        for start in range(0, len(raw) + 1, 1 << 20):
            block = fh.read(1 << 20)
            if block != view[start : start + (1 << 20)]:
                same = False
                break
        after = os.fstat(fh.fileno())
    moved = (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or len(raw) != after.st_size
    if not same or moved:
        raise ValueError("the file changed while it was being read; it is read again at the next build")
    return raw


def load_document(path: str | Path, corpus_dir: str | Path) -> Document:
    """Load one corpus file in this process, without limits (the build reads files through :func:`read_files`).

    :raises DocumentError: with the reason, when the file cannot be used."""
    path, corpus_dir = Path(path), Path(corpus_dir)
    rel = path.relative_to(corpus_dir).as_posix()
    return _parse(_guarded(rel, read_bytes, path), path.suffix.lower(), rel)


def _guarded(rel: str, fn, *args):
    """``fn(*args)``, its failures turned into a :class:`DocumentError` for ``rel`` with the reason."""
    try:
        return fn(*args)
    except (ValueError, UnicodeError) as exc:
        raise DocumentError(rel, str(exc)) from None
    except OSError as exc:
        raise DocumentError(rel, f"cannot read file ({exc.strerror or exc})") from None
    except MemoryError:  # the worker reports its memory limit (rag.ingest.workers)
        raise
    except Exception as exc:  # noqa: BLE001 - third-party parsers (pypdf, lxml, markdown-it, YAML) fail in many ways
        # on odd files; one bad file is skipped with its reason, it never aborts the build of the others.
        log.debug("parser failure on %s", rel, exc_info=True)
        raise DocumentError(rel, f"could not be parsed ({type(exc).__name__}: {exc})") from None


def _parse(raw: bytes, suffix: str, rel: str) -> Document:
    return _guarded(rel, _document, raw, suffix, rel)


def _extract(raw: bytes, suffix: str) -> tuple[dict, str, str | None, str | None]:
    """Front matter, text (paragraphs not yet normalised), title and date of a file's content, by format."""
    meta: dict = {}
    if suffix == ".pdf":
        text, title = _pdf_text(raw)
        return meta, text, title, None
    decoded = _decode(raw)
    if suffix in (".html", ".htm"):
        return meta, *html_text(decoded)
    meta, body = _front_matter(decoded)
    if suffix in (".md", ".markdown"):
        from markdown_it import MarkdownIt

        body = html_text(MarkdownIt("commonmark", {"html": False}).render(body))[0]
    return meta, body, None, None


def _document(raw: bytes, suffix: str, rel: str) -> Document:
    meta, text, title, date = _extract(raw, suffix)
    reason = garbage_reason(text)  # before normalising, which drops control characters
    text = normalize_paragraphs(text)
    reason = reason or prose_reason(text)
    if reason:
        raise ValueError(reason)
    title = str(meta.get("title") or title or "").strip() or None
    first, _, rest = text.partition("\n\n")
    if title is None and first and len(first) < 200:
        title = first
    if title and first.strip() == title.strip() and rest.strip():
        text = rest  # the title is kept in Document.title, not repeated as the first paragraph
    if not text.strip():
        raise ValueError("no text after cleaning (empty document)")
    doc_id = str(meta.get("id") or meta.get("slug") or "").strip() or slugify(rel.rsplit(".", 1)[0].replace("/", "--"), 120)
    date = iso_date(meta.get("date")) or date or stated_date(text[:3000])
    tags = meta.get("tags") or ([meta["tag"]] if meta.get("tag") else [])
    tags = tuple(str(t) for t in tags) if isinstance(tags, (list, tuple)) else (str(tags),)
    return Document(id=doc_id, title=title or Path(rel).stem, source=rel, text=text, date=date, tags=tags)


@dataclass(frozen=True)
class FileRead:
    """One file as a worker read it: the sha256 of the bytes it parsed (``None`` when it never got them), and the
    document or the reason it was skipped."""

    digest: str | None
    document: Document | None = None
    reason: str | None = None


def _read_task(path: str, corpus_dir: str) -> FileRead:
    """What a worker does for one file (:func:`read_files`): read it once, hash what was read, parse that."""
    rel = Path(path).relative_to(corpus_dir).as_posix()
    try:
        raw = _guarded(rel, read_bytes, Path(path))
    except DocumentError as exc:
        changed = exc.reason.startswith("the file changed")
        return FileRead(CHANGED + rel if changed else None, None, exc.reason)
    digest = hashlib.sha256(raw).hexdigest()
    try:
        return FileRead(digest, _parse(raw, Path(path).suffix.lower(), rel))
    except DocumentError as exc:
        return FileRead(digest, None, exc.reason)


def read_files(paths: Sequence[Path], corpus_dir: str | Path, limits: Limits | None = None) -> list[FileRead]:
    """Read and parse each file in a worker process under ``limits`` (time, memory: :mod:`rag.ingest.workers`); a
    file over a limit, or whose parser crashed, is skipped with that reason. The results are in the order of
    ``paths``."""
    root = os.path.abspath(corpus_dir)
    tasks = [(os.path.join(root, os.path.relpath(p, corpus_dir)), root) for p in paths]
    outcomes = run_limited(_read_task, tasks, limits or Limits(), preload=(__name__,))
    return [o.value if o.ok else FileRead(None, None, o.limit) for o in outcomes]


def shown_name(rel: str) -> str:
    """A file name as it can be printed: bytes that are not UTF-8 and control characters escaped."""
    text = rel.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
    return "".join(ch if unicodedata.category(ch) != "Cc" else ascii(ch)[1:-1] for ch in text)


def name_problem(rel: str) -> str | None:
    """Why a file name is refused: bytes that are not UTF-8 (they cannot be written to the index's JSON files), or
    control characters (a line break in a name would forge lines of every report that lists it)."""
    try:
        rel.encode("utf-8")
    except UnicodeEncodeError:
        return "the file name is not valid UTF-8; rename the file"
    if any(unicodedata.category(ch) == "Cc" for ch in rel):
        return "the file name holds control characters (such as a line break); rename the file"
    return None


def iter_corpus_files(corpus_dir: str | Path, skipped: dict[str, str] | None = None) -> Iterable[Path]:
    """Supported files under ``corpus_dir``, sorted; symlinks leading outside the corpus and files whose names are
    refused (:func:`name_problem`) are reported (under :func:`shown_name`) and skipped."""
    corpus_dir = Path(corpus_dir)
    root = corpus_dir.resolve()
    for path in sorted(corpus_dir.rglob("*")):
        rel = path.relative_to(corpus_dir).as_posix()
        if any(part.startswith(".") for part in Path(rel).parts) or path.suffix.lower() not in SUFFIXES:
            continue
        problem = name_problem(rel)
        if problem is None and path.is_symlink() and not path.resolve().is_relative_to(root):
            problem = "symlink pointing outside the corpus folder"
        if problem is not None:
            if skipped is not None and (path.is_file() or path.is_symlink()):
                skipped[shown_name(rel)] = problem
            continue
        if path.is_file():
            yield path


def strip_boilerplate(documents: list[Document], min_docs: int = 3, min_share: float = 0.3) -> tuple[list[Document], int]:
    """Remove paragraphs that occur in at least ``min_docs`` documents and ``min_share`` of all documents.

    Such paragraphs are footers, disclaimers or navigation, not content; matching is on normalised text, so it does
    not depend on any particular feed's wording.
    """
    if len(documents) < min_docs:
        return documents, 0

    def key(paragraph: str) -> str:
        return re.sub(r"\W+", " ", paragraph).strip().lower()

    counts = Counter[str]()
    for doc in documents:
        counts.update({key(p) for p in doc.text.split("\n\n")})
    threshold = max(min_docs, min_share * len(documents))
    repeated = {p for p, n in counts.items() if n >= threshold and p}
    if not repeated:
        return documents, 0
    cleaned, removed = [], 0
    for doc in documents:
        paragraphs = doc.text.split("\n\n")
        kept = [p for p in paragraphs if key(p) not in repeated]
        removed += len(paragraphs) - len(kept)
        cleaned.append(replace(doc, text="\n\n".join(kept)) if len(kept) != len(paragraphs) else doc)
    return [d for d in cleaned if d.text.strip()], removed


def load_corpus(corpus_dir: str | Path, limits: Limits | None = None) -> CorpusLoad:
    """Load and clean every supported file under ``corpus_dir``, each read in a worker process under ``limits``
    (:func:`read_files`); unreadable files land in ``skipped`` with a reason."""
    corpus_dir = Path(corpus_dir)
    result = CorpusLoad()
    if not corpus_dir.is_dir():
        raise DocumentError(corpus_dir, "corpus folder does not exist")
    seen_content: dict[str, str] = {}
    seen_ids: dict[str, str] = {}
    docs = []
    paths = list(iter_corpus_files(corpus_dir, result.skipped))
    for path, read in zip(paths, read_files(paths, corpus_dir, limits)):
        rel = path.relative_to(corpus_dir).as_posix()
        if read.digest is not None:
            result.read_hashes[rel] = read.digest
        if read.digest in seen_content:
            result.skipped[rel] = f"duplicate of {seen_content[read.digest]}"
            continue
        if read.document is None:
            result.skipped[rel] = read.reason or "unreadable"
            continue
        doc, digest = read.document, read.digest or rel  # a document always comes with the digest of its bytes
        if doc.id in seen_ids:
            result.skipped[rel] = f"document id {doc.id!r} already used by {seen_ids[doc.id]}"
            continue
        seen_content[digest], seen_ids[doc.id] = rel, rel
        result.file_hashes[rel] = digest
        docs.append(doc)
    for rel, reason in result.skipped.items():  # callers report them (BuildReport.skipped: the CLI, the UI)
        log.info("skipped %s: %s", rel, reason)
    result.documents, result.boilerplate_removed = strip_boilerplate(docs)
    return result
