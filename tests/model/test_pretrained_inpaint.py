"""Pretrained inpainting from ONNX: stand-in graphs with the real LaMa and MI-GAN exports' input
and output names, dtypes, shapes and value conventions, built here (no download) and loaded
through the real code path; what generation gets from them; refusals; the command line."""

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn as nn
from PIL import Image
from test_pretrained_depth import StandIn as DepthStandIn
from test_pretrained_depth import export as export_depth

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry import CameraAction
from gwm_engine.model import load_model, registry
from gwm_engine.model.pretrained_depth import PretrainedDepthModel
from gwm_engine.model.pretrained_inpaint import PretrainedInpaint, PretrainedInpaintModel, with_pretrained_inpaint
from gwm_engine.world import SessionConfig, WorldSession

# What every stand-in paints its holes: whole uint8 levels, so MI-GAN's uint8 output is exact.
PAINT = (230, 51, 153)
COLOUR = torch.tensor(PAINT, dtype=torch.float32).view(1, 3, 1, 1) / 255
PHOTO = Path(__file__).parents[1] / "data" / "rocket.jpg"


class LamaStandIn(nn.Module):
    """As Carve's lama_fp32.onnx: image RGB in [0, 1], mask 1 where to fill; gives the image with
    its holes painted, in 0..255 (`scale` 1: in 0..1, as some other LaMa exports)."""

    def __init__(self, scale: float = 255.0):
        super().__init__()
        self.scale = scale

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        paint = torch.tensor(PAINT, dtype=torch.float32).view(1, 3, 1, 1) / 255
        return (image * (1 - mask) + paint * mask) * self.scale


class MiganStandIn(nn.Module):
    """As MI-GAN's ONNX pipeline: uint8 image and mask, the mask 255 where the pixel is known;
    gives the image, uint8, with its holes painted."""

    def forward(self, image: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        known = mask.float() / 255
        paint = torch.tensor(PAINT, dtype=torch.float32).view(1, 3, 1, 1)
        return (image.float() * known + paint * (1 - known)).round().clamp(0, 255).to(torch.uint8)


def export(module: nn.Module, path: Path, names: tuple[str, str, str], size: tuple[int, int], dynamic: bool,
           dtype: torch.dtype = torch.float32, shapes: tuple[tuple, tuple] | None = None) -> Path:
    """`module` (image, mask) -> image as ONNX with the input and output `names`; batch always
    dynamic (as in lama_fp32.onnx), height and width too when `dynamic`."""
    image, mask, out = names
    a, b = shapes or ((1, 3, *size), (1, 1, *size))
    axes = {0: "batch", 2: "height", 3: "width"} if dynamic else {0: "batch"}
    example = (torch.rand(*a) * (255 if dtype == torch.uint8 else 1)).to(dtype), torch.zeros(*b).to(dtype)
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, example, str(path), dynamo=False, opset_version=17, input_names=[image, mask],
                          output_names=[out], dynamic_axes={image: axes, mask: axes, out: axes})
    return path


@pytest.fixture(scope="module")
def exports(tmp_path_factory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("inpaint-exports")
    return {
        "lama": export(LamaStandIn(), root / "lama_fp32.onnx", ("image", "mask", "output"), (512, 512), False),
        "lama-0-1": export(LamaStandIn(1.0), root / "lama_0_1.onnx", ("image", "mask", "output"), (512, 512), False),
        "migan": export(MiganStandIn(), root / "migan_pipeline_v2.onnx", ("image", "mask", "result"), (256, 256), True,
                        torch.uint8),
        "generic": export(LamaStandIn(1.0), root / "my_inpainter.onnx", ("rgb", "holes", "filled"), (64, 64), True),
    }


@pytest.fixture(scope="module")
def classical():
    return registry.build("classical")


def turned_view(h: int = 144, w: int = 256) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A view as generation renders one turned to the side: a textured known part, and holes
    (black, depth 0) in a broad strip at one side and a box in the middle."""
    g = torch.Generator().manual_seed(5)
    rgb = 0.2 + 0.5 * torch.rand(1, 3, h, w, generator=g)
    depth = 2.0 + torch.rand(1, 1, h, w, generator=g)
    mask = torch.ones(1, 1, h, w)
    mask[..., :, w - w // 3:] = 0
    mask[..., h // 3: 2 * h // 3, w // 4: w // 2] = 0
    rgb, depth = rgb * mask, depth * mask
    return rgb, depth, mask


def inner(holes: torch.Tensor, margin: int) -> torch.Tensor:
    """The holes at least `margin` pixels from anything known (or the view's edge)."""
    known = (~holes).float()
    near = torch.nn.functional.max_pool2d(known, 2 * margin + 1, stride=1, padding=margin)
    return holes & (near == 0)


@pytest.mark.parametrize("key, family, size, scale", [
    ("lama", "lama", (512, 512), 255.0),
    ("lama-0-1", "lama", (512, 512), 1.0),
    ("migan", "mi-gan", None, 255.0),
    ("generic", "generic-inpaint", None, 1.0),
])
def test_each_signature_is_read_and_its_output_range_found(exports, key, family, size, scale):
    net = PretrainedInpaint.open(exports[key])
    assert (net.signature.family, net.signature.fixed_size, net.output_scale) == (family, size, scale)
    # Only the MI-GAN pipeline takes its mask the other way round: 255 where known.
    assert net.signature.mask_marks_holes == (key != "migan")


@pytest.mark.parametrize("key", ["lama", "lama-0-1", "migan", "generic"])
def test_generate_paints_the_holes_with_the_networks_colour_and_keeps_known_pixels_bit_for_bit(exports, classical, key):
    model = with_pretrained_inpaint(classical, exports[key])
    rgb, depth, mask = turned_view()  # 256x144: neither square nor LaMa's 512x512
    out_rgb, out_depth = model.generate(rgb, depth, mask)
    assert out_rgb.shape == rgb.shape and out_depth.shape == depth.shape
    known = mask.bool()
    holes = ~known
    assert torch.equal(out_rgb[known.expand_as(rgb)], rgb[known.expand_as(rgb)])
    assert torch.equal(out_depth[known], depth[known])
    # The mask went in the network's way round: had it marked the known pixels, the stand-in
    # would have painted them and left the holes black.
    middle = inner(holes, 4).expand_as(rgb)
    paint = COLOUR.expand_as(rgb)
    assert torch.allclose(out_rgb[middle], paint[middle], atol=1e-5)
    # Along the holes' rims a resized network's colour blends with the known side's, never the black.
    assert (out_rgb[holes.expand_as(rgb)] - paint[holes.expand_as(rgb)]).abs().mean() < 0.05
    # Depth in the holes is the base model's generated depth.
    _, base_depth = classical.generate(rgb, depth, mask)
    assert torch.equal(out_depth[holes], base_depth[holes])
    assert torch.isfinite(out_depth).all() and (out_depth[holes] > 0).all()


def test_a_dynamic_float_graph_gets_sides_padded_to_multiples_of_8_and_the_view_back_at_its_size(exports, classical):
    net = PretrainedInpaint.open(exports["generic"])
    assert net.signature.work_size(60, 100) == (64, 104)
    rgb, depth, mask = turned_view(60, 100)
    out_rgb, _ = with_pretrained_inpaint(classical, exports["generic"]).generate(rgb, depth, mask)
    holes = ~mask.bool().expand_as(rgb)
    assert out_rgb.shape == (1, 3, 60, 100)
    assert torch.allclose(out_rgb[holes], COLOUR.expand_as(rgb)[holes], atol=1e-6)  # padded, not resampled: exact


def test_a_batch_of_views_and_a_view_without_holes(exports, classical):
    model = with_pretrained_inpaint(classical, exports["lama"])
    a, b = turned_view(), turned_view()
    b[2][:] = 1.0  # nothing to fill
    rgb, depth, mask = (torch.cat([x, y]) for x, y in zip(a, b))
    out_rgb, out_depth = model.generate(rgb, depth, mask)
    assert torch.equal(out_rgb[1], rgb[1]) and torch.equal(out_depth[1], depth[1])
    holes = ~mask[0].bool().expand(3, -1, -1)
    assert (out_rgb[0][holes] - COLOUR[0].expand(3, 144, 256)[holes]).abs().mean() < 0.05


def test_everything_but_generate_is_the_base_models_and_describe_names_the_network(exports, classical):
    model = with_pretrained_inpaint(classical, exports["lama"])
    assert isinstance(model, PretrainedInpaintModel) and model.name == "classical+lama"
    rgb, depth, mask = turned_view(64, 96)
    for ours, theirs in ((model.complete(rgb, depth, mask), classical.complete(rgb, depth, mask)),
                         (model.quick_fill(rgb, depth, mask), classical.quick_fill(rgb, depth, mask))):
        assert all(torch.equal(x, y) for x, y in zip(ours, theirs))
    assert torch.equal(model.estimate_depth(rgb, 60.0), classical.estimate_depth(rgb, 60.0))
    info = model.describe()
    assert info.name == "classical+lama" and [p.network for p in info.networks] == ["pretrained-inpaint"]
    assert info.runs_on() == "onnx on CPUExecutionProvider"
    assert info.settings["inpaint_model"] == {"file": "lama_fp32.onnx", "family": "lama", "output_range": "0..255"}
    assert model.networks() == classical.networks()


def test_with_a_depth_model_too_each_wrapper_keeps_its_part(exports, classical, tmp_path):
    depth_file = export_depth(DepthStandIn(), tmp_path / "model.onnx", "pixel_values", "predicted_depth", (518, 518), True)
    model = load_model("classical", depth_model=str(depth_file), inpaint_model=str(exports["lama"]))
    assert isinstance(model, PretrainedDepthModel) and isinstance(model.base, PretrainedInpaintModel)
    assert model.name == "classical+lama+depth-anything-v2"
    assert [p.network for p in model.describe().networks] == ["pretrained-depth", "pretrained-inpaint"]
    rgb, depth, mask = turned_view()
    assert all(torch.equal(x, y) for x, y in zip(model.generate(rgb, depth, mask), model.base.generate(rgb, depth, mask)))
    # On a CPU an inpainting network is too slow to keep ahead of a walk: the fill ahead is the base's.
    ahead = model.generate_ahead(rgb, depth, mask)
    assert all(torch.equal(x, y) for x, y in zip(ahead, classical.generate_ahead(rgb, depth, mask)))
    assert not torch.equal(ahead[0], model.generate(rgb, depth, mask)[0])


def test_a_world_generated_at_seed_time_shows_the_networks_colour_in_a_view_turned_60_degrees(exports, classical):
    photo = np.array(Image.open(PHOTO).convert("RGB"))
    config = SessionConfig(128, 96, generate=True)
    paint = np.array(PAINT)

    def painted(model) -> float:
        frame = WorldSession.create(photo, None, config, model).step(CameraAction(turn=(60, 0, 0)))
        return float((np.abs(frame.rgb.astype(int) - paint).max(-1) <= 3).mean())

    assert painted(with_pretrained_inpaint(classical, exports["lama"])) > 0.6
    assert painted(classical) < 0.01


# -- bad files -------------------------------------------------------------------------------
class OneInput(nn.Module):
    def forward(self, x):
        return x


class TwoImages(nn.Module):
    def forward(self, a, b):
        return a + b


class FlatMask(nn.Module):
    def forward(self, image, mask):
        return image * (1 - mask[:, None])


class GreyOut(nn.Module):
    def forward(self, image, mask):
        return image.mean(1, keepdim=True) * (1 - mask)


def test_a_missing_or_unreadable_file_or_a_graph_that_is_no_inpainting_network_is_refused(tmp_path):
    with pytest.raises(InvalidInput, match="inpainting model not found"):
        PretrainedInpaint.open(tmp_path / "missing.onnx")
    (tmp_path / "junk.onnx").write_text("not a network")
    with pytest.raises(InvalidInput, match="cannot read inpainting model .* as an ONNX network"):
        PretrainedInpaint.open(tmp_path / "junk.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(OneInput(), torch.rand(1, 3, 32, 32), str(tmp_path / "one.onnx"), dynamo=False, input_names=["image"])
    cases = {
        "one.onnx": r"not an inpainting network: it takes 1 input \(image",
        "two-images.onnx": "no image and mask pair",
        "flat-mask.onnx": r"its inputs are .*mask tensor\(float\) \['batch', 32, 32\]",
        "grey-out.onnx": r"its outputs are out tensor\(float\) \['batch', 1, 32, 32\]",
    }
    export(TwoImages(), tmp_path / "two-images.onnx", ("image", "mask", "out"), (32, 32), False, shapes=((1, 3, 32, 32),) * 2)
    export(FlatMask(), tmp_path / "flat-mask.onnx", ("image", "mask", "out"), (32, 32), False, shapes=((1, 3, 32, 32), (1, 32, 32)))
    export(GreyOut(), tmp_path / "grey-out.onnx", ("image", "mask", "out"), (32, 32), False)
    for name, message in cases.items():
        with pytest.raises(InvalidInput, match=message) as refused:
            PretrainedInpaint.open(tmp_path / name)
        assert "an inpainting network takes an image (1, 3, H, W) and a mask (1, 1, H, W)" in str(refused.value)


# -- the command line --------------------------------------------------------------------------
def gwm(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "gwm_engine.cli", *args], capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("command", [
    ["eval", "--trajectories", "1", "--steps", "1"],
    ["serve", "--port", "0", "--link-port", "0"],
])
def test_cli_refuses_a_bad_inpaint_model_in_one_line(tmp_path, command):
    graph = export(GreyOut(), tmp_path / "grey-out.onnx", ("image", "mask", "out"), (32, 32), False)
    r = gwm(*command, "--weights", "classical", "--inpaint-model", str(graph))
    assert r.returncode == 2, r.stderr
    lines = r.stderr.strip().splitlines()
    assert "not an inpainting network" in lines[-1] and lines[-1].startswith(f"gwm-engine {command[0]}: error:")
    assert "Traceback" not in r.stderr


def test_cli_demo_with_an_inpaint_model_generates_at_seed_time(tmp_path, exports):
    r = gwm("demo", "--weights", "classical", "--steps", "2", "--size", "48x32", "--inpaint-model", str(exports["migan"]),
            "--out", str(tmp_path / "w.mp4"))
    assert r.returncode == 0, r.stderr
    assert "model classical+mi-gan" in r.stdout and "seed-time generation on (--inpaint-model)" in r.stdout


def test_the_inpaint_model_setting_turns_generation_on_in_serve():
    from gwm_engine.server.config import ServerConfig

    assert ServerConfig(inpaint_model="lama_fp32.onnx").generate and not ServerConfig().generate
    assert "--inpaint-model" in gwm("serve", "--help").stdout
