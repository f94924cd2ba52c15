"""The SDK's 1.1.0 surface against the real daemon: scale attributes on every kind of session,
reset, GLB export, and its own checks of what it sends."""

import io

import numpy as np
import pytest
import trimesh

from gwm_engine.model.scale import ScaleHint

SIZE = 64


@pytest.fixture
def walker(client, noise_image):
    image = np.ascontiguousarray(noise_image[:SIZE, :SIZE])
    depth = np.full((SIZE, SIZE), 3.0, np.float32)
    with client.create_session(image, depth=depth, width=SIZE, height=SIZE, walk=True, scale_hint=ScaleHint(factor=0.5)) as s:
        yield s


def test_forks_and_loaded_worlds_keep_the_scale_and_walk_mode(client, walker):
    assert walker.median_depth_m == pytest.approx(1.5) and walker.walk is True
    assert walker.camera_height_m is None  # a wall: no ground in view
    fork = walker.fork()
    loaded = client.load_world(walker.save())
    for other in (fork, loaded):
        assert (other.median_depth_m, other.walk_speed_mps, other.turn_rate_dps, other.walk) == (
            walker.median_depth_m, walker.walk_speed_mps, walker.turn_rate_dps, True)  # fmt: skip
        other.close()


def test_reset_counts_as_an_action_and_returns_the_start(walker):
    walker.step(move=(0.3, 0.0, 0.5), turn=(30.0, 0.0, 0.0))
    frame = walker.reset()
    np.testing.assert_array_equal(frame.pose, np.eye(4))
    np.testing.assert_array_equal(walker.pose, np.eye(4))
    assert frame.seq == 2 and walker.step().seq == 3  # one sequence for steps and resets


def test_glb_export_reads_back_and_bad_arguments_fail_before_sending(walker):
    glb = walker.export_geometry("glb", collision_faces=200)
    scene = trimesh.load(io.BytesIO(glb), file_type="glb")
    assert set(scene.geometry) == {"world", "collision"}
    assert len(scene.geometry["collision"].faces) <= 200
    # the wall at 1.5 m (3 m halved by the hint) in front of the start camera
    np.testing.assert_allclose(scene.geometry["world"].bounds[:, 2], [-1.5, -1.5], atol=1e-4)
    with pytest.raises(ValueError, match="format must be one of ply, glb"):
        walker.export_geometry("obj")
