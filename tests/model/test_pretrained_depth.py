"""Pretrained depth from ONNX: stand-in graphs with the real exports' signatures, built here (no
download), loaded through the real code path; the alignment; the far guard at inference."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
import torch.nn as nn
from PIL import Image

from gwm_engine.errors import InvalidInput
from gwm_engine.model import load_model
from gwm_engine.model.depth import MAX_DEPTH_M
from gwm_engine.model.pretrained_depth import (
    PretrainedDepth,
    PretrainedDepthModel,
    align_disparity,
    fit_scale_shift,
    with_pretrained_depth,
)

MEAN = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
STD = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)


def truth(rgb: torch.Tensor) -> torch.Tensor:
    """What every stand-in computes from the un-normalised image (B, 3, H, W) -> (B, H, W): not
    affine in the channels, so a wrong normalisation shows. Red is the nearness the test images
    paint."""
    return 0.05 + 2.0 * rgb[:, 0] + 0.5 * rgb[:, 1] * rgb[:, 2]


class StandIn(nn.Module):
    """Undoes the ImageNet normalisation the real exports expect, then `truth` (or metres)."""

    def __init__(self, channel_axis: bool = False, metres: bool = False):
        super().__init__()
        self.channel_axis, self.metres = channel_axis, metres

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = truth(x * STD + MEAN)
        y = 1.0 / y if self.metres else y
        return y[:, None] if self.channel_axis else y


def export(module: nn.Module, path: Path, input_name: str, output_name: str, size: tuple[int, int], dynamic: bool) -> Path:
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, torch.rand(1, 3, *size), str(path), dynamo=False, opset_version=17,
                          input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch", 2: "height", 3: "width"}, "y": {0: "batch"}} if dynamic else None)
    # Renamed afterwards: the tracer will not name an input "0", as the MiDaS release does.
    model = onnx.load(str(path))
    for node in model.graph.node:
        node.input[:] = [input_name if n == "x" else n for n in node.input]
        node.output[:] = [output_name if n == "y" else n for n in node.output]
    model.graph.input[0].name, model.graph.output[0].name = input_name, output_name
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


# The exports the engine supports, with the input names and sizes they were found to have (see
# pretrained_depth.py; the MiDaS output name is the tracer's numbering, which nothing relies on):
# file, input, output, size, dynamic, output with a channel axis, what the engine should call it
EXPORTS = {
    "depth-anything-v2-small-hf": ("model.onnx", "pixel_values", "predicted_depth", (518, 518), True, False, "depth-anything-v2"),
    "depth-anything-v2-small-fixed": ("depth_anything_v2_vits.onnx", "image", "depth", (518, 518), False, False, "depth-anything-v2"),
    "midas-v2.1-small": ("model-small.onnx", "0", "797", (256, 256), False, False, "midas-v2.1-small"),
    "generic-channel-axis": ("my_depth.onnx", "input", "output", (96, 128), False, True, "generic"),
}


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("depth-exports")
    out = {}
    for key, (name, inp, outp, size, dynamic, channel, _) in EXPORTS.items():
        (root / key).mkdir()
        out[key] = export(StandIn(channel), root / key / name, inp, outp, size, dynamic)
    out["metric"] = export(StandIn(metres=True), root / "depth_anything_v2_metric_hypersim_vits.onnx", "image", "depth", (518, 518), True)
    return out


@pytest.fixture(scope="module")
def bundled():
    return load_model(backend="onnx", device="cpu")


def near_box_image(h: int = 120, w: int = 160) -> tuple[torch.Tensor, torch.Tensor]:
    """A dim, textured far background with a bright-red box in front; and the box's mask."""
    g = torch.Generator().manual_seed(3)
    rgb = 0.15 + 0.1 * torch.rand(1, 3, h, w, generator=g)
    box = torch.zeros(1, 1, h, w, dtype=torch.bool)
    box[..., h // 3: 2 * h // 3, w // 3: 2 * w // 3] = True
    rgb[:, 0:1][box] = 0.9
    return rgb, box


@pytest.mark.parametrize("key", list(EXPORTS))
def test_each_signature_is_detected_and_fed_as_the_export_expects(exports, key):
    net = PretrainedDepth.open(exports[key])
    sig = net.signature
    _, inp, outp, size, dynamic, _, family = EXPORTS[key]
    assert (sig.family, sig.input_name, sig.output_name, sig.output) == (family, inp, outp, "disparity")
    assert sig.fixed_size == (None if dynamic else size)
    # An image already at the network's size is not resized: the raw output must be exactly the
    # stand-in's function of the un-normalised image, which only the right normalisation gives.
    h, w = sig.work_size(*size)
    rgb = torch.rand(1, 3, h, w, generator=torch.Generator().manual_seed(1))
    assert torch.allclose(net(rgb)[:, 0], truth(rgb), atol=1e-4)


@pytest.mark.parametrize("key", list(EXPORTS))
def test_each_signature_gives_finite_positive_depth_with_the_near_box_nearer(exports, bundled, key):
    model = with_pretrained_depth(bundled, exports[key])
    rgb, box = near_box_image()
    depth = model.estimate_depth(rgb, 60.0)
    assert depth.shape == (1, 1, 120, 160)
    assert torch.isfinite(depth).all() and (depth > 0).all()
    inner = torch.zeros_like(box)
    inner[..., 45:75, 60:100] = True  # away from the box's blurred edge
    assert depth[inner].max() < depth[~box].median()


class HalfPrecision(nn.Module):
    """As the half-precision exports (model_fp16.onnx): float16 in and out."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return StandIn()(x.float()).half()


def test_a_half_precision_export_is_fed_float16(tmp_path):
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(HalfPrecision(), torch.rand(1, 3, 518, 518).half(), str(tmp_path / "model_fp16.onnx"), dynamo=False,
                          opset_version=17, input_names=["pixel_values"], output_names=["predicted_depth"],
                          dynamic_axes={"pixel_values": {0: "batch", 2: "height", 3: "width"}})
    net = PretrainedDepth.open(tmp_path / "model_fp16.onnx")
    assert net.signature.input_dtype == np.float16
    rgb = torch.rand(1, 3, 364, 518, generator=torch.Generator().manual_seed(4))
    assert torch.allclose(net(rgb)[:, 0], truth(rgb), atol=5e-3)  # float16 rounding


def test_dynamic_depth_anything_keeps_the_aspect_in_multiples_of_14(exports):
    sig = PretrainedDepth.open(exports["depth-anything-v2-small-hf"]).signature
    assert sig.work_size(360, 640) == (294, 518)
    assert sig.work_size(1000, 500) == (518, 252)


def test_a_metric_export_is_used_as_it_is(exports, bundled):
    net = PretrainedDepth.open(exports["metric"])
    assert net.signature.output == "metric"  # from "metric" in its file name
    rgb, _ = near_box_image(364, 518)  # the network's own size: nothing resampled
    depth = PretrainedDepthModel(net, bundled).estimate_depth(rgb, 60.0)
    expected = 1.0 / truth(rgb)
    assert torch.allclose(depth[0, 0], expected[0], rtol=1e-4)
    # ... and the same file named otherwise is disparity unless told
    assert PretrainedDepth.open(exports["metric"], kind="disparity").signature.output == "disparity"


def test_describe_names_the_pretrained_network_and_keeps_the_base_completion(exports, bundled):
    model = with_pretrained_depth(bundled, exports["depth-anything-v2-small-hf"])
    info = model.describe()
    assert info.name == "gwm-small+depth-anything-v2"
    assert [p.network for p in info.networks] == ["pretrained-depth", "depth", "completion", "generator"]
    assert info.runs_on() == "onnx on CPUExecutionProvider" and info.settings["depth_model"]["output"] == "disparity"
    rgb = torch.rand(1, 3, 32, 32)
    depth = torch.full((1, 1, 32, 32), 3.0)
    mask = (torch.rand(1, 1, 32, 32) > 0.3).float()
    for a, b in zip(model.complete(rgb, depth, mask), bundled.complete(rgb, depth, mask)):
        assert torch.equal(a, b)


def test_on_a_real_photo_the_depth_is_finite_positive_and_within_the_world(exports, bundled):
    image = np.asarray(Image.open(Path(__file__).parents[2] / "gwm_engine/assets/sample.png").convert("RGB"))
    rgb = torch.from_numpy(image.copy()).permute(2, 0, 1)[None].float() / 255
    depth = with_pretrained_depth(bundled, exports["midas-v2.1-small"]).estimate_depth(rgb, 60.0)
    assert torch.isfinite(depth).all() and depth.min() > 0 and depth.max() <= MAX_DEPTH_M


# -- alignment ------------------------------------------------------------------------------
def test_fit_recovers_scale_and_shift_despite_a_fifth_of_outliers():
    g = torch.Generator().manual_seed(0)
    x = torch.rand(5000, generator=g)
    y = 0.37 * x + 0.05
    bad = torch.rand(5000, generator=g) < 0.2
    y[bad] += 2 * torch.rand(int(bad.sum()), generator=g)
    s, t = fit_scale_shift(x, y)
    assert s == pytest.approx(0.37, rel=1e-3) and t == pytest.approx(0.05, abs=1e-3)


def test_alignment_recovers_metric_depth_from_disparity_with_unknown_scale_and_shift():
    h, w = 90, 120
    rows = torch.linspace(1, 0, h).view(h, 1).expand(h, w)
    true = (1.0 + 30.0 * rows ** 2).view(1, 1, h, w)  # 1 m at the bottom to 31 m at the top
    disparity = (1.0 / true - 0.01) / 0.004  # 1 / depth = 0.004 disparity + 0.01
    reference = true.clone()
    reference[..., :20, :30] = 0.3  # a region the reference gets badly wrong
    aligned = align_disparity(disparity, reference)
    good = torch.ones_like(true, dtype=torch.bool)
    good[..., :20, :30] = False
    assert torch.allclose(aligned[good], true[good], rtol=1e-3)
    assert torch.allclose(aligned[~good], true[~good], rtol=1e-3)  # structure from the disparity, not the bad reference


def test_alignment_never_turns_the_order_round_or_goes_non_positive():
    disparity = torch.linspace(0, 1, 64 * 64).view(1, 1, 64, 64)
    reference = torch.linspace(0.5, 50, 64 * 64).view(1, 1, 64, 64)  # anti-correlated: says near where disparity says far
    depth = align_disparity(disparity, reference)
    assert torch.isfinite(depth).all() and (depth > 0).all()
    flat = depth.flatten()
    assert (flat[1:] <= flat[:-1] + 1e-6).all()  # larger disparity, nearer (or as near)


# -- bad files -------------------------------------------------------------------------------
class Classifier(nn.Module):
    def forward(self, x):
        return x.mean(dim=(2, 3)) @ torch.ones(3, 10)


class TwoInputs(nn.Module):
    def forward(self, x, y):
        return x[:, 0] + y[:, 0]


def test_a_missing_or_unreadable_file_or_a_graph_that_is_no_depth_network_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="depth model not found"):
        PretrainedDepth.open(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_text("not a network")
    with pytest.raises(InvalidInput, match="cannot read depth model .* as an ONNX network"):
        PretrainedDepth.open(tmp_path / "junk.onnx")
    classifier = export(Classifier(), tmp_path / "classifier.onnx", "input", "logits", (224, 224), False)
    with pytest.raises(InvalidInput, match=r"not a monocular depth network: its outputs are logits \[1, 10\]"):
        PretrainedDepth.open(classifier)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(TwoInputs(), (torch.rand(1, 3, 8, 8), torch.rand(1, 3, 8, 8)), str(tmp_path / "two.onnx"), dynamo=False,
                          input_names=["a", "b"])
    with pytest.raises(InvalidInput, match="it takes 2 inputs"):
        PretrainedDepth.open(tmp_path / "two.onnx")
    with pytest.raises(InvalidInput, match="unknown depth model kind"):
        PretrainedDepth.open(classifier, kind="inverse")


# -- the command line --------------------------------------------------------------------------
def gwm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gwm_engine.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", [
    ["demo", "--steps", "1", "--size", "32x32"],
    ["eval", "--trajectories", "1", "--steps", "1"],
    ["serve", "--port", "0", "--link-port", "0"],
])
def test_cli_refuses_a_bad_depth_model_in_one_line(tmp_path, command):
    classifier = export(Classifier(), tmp_path / "classifier.onnx", "input", "logits", (64, 64), False)
    for path, message in ((tmp_path / "missing.onnx", "depth model not found"), (classifier, "not a monocular depth network")):
        r = gwm(*command, "--depth-model", str(path), *(["--out", str(tmp_path / "w.mp4")] if command[0] == "demo" else []))
        assert r.returncode == 2, r.stderr
        lines = r.stderr.strip().splitlines()
        assert message in lines[-1] and lines[-1].startswith(f"gwm-engine {command[0]}: error:") and "Traceback" not in r.stderr


def test_cli_demo_runs_with_a_depth_model(tmp_path, exports):
    r = gwm("demo", "--image", str(Path(__file__).parents[2] / "gwm_engine/assets/sample.png"), "--steps", "2", "--size", "48x32",
            "--depth-model", str(exports["depth-anything-v2-small-hf"]), "--out", str(tmp_path / "w.mp4"))
    assert r.returncode == 0, r.stderr
    assert "gwm-small+depth-anything-v2" in r.stdout
