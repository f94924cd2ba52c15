"""The small U-Net both networks are built from: plain convs, no normalisation, ONNX-friendly.

No BatchNorm (a frame's statistics must not depend on what else is in the batch) and no data-
dependent control flow: `forward` is one static graph for any input whose sides are multiples
of 2 ** (len(widths) - 1).
"""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    """Two 3x3 convs with a residual connection: (B, c_in, H, W) -> (B, c_out, H, W)."""

    def __init__(self, c_in: int, c_out: int, leak: float = 0.0):
        super().__init__()
        self.leak = leak
        self.conv1 = nn.Conv2d(c_in, c_out, 3, padding=1)
        self.conv2 = nn.Conv2d(c_out, c_out, 3, padding=1)
        self.skip = nn.Conv2d(c_in, c_out, 1) if c_in != c_out else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.leaky_relu(self.skip(x) + self.conv2(F.leaky_relu(self.conv1(x), self.leak)), self.leak)


class UNet(nn.Module):
    """widths (w0, .., wL): level i runs at 1 / 2**i of the input size with w_i channels.
    leak: the negative slope of every activation (0: ReLU)."""

    def __init__(self, c_in: int, c_out: int, widths: tuple[int, ...], leak: float = 0.0):
        super().__init__()
        self.leak = leak
        self.stem = Block(c_in, widths[0], leak)
        self.down = nn.ModuleList(nn.Conv2d(a, b, 3, stride=2, padding=1) for a, b in zip(widths, widths[1:]))
        self.enc = nn.ModuleList(Block(b, b, leak) for b in widths[1:])
        self.dec = nn.ModuleList(Block(a + b, a, leak) for a, b in zip(widths, widths[1:]))
        self.head = nn.Conv2d(widths[0], c_out, 3, padding=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.forward_with_bottleneck(x)[0]

    def forward_with_bottleneck(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The output (B, c_out, H, W) and the coarsest features (B, w_L, H / 2**L, W / 2**L),
        for heads that need the whole image's context."""
        x = self.stem(x)  # (B, w0, H, W)
        skips = []
        for down, enc in zip(self.down, self.enc):
            skips.append(x)
            x = enc(F.leaky_relu(down(x), self.leak))  # (B, w_i, H / 2**i, W / 2**i)
        bottleneck = x
        for dec, skip in zip(reversed(self.dec), reversed(skips)):
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = dec(torch.cat([x, skip], dim=1))  # (B, w_{i-1}, H / 2**(i-1), ..)
        return self.head(x), bottleneck  # (B, c_out, H, W)
