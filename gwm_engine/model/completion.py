"""Completion: what the world cache does not cover at a new pose, in RGB and depth.

The input is the splatted view already filled by pull-push (see classical.pull_push), so the
network starts from the classical answer and learns a correction: a residual on colour and on
log-depth. That keeps it small enough for a laptop CPU, and an untrained or overwhelmed network
degrades to the classical filler instead of to noise. The previous frame is not an input: every
pixel of it was fused back into the cache, so the splat already holds it.
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from gwm_engine.model.depth import LOG_MID, LOG_SCALE, MAX_DEPTH_M, MIN_DEPTH_M
from gwm_engine.model.unet import UNet


class CompletionNet(nn.Module):
    """rgb (B, 3, h, w) in [0, 1] and depth (B, 1, h, w) metres, both hole-filled by pull-push,
    and coverage (B, 1, h, w) in [0, 1] (the fraction of each pixel the cache covered) ->
    residuals: rgb (B, 3, h, w) to add to the colour, log_depth (B, 1, h, w) to add to the
    natural log of the depth.

    h and w must be multiples of 2 * 2 ** (len(widths) - 1).
    """

    def __init__(self, widths: tuple[int, ...] = (32, 48, 64, 96)):
        super().__init__()
        self.widths = tuple(widths)
        # Leaky: trained on hole pixels only, a plain-ReLU completion net lost nearly all its
        # units within a few hundred steps and settled on a zero residual.
        self.unet = UNet(5 * 4, 4 * 4, self.widths, leak=0.1)  # 2x2 pixel unshuffle, as in DepthNet

    def widened(self, widths: tuple[int, ...]) -> CompletionNet:
        """A network of `widths` (as many levels, none narrower) that computes exactly what this
        one does: its weights in the old channels, the new channels' outgoing weights zero (so
        they start silent) and their incoming ones freshly drawn (so they can learn). A larger
        network starts from what this one learned instead of from nothing."""
        if len(widths) != len(self.widths) or any(n < o for n, o in zip(widths, self.widths)):
            raise ValueError(f"cannot widen {self.widths} to {widths}: same levels, none narrower")
        wide = CompletionNet(widths)
        old = dict(self.named_modules())
        for name, conv in wide.named_modules():
            if not isinstance(conv, nn.Conv2d):
                continue
            src = old[name]
            o, i = src.weight.shape[:2]
            # Where each old input channel sits in the new input: a decoder block's input is its
            # coarser level's features, then the skip's, so the skip's channels move up.
            index = torch.arange(i)
            if name.startswith("unet.dec.") and (name.endswith(".conv1") or name.endswith(".skip")):
                level = int(name.split(".")[2])
                coarse_old, coarse_new = self.widths[level + 1], widths[level + 1]
                index = torch.where(index < coarse_old, index, index - coarse_old + coarse_new)
            with torch.no_grad():
                conv.weight[:o] = 0
                conv.weight[:o, index] = src.weight
                conv.bias[:o] = src.bias
        return wide

    def forward(self, rgb: torch.Tensor, depth: torch.Tensor, coverage: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        log_depth = (torch.log(depth.clamp(MIN_DEPTH_M, MAX_DEPTH_M)) - LOG_MID) / LOG_SCALE
        x = torch.cat([(rgb - 0.5) * 2, log_depth, coverage], dim=1)  # (B, 5, h, w)
        y = F.pixel_shuffle(self.unet(F.pixel_unshuffle(x, 2)), 2)  # (B, 4, h, w)
        return y[:, :3] * 0.5, y[:, 3:] * LOG_SCALE
