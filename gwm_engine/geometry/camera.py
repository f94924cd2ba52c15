"""Pinhole intrinsics and world-from-camera poses.

Pixel (u, v): u grows right, v grows down, pixel centres at +0.5. A camera-space point
(x, y, z) with z < 0 lies in front of the camera at depth d = -z and projects to
u = cx + fx * x / d, v = cy - fy * y / d.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass

import numpy as np
import torch

from gwm_engine.errors import InvalidInput


@dataclass(frozen=True)
class Intrinsics:
    fx: float
    fy: float
    cx: float
    cy: float
    width: int
    height: int

    @classmethod
    def from_fov(cls, width: int, height: int, fov_deg: float) -> Intrinsics:
        """Square pixels, principal point at the image centre, `fov_deg` vertical field of view."""
        if not (0 < fov_deg < 179) or not math.isfinite(fov_deg):
            raise InvalidInput(f"fov_deg must be in (0, 179), got {fov_deg}")
        if width <= 0 or height <= 0:
            raise InvalidInput(f"image size must be positive, got {width}x{height}")
        f = 0.5 * height / math.tan(math.radians(fov_deg) / 2)
        return cls(f, f, width / 2, height / 2, int(width), int(height))

    @property
    def fov_deg(self) -> float:
        return math.degrees(2 * math.atan(0.5 * self.height / self.fy))

    def scaled(self, width: int, height: int) -> Intrinsics:
        """The same camera at another resolution."""
        sx, sy = width / self.width, height / self.height
        return Intrinsics(self.fx * sx, self.fy * sy, self.cx * sx, self.cy * sy, width, height)

    def matrix(self) -> np.ndarray:
        """3x3 K in the OpenCV form for the (u right, v down) pixel grid."""
        return np.array([[self.fx, 0, self.cx], [0, self.fy, self.cy], [0, 0, 1]], dtype=np.float64)


@functools.lru_cache(maxsize=16)
def pixel_rays(K: Intrinsics, device: torch.device | str = "cpu") -> torch.Tensor:
    """Camera-space direction of every pixel centre, scaled so depth 1 lies on it: (H, W, 3).

    Cached per camera (sessions step the same one every frame); treat the result as read-only.
    """
    v, u = torch.meshgrid(
        torch.arange(K.height, dtype=torch.float32, device=device) + 0.5,
        torch.arange(K.width, dtype=torch.float32, device=device) + 0.5,
        indexing="ij",
    )
    x = (u - K.cx) / K.fx
    y = -(v - K.cy) / K.fy
    return torch.stack([x, y, -torch.ones_like(x)], dim=-1)


def unproject(
    depth: torch.Tensor, K: Intrinsics, pose: torch.Tensor | np.ndarray, where: torch.Tensor | None = None
) -> torch.Tensor:
    """World points: depth (H, W) metres, pose (4, 4) world-from-camera -> (H, W, 3),
    or (M, 3) for the pixels selected by the (H, W) bool `where`."""
    pose_t = torch.as_tensor(pose, dtype=torch.float32, device=depth.device)
    rays = pixel_rays(K, str(depth.device))
    if where is None:
        cam = rays * depth[..., None]
    else:
        sel = where.reshape(-1).nonzero().squeeze(1)
        cam = rays.reshape(-1, 3).index_select(0, sel) * depth.reshape(-1).index_select(0, sel)[:, None]
    return torch.addmm(pose_t[:3, 3], cam.reshape(-1, 3), pose_t[:3, :3].T).reshape(cam.shape)


def look_at(eye, target, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """World-from-camera pose at `eye` looking at `target` (camera -z towards the target)."""
    eye, target, up = (np.asarray(a, dtype=np.float64) for a in (eye, target, up))
    back = eye - target
    back /= np.linalg.norm(back)
    right = np.cross(up, back)
    if np.linalg.norm(right) < 1e-9:  # looking straight along `up`: any right vector will do
        right = np.cross((1.0, 0.0, 0.0) if abs(back[0]) < 0.9 else (0.0, 0.0, 1.0), back)
    right /= np.linalg.norm(right)
    true_up = np.cross(back, right)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, true_up, back, eye
    return pose
