"""The interface every world model implements: seed depth and completion, batched.

The world session owns geometry (splatting, fusion); a model only sees image tensors, so the
classical filler, the learned networks and their ONNX/TensorRT runtimes are interchangeable.
All tensors are float32, NCHW, on the CPU unless the model moves them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import torch


class WorldModel(ABC):
    name: str
    version: str

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
