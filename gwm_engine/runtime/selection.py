"""From `--backend` and `--device` to a working backend.

    auto      onnxruntime with the best provider that runs here (TensorRT, CUDA, CPU), or torch
              when onnxruntime is not installed (its CPU provider ran the networks 1.5-2x as fast
              as torch eager on the project's 2-core CPU; benchmarks/backends.py)
    onnx      onnxruntime: --device cpu, cuda, or auto (TensorRT, CUDA, CPU)
    tensorrt  onnxruntime's TensorRT provider (FP16 where the GPU has it), engines cached on disk
    torch     torch eager: --device cpu, cuda, or auto (cuda when torch sees one)

A device or provider that is asked for but missing falls back with one warning and still runs.
"""

from __future__ import annotations

import importlib.util
import logging

import torch

from gwm_engine.runtime import check_names
from gwm_engine.runtime.base import Backend
from gwm_engine.runtime.torch_backend import TorchBackend, TorchOptions

log = logging.getLogger(__name__)


def open_backend(backend: str = "auto", device: str = "auto") -> Backend:
    check_names(backend, device)
    if backend != "torch":
        if importlib.util.find_spec("onnxruntime") is not None:
            from gwm_engine.runtime.onnx_backend import CPU, CUDA, TENSORRT, OnnxBackend

            if backend == "tensorrt" or device == "auto":
                providers = [TENSORRT, CUDA, CPU]
            else:
                providers = [CUDA, CPU] if device == "cuda" else [CPU]
            return OnnxBackend(providers, requested=backend == "tensorrt" or device == "cuda")
        if backend != "auto":
            log.warning("onnxruntime is not installed (pip install onnxruntime-gpu); running the %s backend's networks on torch",
                        backend)
    return TorchBackend(TorchOptions(device=_torch_device(device)))


def _torch_device(device: str) -> str:
    if device == "cpu":
        return "cpu"
    if torch.cuda.is_available():
        return "cuda"
    if device == "cuda":
        log.warning("torch sees no CUDA device (a CPU-only build, or no GPU); running on the CPU")
    return "cpu"
