"""The classical world model: a ground-plane depth prior and pull-push hole filling.

It needs no weights and runs everywhere; it is the baseline the learned networks must beat.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from gwm_engine.model.base import WorldModel

# Depth prior: a camera 1.6 m above a flat ground, looking at the horizon, with everything
# above the horizon (and ground beyond it) at a wall FAR_M away.
CAMERA_HEIGHT_M = 1.6
FAR_M = 20.0
# Filled depth never comes closer than this: a hole is never a surface touching the lens.
NEAR_FILL_M = 0.2


def pull_push(x: torch.Tensor, w: torch.Tensor, default: torch.Tensor) -> torch.Tensor:
    """Fill x (B, C, H, W) where w (B, 1, H, W) is 0 from the weighted pyramid of the rest.

    Pull: average known values down a pyramid of halvings; push: upsample coarse fills back
    into the unknown pixels of each finer level. Known pixels come back unchanged; an image
    with nothing known at all gets `default` (C,) everywhere.
    """
    levels = []
    while min(x.shape[-2:]) > 1:
        levels.append((x, w))
        ws = F.avg_pool2d(w, 2, ceil_mode=True)
        x = F.avg_pool2d(x * w, 2, ceil_mode=True) / ws.clamp_min(1e-8)
        w = (ws * 4).clamp(max=1.0)
    x = torch.lerp(default.view(1, -1, 1, 1).expand_as(x), x, w)
    for xf, wf in reversed(levels):
        up = F.interpolate(x, size=xf.shape[-2:], mode="bilinear", align_corners=False)
        x = torch.lerp(up, xf, wf)
    return x


def fill_holes(rgb: torch.Tensor, depth: torch.Tensor, mask: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """The splatted rgb (B, 3, H, W) and depth (B, 1, H, W) with holes (mask 0) pull-push filled;
    a view with nothing known at all (turned to face unseen territory) is grey at the far wall."""
    filled = pull_push(torch.cat([rgb, depth], dim=1), mask, torch.tensor([0.5, 0.5, 0.5, FAR_M], dtype=rgb.dtype, device=rgb.device))
    return filled[:, :3].clamp(0, 1), filled[:, 3:].clamp_min(NEAR_FILL_M)


class ClassicalModel(WorldModel):
    name = "classical"
    version = "1.0.0"

    def estimate_depth(self, rgb: torch.Tensor, fov_deg: float) -> torch.Tensor:
        B, _, H, W = rgb.shape
        fy = 0.5 * H / math.tan(math.radians(fov_deg) / 2)
        below = torch.arange(H, dtype=torch.float32) + 0.5 - H / 2  # rows under the horizon > 0
        ground = CAMERA_HEIGHT_M * fy / below.clamp_min(1e-6)
        rows = torch.where(below > 0, ground.clamp(max=FAR_M), torch.full_like(ground, FAR_M))
        return rows.view(1, 1, H, 1).expand(B, 1, H, W).contiguous()

    def complete(self, rgb, depth, mask):
        return fill_holes(rgb, depth, mask)
