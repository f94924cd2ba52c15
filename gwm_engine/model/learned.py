"""The learned world model: DepthNet for seeds without depth, CompletionNet for holes.

Both networks run at a reduced working size (the short side at most `Preset.work_side`) and
their output is resized into the full-resolution frame: that is what keeps a step interactive
on a laptop CPU. Completion adds the network's residual to a full-resolution pull-push fill, so
hole edges keep full-resolution continuity with the cached pixels around them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

from gwm_engine.errors import InvalidInput
from gwm_engine.model.base import ModelInfo, NetworkPlacement, WorldModel
from gwm_engine.model.classical import FAR_M, NEAR_FILL_M, fill_holes
from gwm_engine.model.completion import CompletionNet
from gwm_engine.model.depth import DEPTH_ARCHS, MAX_DEPTH_M, MIN_DEPTH_M
from gwm_engine.model.scale import guard_far_depth
from gwm_engine.runtime.base import Backend, NetworkSpec, TensorSpec
from gwm_engine.runtime.torch_backend import TorchBackend, TorchOptions

WEIGHTS_FORMAT = "gwm-weights/1"
SMALL_HOLES = 0.005  # share of a view uncovered, up to which its holes are filled without the network
LOG_SKY = math.log(MAX_DEPTH_M) - 1e-4  # log-depth at or beyond which a pixel is sky
DEFAULT_WEIGHTS = Path(__file__).resolve().parent.parent / "assets" / "gwm-small.pt"


@dataclass(frozen=True)
class Preset:
    name: str = "small"
    work_side: int = 128  # the networks' short side, in pixels
    depth_widths: tuple[int, ...] = (32, 64, 96, 128, 192)
    depth_arch: str = "structure-scale"  # a key of depth.DEPTH_ARCHS
    completion_widths: tuple[int, ...] = (32, 48, 64, 96)
    # The generator: a larger completion network that runs only off the frame loop (seed time and
    # ahead of the player, world/generate.py). Empty: none; generation uses the completion network.
    generator_widths: tuple[int, ...] = ()

    @property
    def multiple(self) -> int:
        """Working sides are multiples of this: the pixel unshuffle times the U-Net's halvings."""
        levels = max(len(self.depth_widths), len(self.completion_widths), len(self.generator_widths))
        return 2 * 2 ** (levels - 1)

    def work_size(self, height: int, width: int) -> tuple[int, int]:
        scale = min(1.0, self.work_side / min(height, width))
        m = self.multiple
        return max(m, round(height * scale / m) * m), max(m, round(width * scale / m) * m)


def network_specs(preset: Preset) -> tuple[NetworkSpec, NetworkSpec]:
    """The two networks' interfaces (depth, completion), as the runtime and exports see them; a
    generator's is the completion network's under its own name (`generator_spec`).

    The TensorRT profile covers what `work_size` gives frames up to 4:1 landscape, batched up to
    16 views (8 stereo sessions); its opt shape is the working size of 16:9 frames.
    """
    m, side = preset.multiple, preset.work_side
    profile = ((1, m, m), (1, side, round(side * 16 / 9 / m) * m), (16, side, 4 * side))
    rgb = TensorSpec("rgb", 3, "colour in [0, 1] (8-bit sRGB / 255), resized to the working size", (0.0, 1.0))
    depth = NetworkSpec(
        "depth",
        (rgb, TensorSpec("rays", 2, "x / z and y / z of each pixel centre's camera ray, y up", (-2.0, 2.0))),
        (TensorSpec("depth", 1, f"metric z-depth in metres, clamped to [{MIN_DEPTH_M}, {MAX_DEPTH_M}]", (MIN_DEPTH_M, MAX_DEPTH_M)),),
        m, profile,
    )
    completion = NetworkSpec(
        "completion",
        (rgb, TensorSpec("depth", 1, "z-depth in metres, holes filled by pull-push", (NEAR_FILL_M, 2 * FAR_M)),
         TensorSpec("coverage", 1, "fraction of each pixel the world cache covered", (0.0, 1.0))),
        (TensorSpec("rgb_residual", 3, "add to the input colour, then clamp to [0, 1]"),
         TensorSpec("log_depth_residual", 1, "add to the natural log of the input depth")),
        m, profile,
    )
    return depth, completion


def generator_spec(preset: Preset) -> NetworkSpec:
    return dataclasses.replace(network_specs(preset)[1], name="generator")


PRESETS = {
    "small": Preset(),  # the CPU default
    "large": Preset("large", 256, depth_widths=(48, 96, 160, 256), completion_widths=(48, 96, 128, 192)),  # for GPUs
}


def resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Area average going down (no aliasing), bilinear going up."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    if size[0] <= x.shape[-2] and size[1] <= x.shape[-1]:
        return F.interpolate(x, size=size, mode="area")
    return F.interpolate(x, size=size, mode="bilinear", align_corners=False)


def ray_channels(batch: int, height: int, width: int, fov_deg: float) -> torch.Tensor:
    """(B, 2, H, W): x / z and y / z of each pixel centre's ray (y up), for a vertical fov."""
    f = 0.5 * height / math.tan(math.radians(fov_deg) / 2)
    x = (torch.arange(width, dtype=torch.float32) + 0.5 - width / 2) / f
    y = -(torch.arange(height, dtype=torch.float32) + 0.5 - height / 2) / f
    return torch.stack([x.expand(height, width), y[:, None].expand(height, width)])[None].expand(batch, 2, height, width)


class LearnedModel(WorldModel):
    version = "1.0.0"

    def __init__(self, preset: Preset = Preset(), depth_net: nn.Module | None = None, completion_net: CompletionNet | None = None,
                 backend: Backend | None = None, generator_net: CompletionNet | None = None):
        self.preset = preset
        self.name = f"gwm-{preset.name}"
        self.depth_net = (depth_net or DEPTH_ARCHS[preset.depth_arch](preset.depth_widths)).eval()
        self.completion_net = (completion_net or CompletionNet(preset.completion_widths)).eval()
        self.generator_net = None
        if preset.generator_widths:
            self.generator_net = (generator_net or CompletionNet(preset.generator_widths)).eval()
        # Without a backend (training) the modules run as built: no moving or reformatting them.
        self.backend = backend or TorchBackend(TorchOptions(channels_last=False))
        depth_spec, completion_spec = network_specs(preset)
        self._depth = self.backend.load(self.depth_net, depth_spec)
        self._completion = self.backend.load(self.completion_net, completion_spec)
        self._generator = self.backend.load(self.generator_net, generator_spec(preset)) if self.generator_net else None

    def networks(self) -> list[tuple[nn.Module, NetworkSpec]]:
        nets = [(self.depth_net, self._depth.spec), (self.completion_net, self._completion.spec)]
        return nets + ([(self.generator_net, self._generator.spec)] if self._generator else [])

    def describe(self) -> ModelInfo:
        b = self.backend
        places = tuple(NetworkPlacement(spec.name, b.name, b.device, b.tag) for _, spec in self.networks())
        return ModelInfo(self.name, self.version, places, {"preset": asdict(self.preset)})

    # -- weights --------------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path = DEFAULT_WEIGHTS, backend: Backend | None = None) -> LearnedModel:
        try:
            doc = torch.load(path, map_location="cpu", weights_only=True)
        except FileNotFoundError:
            raise InvalidInput(f"weights file not found: {path}") from None
        except IsADirectoryError:
            raise InvalidInput(f"weights {path} is a folder; give a .pt weights file or a registered name") from None
        except Exception:  # noqa: BLE001 - any unreadable file is the user's input error
            raise InvalidInput(
                f"cannot read weights {path}: not a PyTorch weights file (.pt, as gwm-engine train writes)"
            ) from None
        if not isinstance(doc, dict) or doc.get("format") != WEIGHTS_FORMAT:
            raise InvalidInput(f"{path} is not a gwm-engine weights file ({WEIGHTS_FORMAT})")
        # Files from before the structure/scale split name no architecture: theirs is ground-prior.
        fields = {"depth_arch": "ground-prior"} | dict(doc["preset"])
        preset = Preset(**{k: tuple(v) if isinstance(v, list) else v for k, v in fields.items()})
        if preset.depth_arch not in DEPTH_ARCHS:
            raise InvalidInput(f"weights {path} need depth network {preset.depth_arch!r}, which this version does not know")
        depth_net = DEPTH_ARCHS[preset.depth_arch](preset.depth_widths)
        completion_net = CompletionNet(preset.completion_widths)
        generator_net = CompletionNet(preset.generator_widths) if preset.generator_widths else None
        try:
            depth_net.load_state_dict({k: v.float() for k, v in doc["depth"].items()})
            completion_net.load_state_dict({k: v.float() for k, v in doc["completion"].items()})
            if generator_net is not None:
                generator_net.load_state_dict({k: v.float() for k, v in doc["generator"].items()})
        except (RuntimeError, KeyError) as e:
            raise InvalidInput(f"weights {path} do not fit preset {preset.name}: {e}") from None
        # The backend gets the networks with their weights in: onnx exports them as they are.
        model = cls(preset, depth_net, completion_net, backend, generator_net)
        model.meta = dict(doc.get("meta", {}))
        return model

    def save(self, path: str | Path, meta: dict | None = None) -> None:
        """Half-precision weights (they are trained in float32 and run in float32)."""
        half = lambda net: {k: v.detach().half() for k, v in net.state_dict().items()}  # noqa: E731
        doc = {"format": WEIGHTS_FORMAT, "preset": asdict(self.preset), "depth": half(self.depth_net),
               "completion": half(self.completion_net), "meta": dict(meta or {})}
        if self.generator_net is not None:
            doc["generator"] = half(self.generator_net)
        torch.save(doc, path)

    # -- WorldModel -----------------------------------------------------------------------
    def estimate_depth(self, rgb: torch.Tensor, fov_deg: float) -> torch.Tensor:
        # Averaged (in log space) with the estimate for the mirror image: it runs once per session,
        # so the second pass costs little (held-out AbsRel 0.152 -> 0.145 on 36 frames).
        # Where one of the two calls a pixel sky and the other does not, the surface wins: sky only
        # where the network is sure, and never a blend of the two (see `resize_depth`).
        b = rgb.shape[0]
        both = torch.log(seed_depth(self._depth, torch.cat([rgb, rgb.flip(-1)]), [fov_deg] * 2 * b, self.preset))
        view, mirror = both[:b], both[b:].flip(-1)
        sky_view, sky_mirror = view >= LOG_SKY, mirror >= LOG_SKY
        log_depth = torch.where(sky_view, mirror, torch.where(sky_mirror, view, (view + mirror) / 2))
        # Then kept within the view's plausible range: no wall sent to the sky dome (model/scale.py).
        return guard_far_depth(torch.exp(log_depth), rgb)

    def complete(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._fill(self._completion, rgb, depth, mask)

    def generate(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self._fill(self._generator or self._completion, rgb, depth, mask)

    def generate_ahead(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # On a CPU the generator costs several per-frame passes a view: the worker then falls
        # behind a walk and its passes collide with the frames (benchmarks/RESULTS.md).
        fast = self._generator is not None and self.backend.on_gpu
        return self._fill(self._generator if fast else self._completion, rgb, depth, mask)

    def _fill(self, net: NetworkFn, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # Most frames of a walk uncover a few cracks (under SMALL_HOLES of the view on 7 frames of
        # 10, benchmarks/RESULTS.md): pull-push closes those as well as the network would, and the
        # network's pass would cost more than the rest of the frame.
        big = (1 - mask.mean((1, 2, 3))) > SMALL_HOLES  # (B,)
        if bool(big.all()):
            return completed(net, rgb, depth, mask, self.preset)
        if not bool(big.any()):  # (indexing the batch costs more than the fill at 640x360)
            return self.quick_fill(rgb, depth, mask)
        out_rgb, out_depth = torch.empty_like(rgb), torch.empty_like(depth)
        small, i = (~big).nonzero().squeeze(1), big.nonzero().squeeze(1)
        out_rgb[small], out_depth[small] = _pull_push(rgb[small], depth[small], mask[small])
        if i.numel():
            out_rgb[i], out_depth[i] = completed(net, rgb[i], depth[i], mask[i], self.preset)
        return out_rgb, out_depth

    def quick_fill(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        if bool(mask.all()):  # nothing to fill: the session takes only holes from here
            return rgb, depth
        return _pull_push(rgb, depth, mask)


def _pull_push(rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """`completed`'s fill without the network's residual, in the same depth range."""
    filled_rgb, filled_depth = fill_holes(rgb, depth, mask)
    return filled_rgb, filled_depth.clamp(NEAR_FILL_M, MAX_DEPTH_M)


# The two paths from a frame to a network and back, shared by inference and training so the
# networks are trained on exactly what they meet at run time. `net` is a backend's loaded
# network, or in training the module itself behind the same calling convention.
NetworkFn = Callable[..., tuple[torch.Tensor, ...]]


def seed_depth(net: NetworkFn, rgb: torch.Tensor, fovs: list[float], preset: Preset) -> torch.Tensor:
    """Depth (B, 1, H, W) for rgb (B, 3, H, W), one vertical fov per view."""
    B, _, H, W = rgb.shape
    h, w = preset.work_size(H, W)
    rays = torch.cat([ray_channels(1, h, w, f) for f in fovs]).to(rgb.device)
    (depth,) = net(resize(rgb, (h, w)), rays)
    return resize_depth(depth, (H, W))


def resize_depth(depth: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Depth (B, 1, h, w) metres resized to `size`: in log space (halfway between 1 m and 100 m
    is 10 m, not 50 m), with sky (MAX_DEPTH_M) apart from surfaces. A pixel is sky where most of
    what it samples is, else a surface interpolated from surfaces only: a blend of a silhouette
    and the sky dome would float a fringe of points tens of metres out along every skyline."""
    log_depth = torch.log(depth.clamp(MIN_DEPTH_M, MAX_DEPTH_M))
    surface = (log_depth < LOG_SKY).float()
    share = resize(surface, size)  # (B, 1, H, W): how much of each new pixel is surface
    level = resize(log_depth * surface, size) / share.clamp_min(1e-6)
    return torch.where(share > 0.5, torch.exp(level), torch.full_like(level, MAX_DEPTH_M)).clamp(MIN_DEPTH_M, MAX_DEPTH_M)


def completed(
    net: NetworkFn, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor, preset: Preset,
) -> tuple[torch.Tensor, torch.Tensor]:
    """The splat (B, 3 | 1, H, W) with its holes (mask 0) filled: pull-push at full resolution
    plus the network's residual, computed at the working size and resized up.

    Fills only ever move farther than the pull-push depth, never nearer: a hole is what a nearer
    surface uncovered, or new territory, and a fill fused in front of known surfaces would hide
    them when the player comes back."""
    H, W = rgb.shape[-2:]
    filled_rgb, filled_depth = fill_holes(rgb, depth, mask)
    size = preset.work_size(H, W)
    d_rgb, d_log_depth = net(resize(filled_rgb, size), resize(filled_depth, size), resize(mask, size))
    out_rgb = (filled_rgb + resize(d_rgb, (H, W))).clamp(0, 1)
    out_depth = (filled_depth * torch.exp(resize(d_log_depth, (H, W)).clamp_min(0))).clamp(NEAR_FILL_M, MAX_DEPTH_M)
    return out_rgb, out_depth
