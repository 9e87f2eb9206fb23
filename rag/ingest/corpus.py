"""Adding files to a corpus folder safely: file-name sanitising and vetted, never-overwriting copies.

Used by the web UI's upload control; the CLI and the folder watcher can reuse it for any file that comes from
outside the corpus.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from rag.ingest.load import SUFFIXES, read_files, shown_name
from rag.ingest.workers import Limits
from rag.text.words import fold

UPLOAD_SUFFIXES = SUFFIXES
"""What an upload may be: exactly what the loader indexes."""


def safe_filename(name: str) -> str:
    """A harmless file name: basename only, ASCII ``[A-Za-z0-9._-]``, no leading dot or dash, no ``..``,
    extension lower-cased, at most 120 characters."""
    base = re.split(r"[\\/]", name or "")[-1]
    base = fold(base)
    base = re.sub(r"[^A-Za-z0-9._-]+", "_", base)
    base = re.sub(r"\.{2,}", ".", base).lstrip("._-")
    stem, dot, ext = base.rpartition(".")
    if not dot:
        stem, ext = base, ""
    stem = stem.strip("._-")[:100] or "upload"
    return f"{stem}.{ext.lower()}" if ext else stem


def store_upload(src: str | Path, corpus_dir: str | Path, max_bytes: int,
                 limits: Limits | None = None) -> tuple[bool, str]:
    """Copy one uploaded file into ``corpus_dir`` (top level only). Returns (accepted, message for the user).

    The file is read as the build reads it, in a worker process under ``limits``
    (:func:`rag.ingest.load.read_files`), so one the build would skip is refused with the reason, and what is
    copied is exactly the bytes that were checked. Never overwrites: an existing file with the same content is left
    alone, a different one makes the upload take a numeric suffix (``name-1.md``)."""
    src = Path(src)
    shown = shown_name(src.name)
    name = safe_filename(src.name)
    suffix = Path(name).suffix
    if suffix not in UPLOAD_SUFFIXES:
        return False, f"{shown}: rejected, only {' '.join(UPLOAD_SUFFIXES)} files are accepted"
    try:
        size = src.stat().st_size
    except OSError as exc:
        return False, f"{shown}: rejected, the upload could not be read ({exc.strerror})"
    if size > max_bytes:
        return False, f"{shown}: rejected, {size / 2**20:.1f} MB is over the {max_bytes / 2**20:g} MB limit"
    if size == 0:
        return False, f"{shown}: rejected, the file is empty"
    # what the build would skip is refused here, before it lands in the corpus (not valid UTF-8, no text, a limit …)
    read = read_files([src], src.parent, limits)[0]
    if read.document is None:
        return False, f"{shown}: rejected, {read.reason}"
    data = src.read_bytes()
    if hashlib.sha256(data).hexdigest() != read.digest:
        return False, f"{shown}: rejected, the file changed while it was being checked; upload it again"
    corpus = Path(corpus_dir).resolve()
    corpus.mkdir(parents=True, exist_ok=True)
    stem = name[: -len(suffix)]
    for i in range(1000):
        target = corpus / (name if i == 0 else f"{stem}-{i}{suffix}")
        if target.resolve().parent != corpus:  # cannot happen with a sanitised name; belt and braces
            return False, f"{shown}: rejected, unsafe file name"
        if target.exists() or target.is_symlink():
            if not target.is_symlink() and target.is_file() and target.read_bytes() == data:
                return True, f"{shown}: already in the corpus as {target.name} (identical), nothing to add"
            continue
        try:
            with open(target, "xb") as fh:  # exclusive create: never replaces a file that appeared meanwhile
                fh.write(data)
        except FileExistsError:
            continue
        renamed = "" if target.name == shown else f" as {target.name}"
        return True, f"{shown}: added{renamed}"
    return False, f"{shown}: rejected, too many files with this name"
