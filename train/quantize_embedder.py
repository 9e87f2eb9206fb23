"""Quantise the embedder to int8 (weights and activations) for ``precision = "int8"``: faster builds and queries at a
small, measured cost in fidelity.

Two steps, both with NNCF on the PyTorch model (the same MiniLM, tokenizer and mean pooling as :mod:`rag.encoders.export`):

1. **Post-training quantisation** (``nncf.quantize``, ``ModelType.TRANSFORMER``: SmoothQuant, the attention's softmax
   path kept in floating point), calibrated on :data:`CALIBRATION_TEXTS` paragraphs of the SQuAD 2.0 dev articles in
   ``train/data`` (Wikipedia text, shuffled with a fixed seed).
2. **Quantisation-aware distillation** (``--steps``, default :data:`STEPS`): the fake-quantised model is fine-tuned so
   that its mean-pooled vectors match the float32 model's (loss: 100 x (1 - cosine) + squared error, dropout off),
   weights at ``--lr`` and the quantisers' learnt ranges at ``--range-lr``. The texts are Wikipedia paragraphs, their
   sentences and the questions asked about them: the twelve SQuAD dev articles of ``train/data`` and the SQuAD train
   articles of ``../shared/train-data/squad2`` less the two the answer scorer holds out. :data:`VALIDATION_TEXTS` of
   them are kept apart and reported; no choice is made on the bundled corpus, whose chunks only measure the result.

The result is converted to OpenVINO IR (int8 weights, int8 matrix products) and written to ``rag/models/embedder-int8``
with ``quantize.json`` (versions, data, steps, the cosine of its vectors to the float32 graph's) and a model card.
Serving runs it with OpenVINO only; NNCF and PyTorch are needed here alone.

Run:  pip install nncf==3.4.0 && python train/quantize_embedder.py [--steps 0 for post-training quantisation only]
      [--sensitivity: which quantisers cost the most fidelity, then stop]
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.encoders.minilm_openvino import INT8_DIR, INT8_MODEL  # noqa: E402

CALIBRATION = ROOT / "train" / "data" / "squad2-dev-12-articles.json"
SQUAD_TRAIN = ROOT.parent / "shared" / "train-data" / "squad2" / "train-v2.0-first10.json"
CALIBRATION_TEXTS = 300
VALIDATION_TEXTS = 400
STEPS = 600
BATCH = 16
LR = 1e-5
RANGE_LR = 1e-5
SEED = 0


def distillation_texts(rng: random.Random) -> list[str]:
    """Paragraphs, their sentences and their questions (see the module docstring), shuffled."""
    from answer_scorer import HELD_OUT, TUNING

    from rag.text.sentences import split_sentences

    articles = json.loads(CALIBRATION.read_text(encoding="utf-8"))["data"]
    if SQUAD_TRAIN.exists():
        train = json.loads(SQUAD_TRAIN.read_text(encoding="utf-8"))["data"]
        articles += [a for a in train if a["title"] not in HELD_OUT]
    else:
        print(f"note: {SQUAD_TRAIN} not found; distilling on {CALIBRATION.name} alone", file=sys.stderr)
    if {a["title"] for a in articles} & set(HELD_OUT + TUNING):
        raise SystemExit("the distillation texts hold an article kept out for evaluation")
    texts = []
    for article in articles:
        for p in article["paragraphs"]:
            ctx = p["context"]
            texts.append(ctx)
            texts += [ctx[a:b] for a, b in split_sentences(ctx) if b - a > 20]
            texts += [q["question"] for q in p["qas"]]
    rng.shuffle(texts)
    return texts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--steps", type=int, default=STEPS, help="distillation steps (0: post-training quantisation only)")
    ap.add_argument("--batch-size", type=int, default=BATCH)
    ap.add_argument("--lr", type=float, default=LR, help="learning rate of the weights")
    ap.add_argument("--range-lr", type=float, default=RANGE_LR, help="learning rate of the quantisers' ranges")
    ap.add_argument("--out", type=Path, default=INT8_DIR)
    ap.add_argument("--sensitivity", action="store_true",
                    help="after post-training quantisation, print the validation cosine with each quantiser turned "
                         "off in turn (one JSON line each), then stop")
    args = ap.parse_args()
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    sys.path.insert(0, str(ROOT / "train"))

    import nncf
    import openvino as ov
    import torch
    from transformers import AutoModel

    from rag.encoders.export import EXPORT_VERSION, mean_pooled, source_model_dir
    from rag.encoders.minilm_openvino import OpenVINOEmbedder

    torch.manual_seed(SEED)
    rng = random.Random(SEED)
    reference = OpenVINOEmbedder("fp32")  # the float32 graph: its tokenisation here, its vectors in the measurement
    names = ("input_ids", "attention_mask", "token_type_ids")

    def feeds(texts: list[str]):
        arrays = reference._feeds(texts)
        return tuple(torch.from_numpy(arrays[n]) for n in names)

    paragraphs = [p["context"] for a in json.loads(CALIBRATION.read_text(encoding="utf-8"))["data"]
                  for p in a["paragraphs"]]
    random.Random(SEED).shuffle(paragraphs)
    bert = AutoModel.from_pretrained(str(source_model_dir()), attn_implementation="eager").eval()
    teacher = mean_pooled(copy.deepcopy(bert)).eval()  # the graph rag.encoders.export traces
    model = nncf.quantize(mean_pooled(bert).eval(), nncf.Dataset(paragraphs[:CALIBRATION_TEXTS], lambda t: feeds([t])),
                          model_type=nncf.ModelType.TRANSFORMER, subset_size=CALIBRATION_TEXTS)

    texts = distillation_texts(rng)
    val, train = texts[:VALIDATION_TEXTS], texts[VALIDATION_TEXTS:]

    def cosines(student, sample: list[str]) -> torch.Tensor:
        with torch.no_grad():
            out = []
            for b in range(0, len(sample), 32):
                x = feeds(sample[b : b + 32])
                out.append(torch.nn.functional.cosine_similarity(student(*x), teacher(*x)))
            return torch.cat(out)

    if args.sensitivity:
        report_sensitivity(model, lambda: cosines(model, val))
        return
    log = []
    if args.steps:
        # the FakeQuantize ranges live in NNCF's hooks; the rest are the model's weights
        ranges = [p for n, p in model.named_parameters() if p.requires_grad and "__nncf_hooks" in n]
        ids = {id(p) for p in ranges}
        weights = [p for p in model.parameters() if p.requires_grad and id(p) not in ids]
        opt = torch.optim.AdamW([{"params": weights, "lr": args.lr}, {"params": ranges, "lr": args.range_lr}],
                                weight_decay=0.0)
        print(f"distilling: {len(train)} texts, {args.steps} steps of {args.batch_size}; "
              f"{len(weights)} weight and {len(ranges)} range tensors", flush=True)
        start = time.time()
        for step in range(1, args.steps + 1):
            x = feeds([train[(step * args.batch_size + i) % len(train)] for i in range(args.batch_size)])
            with torch.no_grad():
                target = teacher(*x)
            out = model(*x)
            cos = torch.nn.functional.cosine_similarity(out, target)
            loss = 100 * (1 - cos).mean() + torch.nn.functional.mse_loss(out, target)
            opt.zero_grad()
            loss.backward()
            opt.step()
            if step % 100 == 0 or step == args.steps:
                val_cos = cosines(model, val)
                row = {"step": step, "s": round(time.time() - start), "loss": round(loss.item(), 4),
                       "val_cos_min": round(val_cos.min().item(), 5), "val_cos_mean": round(val_cos.mean().item(), 5)}
                log.append(row)
                print(json.dumps(row), flush=True)
    model.eval()
    example = feeds(["an example", "a longer example sentence"])
    with torch.no_grad():
        inputs = [(n, [-1, -1], ov.Type.i64) for n in names]
        graph = ov.convert_model(model, example_input=example, input=inputs)
    args.out.mkdir(parents=True, exist_ok=True)
    ov.save_model(graph, args.out / INT8_MODEL)

    from rag.ingest.chunk import Chunker, ChunkerSettings
    from rag.ingest.load import load_corpus

    chunker = Chunker(ChunkerSettings(max_model_tokens=reference.max_tokens), reference.count_tokens)
    chunks = [c.embedding_text for c in chunker.chunk_all(load_corpus(ROOT / "corpus").documents)]
    int8 = OpenVINOEmbedder("int8", int8_dir=args.out)
    cos = (reference.encode(chunks) * int8.encode(chunks)).sum(axis=1)
    val_cos = (reference.encode(val) * int8.encode(val)).sum(axis=1)
    facts = {
        "source": f"all-MiniLM-L6-v2 with rag.encoders.export's mean pooling (export version {EXPORT_VERSION})",
        "method": "nncf.quantize, ModelType.TRANSFORMER, int8 weights and activations"
                  + (", then quantisation-aware distillation to the float32 model" if args.steps else ""),
        "calibration": f"{CALIBRATION_TEXTS} paragraphs of {CALIBRATION.relative_to(ROOT)}, shuffled with seed {SEED}",
        "distillation": {"steps": args.steps, "batch_size": args.batch_size, "lr": args.lr, "range_lr": args.range_lr,
                         "seed": SEED, "texts": len(train),
                         "data": f"paragraphs, sentences and questions of {CALIBRATION.relative_to(ROOT)}"
                                 + (" and ../shared/train-data/squad2 (less its held-out articles)"
                                    if SQUAD_TRAIN.exists() else ""),
                         "log": log} if args.steps else None,
        "cosine_to_fp32_bundled_chunks": {"chunks": len(chunks), "min": round(float(cos.min()), 5),
                                          "mean": round(float(cos.mean()), 5)},
        "cosine_to_fp32_validation_texts": {"texts": len(val), "min": round(float(val_cos.min()), 5),
                                            "mean": round(float(val_cos.mean()), 5)},
        "nncf": nncf.__version__, "openvino": ov.__version__, "torch": torch.__version__,
        "python": platform.python_version(),
    }
    (args.out / "quantize.json").write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    write_card(facts, args.out)
    print(json.dumps({k: v for k, v in facts.items() if k != "distillation"}, indent=1))


def report_sensitivity(model, measure) -> None:
    """Which quantisers cost the most fidelity: the validation cosine with each one off (all others on)."""
    from nncf.torch.quantization.layers import BaseQuantizer

    def line(name: str, cos) -> None:
        print(json.dumps({"quantiser": name, "val_cos_min": round(cos.min().item(), 5),
                          "val_cos_mean": round(cos.mean().item(), 5)}), flush=True)

    line("none off", measure())
    for name, module in model.named_modules():
        if isinstance(module, BaseQuantizer):
            module.disable_quantization()
            line(name.removeprefix("__nncf_hooks."), measure())
            module.enable_quantization()


def write_card(facts: dict, out: Path) -> None:
    cos, val = facts["cosine_to_fp32_bundled_chunks"], facts["cosine_to_fp32_validation_texts"]
    size = (out / "model.bin").stat().st_size / 1e6
    dist = facts["distillation"]
    steps = (f"- **Distillation:** {dist['steps']} steps of {dist['batch_size']} texts ({dist['texts']} texts: "
             f"{dist['data']}; Wikipedia, CC BY-SA 4.0), weights at lr {dist['lr']}, the quantisers' ranges at "
             f"{dist['range_lr']}, seed {dist['seed']}, dropout off; loss 100 x (1 - cosine) + squared error to the "
             f"float32 model's vectors.\n") if dist else ""
    card = f"""# Model card: all-MiniLM-L6-v2, int8 (OpenVINO IR)

The embedder behind `precision = "int8"`. Same model, same tokenizer and pooling as the default (`rag/export.py`);
the numbers are stored and computed in int8.

- **Source:** {facts['source']}.
- **Method:** {facts['method']} (NNCF {facts['nncf']}, OpenVINO {facts['openvino'].split('-')[0]}, torch
  {facts['torch']}); the attention's softmax path and the pooling stay in floating point.
- **Calibration data:** {facts['calibration']} (Wikipedia, CC BY-SA 4.0; no benchmark corpus).
{steps}- **File:** `model.xml` + `model.bin` ({size:.1f} MB).
- **Fidelity:** cosine to the float32 graph on the bundled corpus's {cos['chunks']} chunks (never trained or tuned
  on): min {cos['min']}, mean {cos['mean']}; on the {val['texts']} validation texts kept out of the distillation:
  min {val['min']}, mean {val['mean']}. BEIR test nDCG@10 and speed against bf16: docs/benchmark-history.md.
- **Reproduce:** `pip install nncf=={facts['nncf']} && python train/quantize_embedder.py` (seeded; on another CPU
  the float arithmetic, and so the last digits, may differ).
"""
    (out / "MODEL_CARD.md").write_text(card, encoding="utf-8")


if __name__ == "__main__":
    main()
