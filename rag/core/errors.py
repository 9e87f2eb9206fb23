"""Domain exceptions: every error a user can cause has a class here and a message that says what to do next."""

from __future__ import annotations


class RagError(Exception):
    """Base class for all errors raised by this package on purpose."""


class ConfigError(RagError, ValueError):
    """A setting or argument has an invalid value."""


class IndexMissingError(RagError):
    """No index has been built yet at the given location."""

    def __init__(self, index_dir: object) -> None:
        super().__init__(f"No index found at {index_dir}. Build it with: rag build")


class IndexCorruptError(RagError):
    """An index file is damaged, truncated, or disagrees with the manifest."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"Index file {path} is unusable ({reason}). Rebuild the index with: rag build")


class BuildBusyError(RagError):
    """Another build holds the index folder's lock."""

    def __init__(self, index_dir: object) -> None:
        super().__init__(f"another build is already running on {index_dir}; wait for it to finish")


class IndexWriteError(RagError):
    """The operating system refused to write the index (disk full, read-only folder, file size limit …). Nothing the
    build wrote is left behind, and the last complete index stays live."""

    _HINTS = {28: "free some disk space", 122: "free some of your disk quota", 30: "make the index folder writable",
              13: "make the index folder writable", 1: "make the index folder writable",
              27: "raise the file size limit (ulimit -f)"}  # ENOSPC, EDQUOT, EROFS, EACCES, EPERM, EFBIG

    def __init__(self, index_dir: object, error: OSError) -> None:
        self.index_dir, self.errno = index_dir, error.errno
        where = f" ({error.filename})" if error.filename else ""
        hint = self._HINTS.get(error.errno or 0, "fix the cause")
        super().__init__(f"could not write the index in {index_dir}: {error.strerror or error}{where}. The last "
                         f"complete index is unchanged and still answers; {hint}, then run: rag build")


class FeedFormatError(RagError, ValueError):
    """A feed dump could not be split into articles."""


class DocumentError(RagError):
    """A corpus file could not be read; the build skips it and reports this reason."""

    def __init__(self, path: object, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"{path}: {reason}")


class BackendError(RagError):
    """An answering backend is unknown, not configured, or failed."""


class BackendNotConfiguredError(BackendError, ConfigError):
    """The chosen backend lacks its settings (a model path, a server URL): a :class:`BackendError` and, like any other
    bad setting or input, a :class:`ConfigError`."""
