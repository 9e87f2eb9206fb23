"""The CPU and the OpenVINO runtime: the CPU's feature flags, the instruction-set cap that keeps OpenVINO off AMX, what
``precision = "auto"`` means on this CPU, the model cache folder and the one OpenVINO ``Core``. Used while exporting
(:mod:`rag.encoders.export`) and while serving (the embedder and the cross-encoders)."""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from rag.core.defaults import PRECISIONS
from rag.core.errors import ConfigError


@lru_cache(maxsize=1)
def cpu_flags() -> frozenset[str]:
    """The CPU's feature flags (Linux ``/proc/cpuinfo``); empty where they cannot be read."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="ignore") as fh:
            text = fh.read()
    except OSError:
        return frozenset()
    return frozenset(w for line in text.splitlines() if line.startswith("flags") for w in line.split(":", 1)[1].split())


def cpu_has_bf16() -> bool:
    """True where the CPU executes bf16 natively (avx512_bf16 or amx_bf16)."""
    return bool(cpu_flags() & {"avx512_bf16", "amx_bf16"})


def cpu_has_amx() -> bool:
    """True where the CPU advertises AMX tiles (OpenVINO's fastest bf16/int8 kernels; see
    :func:`limit_cpu_isa`)."""
    return bool(cpu_flags() & {"amx_bf16", "amx_int8", "amx_tile"})


def resolve_precision(precision: str, runtime: str = "torch") -> str:
    """``auto`` made concrete for ``runtime`` (``torch`` or ``openvino``): bf16 where the CPU has native bf16, else
    fp32.

    OpenVINO kept off AMX is the exception: on a Xeon VM that advertises AMX, its bf16 kernels without AMX ran slower
    than fp32 (every bundled chunk: 36-39 against 52-56 chunks/s in two runs, queries about 3 ms either way; README,
    Benchmarks), so ``auto`` is fp32 there. PyTorch uses AMX on such CPUs, and bf16 stays its ``auto``."""
    if precision not in PRECISIONS:
        raise ConfigError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    if runtime == "openvino":
        if openvino_kept_off_amx():
            return "fp32"
    return "bf16" if cpu_has_bf16() else "fp32"



AMX_ENV = "RAG_OPENVINO_AMX"
"""Set to ``1`` to let OpenVINO use AMX tiles (see :func:`limit_cpu_isa`); the embedder's start-up self-check and the
check of every vector still apply."""
ISA_ENV = "ONEDNN_MAX_CPU_ISA"
ISA_WITHOUT_AMX = "AVX512_CORE_BF16"
"""The newest instruction set below AMX: AVX-512 with bf16 and VNNI (int8) dot products, what the benchmarks ran on."""


def limit_cpu_isa() -> None:
    """Keep OpenVINO's CPU plugin off AMX unless :data:`AMX_ENV` asks for it (or the user set ``ONEDNN_MAX_CPU_ISA``).

    On a 2-vCPU Xeon VM that advertises AMX (one this project was developed on), OpenVINO 2026.4's AMX kernels returned
    NaN for every embedder vector in bf16 in some processes and not in others, while the same graph on AVX-512 bf16
    always matched PyTorch float32 (cosine 0.99998); the answer scorers gave the same scores in the runs checked.
    oneDNN reads the limit once, at its first use, so this runs before OpenVINO is imported (:func:`openvino_core`).
    Machines without AMX are untouched."""
    if ISA_ENV not in os.environ and openvino_kept_off_amx():
        os.environ[ISA_ENV] = ISA_WITHOUT_AMX


def openvino_kept_off_amx() -> bool:
    """Whether the CPU advertises AMX and OpenVINO is not allowed to use it (:data:`AMX_ENV` unset)."""
    return os.environ.get(AMX_ENV) != "1" and cpu_has_amx()


def isa_remedy() -> str:
    """Which instruction-set setting to change when OpenVINO computes wrong numbers on this CPU (for the embedder's
    and the scorers' errors)."""
    isa = os.environ.get(ISA_ENV)
    if isa:
        return f"{ISA_ENV}={isa} is set: try another value or unset it"
    if os.environ.get(AMX_ENV) == "1":
        return f"{AMX_ENV}=1 lets OpenVINO use AMX: unset it"
    return f"set {ISA_ENV}={ISA_WITHOUT_AMX} (keeps OpenVINO off its newest kernels)"


def openvino_core():
    """An OpenVINO ``Core`` with the compiled-model cache in :func:`model_cache_dir`: later starts load the compiled models
    (embedder, answer scorer, support model) instead of compiling their graphs again. The only place OpenVINO is
    started on the serving path, after :func:`limit_cpu_isa`."""
    import contextlib

    limit_cpu_isa()
    import openvino as ov

    core = ov.Core()
    with contextlib.suppress(Exception):  # a read-only cache folder only costs the compile time
        core.set_property({"CACHE_DIR": str(model_cache_dir() / "openvino-cache")})
    return core


def model_cache_dir() -> Path:
    """Where the exported model lives (not in the repository: it is generated)."""
    if os.environ.get("RAG_MODEL_CACHE"):
        return Path(os.environ["RAG_MODEL_CACHE"])
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "rag-chipwar"
