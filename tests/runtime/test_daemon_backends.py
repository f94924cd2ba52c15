"""The real daemon on each backend: same seed and actions, same frames within tolerance."""

import numpy as np
import pytest

from gwm_engine.client import LocalDaemon, WorldClient

ACTIONS = [dict(move=(0.02 * np.sin(i / 3), 0.0, 0.08), turn=(6.0 * np.cos(i / 4), 1.0, 0.0)) for i in range(6)]


def walk(args: list[str], seed_png: bytes, actions: list[dict] = ACTIONS) -> tuple[list, str, list[str]]:
    """Frames, the daemon's log, and the backends its GetInfo reports."""
    with LocalDaemon(args) as daemon, WorldClient(daemon.address) as client:
        with client.create_session(seed_png, width=96, height=64) as session:
            frames = [session.frame] + [session.step(**a) for a in actions]
        return frames, daemon.log(), list(client.info()["backends"])


@pytest.fixture(scope="module")
def torch_walk(seed_png, torch_model):
    return walk(["--backend", "torch"], seed_png)


def test_onnx_daemon_streams_the_frames_torch_does(seed_png, onnx_model, torch_walk):
    frames, log, backends = walk(["--backend", "onnx", "--device", "cpu"], seed_png)
    assert "gwm-small 1.0.0, onnx on CPUExecutionProvider" in log and "torch on cpu" in torch_walk[1]
    assert backends == ["onnx-cpu"] and torch_walk[2] == ["torch-cpu"]  # GetInfo says what really runs
    for got, want in zip(frames, torch_walk[0], strict=True):
        np.testing.assert_allclose(got.pose, want.pose, atol=1e-9)
        np.testing.assert_array_equal(got.mask, want.mask)
        # A fused point sitting on a pixel border may land one pixel over on the other backend:
        # allow a stray pixel or two, never a drift.
        rgb_off = np.abs(got.rgb.astype(int) - want.rgb.astype(int)) > 1
        depth_off = np.abs(got.depth - want.depth) > 1e-3 * want.depth
        assert rgb_off.mean() <= 1e-3 and depth_off.mean() <= 1e-3


def test_asking_for_tensorrt_without_a_gpu_warns_once_and_serves(seed_png, onnx_model):
    frames, log, _ = walk(["--backend", "tensorrt"], seed_png, ACTIONS[:2])
    if "onnx on TensorrtExecutionProvider" in log:
        pytest.skip("TensorRT works on this machine")
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert len(warnings) == 1 and "TensorrtExecutionProvider is not usable here" in warnings[0], log
    assert "EP Error" not in log and "onnxruntime_src" not in log and "[E:" not in log, log
    assert len(frames) == 3 and frames[-1].rgb.shape == (64, 96, 3)
