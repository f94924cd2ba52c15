"""Image and depth quality metrics shared by tests, benchmarks and `gwm-engine eval`."""

from __future__ import annotations

import numpy as np


def psnr(a: np.ndarray, b: np.ndarray, mask: np.ndarray | None = None, peak: float = 255.0) -> float:
    """PSNR in dB between two images (uint8 or float), over `mask` pixels when given."""
    diff = np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)
    if mask is not None:
        diff = diff[np.asarray(mask, dtype=bool)]
    mse = float(np.mean(diff**2)) if diff.size else 0.0
    return float("inf") if mse == 0 else 10 * np.log10(peak**2 / mse)
