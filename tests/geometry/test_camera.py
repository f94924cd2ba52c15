import math

import numpy as np
import pytest
import torch

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry.camera import Intrinsics, look_at, pixel_rays, unproject


def test_from_fov_focal_and_centre():
    K = Intrinsics.from_fov(640, 360, 90.0)
    assert K.fy == pytest.approx(180.0)
    assert K.fx == K.fy and (K.cx, K.cy) == (320, 180)
    assert K.fov_deg == pytest.approx(90.0)
    assert K.scaled(320, 180).fy == pytest.approx(90.0)


@pytest.mark.parametrize("args", [(0, 10, 60), (10, -1, 60), (10, 10, 0), (10, 10, 180), (10, 10, float("nan"))])
def test_from_fov_rejects_bad_values(args):
    with pytest.raises(InvalidInput):
        Intrinsics.from_fov(*args)


def test_unproject_then_project_round_trip():
    K = Intrinsics.from_fov(32, 24, 70.0)
    pose = look_at((1.0, 2.0, 3.0), (0.0, 0.5, -1.0))
    depth = torch.rand(24, 32) * 5 + 0.5
    world = unproject(depth, K, pose)
    cam = (world.double() - torch.tensor(pose[:3, 3])) @ torch.tensor(pose[:3, :3])
    assert torch.allclose(-cam[..., 2], depth.double(), atol=1e-4)  # z-depth, not ray length
    u = K.cx + K.fx * cam[..., 0] / -cam[..., 2]
    v = K.cy - K.fy * cam[..., 1] / -cam[..., 2]
    grid_v, grid_u = torch.meshgrid(torch.arange(24) + 0.5, torch.arange(32) + 0.5, indexing="ij")
    assert torch.allclose(u, grid_u.double(), atol=1e-3) and torch.allclose(v, grid_v.double(), atol=1e-3)


def test_pixel_rays_top_left_points_up_left():
    K = Intrinsics.from_fov(8, 8, 60.0)
    rays = pixel_rays(K)
    assert rays[0, 0, 0] < 0 and rays[0, 0, 1] > 0 and rays[0, 0, 2] == -1


def test_look_at_points_minus_z_at_target():
    pose = look_at((0, 0, 0), (1, 0, 0))
    forward = -pose[:3, 2]
    assert np.allclose(forward, (1, 0, 0)) and np.allclose(pose[:3, 1], (0, 1, 0))
    assert math.isclose(np.linalg.det(pose[:3, :3]), 1.0)
