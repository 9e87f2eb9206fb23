"""The default embedder (``embedder = "minilm"``): all-MiniLM-L6-v2 exported to ONNX, run by OpenVINO on the CPU
and tokenised by HF ``tokenizers``, without PyTorch (see :mod:`rag.encoders.registry` for the contract and the choice of path).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

import numpy as np

from rag.core.defaults import MODEL_NAME, MODELS_DIR
from rag.core.errors import ConfigError
from rag.encoders.runtime import resolve_precision
from rag.encoders.wordpiece import WordPieceCounter

QUERY_TIME_TEXTS = 256
"""Up to this many texts (a query, an answer's sentences, a passage's words) run on the latency-compiled model."""
SHORT_CHARS = 256
"""Texts up to this long (about 60 word pieces) go to the latency-compiled model in a build too: grouped by length they
embed faster there (a small corpus's 3,926 sentences and words: 3.8 s, against 4.3 s on the queue)."""
QUEUE_MIN_TEXTS = 1000
"""Longer texts go to the throughput queue only when there are at least this many: compiling it costs about 270 MB
of memory, which a small corpus's build (193 chunks here) does not need."""
INT8_DIR = MODELS_DIR / "embedder-int8"
INT8_MODEL = "model.xml"
"""``precision = "int8"``: the graph quantised to int8 weights and activations by ``train/quantize_embedder.py``
(NNCF post-training quantisation, then quantisation-aware distillation to the float32 model), shipped as OpenVINO IR.
It builds about 1.4x faster than bf16 with nDCG@10 within a fraction of a point, but its vectors are further from
float32 than bf16's (docs/benchmark-history.md), so it is an option, not the default."""
INT8_KEY = "openvino-int8-qat"
"""The int8 model's part of :attr:`OpenVINOEmbedder.key`. ``openvino-int8`` was the first, post-training-only model:
indexes built with it are rebuilt (their vectors came from other weights)."""
PROBE_MIN_COSINE = {"fp32": 0.9999, "bf16": 0.999, "int8": 0.99}
"""The start-up self-check (:meth:`OpenVINOEmbedder.check`): the least cosine to the PyTorch float32 vectors of
:data:`rag.encoders.export.PROBE_TEXTS` each precision must reach (measured on the probe: 1.0, 0.99998 and 0.9986; on the
bundled corpus's chunks at their worst: 1.0, 0.99998 and 0.9982)."""
OTHER_PATHS = 'or choose precision "fp32", or the PyTorch embedder with RAG_EMBEDDER=minilm-torch'
"""The rest of the advice when this embedder computes wrong vectors (after :func:`rag.encoders.runtime.isa_remedy`)."""
GROUP_TOKENS = 512
"""A query-time request holds texts of similar length (sorted first) up to this many padded word pieces: 25
sentences 90 ms and 100 words 42 ms, against 100 and 49 ms in fixed groups of 8 texts (docs/benchmark-history.md)."""


class OpenVINOEmbedder:
    """all-MiniLM-L6-v2 exported to ONNX, run by OpenVINO on the CPU, tokenised by HF ``tokenizers``."""

    name = MODEL_NAME
    queue_min_texts = QUEUE_MIN_TEXTS

    def __init__(self, precision: str = "auto", batch_size: int = 32, int8_dir: Path = INT8_DIR):
        """``int8_dir``: where the int8 model is read from (``train/quantize_embedder.py --out`` measures a new one)."""
        from tokenizers import Tokenizer

        from rag.encoders.export import (
            MAX_SEQ_LENGTH,
            ensure_exported,
            source_model_dir,
        )
        from rag.encoders.runtime import openvino_core

        self.precision = resolve_precision(precision, "openvino")
        if self.precision == "int8":
            onnx_path = Path(int8_dir) / INT8_MODEL
            if not onnx_path.exists():
                raise ConfigError(f"the int8 embedder is missing ({onnx_path}); make it with "
                                  "python train/quantize_embedder.py, or choose precision auto, fp32 or bf16")
        else:
            onnx_path = ensure_exported()
        # what OpenVINO computes the float parts in (int8: the ops left unquantised, as precision "auto" would)
        float_precision = resolve_precision("auto") if self.precision == "int8" else self.precision
        self._compute = "bf16" if float_precision == "bf16" else "f32"
        tokenizer_file = str(source_model_dir() / "tokenizer.json")
        # Two tokenizers because truncation/padding are tokenizer state: one for the model, one for counting.
        self._tok = Tokenizer.from_file(tokenizer_file)
        self._tok.enable_truncation(MAX_SEQ_LENGTH)
        self._tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self.token_counter = WordPieceCounter(tokenizer_file)
        self._core = core = openvino_core()
        self._onnx_path = str(onnx_path)
        # Two compilations of the same graph, by measurement on 2 cores (docs/benchmark-history.md): a query and what an
        # answer embeds (its candidate sentences, a passage's words) run on the LATENCY one (one stream using every
        # core: 2.7 ms per query, against 4.6 ms on one thread); large index builds run on the THROUGHPUT one (one
        # single-thread stream per core, all busy at once), compiled on the first build with QUEUE_MIN_TEXTS long
        # texts, so that a process that only answers, or builds a small corpus, never pays for it.
        self._model = core.compile_model(self._onnx_path, "CPU", self._config("LATENCY"))
        self._request = self._model.create_infer_request()
        self._queue = None
        self.batch_size = batch_size
        self.dim = int(self._model.output(0).get_partial_shape()[1].get_length())
        self.max_tokens = MAX_SEQ_LENGTH - 2
        self.key = f"{self.name}@{INT8_KEY if self.precision == 'int8' else 'openvino-' + self.precision}"
        self._lock = threading.Lock()  # the latency request: calls from several threads take turns
        self._batch_lock = threading.Lock()  # the batch queue (index builds); queries do not wait for it
        self.check()

    def check(self) -> float:
        """Embed :data:`rag.encoders.export.PROBE_TEXTS` and compare with their shipped PyTorch float32 vectors; a CPU or runtime
        that computes wrong vectors (NaN from OpenVINO's AMX kernels, seen on one Xeon) raises here, before anything
        is indexed or answered. Returns the lowest cosine (about 2 ms)."""
        import json

        from rag.encoders.export import PROBE_FILE
        from rag.encoders.runtime import isa_remedy

        probe = json.loads(PROBE_FILE.read_text(encoding="utf-8"))
        with np.errstate(invalid="ignore"):
            got = self._encode(list(probe["texts"]), None)  # not encode(): NaN is reported here, with the cosine
            cosine = float(np.min((got * np.asarray(probe["vectors"], dtype=np.float32)).sum(axis=1)))
        wanted = PROBE_MIN_COSINE[self.precision]
        if not cosine >= wanted:  # NaN fails too
            raise ConfigError(f"the {self.key} embedder computes wrong vectors on this CPU (cosine {cosine:.4f} to the "
                              f"PyTorch float32 vectors of a test sentence, {wanted} needed); {isa_remedy()}, "
                              f"{OTHER_PATHS}")
        return cosine

    def _config(self, hint: str) -> dict:
        return {"INFERENCE_PRECISION_HINT": self._compute, "PERFORMANCE_HINT": hint}

    def _batch_queue(self):
        """The THROUGHPUT-compiled model's request queue, one request per stream (compiled on first use)."""
        if self._queue is None:
            import openvino as ov

            model = self._core.compile_model(self._onnx_path, "CPU", self._config("THROUGHPUT"))
            streams = max(1, int(model.get_property("OPTIMAL_NUMBER_OF_INFER_REQUESTS")))
            self._queue = ov.AsyncInferQueue(model, streams)
        return self._queue

    def count_tokens(self, text: str) -> int:
        return self.token_counter(text)

    def _feeds(self, batch: list[str]) -> dict[str, np.ndarray]:
        encs = self._tok.encode_batch(batch)
        ids = np.array([e.ids for e in encs], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encs], dtype=np.int64)
        return {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}

    def _groups(self, texts: list[str]) -> Iterator[tuple[list[int], dict[str, np.ndarray]]]:
        """Model inputs for groups of texts sorted by length, each up to :data:`GROUP_TOKENS` padded word pieces."""
        encs = self._tok.encode_batch(texts)  # padded to the longest; each group is cut to its own longest
        lengths = [sum(e.attention_mask) for e in encs]
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        start = 0
        while start < len(order):
            end = start + 1
            while end < len(order) and (end - start + 1) * lengths[order[end]] <= GROUP_TOKENS:
                end += 1
            idx, width = order[start:end], lengths[order[end - 1]]
            ids = np.array([encs[i].ids[:width] for i in idx], dtype=np.int64)
            mask = np.array([encs[i].attention_mask[:width] for i in idx], dtype=np.int64)
            yield idx, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            start = end

    @staticmethod
    def _normalise(vecs: np.ndarray) -> np.ndarray:
        vecs = np.array(vecs, dtype=np.float32)  # a copy: OpenVINO reuses its output buffers
        return vecs / np.maximum(np.linalg.norm(vecs, axis=1, keepdims=True), 1e-12)

    def encode(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        """See :class:`rag.core.protocols.Embedder`; a vector that is not finite raises :class:`ConfigError` (never indexed)."""
        out = self._encode(list(texts), progress)
        if not np.isfinite(out).all():
            from rag.encoders.runtime import isa_remedy

            raise ConfigError(f"the {self.key} embedder returned vectors that are not numbers (NaN or infinity) on "
                              f"this CPU, and nothing was indexed or answered with them; {isa_remedy()}, "
                              f"{OTHER_PATHS}")
        return out

    def _encode(self, texts: list[str], progress: Callable[[int], None] | None) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if len(texts) <= QUERY_TIME_TEXTS:  # a query, an answer's sentences or words: similar lengths, in turn
            self._encode_short(texts, list(range(len(texts))), out, progress)
            return out
        # Builds: long texts (chunks) on the throughput queue when there are enough of them to pay for it; the rest
        # (a small corpus's chunks, its sentences and words: rag.index.cache_texts.build_time_texts) on the latency model, a slice
        # at a time so that queries get their turn.
        long = [i for i, t in enumerate(texts) if len(t) > SHORT_CHARS]
        if len(long) < self.queue_min_texts:
            long = []
        queued = set(long)
        rest = [i for i in range(len(texts)) if i not in queued]
        for start in range(0, len(rest), QUERY_TIME_TEXTS):
            part = rest[start : start + QUERY_TIME_TEXTS]
            self._encode_short([texts[i] for i in part], part, out, progress)
        # Sorting by length keeps padding low; the order is restored by the index assignment.
        order = sorted(long, key=lambda i: len(texts[i]), reverse=True)
        batches = [order[b : b + self.batch_size] for b in range(0, len(order), self.batch_size)]
        if not batches:
            return out

        def done(request, idx: list[int]) -> None:
            out[idx] = self._normalise(request.get_output_tensor(0).data)

        with self._batch_lock:
            queue = self._batch_queue()
        window = 4 * len(queue)  # the lock is released between windows, so another build can interleave
        for w in range(0, len(batches), window):
            with self._batch_lock:
                queue.set_callback(done)
                for idx in batches[w : w + window]:
                    queue.start_async(self._feeds([texts[i] for i in idx]), idx)
                queue.wait_all()
            if progress:
                progress(sum(len(idx) for idx in batches[w : w + window]))
        return out

    def _encode_short(self, texts: list[str], rows: list[int], out: np.ndarray,
                      progress: Callable[[int], None] | None) -> None:
        """Vectors of ``texts`` into ``out[rows]``, on the latency model in length-sorted groups."""
        with self._lock:
            for idx, feeds in self._groups(texts):
                out[[rows[i] for i in idx]] = self._normalise(self._request.infer(feeds)[0])
        if progress:
            progress(len(texts))
