"""Seed depth from a public, pretrained monocular depth network, run from its ONNX file.

The bundled depth network has only seen the project's rendered scenes; a network trained on
millions of real photos gets the structure of a photo or a painting far better, but most of
them give relative inverse depth (disparity) with no scale. So the pretrained network gives the
structure and the bundled one the metres: its disparity is aligned, scale and shift fitted in
inverse-depth space, to the bundled network's metric estimate (`align_disparity`). Completion
stays the bundled model's. The network runs once per session, off the per-frame path.

Supported exports, told apart by the graph's input and output (`read_signature`):

  Depth Anything V2 (Small and larger)  one input named `pixel_values` (the Hugging Face /
      transformers.js export, output `predicted_depth`) or `image` (the Depth-Anything-ONNX
      export, output `depth`), or any fixed size that is a multiple of 14 (518x518); dynamic
      sizes run the image fitted in 518x518, sides multiples of 14. RGB in [0, 1] normalised
      with the ImageNet mean and std; output (1, H, W): relative disparity, larger is nearer.
  MiDaS v2.1 Small  a fixed 1x3x256x256 input (named "0" in the release's model-small.onnx);
      ImageNet mean and std; output (1, 256, 256) relative disparity.
  Metric networks  the same signatures when the output is metres (Depth Anything V2 Metric,
      ZoeDepth, Metric3D, Depth Pro exports): a file name or graph metadata naming one of
      METRIC_WORDS marks them, or kind="metric" says so. Their output is used as it is.
  Any other graph with one (N, 3, H, W) image input and a (N, H, W) or (N, 1, H, W) output runs
      with ImageNet normalisation (fitted in 384x384, multiples of 32, if dynamic), as disparity
      unless kind="metric".

A graph that does not take one image or does not give one map is refused with InvalidInput.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from gwm_engine.errors import InvalidInput
from gwm_engine.model.base import ModelInfo, NetworkPlacement, WorldModel
from gwm_engine.model.depth import MAX_DEPTH_M, MIN_DEPTH_M
from gwm_engine.model.scale import guard_far_depth, sample_quantile
from gwm_engine.runtime.base import NetworkSpec
from gwm_engine.settings import DEPTH_KINDS

if TYPE_CHECKING:
    import onnxruntime as ort

    from gwm_engine.runtime.onnx_backend import OnnxBackend

log = logging.getLogger(__name__)

Kind = Literal["auto", "disparity", "metric"]
KINDS: tuple[str, ...] = DEPTH_KINDS
IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)
# Words in a file name or the graph's metadata that mark an output in metres.
METRIC_WORDS = ("metric", "zoedepth", "depth_pro", "depthpro", "depth-pro", "unidepth")
# Below this share of the view's high disparity (98th percentile) the network places a pixel at
# infinity: excluded from the fit, and allowed to be sky by the far guard.
INFINITY_SHARE = 0.02


@dataclass(frozen=True)
class Signature:
    """What a depth network's ONNX graph takes and gives, and how to feed it."""

    family: str  # "depth-anything-v2", "midas-v2.1-small" or "generic"
    input_name: str
    output_name: str
    input_dtype: type  # np.float32, or np.float16 for half-precision exports
    fixed_size: tuple[int, int] | None  # (h, w) the graph insists on; None: dynamic
    side: int  # a dynamic graph gets the image fitted in side x side ...
    multiple: int  # ... with sides rounded to multiples of this
    output: Literal["disparity", "metric"]

    def work_size(self, height: int, width: int) -> tuple[int, int]:
        """The network's input size for an image of height x width."""
        if self.fixed_size is not None:
            return self.fixed_size  # stretched, as the fixed-size exports are used
        scale = self.side / max(height, width)
        m = self.multiple
        return max(m, round(height * scale / m) * m), max(m, round(width * scale / m) * m)


def _dims(shape: list) -> list[int | None]:
    """onnxruntime's shape entries: ints, or names / None for dynamic axes."""
    return [d if isinstance(d, int) and d > 0 else None for d in shape]


def _marks_metric(path: Path, session: ort.InferenceSession) -> bool:
    meta = session.get_modelmeta()
    text = " ".join([path.name, meta.graph_name, meta.description, meta.producer_name, *meta.custom_metadata_map.values()]).lower()
    return any(word in text for word in METRIC_WORDS)


def read_signature(session: ort.InferenceSession, path: Path, kind: Kind = "auto") -> Signature:
    """The signature of the depth network in `session` (loaded from `path`); InvalidInput for a
    graph that is not one."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown depth model kind {kind!r}; choose from {', '.join(KINDS)}")
    inputs, outputs = session.get_inputs(), session.get_outputs()
    what = f"{path.name} is not a monocular depth network"
    if len(inputs) != 1:
        raise InvalidInput(f"{what}: it takes {len(inputs)} inputs ({', '.join(i.name for i in inputs)}), a depth network one image")
    x = inputs[0]
    dims = _dims(x.shape)
    if x.type not in ("tensor(float)", "tensor(float16)") or len(dims) != 4 or dims[1] not in (3, None):
        raise InvalidInput(f"{what}: its input {x.name} is {x.type} {x.shape}, a depth network takes a (1, 3, H, W) float image")
    maps = [o for o in outputs if len(o.shape) == 3 or (len(o.shape) == 4 and _dims(o.shape)[1] in (1, None))]
    if not maps:
        shapes = ", ".join(f"{o.name} {o.shape}" for o in outputs)
        raise InvalidInput(f"{what}: its outputs are {shapes}, a depth network gives a (1, H, W) or (1, 1, H, W) map")
    fixed = (dims[2], dims[3]) if dims[2] and dims[3] else None
    if x.name in ("pixel_values", "image") or (fixed and fixed[0] % 14 == 0 and fixed[1] % 14 == 0):
        family, side, multiple = "depth-anything-v2", 518, 14
    elif fixed == (256, 256):
        family, side, multiple = "midas-v2.1-small", 256, 32
    else:
        family, side, multiple = "generic", 384, 32
        log.info("%s is no depth network export this engine knows; running it as ImageNet-normalised RGB in, %s out",
                 path.name, "metres" if kind == "metric" else "disparity")
    metric = kind == "metric" or (kind == "auto" and _marks_metric(path, session))
    return Signature(family, x.name, maps[0].name, np.float16 if x.type == "tensor(float16)" else np.float32, fixed,
                     side, multiple, "metric" if metric else "disparity")


class PretrainedDepth:
    """A pretrained depth network on onnxruntime: rgb (B, 3, H, W) in [0, 1] -> its raw output
    (B, 1, H, W) at the image's size, disparity or metres as `signature.output` says."""

    def __init__(self, session: ort.InferenceSession, signature: Signature, path: Path, backend: OnnxBackend):
        self.session = session
        self.signature = signature
        self.path = path
        self.backend = backend  # whose provider chain it runs on

    @classmethod
    def open(cls, path: str | Path, backend: OnnxBackend | None = None, kind: Kind = "auto") -> PretrainedDepth:
        """Load and check the ONNX file at `path` on `backend` (default: onnxruntime on the CPU).
        One small dry run proves the graph gives a depth map before any session needs it."""
        from gwm_engine.runtime.onnx_backend import open_user_file

        path = Path(path)
        session, backend = open_user_file(path, "depth model", backend)
        net = cls(session, read_signature(session, path, kind), path, backend)
        size = net.signature.fixed_size or (2 * net.signature.multiple, 2 * net.signature.multiple)
        net(torch.full((1, 3, *size), 0.5))
        return net

    def __call__(self, rgb: torch.Tensor) -> torch.Tensor:
        sig = self.signature
        B, _, H, W = rgb.shape
        size = sig.work_size(H, W)
        x = F.interpolate(rgb.float(), size=size, mode="bicubic", align_corners=False, antialias=True).clamp(0, 1)
        x = (x - torch.tensor(IMAGENET_MEAN).view(1, 3, 1, 1)) / torch.tensor(IMAGENET_STD).view(1, 3, 1, 1)
        outs = []
        for view in x:  # one at a time: many exports fix the batch at 1
            feed = {sig.input_name: view[None].numpy().astype(sig.input_dtype)}
            try:
                (y,) = self.session.run([sig.output_name], feed)
            except Exception as e:  # noqa: BLE001 - a graph that cannot run an image is not a usable depth network
                reason = str(e).strip().splitlines()[0][:200]
                raise InvalidInput(f"depth model {self.path.name} failed on a {size[0]}x{size[1]} image: {reason}") from None
            y = torch.from_numpy(np.asarray(y, dtype=np.float32))
            if y.numel() < 4 or y.shape[-2] < 2 or y.shape[-1] < 2 or y[0].squeeze().dim() != 2:
                raise InvalidInput(f"{self.path.name} is not a monocular depth network: its output is {tuple(y.shape)}, not a map")
            outs.append(y.reshape(1, 1, *y.shape[-2:]))
        raw = torch.cat(outs)
        # Non-finite output is "no idea": as far as possible, which the alignment and guard bound.
        far = 0.0 if sig.output == "disparity" else MAX_DEPTH_M
        raw = torch.nan_to_num(raw, nan=far, posinf=far, neginf=0.0)
        # Disparity interpolates linearly between neighbours; metres are resized like the bundled network's, in log space.
        if sig.output == "disparity":
            return F.interpolate(raw, size=(H, W), mode="bilinear", align_corners=False)
        log_depth = torch.log(raw.clamp(MIN_DEPTH_M, MAX_DEPTH_M))
        return torch.exp(F.interpolate(log_depth, size=(H, W), mode="bilinear", align_corners=False))


def fit_scale_shift(x: torch.Tensor, y: torch.Tensor, keep: float = 0.8, rounds: int = 3) -> tuple[float, float]:
    """s, t minimising sum (s x + t - y)^2 over 1-D samples x, y, refitted `rounds` times on the
    `keep` share of samples nearest the previous fit: outliers (a misjudged object, the other
    network's sky) drop out instead of bending the line."""
    x, y = x.double(), y.double()
    use = torch.ones_like(x, dtype=torch.bool)
    s, t = 0.0, float(y.median())
    for _ in range(rounds + 1):
        xu, yu = x[use], y[use]
        # The 2x2 normal equations, centred: var(x) s = cov(x, y), t = mean(y) - s mean(x).
        mx, my = xu.mean(), yu.mean()
        var = ((xu - mx) ** 2).mean()
        s = float(((xu - mx) * (yu - my)).mean() / var) if var > 0 else 0.0
        t = float(my - s * mx)
        residual = (s * x + t - y).abs()
        use = residual <= sample_quantile(residual, keep, samples=residual.numel())
    return s, t


def align_disparity(disparity: torch.Tensor, reference: torch.Tensor) -> torch.Tensor:
    """Metric depth (B, 1, H, W) from a relative `disparity` (larger nearer, any scale and shift)
    and a metric `reference` depth of the same view: 1 / depth = s disparity + t, with s and t
    fitted robustly against 1 / reference (inverse depth, where a disparity is affine) over the
    pixels both networks place at a finite distance.

    A fit that would turn the order round (s <= 0: the reference says near where the network says
    far) falls back to scale only, matching medians. Finite and positive everywhere, nearer where
    the disparity is larger; pixels at the network's infinity go to MAX_DEPTH_M."""
    out = []
    for d, r in zip(disparity, reference):
        d, inv_ref = d.flatten(), 1.0 / r.flatten()
        valid = (d > INFINITY_SHARE * sample_quantile(d, 0.98)) & (r.flatten() < 0.99 * MAX_DEPTH_M)
        if int(valid.sum()) < 16:  # nothing both call finite: fit on everything
            valid = torch.ones_like(valid)
        step = max(1, int(valid.sum()) // 20_000)  # two unknowns: an even spread of 20k pixels pins them
        s, t = fit_scale_shift(d[valid][::step], inv_ref[valid][::step])
        if s <= 0:
            s, t = float(inv_ref[valid].median() / d[valid].median().clamp_min(1e-12)), 0.0
        inv = (s * d + t).clamp_min(1.0 / MAX_DEPTH_M)
        out.append((1.0 / inv).view(1, *disparity.shape[-2:]))
    return torch.stack(out).clamp(MIN_DEPTH_M, MAX_DEPTH_M)


class PretrainedDepthModel(WorldModel):
    """A world model whose seed depth comes from a pretrained network (aligned to `base`'s metric
    estimate when it gives disparity) and whose completion is `base`'s."""

    version = "1.0.0"

    def __init__(self, depth: PretrainedDepth, base: WorldModel):
        self.depth = depth
        self.base = base
        self.name = f"{base.name}+{depth.signature.family}"

    def estimate_depth(self, rgb: torch.Tensor, fov_deg: float) -> torch.Tensor:
        raw = self.depth(rgb)
        if self.depth.signature.output == "metric":
            return guard_far_depth(raw.clamp(MIN_DEPTH_M, MAX_DEPTH_M), rgb)
        aligned = align_disparity(raw, self.base.estimate_depth(rgb, fov_deg))
        top = torch.tensor([sample_quantile(r, 0.98) for r in raw])
        at_infinity = raw <= INFINITY_SHARE * top.view(-1, 1, 1, 1)
        return guard_far_depth(aligned, rgb, at_infinity)

    def complete(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.base.complete(rgb, depth, mask)

    def generate(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.base.generate(rgb, depth, mask)

    def generate_ahead(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.base.generate_ahead(rgb, depth, mask)

    def quick_fill(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.base.quick_fill(rgb, depth, mask)

    def describe(self) -> ModelInfo:
        info = self.base.describe()
        b, sig = self.depth.backend, self.depth.signature
        place = NetworkPlacement("pretrained-depth", b.name, b.device, b.tag)
        about = {"file": self.depth.path.name, "family": sig.family, "output": sig.output}
        return replace(info, name=self.name, networks=(place, *info.networks), settings={**info.settings, "depth_model": about})

    def networks(self) -> list[tuple[nn.Module, NetworkSpec]]:
        """The base model's: the pretrained network is an ONNX file already."""
        return self.base.networks()


def with_pretrained_depth(base: WorldModel, path: str | Path, backend: str = "auto", device: str = "auto",
                          kind: Kind = "auto") -> PretrainedDepthModel:
    """`base` with its seed depth from the ONNX depth network at `path`, on onnxruntime on
    `device` (`--backend torch` still runs it on onnxruntime: it is an ONNX file)."""
    from gwm_engine.runtime.onnx_backend import backend_for_file

    onnx = backend_for_file(getattr(base, "backend", None), backend, device, "--depth-model")
    return PretrainedDepthModel(PretrainedDepth.open(path, onnx, kind), base)


__all__ = ["KINDS", "Signature", "read_signature", "PretrainedDepth", "fit_scale_shift", "align_disparity",
           "PretrainedDepthModel", "with_pretrained_depth"]
