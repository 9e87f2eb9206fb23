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
