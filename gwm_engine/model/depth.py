"""Seed depth: one RGB image and its camera's field of view -> metric z-depth.

Structure and scale are learned apart. A U-Net reads the image and each pixel's ray direction
(x / z, y / z: the field of view) and predicts, per pixel, log-depth up to an unknown shift
(the *structure*: which things are nearer than which, and by what ratio) and a sky logit. A
small *scale* head reads the whole image's coarsest features, the field of view and the
structure's own level and predicts that shift: the metres. Training scores the structure with a
scale-invariant loss and the scale head alone with the level error (training/seed_depth.py), so
a wrong guess of the scene's size never bends its shape, and vice versa.

The flat-ground prior (a level camera 1.6 m over flat ground, classical.py) is an input and a
learned-weight term of the structure, not its base: the weight starts at 1 so training starts
from the previous network, and falls as far as scenes that are not eye-level views of a floor
push it. Sky replaces depth only where the network is confident and the region is open to the
top of the image, never inside a surface.
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
SKY_CONFIDENCE = 0.6  # probability above which a pixel may be sky
SKY_CELL = 4  # the openness test runs on cells of this many pixels a side
SKY_REACH = 48  # cells a sky region may wind away from the top edge and still count as open


def ground_prior(rays: torch.Tensor) -> torch.Tensor:
    """rays (B, 2, h, w) -> log z-depth (B, 1, h, w) of a level camera CAMERA_HEIGHT_M over flat
    ground, with everything at or above the horizon on a wall FAR_M away."""
    down = (-rays[:, 1:2]).clamp_min(CAMERA_HEIGHT_M / FAR_M)  # the ray drops this much per metre of depth
    return torch.log(CAMERA_HEIGHT_M / down)


def open_sky(sky: torch.Tensor) -> torch.Tensor:
    """sky (B, 1, h, w) bool -> the part of it connected to the image's top edge through sky
    (B, 1, h, w) bool: a sky-coloured patch inside a wall or a face stays a surface. h and w
    must be multiples of SKY_CELL. A fixed number of dilation steps: one static graph."""
    cells = F.avg_pool2d(sky.float(), SKY_CELL) > 0.5  # (B, 1, h / 4, w / 4) mostly sky
    cells = cells.float()
    reach = torch.cat([cells[..., :1, :], torch.zeros_like(cells[..., 1:, :])], dim=-2)  # the top row's sky
    for _ in range(SKY_REACH):
        reach = F.max_pool2d(reach, 3, 1, 1) * cells
    # One cell more: sky pixels in the part-sky cells along an open region's edge stay sky.
    reach = F.interpolate(F.max_pool2d(reach, 3, 1, 1), scale_factor=float(SKY_CELL), mode="nearest") > 0.5
    return reach & sky


class DepthNet(nn.Module):
    """rgb (B, 3, h, w) in [0, 1], rays (B, 2, h, w) -> depth (B, 1, h, w) metres.

    h and w must be multiples of 2 * 2 ** (len(widths) - 1) (the pixel unshuffle, then the
    U-Net's halvings).
    """

    arch = "structure-scale"

    def __init__(self, widths: tuple[int, ...] = (32, 48, 64, 96)):
        super().__init__()
        self.widths = tuple(widths)
        # 2x2 pixel unshuffle: the U-Net runs at half the working size with 4x the channels.
        # Out: structure and sky logit, each as 4 sub-pixels.
        self.unet = UNet(6 * 4, 2 * 4, self.widths)
        with torch.no_grad():  # sky is learned, not assumed: a fresh network sees none
            self.unet.head.bias[4:] = -4.0
        self.prior_weight = nn.Parameter(torch.ones(()))
        # Scale head: mean and max of the coarsest features, the structure's level, the log
        # tangent of the half field of view, the sky fraction -> the shift in log-depth.
        # Leaky: at the head's high learning rate plain ReLUs died and left it a constant.
        self.scale = nn.Sequential(nn.Linear(2 * self.widths[-1] + 3, 64), nn.LeakyReLU(0.1), nn.Linear(64, 1))
        nn.init.zeros_(self.scale[2].weight)  # starts at no shift: the structure's own level
        nn.init.zeros_(self.scale[2].bias)

    def parts(self, rgb: torch.Tensor, rays: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """structure (B, 1, h, w) log-depth up to a shift, that shift (B, 1, 1, 1), sky logit
        (B, 1, h, w). log-depth = structure + shift."""
        prior = ground_prior(rays)  # (B, 1, h, w) log-depth
        x = torch.cat([(rgb - 0.5) * 2, rays, (prior - LOG_MID) / LOG_SCALE], dim=1)  # (B, 6, h, w)
        y, bottleneck = self.unet.forward_with_bottleneck(F.pixel_unshuffle(x, 2))  # (B, 8, h/2, w/2), (B, w_L, h/16, w/16)
        y = F.pixel_shuffle(y, 2)  # (B, 2, h, w)
        structure = self.prior_weight * prior + y[:, :1] * LOG_SCALE
        sky_logit = y[:, 1:]
        ground = 1 - torch.sigmoid(sky_logit)  # weight of each pixel in the structure's level
        level = (structure * ground).sum((2, 3)) / (ground.sum((2, 3)) + 1e-3)  # (B, 1)
        tan_half_fov = rays[:, 1, 0].amax(dim=-1, keepdim=True)  # (B, 1): the top row's y / z
        cues = torch.cat([bottleneck.mean((2, 3)), bottleneck.amax((2, 3)), level.detach() - LOG_MID,
                          torch.log(tan_half_fov), 1 - ground.mean((2, 3))], dim=1)  # (B, 2 w_L + 3)
        shift = self.scale(cues)[:, :, None, None]  # (B, 1, 1, 1)
        return structure, shift, sky_logit

    def forward(self, rgb: torch.Tensor, rays: torch.Tensor) -> torch.Tensor:
        structure, shift, sky_logit = self.parts(rgb, rays)
        depth = torch.exp(structure + shift).clamp(MIN_DEPTH_M, MAX_DEPTH_M)
        sky = open_sky(torch.sigmoid(sky_logit) > SKY_CONFIDENCE)
        return torch.where(sky, torch.full_like(depth, MAX_DEPTH_M), depth)

    @torch.no_grad()
    def start_from(self, previous: GroundPriorDepthNet) -> None:
        """Copy a GroundPriorDepthNet's U-Net in: the structure starts as its estimate, the sky
        logit at 'not sky' everywhere."""
        state = previous.unet.state_dict()
        head_w, head_b = state.pop("head.weight"), state.pop("head.bias")
        self.unet.load_state_dict(state, strict=False)
        self.unet.head.weight.zero_()
        self.unet.head.bias.fill_(-4.0)
        self.unet.head.weight[:4] = head_w
        self.unet.head.bias[:4] = head_b


class GroundPriorDepthNet(nn.Module):
    """The first seed-depth network (gwm-small until the structure/scale split): a log-space
    correction to the flat-ground prior. Kept so weights files made for it still load.

    rgb (B, 3, h, w) in [0, 1], rays (B, 2, h, w) -> depth (B, 1, h, w) metres.
    """

    arch = "ground-prior"

    def __init__(self, widths: tuple[int, ...] = (32, 48, 64, 96)):
        super().__init__()
        self.widths = tuple(widths)
        self.unet = UNet(6 * 4, 1 * 4, self.widths)

    def forward(self, rgb: torch.Tensor, rays: torch.Tensor) -> torch.Tensor:
        prior = ground_prior(rays)  # (B, 1, h, w) log-depth
        x = torch.cat([(rgb - 0.5) * 2, rays, (prior - LOG_MID) / LOG_SCALE], dim=1)  # (B, 6, h, w)
        y = F.pixel_shuffle(self.unet(F.pixel_unshuffle(x, 2)), 2)  # (B, 1, h, w) log-depth correction
        return torch.exp(prior + y * LOG_SCALE).clamp(MIN_DEPTH_M, MAX_DEPTH_M)


DEPTH_ARCHS: dict[str, type[nn.Module]] = {DepthNet.arch: DepthNet, GroundPriorDepthNet.arch: GroundPriorDepthNet}
