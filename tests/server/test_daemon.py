"""The daemon end to end over gRPC: create, stream, loop walks, fork, save/load, export."""

import queue
import re

import numpy as np

from gwm_engine.client import CameraAction
from gwm_engine.evaluation.metrics import psnr
from gwm_engine.geometry import Intrinsics, apply_action
from gwm_engine.protocol.version import PROTOCOL_VERSION

SIZE = 64


def check_frame(frame, width: int, height: int) -> None:
    assert frame.rgb.shape == (height, width, 3) and frame.rgb.dtype == np.uint8
    assert frame.depth.shape == (height, width) and frame.depth.dtype == np.float32
    assert frame.mask.shape == (height, width) and frame.mask.dtype == bool
    assert np.all(np.isfinite(frame.depth)) and frame.depth.min() > 0 and frame.depth.max() < 1e3
    assert frame.pose.shape == (4, 4) and frame.pose.dtype == np.float64


def test_get_info_describes_the_server(client):
    info = client.info()
    assert info["protocol_version"] == PROTOCOL_VERSION and info["supported_protocol_versions"] == ["1.x"]
    assert info["model_name"] and info["model_version"]
    assert "RGB_ENCODING_JPEG" in info["rgb_encodings"] and "DEPTH_ENCODING_UINT16_MM" in info["depth_encodings"]
    assert int(info["max_message_bytes"]) == 64 * 1024 * 1024


def test_create_from_png_gives_the_seed_view(client, seed_png):
    with client.create_session(seed_png, width=96, height=64, fov_deg=50) as session:
        frame = session.frame
        check_frame(frame, 96, 64)
        assert frame.seq == 0 and frame.index == 1
        np.testing.assert_allclose(frame.pose, np.eye(4))
        assert frame.intrinsics == Intrinsics.from_fov(96, 64, 50)
        assert frame.mask.mean() > 0.95  # the seed view is all seen, nothing generated
        assert {"server_total", "server_wait", "server_encode"} <= frame.timings.keys()


def test_50_streamed_steps_integrate_the_actions(client, seed_png, lockstep):
    actions = [
        CameraAction(move=(0.01 * np.sin(i / 5), 0.0, 0.03), turn=(1.0, 0.5 * np.cos(i / 7), 0.0)) for i in range(50)
    ]
    answered: queue.Queue[int] = queue.Queue()
    with client.create_session(seed_png, width=SIZE, height=SIZE) as session:
        pose = session.pose
        frames = []
        for frame in session.play(lockstep(actions, answered)):
            frames.append(frame)
            answered.put(frame.seq)
        assert [f.seq for f in frames] == list(range(1, 51))
        for action, frame in zip(actions, frames):
            check_frame(frame, SIZE, SIZE)
            pose = apply_action(pose, action)
            np.testing.assert_allclose(frame.pose, pose, atol=1e-9)
        assert frames[-1].index == 51


def test_actions_sent_faster_than_frames_are_coalesced(client, seed_png):
    """Latest action wins: everything sent is applied, in fewer (or as many) frames."""
    with client.create_session(seed_png, width=SIZE, height=SIZE) as session:
        frames = list(session.play(CameraAction(move=(0.0, 0.0, 0.01)) for _ in range(40)))
        seqs = [f.seq for f in frames]
        assert 1 <= len(frames) <= 40 and seqs == sorted(set(seqs)) and seqs[-1] == 40
        np.testing.assert_allclose(frames[-1].pose[:3, 3], (0.0, 0.0, -0.4), atol=1e-9)


def test_loop_walk_comes_back_to_the_first_frame(client, seed_png, lockstep):
    out = [CameraAction(move=(0.0, 0.0, 0.05), turn=(3.0, 0.0, 0.0))] * 8
    back = [CameraAction(move=(0.0, 0.0, -0.05)), CameraAction(turn=(-3.0, 0.0, 0.0))] * 8
    answered: queue.Queue[int] = queue.Queue()
    with client.create_session(seed_png, width=SIZE, height=SIZE) as session:
        first = session.frame
        for frame in session.play(lockstep(out + back, answered)):
            answered.put(frame.seq)
        np.testing.assert_allclose(frame.pose, first.pose, atol=1e-9)
        assert psnr(frame.rgb, first.rgb) >= 35.0


def test_fork_diverges_and_leaves_the_original_unchanged(client, seed_png):
    with client.create_session(seed_png, width=SIZE, height=SIZE) as original:
        original.step(move=(0.0, 0.0, 0.1))
        fork, twin = original.fork(), original.fork()
        assert fork.id != original.id != twin.id
        diverged = fork.step(move=(0.3, 0.0, 0.2), turn=(25.0, 0.0, 0.0))
        here = original.step(move=(-0.2, 0.0, 0.0))
        there = twin.step(move=(-0.2, 0.0, 0.0))
        # The fork's actions touched neither the original nor its twin: they still agree exactly.
        np.testing.assert_array_equal(here.rgb, there.rgb)
        np.testing.assert_array_equal(here.depth, there.depth)
        np.testing.assert_allclose(here.pose, there.pose)
        assert psnr(diverged.rgb, here.rgb) < 30.0
        assert not np.allclose(diverged.pose, here.pose)
        fork.close()
        twin.close()


def test_save_close_load_gives_the_same_next_frame(client, seed_png):
    action = dict(move=(0.1, 0.0, 0.15), turn=(-8.0, 2.0, 0.0))
    session = client.create_session(seed_png, width=SIZE, height=48, fov_deg=70)
    session.step(move=(0.0, 0.0, 0.2), turn=(10.0, 0.0, 0.0))
    saved_pose = session.pose
    data = session.save()
    expected = session.step(**action)
    session.close()
    with client.load_world(data) as loaded:
        assert (loaded.width, loaded.height, loaded.fov_deg) == (SIZE, 48, 70)
        np.testing.assert_allclose(loaded.pose, saved_pose)
        got = loaded.step(**action)
    np.testing.assert_array_equal(got.rgb, expected.rgb)
    np.testing.assert_array_equal(got.depth, expected.depth)
    np.testing.assert_allclose(got.pose, expected.pose)
    assert got.index == expected.index


def parse_ply(data: bytes) -> np.ndarray:
    """A binary little-endian PLY with x y z float and red green blue uchar -> structured array."""
    end = data.index(b"end_header\n") + len(b"end_header\n")
    header = data[:end].decode("ascii")
    assert header.startswith("ply\nformat binary_little_endian 1.0\n")
    count = int(re.search(r"element vertex (\d+)", header).group(1))
    props = re.findall(r"property (\w+) (\w+)", header)
    assert props == [("float", "x"), ("float", "y"), ("float", "z"), ("uchar", "red"), ("uchar", "green"), ("uchar", "blue")]
    dtype = np.dtype([("x", "<f4"), ("y", "<f4"), ("z", "<f4"), ("red", "u1"), ("green", "u1"), ("blue", "u1")])
    assert len(data) - end == count * dtype.itemsize
    return np.frombuffer(data, dtype=dtype, offset=end)


def test_export_geometry_is_a_plausible_point_cloud(client, seed_png):
    with client.create_session(seed_png, width=SIZE, height=SIZE) as session:
        session.step(turn=(30.0, 0.0, 0.0))
        points = parse_ply(session.export_geometry())
    # The seed view alone gives one point per pixel; the turn adds newly generated ones.
    assert SIZE * SIZE <= len(points) <= 8 * SIZE * SIZE
    xyz = np.stack([points["x"], points["y"], points["z"]], axis=1)
    assert np.all(np.isfinite(xyz)) and np.abs(xyz).max() < 1e3
    assert np.mean(xyz[:, 2] < 0) > 0.9  # the seed camera looks down -z


def test_stereo_frames_carry_both_eyes(client, seed_png):
    with client.create_session(seed_png, width=SIZE, height=48, stereo=True, ipd_m=0.07) as session:
        frame = session.step(move=(0.0, 0.0, 0.1))
        check_frame(frame, SIZE, 48)
        check_frame(frame.right, SIZE, 48)
        offset = frame.right.pose[:3, 3] - frame.pose[:3, 3]
        np.testing.assert_allclose(offset, frame.pose[:3, 0] * 0.07, atol=1e-9)


def test_a_1280x720_stereo_frame_fits_the_message_limits(client, seed_png):
    """Raw RGB + float32 depth + mask for two 720p eyes is ~15 MB, far over gRPC's 4 MiB default."""
    with client.create_session(seed_png, width=1280, height=720, stereo=True) as session:
        frame = session.step(move=(0.0, 0.0, 0.05))
        check_frame(frame.right, 1280, 720)
