"""ONNX export of networks: dynamic batch and spatial axes, metadata, checked and parity-tested.

The TorchScript-based exporter (`dynamo=False`) is used: on torch 2.13 the torch.export-based
one needs the separate `onnxscript` package, and the legacy one already gives these plain conv
nets fully dynamic (batch, height, width) axes with outputs equal to torch's to ~1e-7.
"""

from __future__ import annotations

import copy
import hashlib
import io
import json
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import onnx
import torch
import torch.nn as nn

from gwm_engine.runtime.base import NetworkSpec

OPSET = 17  # the oldest opset with everything these nets use; TensorRT 8.6+ and Triton read it
MANIFEST_FORMAT = "gwm-onnx/1"
# Parity with torch, per output: |onnx - torch| <= ATOL + RTOL * |torch|. Relative, so a depth in
# metres (up to 500) is held to the same 0.1 % as a residual near zero is held to 1e-4.
ATOL, RTOL = 1e-4, 1e-3


class ParityError(RuntimeError):
    """An exported network disagrees with torch beyond the tolerance."""


def _axes(spec: NetworkSpec) -> dict[str, dict[int, str]]:
    return {t.name: {0: "batch", 2: "height", 3: "width"} for t in (*spec.inputs, *spec.outputs)}


def _plain(module: nn.Module) -> nn.Module:
    """A CPU, fp32, contiguous copy: a backend may have moved or reformatted the original."""
    return copy.deepcopy(module).to("cpu", torch.float32, memory_format=torch.contiguous_format).eval()


def export_network(module: nn.Module, spec: NetworkSpec, path: Path, metadata: dict | None = None) -> Path:
    """Write `module` to `path` as ONNX (opset OPSET, dynamic axes, metadata_props describing the
    interface plus `metadata`), after `onnx.checker` passes on it."""
    _, (b, h, w), _ = spec.profile
    buf = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the legacy exporter's deprecation notice, every call
        torch.onnx.export(
            _plain(module), spec.sample(b, h, w), buf, dynamo=False, opset_version=OPSET, do_constant_folding=True,
            input_names=[t.name for t in spec.inputs], output_names=[t.name for t in spec.outputs], dynamic_axes=_axes(spec),
        )
    model = onnx.load_from_string(buf.getvalue())
    model.producer_name = "gwm-engine"
    model.doc_string = f"gwm-engine network {spec.name}"
    props = {**describe(spec), **(metadata or {})}
    for key, value in props.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, value if isinstance(value, str) else json.dumps(value)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, path)
    return path


def describe(spec: NetworkSpec) -> dict:
    """The interface as written into metadata_props and the manifest."""
    io_ = lambda ts: [{"name": t.name, "shape": ["batch", t.channels, "height", "width"], "range": t.range} for t in ts]  # noqa: E731
    return {
        "network": spec.name,
        "inputs": io_(spec.inputs),
        "outputs": io_(spec.outputs),
        "normalisation": {t.name: t.meaning for t in (*spec.inputs, *spec.outputs)},
        "size_multiple": spec.multiple,
        "tensorrt_profile": {k: spec.shapes(i) for i, k in enumerate(("min", "opt", "max"))},
    }


def parity(
    module: nn.Module, spec: NetworkSpec, path: Path, sizes: Sequence[tuple[int, int, int]] | None = None
) -> dict[str, float]:
    """Max |onnxruntime CPU - torch| per output over `sizes` (batch, height, width); raises
    ParityError past ATOL + RTOL * |torch|. Default sizes: the profile's opt shape and an odd
    other one, so a graph that only works at its trace size fails here."""
    import onnxruntime as ort

    m = spec.multiple
    sizes = sizes or [spec.profile[1], (2, 3 * m, 5 * m)]
    options = ort.SessionOptions()
    options.log_severity_level = 3
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    reference = _plain(module)
    worst = {t.name: 0.0 for t in spec.outputs}
    for seed, (b, h, w) in enumerate(sizes):
        xs = spec.sample(b, h, w, seed=seed)
        with torch.no_grad():
            want = reference(*xs)
        want = want if isinstance(want, tuple) else (want,)
        got = session.run(None, {t.name: x.numpy() for t, x in zip(spec.inputs, xs)})
        for t, g, r in zip(spec.outputs, got, want):
            r = r.numpy()
            worst[t.name] = max(worst[t.name], float(np.abs(g - r).max()))
            if not np.allclose(g, r, rtol=RTOL, atol=ATOL):
                raise ParityError(
                    f"{spec.name}.{t.name} at {b}x{h}x{w}: onnxruntime differs from torch by up to {np.abs(g - r).max():.3g}")
    return worst


def export_all(
    networks: Sequence[tuple[nn.Module, NetworkSpec]],
    out: Path,
    metadata: dict,
    progress: Callable[[str], None] = lambda step: None,
) -> dict:
    """Export, check and parity-test every network into `out` and write out/manifest.json
    (returned). `metadata` (model name, version, preset, normalisation notes) goes into each
    file's metadata_props and the manifest. `progress` is called after each step."""
    out.mkdir(parents=True, exist_ok=True)
    entries = []
    for module, spec in networks:
        path = out / f"{spec.name}.onnx"
        export_network(module, spec, path, metadata)
        progress(f"{spec.name}: exported and checked")
        diffs = parity(module, spec, path)
        progress(f"{spec.name}: parity with torch")
        entries.append({**describe(spec), "file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
                        "parity_max_abs_diff": diffs})
    manifest = {"format": MANIFEST_FORMAT, **metadata, "opset": OPSET, "torch": torch.__version__,
                "parity_tolerance": {"atol": ATOL, "rtol": RTOL}, "networks": entries}
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest


__all__ = ["OPSET", "ATOL", "RTOL", "ParityError", "export_network", "export_all", "parity", "describe"]
