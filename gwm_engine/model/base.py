"""The interface every world model implements: seed depth and completion, batched.

The world session owns geometry (splatting, fusion); a model only sees image tensors, so the
classical filler, the learned networks and their ONNX/TensorRT runtimes are interchangeable.
All tensors are float32, NCHW, on the CPU unless the model moves them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

import torch
import torch.nn as nn

from gwm_engine.runtime.base import NetworkSpec


@dataclass(frozen=True)
class NetworkPlacement:
    """Where one of a model's networks runs."""

    network: str  # "depth", "completion"
    backend: str  # "torch" or "onnx"
    device: str  # "cpu"/"cuda" for torch, the onnxruntime provider for onnx
    tag: str  # short form for GetInfo.backends: "onnx-cpu", "onnx-tensorrt", "torch-cuda"


@dataclass(frozen=True)
class ModelInfo:
    """What a model says about itself: start-up lines, GetInfo and export metadata come from here."""

    name: str
    version: str
    networks: tuple[NetworkPlacement, ...] = ()
    settings: dict = field(default_factory=dict)  # what rebuilds it (e.g. the learned preset), for export metadata

    @property
    def backends(self) -> list[str]:
        """What computes the model, one tag each: its networks' places, or CPU torch for a model
        whose tensor code is all it has."""
        return list(dict.fromkeys(p.tag for p in self.networks)) or ["torch-cpu"]

    def runs_on(self) -> str:
        """For start-up lines: "onnx on CPUExecutionProvider", "no network"."""
        places = dict.fromkeys(f"{p.backend} on {p.device}" for p in self.networks)
        return ", ".join(places) or "no network"


class WorldModel(ABC):
    name: str
    version: str

    def describe(self) -> ModelInfo:
        """Name, version and where each network runs; a model without networks needs no override."""
        return ModelInfo(self.name, self.version)

    def networks(self) -> list[tuple[nn.Module, NetworkSpec]]:
        """Each network with its interface, for `gwm-engine export`; none for a model without any."""
        return []

    @abstractmethod
    def estimate_depth(self, rgb: torch.Tensor, fov_deg: float) -> torch.Tensor:
        """rgb (B, 3, H, W) in [0, 1] -> metric z-depth (B, 1, H, W), > 0 everywhere."""

    @abstractmethod
    def complete(
        self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fill what the cache does not cover.

        rgb (B, 3, H, W) in [0, 1] and depth (B, 1, H, W) metres as splatted (zeros in holes),
        mask (B, 1, H, W) float32, 1 where the cache covers the pixel. Returns full-frame rgb
        (B, 3, H, W) and depth (B, 1, H, W); the session keeps cached pixels as they were and
        takes only the holes from here.
        """

    def generate(
        self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fill a view's holes off the per-frame path (seed-time and ahead generation,
        world/generate.py): the same tensors as `complete`, with time for a larger network.
        `complete` unless a model has such a network."""
        return self.complete(rgb, depth, mask)

    def generate_ahead(
        self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """Fill a view ahead of the player (world/generate.py's AheadGenerator), on a worker that
        must keep up with a walk: `generate` unless the model's generator is too slow for where it
        runs, in which case its per-frame network's fill. The same tensors as `complete`."""
        return self.generate(rgb, depth, mask)

    def quick_fill(
        self, rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """The per-frame fill while a generator works ahead of the player: no network pass, only
        what costs little next to the render. The same tensors as `complete`, which it is for a
        model without a cheaper path."""
        return self.complete(rgb, depth, mask)
