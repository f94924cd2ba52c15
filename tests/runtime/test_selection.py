"""`--backend` / `--device`: names checked up front, missing devices fall back with one warning."""

import logging
import subprocess
import sys

import pytest
import torch

from gwm_engine.errors import InvalidInput
from gwm_engine.model import ClassicalModel, load_model
from gwm_engine.runtime import BACKENDS
from gwm_engine.runtime.onnx_backend import CPU, OnnxBackend
from gwm_engine.runtime.selection import open_backend
from gwm_engine.runtime.torch_backend import TorchBackend
from gwm_engine.server.config import ServerConfig


@pytest.mark.parametrize("backend, device, message", [
    ("jax", "auto", "unknown backend 'jax'"),
    ("onnx", "tpu", "unknown device 'tpu'"),
    ("tensorrt", "cpu", "tensorrt backend runs on a GPU"),
])
def test_bad_names_are_clear_errors(backend, device, message):
    with pytest.raises(InvalidInput, match=message):
        load_model(backend=backend, device=device)
    with pytest.raises(InvalidInput, match=message):
        load_model("classical", backend=backend, device=device)  # checked even where unused
    with pytest.raises(ValueError, match=message):
        ServerConfig(backend=backend, device=device).validate()


def test_names_pick_backends():
    assert isinstance(open_backend("auto", "cpu"), OnnxBackend) and open_backend("onnx", "cpu").preferred == [CPU]
    assert isinstance(open_backend("torch", "cpu"), TorchBackend)
    assert isinstance(load_model("classical", backend="tensorrt"), ClassicalModel)


@pytest.mark.skipif(torch.cuda.is_available(), reason="torch has CUDA here")
def test_torch_on_a_missing_gpu_warns_once_and_runs_on_the_cpu(caplog):
    with caplog.at_level(logging.INFO):
        backend = open_backend("torch", "cuda")
    assert backend.device == "cpu"
    want = "torch sees no CUDA device (a CPU-only build, or no GPU); running on the CPU"
    assert [r.getMessage() for r in caplog.records] == [want]


@pytest.mark.parametrize("command", ["serve", "demo", "eval"])
def test_bad_backend_flag_exits_nonzero_with_the_choices(command):
    r = subprocess.run([sys.executable, "-m", "gwm_engine.cli", command, "--backend", "cuda"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "invalid choice: 'cuda'" in r.stderr and all(name in r.stderr for name in BACKENDS)
    assert "Traceback" not in r.stderr
