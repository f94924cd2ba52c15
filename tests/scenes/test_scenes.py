"""Ground-truth scenes: determinism, exact depth, multi-view consistency, trajectories."""

import numpy as np
import pytest
import torch

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry import Intrinsics, look_at, unproject
from gwm_engine.scenes import FAMILIES, KINDS, make_scene, make_trajectory
from gwm_engine.scenes.trajectories import TrajectoryConfig

K = Intrinsics.from_fov(64, 48, 70.0)


@pytest.fixture(scope="module")
def scenes():
    return {family: make_scene(family, seed=3) for family in FAMILIES}


def surface_residual(scene, points: np.ndarray) -> np.ndarray:
    """Distance from each world point to the nearest surface of the scene (solid, shell, dome
    or plane): 0 for points that really lie on a surface."""
    solid = np.abs(scene.clearance(points))
    planes = [np.abs(points[:, 1] - y) for y in scene.prims.plane_y.tolist()]
    return np.minimum.reduce([solid, *planes])


def test_shapes_types_and_single_pose(scenes):
    scene = scenes["indoor"]
    rgb, depth = scene.render(scene.spawn_pose(), K)
    assert rgb.shape == (48, 64, 3) and depth.shape == (48, 64)
    assert rgb.dtype == torch.float32 and depth.dtype == torch.float32
    assert 0 <= rgb.min() and rgb.max() <= 1
    assert torch.isfinite(depth).all() and depth.min() > 0
    rgb_b, depth_b = scene.render(torch.tensor(scene.spawn_pose())[None], K)
    assert rgb_b.shape == (1, 48, 64, 3) and depth_b.shape == (1, 48, 64)


def test_same_seed_same_images_other_seed_differs():
    a, b, c = make_scene("indoor", 5), make_scene("indoor", 5), make_scene("indoor", 6)
    ra, da = a.render(a.spawn_pose(), K)
    rb, db = b.render(b.spawn_pose(), K)
    rc, _ = c.render(c.spawn_pose(), K)
    assert torch.equal(ra, rb) and torch.equal(da, db)
    assert not torch.equal(ra, rc)


def test_families_look_different():
    for seed in range(2):
        stats = {}
        for family in FAMILIES:
            scene = make_scene(family, seed)
            rgb, depth = scene.render(scene.spawn_pose(), K)
            stats[family] = (float(rgb.mean()), float(depth.median()), float((depth > 300).float().mean()))
        # Rooms: closed and near. Terrain: half sky. Streets: a strip of sky between facades,
        # darker (asphalt, shade between buildings).
        assert stats["indoor"][2] == 0 and stats["indoor"][1] < 6
        assert stats["outdoor"][2] > 0.3
        assert 0.02 < stats["street"][2] < 0.3
        assert stats["street"][0] < stats["outdoor"][0] - 0.05


def test_ground_depth_is_exact():
    scene = make_scene("outdoor", 1)
    # Straight down from 1.6 m over the spawn clearing: every pixel sees the ground plane y = 0.
    pose = look_at((0.0, 1.6, 0.0), (0.0, 0.0, 0.0), up=(0.0, 0.0, -1.0))
    _, depth = scene.render(pose, K)
    assert torch.allclose(depth, torch.full_like(depth, 1.6), atol=1e-5)
    # At an angle, floor pixels (low, and away from every solid) still unproject onto y = 0.
    pose = look_at((0.3, 1.6, 0.2), (1.0, 0.0, -2.0))
    _, depth = scene.render(pose, K)
    points = unproject(depth, K, pose).reshape(-1, 3)
    floor = (points[:, 1] < 0.05) & torch.from_numpy(scene.clearance(points) > 0.05)
    assert floor.sum() > 300
    assert points[floor, 1].abs().max() < 1e-3


@pytest.mark.parametrize("family", FAMILIES)
def test_every_pixel_unprojects_onto_a_surface(scenes, family):
    scene = scenes[family]
    traj = make_trajectory(scene, "look", steps=3, seed=1)
    poses = np.stack(traj.poses)
    _, depth = scene.render(poses, K)
    for pose, d in zip(poses, depth):
        points = unproject(d, K, pose).reshape(-1, 3).numpy().astype(np.float64)
        residual = surface_residual(scene, points)
        tolerance = 2e-3 + 2e-5 * d.reshape(-1).numpy()  # float32 rounding grows with distance
        assert np.all(residual < tolerance), residual.max()


@pytest.mark.parametrize("family", FAMILIES)
def test_depth_consistent_between_views(scenes, family):
    scene = scenes[family]
    traj = make_trajectory(scene, "walk", steps=6, seed=2)
    pose_a, pose_b = traj.start, traj.poses[-1]
    _, depth_a = scene.render(pose_a, K)
    _, depth_b = scene.render(pose_b, K)
    points = unproject(depth_a, K, pose_a).reshape(-1, 3).numpy().astype(np.float64)

    # Exact: a ray from B's centre toward each of A's points stops at that point where it is
    # visible from B, and never runs past it.
    eye_b = pose_b[:3, 3]
    offsets = points - eye_b
    dist = np.linalg.norm(offsets, axis=1)
    hit = scene.raycast(eye_b, offsets / dist[:, None])
    visible = np.abs(hit - dist) < 2e-3 + 2e-5 * dist
    assert visible.mean() > 0.5
    assert np.all(hit < dist + 2e-3 + 2e-5 * dist)

    # Rendered: visible points land in B's image at B's rendered depth. Inverse depth is affine
    # in pixel coordinates across a plane, so bilinear sampling of it is exact on flat patches.
    cam = (points - eye_b) @ pose_b[:3, :3]
    z = -cam[:, 2]
    x = K.cx + K.fx * cam[:, 0] / z - 0.5
    y = K.cy - K.fy * cam[:, 1] / z - 0.5
    near = (z > 0) & (dist < 300)  # the sky dome is curved, bilinear sampling only approximates it
    inside = visible & near & (x >= 0) & (x < K.width - 1) & (y >= 0) & (y < K.height - 1)
    x, y, z = x[inside], y[inside], z[inside]
    inv = 1.0 / depth_b.numpy().astype(np.float64)
    x0, y0 = x.astype(int), y.astype(int)
    fx, fy = x - x0, y - y0
    top = inv[y0, x0] * (1 - fx) + inv[y0, x0 + 1] * fx
    bottom = inv[y0 + 1, x0] * (1 - fx) + inv[y0 + 1, x0 + 1] * fx
    rel = np.abs(1.0 / (top * (1 - fy) + bottom * fy) - z) / z
    assert len(z) > 0.2 * len(points)
    assert np.median(rel) < 1e-4 and np.mean(rel < 1e-2) > 0.85  # off only across depth edges


def assert_same_frame(rgb_a, depth_a, rgb_b, depth_b):
    # Equal up to float rounding: SIMD and scalar code paths may round fused multiply-adds
    # differently, and which path an element takes depends on its position in the batch.
    assert torch.allclose(depth_a, depth_b, rtol=1e-6, atol=0)
    assert torch.allclose(rgb_a, rgb_b, atol=1e-5)


def test_batch_equals_one_by_one(scenes):
    scene = scenes["street"]
    poses = np.stack(make_trajectory(scene, "walk", steps=3, seed=0).poses)
    odd = Intrinsics.from_fov(37, 23, 60.0)  # not a multiple of the 8-pixel tiles
    rgb, depth = scene.render(poses, odd)
    for i, pose in enumerate(poses):
        r, d = scene.render(pose, odd)
        assert_same_frame(r, d, rgb[i], depth[i])


def test_large_batch_split_over_workers_equals_one_by_one(scenes):
    scene = scenes["outdoor"]
    square = Intrinsics.from_fov(64, 64, 70.0)
    poses = np.stack(make_trajectory(scene, "look", steps=40, seed=1).poses)  # several passes
    rgb, depth = scene.render(poses, square)
    for i in (0, 31, 32, 39):
        r, d = scene.render(poses[i], square)
        assert_same_frame(r, d, rgb[i], depth[i])


@pytest.mark.parametrize("family", FAMILIES)
def test_loops_end_exactly_at_their_start(scenes, family):
    for steps in (3, 20, 40):
        traj = make_trajectory(scenes[family], "loop", steps=steps, seed=4)
        assert len(traj.actions) == len(traj.poses) == steps
        assert np.allclose(traj.poses[-1], traj.start, atol=1e-9)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("kind", KINDS)
def test_trajectories_stay_in_free_space(scenes, family, kind):
    scene = scenes[family]
    traj = make_trajectory(scene, kind, steps=30, seed=7)
    positions = np.stack([traj.start] + traj.poses)[:, :3, 3]
    margin = TrajectoryConfig().margin
    mids = (positions[1:] + positions[:-1]) / 2
    assert scene.clearance(np.concatenate([positions, mids])).min() >= margin * 0.99
    if kind == "look":
        assert np.allclose(positions, positions[0])
    if kind in ("walk", "strafe"):
        assert np.linalg.norm(np.diff(positions, axis=0), axis=1).sum() > 1.0  # it does move


def test_spawn_is_at_eye_height_in_free_space(scenes):
    for scene in scenes.values():
        pose = scene.spawn_pose()
        assert abs(pose[1, 3] - 1.6) < 1e-9
        assert scene.clearance(pose[:3, 3][None])[0] > 0.3
        forward = -pose[:3, 2]
        assert abs(forward[1]) < 1e-9  # level
        assert scene.raycast(pose[:3, 3], forward[None])[0] > 1.5


def test_invalid_input():
    with pytest.raises(InvalidInput):
        make_scene("moon")
    scene = make_scene("indoor", 0)
    with pytest.raises(InvalidInput):
        scene.render(np.eye(3), K)
    with pytest.raises(InvalidInput):
        make_trajectory(scene, "fly")


def test_supersampling_anti_aliases_colour_and_keeps_exact_depth(scenes):
    scene = scenes["street"]
    pose = scene.spawn_pose()
    rgb, depth = scene.render(pose, K)  # default: 2 x 2 rays per pixel
    one_rgb, one_depth = scene.render(pose, K, supersample=1)
    fine, _ = scene.render(pose, K.scaled(2 * K.width, 2 * K.height), supersample=1)
    assert torch.equal(depth, one_depth)
    assert torch.allclose(rgb, fine.reshape(K.height, 2, K.width, 2, 3).mean(dim=(1, 3)))
    # Anti-aliased colour varies less from pixel to pixel than one ray per pixel.
    assert rgb.diff(dim=1).abs().mean() < one_rgb.diff(dim=1).abs().mean()
    with pytest.raises(InvalidInput):
        scene.render(pose, K, supersample=0)
