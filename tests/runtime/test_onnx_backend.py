"""onnxruntime against torch eager, its export cache, and falling back from missing providers."""

import logging

import pytest
import torch

from gwm_engine.model import load_model
from gwm_engine.model.learned import LearnedModel
from gwm_engine.runtime.onnx_backend import CPU, CUDA, TENSORRT, OnnxBackend
from gwm_engine.runtime.selection import open_backend

# Tolerances for the model's outputs, onnxruntime CPU vs torch eager (both float32): colour in
# [0, 1] to 1e-3 absolute, depth (metres, 0.2 to 500) to 1e-3 relative. Measured: ~1e-7 and ~5e-7.
RGB_ATOL, DEPTH_RTOL = 1e-3, 1e-3


@pytest.mark.parametrize("batch, size", [(1, (64, 64)), (2, (100, 150)), (1, (360, 640))])
def test_onnx_cpu_matches_torch(onnx_model, torch_model, batch, size):
    g = torch.Generator().manual_seed(batch)
    H, W = size
    rgb = torch.rand(batch, 3, H, W, generator=g)
    depth = torch.rand(batch, 1, H, W, generator=g) * 10 + 0.5
    mask = (torch.rand(batch, 1, H, W, generator=g) > 0.3).float()
    with torch.inference_mode():
        got = onnx_model.complete(rgb * mask, depth * mask, mask)
        want = torch_model.complete(rgb * mask, depth * mask, mask)
        got_seed, want_seed = onnx_model.estimate_depth(rgb, 60.0), torch_model.estimate_depth(rgb, 60.0)
    assert float((got[0] - want[0]).abs().max()) <= RGB_ATOL
    assert float(((got[1] - want[1]).abs() / want[1]).max()) <= DEPTH_RTOL
    assert float(((got_seed - want_seed).abs() / want_seed).max()) <= DEPTH_RTOL


def test_export_is_cached_by_weights(onnx_model, cache_dir):
    files = sorted((cache_dir / "onnx").glob("*.onnx"))
    assert [f.name.split("-")[0] for f in files] == ["completion", "depth", "generator"]
    stamps = [f.stat().st_mtime_ns for f in files]
    again = load_model(backend="onnx", device="cpu")  # a daemon restart: nothing exported again
    assert sorted((cache_dir / "onnx").glob("*.onnx")) == files and [f.stat().st_mtime_ns for f in files] == stamps
    with torch.no_grad():
        again.completion_net.unet.head.bias.add_(0.1)  # other weights: a new file
    LearnedModel(again.preset, again.depth_net, again.completion_net, OnnxBackend([CPU]))
    assert len(list((cache_dir / "onnx").glob("completion-*.onnx"))) == 2


@pytest.mark.parametrize("backend, device, provider", [("tensorrt", "auto", TENSORRT), ("onnx", "cuda", CUDA)])
def test_a_missing_provider_is_one_warning_not_a_wall_of_errors(onnx_model, caplog, capfd, backend, device, provider):
    with caplog.at_level(logging.INFO):
        model = load_model(backend=backend, device=device)
    if model.backend.device == provider:
        pytest.skip(f"{provider} works on this machine")
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(warnings) == 1 and f"{provider} is not usable here" in warnings[0].getMessage()
    assert model.backend.device in (CUDA, CPU)
    out, err = capfd.readouterr()
    assert out == "" and err == ""  # onnxruntime's own banners and error logs are silenced
    rgb, depth = model.complete(torch.rand(1, 3, 32, 32), torch.ones(1, 1, 32, 32), torch.ones(1, 1, 32, 32))
    assert rgb.shape == (1, 3, 32, 32) and torch.isfinite(depth).all()


def test_auto_falls_back_quietly(onnx_model, caplog):
    with caplog.at_level(logging.INFO):
        backend = open_backend("auto", "auto")
    assert isinstance(backend, OnnxBackend) and backend.preferred == [TENSORRT, CUDA, CPU]
    LearnedModel(onnx_model.preset, onnx_model.depth_net, onnx_model.completion_net, backend)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_a_backend_says_whether_it_runs_on_a_gpu_by_the_provider_it_ended_on(onnx_model):
    assert not onnx_model.backend.on_gpu  # this machine: the CPU provider
    assert OnnxBackend([CUDA]).on_gpu and OnnxBackend([TENSORRT, CUDA]).on_gpu  # before a network loads: the first preferred
    assert not open_backend("torch", "cpu").on_gpu
