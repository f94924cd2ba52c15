"""Stylised renders, standing in for concept art: cel shading, ink outlines, painterly strokes.

Applied to a rendered view after the fact (colour only: depth stays the renderer's exact depth),
so any scene can be drawn in any style. Outlines follow depth edges, as an artist's contour
lines follow silhouettes.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

STYLES = ("cel", "ink", "paint")


def stylise(rgb: torch.Tensor, depth: torch.Tensor, style: str, rng: np.random.Generator) -> torch.Tensor:
    """rgb (H, W, 3) in [0, 1] and its z-depth (H, W) -> rgb (H, W, 3) drawn in `style`."""
    if style not in STYLES:
        raise ValueError(f"unknown style {style!r}; expected one of {STYLES}")
    x = rgb.permute(2, 0, 1)[None]  # (1, 3, H, W)
    if style in ("cel", "ink"):
        # Flat bands of brightness with the hue kept: cel shading.
        bands = int(rng.integers(3, 7))
        lum = x.mean(1, keepdim=True).clamp_min(1e-3)
        flat = (torch.floor(lum * bands) + 0.5) / bands
        x = (x * (flat / lum)).clamp(0, 1)
        x = 0.5 + (x - 0.5) * rng.uniform(1.0, 1.4)  # stronger contrast and colour
    if style == "paint":
        # Strokes: colour smeared along one direction, then lumpy pigment and canvas noise.
        k = int(rng.integers(2, 6)) * 2 + 1
        horizontal = rng.random() < 0.5
        kernel = torch.ones(3, 1, 1 if horizontal else k, k if horizontal else 1) / k
        pad = (k // 2, k // 2, 0, 0) if horizontal else (0, 0, k // 2, k // 2)
        x = F.conv2d(F.pad(x, pad, mode="replicate"), kernel, groups=3)
        h, w = x.shape[-2:]
        g = torch.Generator().manual_seed(int(rng.integers(2**31)))
        coarse = torch.rand(1, 3, max(2, h // 12), max(2, w // 12), generator=g)
        blobs = F.interpolate(coarse, size=(h, w), mode="bilinear", align_corners=False)
        x = x * (1 + 0.25 * (blobs - 0.5)) + 0.05 * (torch.rand(1, 1, h, w, generator=g) - 0.5)
    if style in ("ink", "paint") or rng.random() < 0.3:
        # Contour lines where depth jumps by more than a few percent between neighbours.
        ld = torch.log(depth.clamp_min(1e-3))[None, None]
        jump = torch.zeros_like(ld)
        jump[..., :, 1:] = (ld[..., :, 1:] - ld[..., :, :-1]).abs()
        jump[..., 1:, :] = torch.maximum(jump[..., 1:, :], (ld[..., 1:, :] - ld[..., :-1, :]).abs())
        edge = (jump > rng.uniform(0.03, 0.1)).float()
        edge = F.max_pool2d(edge, 3, 1, 1) if rng.random() < 0.5 else edge
        ink = torch.tensor(rng.uniform(0.0, 0.2, 3), dtype=torch.float32).view(1, 3, 1, 1)
        x = x * (1 - edge) + ink * edge
    return x.clamp(0, 1)[0].permute(1, 2, 0).contiguous()
