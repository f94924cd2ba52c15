"""What a backend runs (a `NetworkSpec`) and the interface every backend implements.

A network takes and returns float32 NCHW tensors with a dynamic batch and spatial size (sides
multiples of `NetworkSpec.multiple`). Inputs may be numpy arrays or torch tensors on any device;
outputs are float32 torch tensors on the CPU, where the world session works.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn

from gwm_engine.errors import InvalidInput

ArrayLike = np.ndarray | torch.Tensor


@dataclass(frozen=True)
class TensorSpec:
    name: str
    channels: int
    meaning: str = ""  # units and normalisation, written into the export's metadata
    # Typical values (None: no typical bound), for readers of the export; parity checks and
    # tests draw their inputs from them.
    range: tuple[float, float] | None = None


@dataclass(frozen=True)
class NetworkSpec:
    """One network's interface: (B, channels, H, W) inputs and outputs with H, W multiples of
    `multiple`. `profile` is the TensorRT optimisation profile (batch, height, width) as min,
    opt and max: what `trtexec` and Triton should build engines for."""

    name: str
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    multiple: int
    profile: tuple[tuple[int, int, int], tuple[int, int, int], tuple[int, int, int]]

    def check(self, inputs: tuple[ArrayLike, ...]) -> None:
        """Raise InvalidInput unless `inputs` fit this spec (clearer than a backend's own error)."""
        if len(inputs) != len(self.inputs):
            raise InvalidInput(f"{self.name} takes {len(self.inputs)} inputs, got {len(inputs)}")
        batch = inputs[0].shape[0]
        size = tuple(inputs[0].shape[-2:])
        for spec, x in zip(self.inputs, inputs):
            if tuple(x.shape) != (batch, spec.channels, *size):
                want = (batch, spec.channels, *size)
                raise InvalidInput(f"{self.name} input {spec.name} must be {want}, got {tuple(x.shape)}")
        if size[0] % self.multiple or size[1] % self.multiple:
            raise InvalidInput(f"{self.name} needs sides that are multiples of {self.multiple}, got {size[0]}x{size[1]}")

    def shapes(self, which: int) -> str:
        """Profile shapes in `trtexec` / onnxruntime TensorRT form, "rgb:1x3x128x128,..."; which:
        0 min, 1 opt, 2 max."""
        b, h, w = self.profile[which]
        return ",".join(f"{t.name}:{b}x{t.channels}x{h}x{w}" for t in self.inputs)

    def sample(self, batch: int, height: int, width: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
        """Random inputs spread over each input's typical range (for parity checks and benchmarks)."""
        g = torch.Generator().manual_seed(seed)
        out = []
        for t in self.inputs:
            low, high = t.range or (0.0, 1.0)
            out.append(low + (high - low) * torch.rand(batch, t.channels, height, width, generator=g))
        return tuple(out)


class Network(ABC):
    """A loaded network: call it with the spec's inputs, in order."""

    spec: NetworkSpec

    def __call__(self, *inputs: ArrayLike) -> tuple[torch.Tensor, ...]:
        self.spec.check(inputs)
        return self.run(inputs)

    @abstractmethod
    def run(self, inputs: tuple[ArrayLike, ...]) -> tuple[torch.Tensor, ...]:
        """Outputs in the spec's order, float32 on the CPU."""


class Backend(ABC):
    name: str  # "torch" or "onnx"

    @property
    @abstractmethod
    def device(self) -> str:
        """Where networks run: "cpu"/"cuda" for torch, the onnxruntime provider for onnx."""

    @abstractmethod
    def load(self, module: nn.Module, spec: NetworkSpec) -> Network:
        """Make `module` (weights as they are now) runnable on this backend."""

    @property
    def on_gpu(self) -> bool:
        """Whether its networks run on a GPU (torch "cuda", a CUDA or TensorRT provider)."""
        return not self.device.lower().startswith("cpu")

    @property
    def tag(self) -> str:
        """Short form for GetInfo.backends: "torch-cpu", "onnx-cuda", "onnx-tensorrt"."""
        return f"{self.name}-{self.device}"

    def describe(self) -> str:
        return f"{self.name} on {self.device}"
