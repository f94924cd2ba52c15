"""The colour of generated territory from a public, pretrained inpainting network, run from its
ONNX file.

The bundled completion network is small enough for every frame and fills holes as smoothly as
that allows. Seed-time generation (world/generate.py) runs off the per-frame path, so it has time
for a network trained on millions of photos: its colour fills a generated view's holes, and the
bundled model's `generate` gives their depth (an inpainting network knows no depth). Known pixels
come back exactly as they went in.

Supported exports, told apart by the graph's inputs (`read_signature`):

  LaMa (Carve/LaMa-ONNX on Hugging Face, `lama_fp32.onnx`: big-lama exported with
      torch.onnx.export, opset 17)  float32 inputs `image` (1, 3, 512, 512), RGB in [0, 1], and
      `mask` (1, 1, 512, 512), 1 where to fill; the size is fixed (its model card says so). One
      output `output` (1, 3, 512, 512). Its range is not in the graph: several programs that run
      this file read it as 0..255, one reads it as 0..1, so a dry run at load tells (`open`).
  MI-GAN (the Picsart-AI-Research/MI-GAN ONNX pipeline, `migan_pipeline_v2.onnx`)  uint8 inputs
      `image` (1, 3, H, W) RGB and `mask` (1, 1, H, W), 255 where the pixel is KNOWN and 0 where to
      fill (the reverse of LaMa's), any size: the pipeline crops around the holes, resizes to its
      512x512 network and blends the result back itself. Output (1, 3, H, W) uint8 RGB.
  Any other graph with one (N, 3, H, W) image and one (N, 1, H, W) mask input, float or uint8,
      and one (N, 3, H, W) output runs by the same rules: float inputs as LaMa's (RGB in [0, 1],
      mask 1 where to fill, output range found by the dry run), uint8 ones as MI-GAN's.

Fixed-size graphs get each view resized to their size and the result resized back; dynamic float
graphs get the view padded to sides that are multiples of 8 (LaMa's down- and up-sampling
needs them), and the pipeline (uint8) graphs get it as it is. Graphs that take something else
are refused with InvalidInput.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from gwm_engine.errors import InvalidInput
from gwm_engine.model.base import ModelInfo, NetworkPlacement, WorldModel
from gwm_engine.runtime.base import NetworkSpec

if TYPE_CHECKING:
    import onnxruntime as ort

    from gwm_engine.runtime.base import Backend
    from gwm_engine.runtime.onnx_backend import OnnxBackend

log = logging.getLogger(__name__)

DTYPES = {"tensor(float)": np.float32, "tensor(float16)": np.float16, "tensor(uint8)": np.uint8}
EXPECTED = "an inpainting network takes an image (1, 3, H, W) and a mask (1, 1, H, W) and gives an image (1, 3, H, W)"
FLOAT_MULTIPLE = 8  # LaMa downsamples three times by 2, so its sides must divide by 8
PROBE_SIZE = 64  # the dry run's side for graphs of any size


@dataclass(frozen=True)
class Signature:
    """What an inpainting network's ONNX graph takes and gives, and how to feed it."""

    family: str  # "lama", "mi-gan" or "generic-inpaint"
    image_name: str
    mask_name: str
    output_name: str
    input_dtype: type  # np.float32, np.float16 or np.uint8, for both inputs
    fixed_size: tuple[int, int] | None  # (h, w) the graph insists on; None: any
    multiple: int  # a graph of any size gets sides padded to multiples of this
    mask_marks_holes: bool  # LaMa: the mask is 1 where to fill; MI-GAN: 255 where the pixel is known

    @property
    def pixel_scale(self) -> float:
        """What [0, 1] colour is multiplied by on the way in: uint8 graphs take 0..255."""
        return 255.0 if self.input_dtype == np.uint8 else 1.0

    def work_size(self, height: int, width: int) -> tuple[int, int]:
        """The network's input size for a view of height x width."""
        if self.fixed_size is not None:
            return self.fixed_size
        m = self.multiple
        return -(-height // m) * m, -(-width // m) * m


def _dims(shape: list) -> list[int | None]:
    """onnxruntime's shape entries: ints, or names / None for dynamic axes."""
    return [d if isinstance(d, int) and d > 0 else None for d in shape]


def _pick(inputs: list, channels: int, word: str, other: object = None) -> object | None:
    """The input with `channels` channels, or, where the channel axis is dynamic, the one whose
    name has `word` in it; not `other`."""
    fits = [x for x in inputs if x is not other and _dims(x.shape)[1] == channels]
    fits = fits or [x for x in inputs if x is not other and _dims(x.shape)[1] is None and word in x.name.lower()]
    return fits[0] if len(fits) == 1 else None


def read_signature(session: ort.InferenceSession, path: Path) -> Signature:
    """The signature of the inpainting network in `session` (loaded from `path`); InvalidInput for
    a graph that is not one."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    what = f"{path.name} is not an inpainting network"
    listed = ", ".join(f"{x.name} {x.type} {x.shape}" for x in inputs)
    if len(inputs) != 2:
        raise InvalidInput(f"{what}: it takes {len(inputs)} input{'s' * (len(inputs) != 1)} ({listed}); {EXPECTED}")
    if any(len(x.shape) != 4 for x in inputs) or any(x.type not in DTYPES for x in inputs) or inputs[0].type != inputs[1].type:
        raise InvalidInput(f"{what}: its inputs are {listed}; {EXPECTED}, both float or both uint8")
    mask = _pick(inputs, 1, "mask")
    image = _pick(inputs, 3, "im", mask)
    if image is None or mask is None:
        raise InvalidInput(f"{what}: its inputs are {listed}, no image and mask pair; {EXPECTED}")
    images = [o for o in outputs if len(o.shape) == 4 and _dims(o.shape)[1] in (3, None) and o.type in DTYPES]
    if not images:
        shapes = ", ".join(f"{o.name} {o.type} {o.shape}" for o in outputs)
        raise InvalidInput(f"{what}: its outputs are {shapes}; {EXPECTED}")
    dims = _dims(image.shape)
    fixed = (dims[2], dims[3]) if dims[2] and dims[3] else None
    dtype = DTYPES[image.type]
    if dtype == np.uint8:
        family = "mi-gan" if (image.name, mask.name) == ("image", "mask") else "generic-inpaint"
    else:
        family = "lama" if (image.name, mask.name) == ("image", "mask") else "generic-inpaint"
    if family == "generic-inpaint":
        log.info("%s is no inpainting export this engine knows; running it as %s", path.name,
                 "uint8 RGB in, mask 255 where known" if dtype == np.uint8 else "RGB in [0, 1], mask 1 where to fill")
    return Signature(family, image.name, mask.name, images[0].name, dtype, fixed,
                     1 if dtype == np.uint8 else FLOAT_MULTIPLE, dtype != np.uint8)


class PretrainedInpaint:
    """A pretrained inpainting network on onnxruntime: rgb (B, 3, H, W) in [0, 1] and `holes`
    (B, 1, H, W) bool -> its colour (B, 3, H, W) in [0, 1] at the view's size, for every pixel
    (the caller keeps what it knew)."""

    def __init__(self, session: ort.InferenceSession, signature: Signature, path: Path, backend: OnnxBackend):
        self.session = session
        self.signature = signature
        self.path = path
        self.backend = backend  # whose provider chain it runs on
        self.output_scale = 255.0  # what the output is divided by for [0, 1]: 1 or 255, found by `open`'s dry run

    @classmethod
    def open(cls, path: str | Path, backend: OnnxBackend | None = None) -> PretrainedInpaint:
        """Load and check the ONNX file at `path` on `backend` (default: onnxruntime on the CPU).
        A dry run on a mid-grey view with a hole proves the graph gives an image before any
        session needs it, and tells the output's range from what the known pixels come back as
        (0.5 in 0..1, about 128 in 0..255)."""
        from gwm_engine.runtime.onnx_backend import open_user_file

        path = Path(path)
        session, backend = open_user_file(path, "inpainting model", backend)
        net = cls(session, read_signature(session, path), path, backend)
        h, w = net.signature.fixed_size or (PROBE_SIZE, PROBE_SIZE)
        holes = torch.zeros(1, 1, h, w, dtype=torch.bool)
        holes[..., h // 4: h // 2, w // 4: w // 2] = True
        raw = net._run(torch.full((1, 3, h, w), 0.5), holes)
        net.output_scale = 255.0 if float(raw[(~holes).expand_as(raw)].median()) > 2.0 else 1.0
        log.info("%s (%s) gives colour in 0..%g", path.name, net.signature.family, net.output_scale)
        return net

    def _run(self, rgb: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
        """The raw output (1, 3, h, w) for one view already at the network's size."""
        sig = self.signature
        marks = holes if sig.mask_marks_holes else ~holes
        image = rgb * sig.pixel_scale
        if sig.input_dtype == np.uint8:
            image = image.round()
        feed = {sig.image_name: image.clamp(0, sig.pixel_scale).numpy().astype(sig.input_dtype),
                sig.mask_name: (marks.float() * sig.pixel_scale).numpy().astype(sig.input_dtype)}
        size = f"{rgb.shape[-2]}x{rgb.shape[-1]}"
        try:
            (y,) = self.session.run([sig.output_name], feed)
        except Exception as e:  # noqa: BLE001 - a graph that cannot run an image is not a usable inpainting network
            reason = str(e).strip().splitlines()[0][:200]
            raise InvalidInput(f"inpainting model {self.path.name} failed on a {size} image: {reason}") from None
        y = np.asarray(y)
        if y.shape != (1, 3, *rgb.shape[-2:]):
            raise InvalidInput(f"{self.path.name} is not an inpainting network: given a {size} image, it gave {y.shape}, "
                               f"not (1, 3, {rgb.shape[-2]}, {rgb.shape[-1]})")
        return torch.nan_to_num(torch.from_numpy(y.astype(np.float32)))

    def __call__(self, rgb: torch.Tensor, holes: torch.Tensor) -> torch.Tensor:
        B, _, H, W = rgb.shape
        sig = self.signature
        size = sig.work_size(H, W)
        out = rgb.float().clone()
        for b in range(B):  # one at a time: the exports fix the batch at 1, or treat it as 1
            if not holes[b].any():
                continue
            x, hole = rgb[b: b + 1].float(), holes[b: b + 1].float()
            if sig.fixed_size is not None:
                x = F.interpolate(x, size=size, mode="bilinear", align_corners=False, antialias=True)
                # A network pixel that any hole pixel went into is a hole: it holds the holes' black.
                hole = F.interpolate(hole, size=size, mode="bilinear", align_corners=False, antialias=True)
            else:
                pad = (0, size[1] - W, 0, size[0] - H)
                x, hole = F.pad(x, pad, mode="replicate"), F.pad(hole, pad, mode="replicate")
            y = (self._run(x.clamp(0, 1), hole > 1e-3) / self.output_scale).clamp(0, 1)
            if sig.fixed_size is not None:
                y = F.interpolate(y, size=(H, W), mode="bilinear", align_corners=False, antialias=True).clamp(0, 1)
            out[b] = y[0, :, :H, :W]
        return out


class PretrainedInpaintModel(WorldModel):
    """A world model whose generation takes its colour from a pretrained inpainting network and its
    depth from `base`'s `generate`; everything else is `base`'s."""

    version = "1.0.0"

    def __init__(self, inpaint: PretrainedInpaint, base: WorldModel):
        self.inpaint = inpaint
        self.base = base
        self.name = f"{base.name}+{inpaint.signature.family}"

    @property
    def backend(self) -> Backend | None:
        """The base's backend, so a pretrained depth network wrapped around this model
        (with_pretrained_depth) shares its onnxruntime as it would without inpainting."""
        return getattr(self.base, "backend", None)

    def estimate_depth(self, rgb: torch.Tensor, fov_deg: float) -> torch.Tensor:
        return self.base.estimate_depth(rgb, fov_deg)

    def complete(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.base.complete(rgb, depth, mask)

    def generate(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        _, filled_depth = self.base.generate(rgb, depth, mask)
        known = mask > 0.5
        colour = self.inpaint(rgb, ~known)
        return torch.where(known, rgb, colour), torch.where(known, depth, filled_depth)

    def generate_ahead(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        # An inpainting network on a CPU takes seconds a view: ahead of a walk, the base's fill.
        if self.inpaint.backend.on_gpu:
            return self.generate(rgb, depth, mask)
        return self.base.generate_ahead(rgb, depth, mask)

    def quick_fill(self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.base.quick_fill(rgb, depth, mask)

    def describe(self) -> ModelInfo:
        info = self.base.describe()
        b, sig = self.inpaint.backend, self.inpaint.signature
        place = NetworkPlacement("pretrained-inpaint", b.name, b.device, b.tag)
        about = {"file": self.inpaint.path.name, "family": sig.family, "output_range": f"0..{self.inpaint.output_scale:g}"}
        return replace(info, name=self.name, networks=(place, *info.networks), settings={**info.settings, "inpaint_model": about})

    def networks(self) -> list[tuple[nn.Module, NetworkSpec]]:
        """The base model's: the pretrained network is an ONNX file already."""
        return self.base.networks()


def with_pretrained_inpaint(base: WorldModel, path: str | Path, backend: str = "auto",
                            device: str = "auto") -> PretrainedInpaintModel:
    """`base` with the colour of what it generates from the ONNX inpainting network at `path`, on
    onnxruntime on `device` (`--backend torch` still runs it on onnxruntime: it is an ONNX file)."""
    from gwm_engine.runtime.onnx_backend import backend_for_file

    onnx = backend_for_file(getattr(base, "backend", None), backend, device, "--inpaint-model")
    return PretrainedInpaintModel(PretrainedInpaint.open(path, onnx), base)


__all__ = ["Signature", "read_signature", "PretrainedInpaint", "PretrainedInpaintModel", "with_pretrained_inpaint"]
