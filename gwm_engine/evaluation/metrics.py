"""Image and depth quality metrics shared by tests, benchmarks and `gwm-engine eval`."""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, peak: float = 255.0) -> float:
    """PSNR in dB between two images (uint8 or float), over `mask` pixels when given."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if mask is not None:
        diff = diff[np.asarray(mask, dtype=bool)]
    mse = float(np.mean(diff**2)) if diff.size else 0.0
    return float("inf") if mse == 0 else 10 * np.log10(peak**2 / mse)


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> torch.Tensor:
    """The 1-D window (size,); SSIM's 2-D window is its outer product, applied separably."""
    x = torch.arange(size, dtype=torch.float64) - size // 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    return g / g.sum()


def ssim_tensor(x: torch.Tensor, y: torch.Tensor, peak: float = 1.0) -> torch.Tensor:
    """Per-pixel, per-channel SSIM (N, C, H, W) of two (N, C, H, W) images; differentiable.

    Wang et al. 2004: an 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03; the image is
    reflect-padded so the map covers every pixel and can be averaged over any mask.
    """
    n, c, h, w = x.shape
    g = _gaussian_window().to(x)
    pad = len(g) // 2

    def blur(t: torch.Tensor) -> torch.Tensor:
        t = F.pad(t.reshape(n * c, 1, h, w), (pad,) * 4, mode="reflect")
        return F.conv2d(F.conv2d(t, g[None, None, :, None]), g[None, None, None, :]).reshape(n, c, h, w)

    mx, my = blur(x), blur(y)
    vx, vy, cov = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
    c1, c2 = (0.01 * peak) ** 2, (0.03 * peak) ** 2
    return ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))


def ssim_map(a: np.ndarray, b: np.ndarray, peak: float = 255.0) -> np.ndarray:
    """Per-pixel SSIM (H, W) of two (H, W, 3) or (H, W) images, averaged over channels."""
    x = torch.as_tensor(np.asarray(a, dtype=np.float64))
    y = torch.as_tensor(np.asarray(b, dtype=np.float64))
    if x.ndim == 2:
        x, y = x[..., None], y[..., None]
    return ssim_tensor(x.permute(2, 0, 1)[None], y.permute(2, 0, 1)[None], peak)[0].mean(dim=0).numpy()


def ssim(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, peak: float = 255.0) -> float:
    """Mean SSIM, over `mask` pixels when given."""
    m = ssim_map(a, b, peak)
    return float(m[np.asarray(mask, dtype=bool)].mean() if mask is not None else m.mean())


def high_frequency(rgb: np.ndarray) -> np.ndarray:
    """(H, W) float64: the squared Laplacian (4-neighbour, edges replicated) of an (H, W, 3)
    image's luma: its fine texture's energy per pixel. A blurred fill has almost none, so the
    ratio of a fill's energy to the truth's over the same pixels says how much texture it made,
    which PSNR does not (PSNR rewards blur)."""
    y = np.asarray(rgb, dtype=np.float64) @ np.array([0.299, 0.587, 0.114])
    p = np.pad(y, 1, mode="edge")
    lap = p[:-2, 1:-1] + p[2:, 1:-1] + p[1:-1, :-2] + p[1:-1, 2:] - 4 * y
    return lap**2


def inner(mask: np.ndarray) -> np.ndarray:
    """(H, W) bool: the pixels of `mask` whose 8 neighbours are all in it too (a fill's own
    pixels, away from what it was given: the Laplacian there reads the fill alone)."""
    p = np.pad(np.asarray(mask, dtype=bool), 1, constant_values=False)
    h, w = mask.shape
    out = np.ones((h, w), dtype=bool)
    for dy in range(3):
        for dx in range(3):
            out &= p[dy : dy + h, dx : dx + w]
    return out


def depth_errors(pred: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel absolute relative error |p - t| / t and the delta < 1.25 hit (max(p/t, t/p) < 1.25)."""
    p, t = np.asarray(pred, dtype=np.float64), np.asarray(target, dtype=np.float64)
    return np.abs(p - t) / t, (np.maximum(p / t, t / p) < 1.25).astype(np.float64)
