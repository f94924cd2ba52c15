"""Exported ONNX files on disk, keyed by weights (TensorRT engines sit beside them).

A daemon restart with the same weights reuses the exported file instead of tracing again; any
change to the weights, the interface or the exporter gives a new key.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import torch
import torch.nn as nn

from gwm_engine.runtime.base import NetworkSpec
from gwm_engine.runtime.export import OPSET, export_network


def cache_dir() -> Path:
    """$GWM_CACHE_DIR, else $XDG_CACHE_HOME/gwm-engine, else ~/.cache/gwm-engine."""
    if os.environ.get("GWM_CACHE_DIR"):
        return Path(os.environ["GWM_CACHE_DIR"])
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gwm-engine"


def weights_key(module: nn.Module, spec: NetworkSpec) -> str:
    h = hashlib.sha256(f"{spec!r} opset {OPSET} torch {torch.__version__}".encode())
    for name, t in module.state_dict().items():
        h.update(f"{name}{tuple(t.shape)}{t.dtype}".encode())
        h.update(t.detach().cpu().contiguous().numpy().tobytes())
    return h.hexdigest()[:16]


def cached_onnx(module: nn.Module, spec: NetworkSpec, root: Path | None = None) -> Path:
    """The ONNX file for `module` as it is now, exported on first use."""
    path = (root or cache_dir()) / "onnx" / f"{spec.name}-{weights_key(module, spec)}.onnx"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: two daemons starting at once never read half a file.
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        try:
            export_network(module, spec, tmp)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path
