"""Seed depth: one RGB image and its camera's field of view -> metric z-depth.

Metric scale from one image needs the focal length, so the network also sees each pixel's ray
direction (x / z, y / z): the same pixel row is the ground 3 m away under a 90 degree lens and
8 m away under a 40 degree one. The network predicts a correction to the classical prior (a
level camera at eye height over flat ground, see classical.py), which already gets open ground
right, so its capacity goes to walls, objects and tilted cameras. It runs at a reduced working
size (see learned.Preset); the wrapper resizes in and out.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from gwm_engine.model.classical import CAMERA_HEIGHT_M, FAR_M
from gwm_engine.model.unet import UNet

MIN_DEPTH_M = 0.2
MAX_DEPTH_M = 500.0  # the renderer's sky dome: anything farther is "sky"
# log-depth is predicted around this point: exp(LOG_MID) is about 4.5 m, a typical mid-range
LOG_MID, LOG_SCALE = 1.5, 1.5


def ground_prior(rays: torch.Tensor) -> torch.Tensor:
    """rays (B, 2, h, w) -> log z-depth (B, 1, h, w) of a level camera CAMERA_HEIGHT_M over flat
    ground, with everything at or above the horizon on a wall FAR_M away."""
    down = (-rays[:, 1:2]).clamp_min(CAMERA_HEIGHT_M / FAR_M)  # the ray drops this much per metre of depth
    return torch.log(CAMERA_HEIGHT_M / down)


class DepthNet(nn.Module):
    """rgb (B, 3, h, w) in [0, 1], rays (B, 2, h, w) -> depth (B, 1, h, w) metres.

    h and w must be multiples of 2 * 2 ** (len(widths) - 1) (the pixel unshuffle, then the
    U-Net's halvings).
    """

    def __init__(self, widths: tuple[int, ...] = (32, 48, 64, 96)):
        super().__init__()
        self.widths = tuple(widths)
        # 2x2 pixel unshuffle: the U-Net runs at half the working size with 4x the channels,
        # a quarter of the cost of a full-resolution first level.
        self.unet = UNet(6 * 4, 1 * 4, self.widths)

    def forward(self, rgb: torch.Tensor, rays: torch.Tensor) -> torch.Tensor:
        prior = ground_prior(rays)  # (B, 1, h, w) log-depth
        x = torch.cat([(rgb - 0.5) * 2, rays, (prior - LOG_MID) / LOG_SCALE], dim=1)  # (B, 6, h, w)
        y = F.pixel_shuffle(self.unet(F.pixel_unshuffle(x, 2)), 2)  # (B, 1, h, w) log-depth correction
        return torch.exp(prior + y * LOG_SCALE).clamp(MIN_DEPTH_M, MAX_DEPTH_M)
