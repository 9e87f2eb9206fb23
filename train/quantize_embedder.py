"""Quantise the embedder to int8 (weights and activations) for ``precision = "int8"``: faster builds and queries at a
small, measured cost in fidelity.

NNCF post-training quantisation (``nncf.quantize``, ``ModelType.TRANSFORMER``: the attention's softmax path stays in
floating point) of the exported all-MiniLM-L6-v2 graph (:mod:`rag.export`), calibrated on
:data:`CALIBRATION_TEXTS` paragraphs of the SQuAD 2.0 dev articles kept in ``train/data`` (Wikipedia text, shuffled
with a fixed seed; none of it is a benchmark's corpus). The result is written as OpenVINO IR to
``rag/models/embedder-int8`` with ``quantize.json`` (versions, calibration data, the cosine of its vectors to the
float32 graph's on the bundled corpus's chunks). Serving runs it with OpenVINO only; NNCF is needed here alone.

Run:  pip install nncf==3.4.0 && python train/quantize_embedder.py
"""

from __future__ import annotations

import json
import platform
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rag.embed_openvino import INT8_DIR, INT8_MODEL  # noqa: E402

CALIBRATION = ROOT / "train" / "data" / "squad2-dev-12-articles.json"
CALIBRATION_TEXTS = 300
SEED = 0


def main() -> None:
    import nncf
    import openvino as ov

    from rag.embed_openvino import OpenVINOEmbedder
    from rag.export import EXPORT_VERSION

    paragraphs = [p["context"] for a in json.loads(CALIBRATION.read_text(encoding="utf-8"))["data"]
                  for p in a["paragraphs"]]
    random.Random(SEED).shuffle(paragraphs)
    reference = OpenVINOEmbedder("fp32")
    dataset = nncf.Dataset([reference._feeds([t]) for t in paragraphs[:CALIBRATION_TEXTS]])
    quantised = nncf.quantize(reference._core.read_model(reference._onnx_path), dataset,
                              model_type=nncf.ModelType.TRANSFORMER, subset_size=CALIBRATION_TEXTS)
    INT8_DIR.mkdir(parents=True, exist_ok=True)
    ov.save_model(quantised, INT8_DIR / INT8_MODEL)

    from rag.chunk import Chunker, ChunkerSettings
    from rag.load import load_corpus

    chunker = Chunker(ChunkerSettings(max_model_tokens=reference.max_tokens), reference.count_tokens)
    chunks = [c.embedding_text for c in chunker.chunk_all(load_corpus(ROOT / "corpus").documents)]
    int8 = OpenVINOEmbedder("int8")
    cos = (reference.encode(chunks) * int8.encode(chunks)).sum(axis=1)
    facts = {
        "source": f"rag.export ONNX graph (export version {EXPORT_VERSION}) of all-MiniLM-L6-v2",
        "method": "nncf.quantize, ModelType.TRANSFORMER, int8 weights and activations",
        "calibration": f"{CALIBRATION_TEXTS} paragraphs of {CALIBRATION.relative_to(ROOT)}, shuffled with seed {SEED}",
        "cosine_to_fp32_bundled_chunks": {"chunks": len(chunks), "min": round(float(cos.min()), 5),
                                          "mean": round(float(cos.mean()), 5)},
        "nncf": nncf.__version__, "openvino": ov.__version__, "python": platform.python_version(),
    }
    (INT8_DIR / "quantize.json").write_text(json.dumps(facts, indent=1) + "\n", encoding="utf-8")
    write_card(facts)
    print(json.dumps(facts, indent=1))


def write_card(facts: dict) -> None:
    cos = facts["cosine_to_fp32_bundled_chunks"]
    size = (INT8_DIR / "model.bin").stat().st_size / 1e6
    card = f"""# Model card: all-MiniLM-L6-v2, int8 (OpenVINO IR)

The embedder behind `precision = "int8"` (an option; the default is bf16). Same model, same tokenizer and pooling as
the default (`rag/export.py`); only the numbers are stored and computed in int8.

- **Source:** {facts['source']}.
- **Method:** {facts['method']} (NNCF {facts['nncf']}, OpenVINO {facts['openvino'].split('-')[0]}); the attention's
  softmax path and the pooling stay in floating point.
- **Calibration data:** {facts['calibration']} (Wikipedia, CC BY-SA 4.0; no benchmark corpus).
- **File:** `model.xml` + `model.bin` ({size:.1f} MB).
- **Fidelity:** cosine to the float32 graph on the bundled corpus's {cos['chunks']} chunks: min {cos['min']}, mean
  {cos['mean']} (bf16: 0.99997). BEIR test nDCG@10 and speed against bf16: README, Benchmarks.
- **Reproduce:** `pip install nncf=={facts['nncf']} && python train/quantize_embedder.py` (deterministic: the same
  calibration texts give the same `model.bin`).
"""
    (INT8_DIR / "MODEL_CARD.md").write_text(card, encoding="utf-8")


if __name__ == "__main__":
    main()
