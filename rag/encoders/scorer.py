"""The shipped cross-encoders, run by OpenVINO without PyTorch (IR files with fp16 weights, about 45 MB each):

- the **answer scorer** (``rag/models/answer-scorer``): reads (question, candidate sentence with its neighbours) and
  says how likely the sentence answers the question; the extractive backend feeds its score, beside its evidence
  features, into the calibrated answerability model (:mod:`rag.answering.backends.extractive`). Trained by
  ``train/answer_scorer.py`` on public SQuAD 2.0 articles plus synthesised near-misses.
- the **support model** (``rag/models/support``): reads (claim, evidence) and says whether the evidence supports the
  claim; the verifier rejects a sentence below its cross-validated floor (:mod:`rag.trust.verify`). Trained by
  ``train/support_model.py`` on SciFact rationales plus synthetic perturbations.

Each folder holds ``model.xml`` + ``model.bin``, ``scorer.json`` (name, max length, floor) and ``MODEL_CARD.md``.
:func:`pair` is the one place the answer scorer's input format is defined: training and serving both call it.

Why OpenVINO with fp16 weights, measured on 400 held-out SQuAD pairs against the fp32 model (``/tmp/cmp.py`` in the
session note): scores Pearson 0.99995, max |diff| 0.04 (bf16 compute); ONNX Runtime dynamic int8 (23 MB) 0.948 /
0.67, per-channel int8 0.988 / 0.43, at the same speed. Int8 moved too many decisions.
"""

from __future__ import annotations

import json
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np

from rag.core.defaults import MODELS_DIR
from rag.core.errors import ConfigError

MODELS = MODELS_DIR
MODEL_DIR = MODELS / "answer-scorer"
SUPPORT_DIR = MODELS / "support"
MODEL_NAME = "model.xml"
"""OpenVINO IR; its weights are in ``model.bin`` beside it."""
META_NAME = "scorer.json"
ANSWER_TOKENS = 96
"""Word pieces the answer scorer reads when serving (question + sentence + neighbours, the neighbours trimmed first).
It was trained on 192; on the dev split 96 picks the same lead sentences (a key fact in the lead window for 0.832 of
answerable dev questions at 192, 128 and 96 with 3 or 4 candidates, 0.821 at 64 or with 2) at half the cost: 20 ms
for three candidates instead of 43 ms for four (README, Design decisions)."""


def pair(question: str, sentence: str, before: str = "", after: str = "") -> tuple[str, str]:
    """The answer scorer's two segments: the question, then the candidate sentence followed by its neighbours."""
    context = " ".join(x.strip() for x in (before, after) if x and x.strip())
    return question.strip(), f"{sentence.strip()} [SEP] {context}" if context else sentence.strip()


class CrossEncoder:
    """Scores (text, text) pairs with a shipped cross-encoder; thread-safe, torch-free."""

    def __init__(self, folder: Path = MODEL_DIR, max_length: int | None = None):
        """``max_length``: word pieces read per pair; ``None`` is the length the model was trained on."""
        from tokenizers import Tokenizer

        from rag.encoders.export import source_model_dir
        from rag.encoders.runtime import openvino_core, resolve_precision

        try:
            self.meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ConfigError(f"the model description {folder / META_NAME} cannot be read ({exc})") from None
        self.name = self.meta["name"]
        self.max_length = int(max_length or self.meta["max_length"])
        tok = Tokenizer.from_file(str(source_model_dir() / "tokenizer.json"))  # the same vocabulary as MiniLM
        # longest_first trims the (long) context first, like training's only_second, but also copes with a question
        # longer than max_length, which only_second refuses
        tok.enable_truncation(self.max_length, strategy="longest_first")
        tok.enable_padding(pad_id=0, pad_token="[PAD]")
        self._tok = tok
        core = openvino_core()
        # the embedder's rule (rag.encoders.runtime.resolve_precision): bf16 where it is fast; f32 where OpenVINO is
        # kept off AMX, which made three answer-scorer pairs 21 -> 15 ms and a reader call 8 -> 6.5 ms on such a Xeon
        self.compute = "bf16" if resolve_precision("auto", "openvino") == "bf16" else "f32"
        config = {"INFERENCE_PRECISION_HINT": self.compute, "PERFORMANCE_HINT": "LATENCY"}
        try:
            compiled = core.compile_model(str(folder / MODEL_NAME), "CPU", config)
        except Exception as exc:  # noqa: BLE001 - OpenVINO raises its own exception types
            raise ConfigError(f"the model {folder / MODEL_NAME} cannot be loaded ({exc})") from None
        self.compiled = compiled
        self._request = compiled.create_infer_request()
        self._inputs = {i.get_any_name() for i in compiled.inputs}
        self._lock = threading.Lock()

    def feeds(self, pairs: list[tuple[str, str]]) -> dict[str, np.ndarray]:
        """Model inputs for (a, b) pairs."""
        return self.arrays(self._tok.encode_batch(pairs))

    @staticmethod
    def arrays(encs: list) -> dict[str, np.ndarray]:
        """Model inputs for tokenizer encodings (padded to one length)."""
        return {"input_ids": np.array([e.ids for e in encs], dtype=np.int64),
                "attention_mask": np.array([e.attention_mask for e in encs], dtype=np.int64),
                "token_type_ids": np.array([e.type_ids for e in encs], dtype=np.int64)}

    def logits(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        if not pairs:
            return np.zeros(0, dtype=np.float32)
        return self.infer(self.feeds(pairs)).reshape(-1)

    def infer(self, feeds: dict[str, np.ndarray]) -> np.ndarray:
        """The model's raw output for ``feeds`` (a copy: OpenVINO reuses its output buffers); a runtime computing
        wrong numbers is a :class:`ConfigError`."""
        with self._lock:
            out = np.array(self._request.infer({k: v for k, v in feeds.items() if k in self._inputs})[0],
                           dtype=np.float32)
        if not np.isfinite(out).all():  # a runtime computing wrong numbers (see rag.encoders.runtime.limit_cpu_isa)
            from rag.encoders.runtime import isa_remedy

            raise ConfigError(f"the model {self.name} returned scores that are not numbers (NaN or infinity) on this "
                              f"CPU; {isa_remedy()}")
        return out

    def __call__(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        """Probability-like scores in (0, 1), one per pair."""
        return 1.0 / (1.0 + np.exp(-self.logits(pairs)))


@lru_cache(maxsize=1)
def answer_scorer() -> CrossEncoder:
    """The shipped answer scorer, loaded once per process, reading :data:`ANSWER_TOKENS` word pieces per pair."""
    return CrossEncoder(MODEL_DIR, ANSWER_TOKENS)


@lru_cache(maxsize=1)
def support_model() -> CrossEncoder | None:
    """The shipped support model, loaded once per process; ``None`` where none is shipped (rules only)."""
    if not (SUPPORT_DIR / MODEL_NAME).is_file():
        return None
    return CrossEncoder(SUPPORT_DIR)
