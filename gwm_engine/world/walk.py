"""The world's own scale, and walk mode: a body that stays above the ground and out of walls.

A photo of a cup and a photo of a valley differ in scale by a thousand; a player should be able
to walk both. `SceneScale` is measured once from the seed: its median depth, a walking speed
and turn rate that suit it, and the ground plane where the seed shows one. Walk mode (per
session, off by default because VR and absolute poses must go where the head goes) checks each
relative move against the world: the camera keeps a body's clearance from cached surfaces and
stays above the ground.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from gwm_engine.geometry.camera import Intrinsics

# Seconds to walk the seed's median depth at the suggested speed: a few seconds of holding W
# brings the player up to what the photo shows, never through it in one breath.
SECONDS_TO_MEDIAN = 5.0
TURN_RATE_DPS = 90.0
# The body's clearance from surfaces and its lowest eye height, as shares of the seed's scale.
CLEARANCE_OF_MEDIAN = 0.08
MIN_EYE_OF_HEIGHT = 0.25
# A seed pixel belongs to the ground when its surface faces up this much (cosine) and the
# ground is found when enough of the seed's lower half is such ground.
GROUND_COS = 0.9
GROUND_SHARE = 0.05
GROUND_QUANTILE = 0.1
# The depth probe that looks along a move: small, wide enough to cover the body.
PROBE = Intrinsics.from_fov(24, 24, 40.0)


@dataclass(frozen=True)
class SceneScale:
    median_depth_m: float
    walk_speed_mps: float
    turn_rate_dps: float
    camera_height_m: float | None  # above the ground plane the seed shows, None where it shows none

    @property
    def clearance_m(self) -> float:
        return CLEARANCE_OF_MEDIAN * self.median_depth_m


def measure_scale(xyz: torch.Tensor, depth: torch.Tensor, pose: np.ndarray) -> SceneScale:
    """The scale of a seed: its world points xyz (3, H*W), depth (H, W) (0: nothing), camera pose."""
    H, W = depth.shape
    valid = depth > 0
    median = float(depth[valid].median()) if bool(valid.any()) else 1.0
    return SceneScale(median, median / SECONDS_TO_MEDIAN, TURN_RATE_DPS, _camera_height(xyz.view(3, H, W), valid, pose))


def _camera_height(xyz: torch.Tensor, valid: torch.Tensor, pose: np.ndarray) -> float | None:
    """Height of the camera above the seed's ground: the lowest of the upward-facing surfaces in
    the lower half of the view (a low percentile: tables and beds face up too), where they are a
    good part of it."""
    H = valid.shape[0]
    dx = xyz[:, :-1, 1:] - xyz[:, :-1, :-1]
    dy = xyz[:, 1:, :-1] - xyz[:, :-1, :-1]
    normal = torch.linalg.cross(dy, dx, dim=0)  # v grows down, u right: (down x right) faces the camera
    normal = normal / normal.norm(dim=0, keepdim=True).clamp_min(1e-9)
    ok = valid[:-1, :-1] & valid[1:, :-1] & valid[:-1, 1:]
    up = ok & (normal[1].abs() > GROUND_COS)
    up[: H // 2] = False
    found = int(up.sum())
    if found == 0 or found < GROUND_SHARE * up[H // 2 :].numel():
        return None
    ground_y = float(xyz[1, :-1, :-1][up].quantile(GROUND_QUANTILE))
    height = float(pose[1, 3]) - ground_y
    return height if height > 0 else None


def walkable_move(start: np.ndarray, end: np.ndarray, free_m: float, scale: SceneScale) -> np.ndarray:
    """The pose a walking body reaches on its way from `start` to `end` (4x4 poses), given
    `free_m`, the free distance along the move: it stops a clearance short of surfaces and keeps
    its eyes above the lowest allowed height."""
    out = end.copy()
    step = end[:3, 3] - start[:3, 3]
    length = float(np.linalg.norm(step))
    if length > 0:
        allowed = max(0.0, min(length, free_m - scale.clearance_m))
        out[:3, 3] = start[:3, 3] + step * (allowed / length)
    if scale.camera_height_m is not None:
        floor_y = start_ground_y(scale) + MIN_EYE_OF_HEIGHT * scale.camera_height_m
        out[1, 3] = max(out[1, 3], min(floor_y, start[1, 3]))
    return out


def start_ground_y(scale: SceneScale) -> float:
    """The ground's height in the world frame (the seed camera sits at the origin)."""
    return -float(scale.camera_height_m or 0.0)


def probe_pose(start: np.ndarray, end: np.ndarray) -> np.ndarray | None:
    """A camera at `start` looking along the move to `end` (None for no move)."""
    step = end[:3, 3] - start[:3, 3]
    length = float(np.linalg.norm(step))
    if length == 0:
        return None
    back = -step / length  # the camera looks down its -z
    helper = np.array([0.0, 1.0, 0.0]) if abs(back[1]) < 0.99 else np.array([1.0, 0.0, 0.0])
    right = np.cross(helper, back)
    right /= np.linalg.norm(right)
    pose = np.eye(4)
    pose[:3, 0], pose[:3, 1], pose[:3, 2], pose[:3, 3] = right, np.cross(back, right), back, start[:3, 3]
    return pose
