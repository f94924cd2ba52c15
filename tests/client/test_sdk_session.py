"""The SDK's session API against the real daemon."""

import grpc
import numpy as np
import pytest

from gwm_engine.client import CameraAction, LocalDaemon, WorldClient, WorldError
from gwm_engine.geometry import apply_action

SIZE = 64


@pytest.fixture
def session(client, seed_png):
    with client.create_session(seed_png, width=SIZE, height=SIZE) as s:
        yield s


def test_step_and_set_pose_move_the_camera(session):
    frame = session.step(move=(0.0, 0.0, 0.5), turn=(10.0, 0.0, 0.0))
    expected = apply_action(np.eye(4), CameraAction(move=(0.0, 0.0, 0.5), turn=(10.0, 0.0, 0.0)))
    np.testing.assert_allclose(frame.pose, expected, atol=1e-9)
    np.testing.assert_allclose(session.pose, expected, atol=1e-9)
    target = np.eye(4)
    target[:3, 3] = (0.2, 0.1, -0.3)
    np.testing.assert_allclose(session.set_pose(target).pose, target)


def test_sequence_numbers_count_every_action(session):
    assert session.step().seq == 1
    assert [f.seq for f in session.play([CameraAction()] * 1)] == [2]
    assert session.step().seq == 3


def test_leaving_play_early_ends_the_stream(session):
    def endless():
        while True:
            yield CameraAction(turn=(1.0, 0.0, 0.0))

    for count, frame in enumerate(session.play(endless()), 1):  # noqa: B007 - the last frame is checked after the loop
        if count == 3:
            break
    assert session.step().index > frame.index  # the session is free again


def test_errors_carry_the_status_code(session):
    with pytest.raises(WorldError) as info:
        session.step(move=(float("nan"), 0.0, 0.0))
    assert info.value.code == grpc.StatusCode.INVALID_ARGUMENT
    assert str(info.value).startswith("INVALID_ARGUMENT: action seq")


def test_a_fork_starts_at_its_parents_pose_without_a_frame(session):
    session.step(move=(0.0, 0.0, 0.3))
    with session.fork() as fork:
        assert fork.frame is None
        np.testing.assert_allclose(fork.pose, session.pose)
        assert fork.step().index == session.frame.index + 1


def test_close_is_final(client, seed_png):
    with client.create_session(seed_png, width=SIZE, height=SIZE) as session:
        pass
    assert session.closed
    with pytest.raises(WorldError) as info:
        session.step()
    assert info.value.code == grpc.StatusCode.NOT_FOUND


def test_info_is_a_plain_dict(client):
    info = client.info()
    assert info["protocol_version"].startswith("1.") and info["open_sessions"] >= 0


@pytest.mark.daemon  # starts its own
def test_a_daemon_that_cannot_start_raises_with_its_log():
    with pytest.raises(RuntimeError, match="max_sessions"):
        LocalDaemon(["--max-sessions", "0"])


def test_no_daemon_is_unavailable():
    with WorldClient("127.0.0.1:9", timeout_s=5) as client:
        with pytest.raises(WorldError) as info:
            client.info()
    assert info.value.code == grpc.StatusCode.UNAVAILABLE
