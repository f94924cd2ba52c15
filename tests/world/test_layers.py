"""The seed as a continuous layer: closed when walked up to, torn only at depth edges, exact on
return, never covered by what the fill adds; and the walking body that moves through it."""

import msgpack
import numpy as np
import pytest
import torch

from gwm_engine.evaluation.metrics import psnr
from gwm_engine.geometry import CameraAction, Intrinsics
from gwm_engine.model.scale import ScaleHint
from gwm_engine.world import SessionConfig, WorldSession
from gwm_engine.world.cache import PINNED
from gwm_engine.world.worldfile import pack_world

SIZE = 96


def _texture(seed: int = 0) -> np.ndarray:
    """Fine texture: every pixel differs from its neighbours, so blur or blockiness shows."""
    return np.random.default_rng(seed).integers(0, 256, (SIZE, SIZE, 3), dtype=np.uint8)


def _wall(depth_m: float = 4.0) -> np.ndarray:
    return np.full((SIZE, SIZE), depth_m, np.float32)


def _bilinear(image: np.ndarray, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """The seed sampled at continuous pixel coordinates (centres at +0.5), as the oracle does."""
    grid = torch.from_numpy(np.stack([u / SIZE * 2 - 1, v / SIZE * 2 - 1], -1)).float()[None]
    src = torch.from_numpy(image).permute(2, 0, 1).float()[None]
    out = torch.nn.functional.grid_sample(src, grid, mode="bilinear", padding_mode="border", align_corners=False)
    return out[0].permute(1, 2, 0).round().byte().numpy()


def test_walking_up_to_a_wall_keeps_it_closed_and_sharp(model):
    """4x closer to a textured wall: every pixel is the seed's, as sharp as bilinear sampling of
    the seed through the true depth (seen through loose surfels it cracks and turns blocky)."""
    image = _texture()
    s = WorldSession.create(image, _wall(4.0), SessionConfig(SIZE, SIZE), model)
    for _ in range(6):
        f = s.step(CameraAction(move=(0, 0, 0.5)))  # to 1 m
    assert f.mask.all()
    # A pixel at (u, v) seen from 1 m lands at the seed's centre plus a quarter of its offset.
    v, u = np.mgrid[0:SIZE, 0:SIZE] + 0.5
    oracle = _bilinear(image, SIZE / 2 + (u - SIZE / 2) / 4, SIZE / 2 + (v - SIZE / 2) / 4)
    assert psnr(f.rgb, oracle) >= 30
    assert np.allclose(f.depth, 1.0, rtol=1e-4)


def test_a_sideways_step_tears_foreground_from_background(model):
    """A box 2 m away in front of a wall 6 m away: stepping aside opens a gap at the box's edge
    that shows background or nothing, never a sheet stretched between the two depths."""
    depth = _wall(6.0)
    depth[32:64, 32:64] = 2.0
    s = WorldSession.create(_texture(), depth, SessionConfig(SIZE, SIZE), model)
    frame = s.cache.render(torch.from_numpy(np.eye(4)).float(), s.intrinsics, 1)
    pose = np.eye(4)
    pose[0, 3] = 0.4  # 0.4 m to the right
    view = s.cache.render(torch.from_numpy(pose).float(), s.intrinsics, 1)
    shown = view.depth[0][view.mask[0]]
    assert frame.mask.all() and not view.mask.all()  # the disocclusion is a hole for the fill
    assert not ((shown > 2.2) & (shown < 5.5)).any()


def test_the_views_edge_is_never_continued_past_a_skyline(model):
    """A strip of sky (500 m) one pixel high above a wall reaching almost to the top edge:
    turned a little, the edge continued beyond the view stays at the sky's distance, not twice
    as far (a skyline extrapolated outwards)."""
    depth = _wall(20.0)
    depth[0] = 500.0
    s = WorldSession.create(_texture(), depth, SessionConfig(SIZE, SIZE), model)
    f = s.step(CameraAction(turn=(3.0, 0.0, 0.0)))
    assert f.mask[0].any() and f.depth[f.mask].max() <= 1.1 * 500.0


def test_coming_back_shows_exactly_the_seed(noise_image, model):
    """Walk, look aside, walk back: the fill fused on the way never covers the seed."""
    s = WorldSession.create(noise_image, None, SessionConfig(SIZE, SIZE), model)
    first = s.step()
    step = 0.4 * float(np.median(first.depth)) / 12
    actions = [CameraAction(move=(0, 0, step))] * 12 + [CameraAction(turn=(8, 0, 0))] * 3
    actions += [CameraAction(turn=(-8, 0, 0))] * 3 + [CameraAction(move=(0, 0, -step))] * 12
    for a in actions:
        last = s.step(a)
    assert np.allclose(last.pose, first.pose, atol=1e-9) and s.cache.n > 0  # the fill fused points
    back = s.step()
    assert back.mask.all() and psnr(back.rgb, first.rgb) >= 40


def test_points_in_space_the_seed_saw_through_are_not_kept(model):
    s = WorldSession.create(_texture(), _wall(4.0), SessionConfig(SIZE, SIZE), model)
    rgb, radius = torch.zeros(2, 3, dtype=torch.uint8), torch.full((2,), 0.01)
    s.cache.add(torch.tensor([[0.0, 0.0, -2.0], [0.0, 0.0, -6.0]]), rgb, radius, 3)  # in front of, behind the wall
    assert s.cache.n == 1 and float(s.cache.xyz[2, 0]) == -6.0
    s.cache.add(torch.tensor([[50.0, 0.0, -2.0]]), rgb[:1], radius[:1], 4)  # outside the seed's view: kept
    assert s.cache.n == 2


def test_a_world_file_from_before_layers_still_loads(model):
    """Version 1: the seed's pixels as pinned points, no layers or birth steps."""
    s = WorldSession.create(_texture(), _wall(4.0), SessionConfig(SIZE, SIZE), model)
    xyz, rgb = s.cache.layers[0].points()
    n = xyz.shape[0]
    points = {"xyz": xyz.numpy(), "rgb": rgb.numpy(), "radius": np.full(n, 0.01, np.float32),
              "last_seen": np.full(n, PINNED, np.int32), "born": np.zeros(n, np.int32)}
    doc = msgpack.unpackb(pack_world({"width": SIZE, "height": SIZE}, np.eye(4), 0, n, "x", points))
    doc["version"] = 1
    del doc["layers"], doc["born"]
    old = WorldSession.load(msgpack.packb(doc), model)
    assert not old.cache.layers and old.cache.n == n
    assert psnr(old.step().rgb, s.step().rgb) >= 40


# -- the world's scale and the walking body ------------------------------------------------------------
def _room(model, walk: bool = True, hint: ScaleHint | None = None) -> WorldSession:
    """A level camera 1.6 m above a floor, facing a wall 5 m away."""
    K = Intrinsics.from_fov(SIZE, SIZE, 60.0)
    v = np.arange(SIZE) + 0.5
    floor = 1.6 * K.fy / np.maximum(v - K.cy, 1e-6)  # depth where a ray meets the floor
    depth = np.minimum(np.where(v > K.cy, floor, np.inf), 5.0)[:, None].repeat(SIZE, 1).astype(np.float32)
    return WorldSession.create(_texture(1), depth, SessionConfig(SIZE, SIZE, walk=walk), model, scale_hint=hint)


def test_the_scale_is_measured_from_the_seed(model):
    s = _room(model)
    assert s.scale.camera_height_m == pytest.approx(1.6, rel=0.02)
    assert s.scale.median_depth_m == pytest.approx(5.0, rel=0.05)
    doubled = _room(model, hint=ScaleHint(factor=2.0))
    assert doubled.scale.walk_speed_mps == pytest.approx(2 * s.scale.walk_speed_mps, rel=1e-5)
    assert doubled.scale.camera_height_m == pytest.approx(3.2, rel=0.02)


def test_walking_into_the_wall_stops_short_of_it(model):
    s = _room(model)
    for _ in range(10):
        f = s.step(CameraAction(move=(0, 0, 1.0)))  # 10 m toward a wall 5 m away
    ahead = -f.pose[2, 3]
    assert 5.0 - ahead == pytest.approx(s.scale.clearance_m, abs=0.05)
    free = _room(model, walk=False)
    for _ in range(10):
        free.step(CameraAction(move=(0, 0, 1.0)))
    assert -free.pose[2, 3] == pytest.approx(10.0)  # without walk mode the camera goes through


def test_walking_never_goes_below_the_ground(model):
    s = _room(model)
    s.step(CameraAction(turn=(0, -60, 0)))  # look down at the floor
    for _ in range(20):
        f = s.step(CameraAction(move=(0, -0.5, 0.5)))
    assert f.pose[1, 3] >= -1.6 + 0.25 * 1.6 - 1e-6


def test_reset_returns_the_start_pose_and_frame(model):
    s = _room(model)
    first = s.step()
    for a in [CameraAction(move=(0.5, 0, 1.0), turn=(30, 10, 0))] * 3:
        s.step(a)
    s.reset()
    again = s.step()
    assert np.array_equal(again.pose, first.pose) and np.array_equal(again.rgb, first.rgb)
