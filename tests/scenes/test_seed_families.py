"""Seed-view scenes: every new family renders, its depth is exact, it is the same for the same
seed; seed views stay clear of solids; the sky mask marks the dome and nothing else; styles."""

import numpy as np
import pytest
import torch

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry import Intrinsics, look_at, unproject
from gwm_engine.scenes import make_scene
from gwm_engine.scenes.families import ALL_FAMILIES, SEED_FAMILIES
from gwm_engine.scenes.seed_families import FOV_RANGE
from gwm_engine.scenes.style import STYLES, stylise
from gwm_engine.scenes.views import seed_view, sky_mask

K = Intrinsics.from_fov(48, 40, 60.0)


@pytest.fixture(scope="module")
def scenes():
    return {family: make_scene(family, seed=1001) for family in SEED_FAMILIES}


def surface_residual(scene, points: np.ndarray) -> np.ndarray:
    """Distance from each world point to the nearest surface (solid, shell, dome or plane)."""
    solid = np.abs(scene.clearance(points))
    planes = [np.abs(points[:, 1] - y) for y in scene.prims.plane_y.tolist()]
    return np.minimum.reduce([solid, *planes])


@pytest.mark.parametrize("family", SEED_FAMILIES)
def test_renders_with_exact_depth(scenes, family):
    scene = scenes[family]
    pose, fov = seed_view(scene, np.random.default_rng(0))
    k = Intrinsics.from_fov(48, 40, fov)
    rgb, depth = scene.render(pose, k)
    assert rgb.shape == (40, 48, 3) and 0 <= float(rgb.min()) and float(rgb.max()) <= 1
    assert torch.isfinite(depth).all() and float(depth.min()) > 0
    assert float(rgb.std()) > 0.01, "a view should show something, not one flat colour"
    # Every pixel's depth puts it on a surface of the scene: the depth is the geometry's.
    points = unproject(depth, k, pose).reshape(-1, 3).numpy().astype(np.float64)
    tolerance = 2e-3 + 2e-5 * depth.reshape(-1).numpy()
    assert np.all(surface_residual(scene, points) < tolerance)


@pytest.mark.parametrize("family", SEED_FAMILIES)
def test_same_seed_same_scene_and_views(family):
    a, b, c = make_scene(family, 7), make_scene(family, 7), make_scene(family, 8)
    pa, fa = seed_view(a, np.random.default_rng(3))
    pb, fb = seed_view(b, np.random.default_rng(3))
    assert np.array_equal(pa, pb) and fa == fb
    ra, da = a.render(pa, K)
    rb, db = b.render(pb, K)
    assert torch.equal(ra, rb) and torch.equal(da, db)
    rc, _ = c.render(c.spawn_pose(), K)
    assert not torch.equal(ra, rc)


@pytest.mark.parametrize("family", ALL_FAMILIES)
def test_seed_views_are_clear_of_solids_and_within_the_lens_range(family):
    scene = make_scene(family, 1002)
    rng = np.random.default_rng(5)
    for _ in range(4):
        pose, fov = seed_view(scene, rng)
        assert scene.clearance(pose[None, :3, 3])[0] > 0, "the camera must not sit inside a solid"
        assert FOV_RANGE[family][0] - 1e-6 <= fov <= FOV_RANGE[family][1] + 1e-6
        assert np.allclose(pose[:3, :3] @ pose[:3, :3].T, np.eye(3), atol=1e-9)


def test_families_span_scales_from_a_hand_to_a_mountain():
    median = {}
    for family in ("tabletop", "city", "landscape"):
        depths = []
        for seed in range(1000, 1003):
            scene = make_scene(family, seed)
            pose, fov = seed_view(scene, np.random.default_rng(seed))
            _, d = scene.render(pose, Intrinsics.from_fov(32, 32, fov))
            depths.append(float(d.median()))
        median[family] = np.median(depths)
    assert median["tabletop"] < 2.0
    assert median["city"] > 5.0 and median["landscape"] > 5.0


def test_sky_mask_is_the_dome_only():
    room = make_scene("shelves", 1000)
    pose, fov = seed_view(room, np.random.default_rng(0))
    k = Intrinsics.from_fov(32, 32, fov)
    _, depth = room.render(pose, k)
    assert not sky_mask(depth, pose, k).any()  # a closed room has no sky
    land = make_scene("landscape", 1004)
    up = look_at((0.0, 2.0, 0.0), (0.0, 50.0, -1.0))
    _, depth = land.render(up, k)
    sky = sky_mask(depth, up, k)
    assert sky.float().mean() > 0.9  # straight up: sky
    # Toward the mountains: distant surfaces (over 100 m) are not sky, and what is sky is far.
    found = False
    for yaw in np.linspace(0, 2 * np.pi, 12, endpoint=False):
        pose = look_at((0.0, 3.0, 0.0), (np.sin(yaw), 3.0, np.cos(yaw)))
        _, depth = land.render(pose, k)
        sky = sky_mask(depth, pose, k)
        assert depth[sky].numpy().min(initial=1e9) > 300
        found |= bool(((depth > 100) & ~sky).any())
    assert found, "some view should show a mountain over 100 m away that is not sky"


def test_unknown_family_is_a_clear_error():
    with pytest.raises(InvalidInput, match="unknown scene family"):
        make_scene("moon", 0)


@pytest.mark.parametrize("style", STYLES)
def test_styles_redraw_colour_deterministically(style):
    scene = make_scene("vehicles", 1000)
    pose, fov = seed_view(scene, np.random.default_rng(1))
    k = Intrinsics.from_fov(48, 40, fov)
    rgb, depth = scene.render(pose, k)
    a = stylise(rgb, depth, style, np.random.default_rng(9))
    b = stylise(rgb, depth, style, np.random.default_rng(9))
    assert torch.equal(a, b) and a.shape == rgb.shape
    assert 0 <= float(a.min()) and float(a.max()) <= 1
    assert float((a - rgb).abs().mean()) > 0.01
