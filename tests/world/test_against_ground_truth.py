"""The world cache against the scene renderer's exact ground truth.

A session starts at the identity pose; the scene pose it stands for is `start @ session_pose`
(trajectories start level, so yaw/pitch/roll decompose the same way in both frames).
"""

import numpy as np
import pytest

from gwm_engine.evaluation.metrics import psnr
from gwm_engine.geometry import CameraAction, Intrinsics
from gwm_engine.media import to_rgb8
from gwm_engine.scenes import make_scene, make_trajectory
from gwm_engine.world import SessionConfig, WorldSession

SIZE = (160, 120)


def _render(scene, pose, K):
    rgb, depth = scene.render(pose, K)
    return to_rgb8(rgb), np.asarray(depth, dtype=np.float32)


def _seeded(scene, start, model):
    K = Intrinsics.from_fov(*SIZE, 60.0)
    rgb, depth = _render(scene, start, K)
    return WorldSession.create(rgb, depth, SessionConfig(*SIZE), model), K


# Street facades carry window and brick detail near the pixel scale, which nearest-point
# resampling loses: 28-30 dB measured there (bilinear splatting adds ~1.5 dB at 3-4x the cost).
ROTATION_PSNR_DB = {"indoor": 30, "outdoor": 30, "street": 28}


@pytest.mark.parametrize("family", ["indoor", "outdoor", "street"])
def test_pure_rotation_matches_ground_truth_on_covered_pixels(family, model):
    scene = make_scene(family, seed=4)
    start = make_trajectory(scene, "walk", steps=1, seed=0).start
    session, K = _seeded(scene, start, model)
    for turn in [(12, 0, 0), (-8, 6, 0), (0, 0, 10)]:
        f = session.fork().step(CameraAction(turn=turn))  # each from the seed: covered = seen
        truth, _ = _render(scene, start @ f.pose, K)
        assert f.mask.mean() > 0.6
        assert psnr(f.rgb, truth, f.mask) >= ROTATION_PSNR_DB[family], (family, turn)


@pytest.mark.parametrize("family", ["indoor", "street"])
def test_loop_walk_returns_to_the_first_frame(family, model):
    scene = make_scene(family, seed=2)
    traj = make_trajectory(scene, "loop", steps=24, seed=1)
    session, K = _seeded(scene, traj.start, model)
    first = session.step()
    for action in traj.actions:
        last = session.step(action)
    assert np.allclose(last.pose, np.eye(4), atol=1e-6)
    assert psnr(last.rgb, first.rgb) >= 35


def test_seed_depth_reprojects_with_exact_geometry(model):
    """Translate and compare depth too: the cache is metric, not just image-space."""
    scene = make_scene("indoor", seed=5)
    start = make_trajectory(scene, "walk", steps=1, seed=0).start
    session, K = _seeded(scene, start, model)
    f = session.step(CameraAction(move=(0.15, 0.0, 0.1)))
    _, depth = _render(scene, start @ f.pose, K)
    rel = np.abs(f.depth - depth)[f.mask] / depth[f.mask]
    assert np.median(rel) < 0.01
