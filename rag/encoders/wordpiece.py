"""Word-piece counting with a model's ``tokenizer.json``, for token-aware chunking."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tokenizers import Tokenizer


class WordPieceCounter:
    """Counts a model's word pieces (special tokens excluded) with its ``tokenizer.json``; picklable, so that
    chunking worker processes (:func:`rag.ingest.chunk.chunk_many`) can use it."""

    def __init__(self, tokenizer_file: str):
        self.tokenizer_file = tokenizer_file
        self._tok: Tokenizer | None = None

    def __getstate__(self) -> dict:
        return {"tokenizer_file": self.tokenizer_file, "_tok": None}

    def __call__(self, text: str) -> int:
        if self._tok is None:
            from tokenizers import Tokenizer

            tok = Tokenizer.from_file(self.tokenizer_file)
            tok.no_truncation()
            tok.no_padding()
            self._tok = tok
        return len(self._tok.encode(text, add_special_tokens=False).ids)
