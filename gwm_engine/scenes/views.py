"""Seed views: one camera per draw, anywhere a person might hold one, with its field of view.

The walkable families' spawn is a level camera at eye height; users' photos are not. A seed
view moves that camera up or down (a child's height to a raised arm), pitches it (looking down
at the floor to up at a ceiling), rolls it a little, turns it anywhere, and draws a focal length
from the family's range (seed_families.FOV_RANGE). The seed families already pick their own
camera; their views turn and tilt it a little around it.
"""

from __future__ import annotations

import math

import numpy as np
import torch

from gwm_engine.geometry.actions import rotation_from_ypr, ypr_from_rotation
from gwm_engine.geometry.camera import Intrinsics, pixel_rays
from gwm_engine.scenes.families import FAMILIES
from gwm_engine.scenes.primitives import SKY_RADIUS
from gwm_engine.scenes.render import Scene
from gwm_engine.scenes.seed_families import FOV_RANGE

MIN_SUBJECT_M = 0.8


def seed_view(scene: Scene, rng: np.random.Generator) -> tuple[np.ndarray, float]:
    """A world-from-camera pose (4, 4) clear of every solid, and a vertical fov in degrees."""
    spawn = scene.spawn_pose()
    yaw, pitch, roll = ypr_from_rotation(spawn[:3, :3])
    eye = spawn[:3, 3].copy()
    if scene.family in FAMILIES:
        top = 2.6
        if scene.family == "indoor":
            top = float(scene.prims.box_hi[0, 1]) - 0.3  # the room's shell is its first box
        for _ in range(20):
            trial = eye.copy()
            trial[1] = rng.uniform(0.3, top) if rng.random() < 0.6 else eye[1]
            if scene.clearance(trial[None])[0] >= 0.2:
                eye = trial
                break
        # Nobody photographs a blank wall from a hand's breadth: the centre of the view is at
        # least MIN_SUBJECT_M away (or, failing that in 20 draws, as far as any draw found).
        best, best_free = None, -1.0
        for _ in range(20):
            turn = yaw + (rng.uniform(-180.0, 180.0) if rng.random() < 0.3 else rng.normal(0.0, 20.0))
            tilt = float(np.clip(rng.normal(-8.0, 18.0), -70.0, 45.0))
            centre = rotation_from_ypr(turn, tilt, 0.0) @ np.array([0.0, 0.0, -1.0])
            free = float(scene.raycast(eye, centre[None])[0])
            if free > best_free:
                best, best_free = (turn, tilt), free
            if free >= MIN_SUBJECT_M:
                break
        yaw, pitch = best
    else:
        yaw += rng.normal(0.0, 6.0)
        pitch = float(np.clip(pitch + rng.normal(0.0, 6.0), -85.0, 85.0))
    roll = rng.normal(0.0, 4.0)
    pose = np.eye(4)
    pose[:3, :3] = rotation_from_ypr(yaw, pitch, roll)
    pose[:3, 3] = eye
    lo, hi = FOV_RANGE[scene.family]
    # Uniform in log focal length: as many telephoto as wide views within the range.
    t = lambda fov: math.log(math.tan(math.radians(fov) / 2))  # noqa: E731
    fov = math.degrees(2 * math.atan(math.exp(rng.uniform(t(lo), t(hi)))))
    return pose, fov


def sky_mask(depth: torch.Tensor, pose: np.ndarray, K: Intrinsics) -> torch.Tensor:
    """(H, W) bool: pixels whose ray reached the sky dome rather than a surface (a distant
    mountain can be nearly as far, so this solves for the dome's distance along each ray)."""
    d = pixel_rays(K).reshape(-1, 3).double() @ torch.from_numpy(pose[:3, :3]).T  # z-depth 1 per unit of t
    o = torch.from_numpy(pose[:3, 3])
    a, b, c = (d * d).sum(1), (d @ o), float(o @ o) - SKY_RADIUS**2
    t_dome = (-b + (b * b - a * c).sqrt()) / a
    return (depth.reshape(-1).double() >= t_dome * (1 - 1e-4)).reshape(depth.shape)
