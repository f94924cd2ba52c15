import numpy as np
import pytest

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry.actions import (
    PITCH_LIMIT_DEG,
    CameraAction,
    apply_action,
    rotation_from_ypr,
    validate_pose,
    ypr_from_rotation,
)


def test_yaw_positive_turns_left_and_pitch_positive_looks_up():
    left = apply_action(np.eye(4), CameraAction(turn=(90, 0, 0)))
    assert np.allclose(-left[:3, 2], (-1, 0, 0), atol=1e-9)  # forward now points to -x: left
    up = apply_action(np.eye(4), CameraAction(turn=(0, 30, 0)))
    assert -up[1, 2] > 0.49  # forward has a positive y component


def test_move_is_in_camera_frame_after_turn():
    pose = apply_action(np.eye(4), CameraAction(move=(0, 0, 2), turn=(90, 0, 0)))
    assert np.allclose(pose[:3, 3], (-2, 0, 0), atol=1e-9)
    pose = apply_action(np.eye(4), CameraAction(move=(1, 0.5, 0)))
    assert np.allclose(pose[:3, 3], (1, 0.5, 0))


def test_composition_matches_matrix_product():
    a = apply_action(np.eye(4), CameraAction(move=(0.3, 0, 1), turn=(20, 0, 0)))
    b = apply_action(a, CameraAction(move=(0, 0, 1), turn=(-35, 0, 0)))
    rel = np.linalg.inv(a) @ b  # b expressed in a's frame
    expected = np.eye(4)
    expected[:3, :3] = rotation_from_ypr(-35, 0, 0)
    expected[:3, 3] = expected[:3, :3] @ (0, 0, -1)
    assert np.allclose(rel, expected, atol=1e-9)


def test_inverse_actions_return_to_start():
    pose = np.eye(4)
    steps = [CameraAction(move=(0.1, 0, 0.4), turn=(7, 0, 0)) for _ in range(10)]
    for s in steps:
        pose = apply_action(pose, s)
    for s in reversed(steps):
        pose = apply_action(pose, CameraAction(move=tuple(-m for m in s.move)))
        pose = apply_action(pose, CameraAction(turn=tuple(-t for t in s.turn)))
    assert np.allclose(pose, np.eye(4), atol=1e-9)


def test_pitch_is_clamped_so_the_camera_never_flips():
    pose = np.eye(4)
    for _ in range(10):
        pose = apply_action(pose, CameraAction(turn=(0, 40, 0)))
    assert ypr_from_rotation(pose[:3, :3])[1] == pytest.approx(PITCH_LIMIT_DEG)
    assert pose[1, 1] > 0  # camera up still has a positive world-y component


def test_ypr_round_trip():
    for ypr in [(10, 20, 30), (-170, -80, 5), (0, 0, -90)]:
        assert np.allclose(ypr_from_rotation(rotation_from_ypr(*ypr)), ypr, atol=1e-9)


def test_absolute_pose_replaces_and_adding_actions_chains_them_in_order():
    target = np.eye(4)
    target[:3, 3] = (1, 2, 3)
    assert np.allclose(apply_action(np.eye(4), CameraAction(pose=target)), target)
    a, b = CameraAction(move=(1, 0, 0), turn=(5, 0, 0)), CameraAction(move=(0, 0, 2), turn=(1, 2, 0))
    assert np.allclose(apply_action(np.eye(4), a + b), apply_action(apply_action(np.eye(4), a), b), atol=1e-12)
    assert (a + b + CameraAction(pose=target)).pose is target
    after = CameraAction(pose=target) + a  # a relative action after a pose folds into it
    assert after.then == () and np.allclose(after.pose, apply_action(target, a))


def test_roll_then_pitch_composes_as_yaw_pitch_roll_euler_angles():
    """The spec's rotation order: R = Ry(yaw) Rx(pitch) Rz(roll), turns added to the angles."""
    pose = apply_action(apply_action(np.eye(4), CameraAction(turn=(0, 0, 10))), CameraAction(turn=(0, 5, 0)))
    assert np.allclose(pose[:3, :3], rotation_from_ypr(0, 5, 10), atol=1e-12)
    about_camera_x = rotation_from_ypr(0, 0, 10) @ rotation_from_ypr(0, 5, 0)  # the old text's literal reading
    assert np.abs(pose[:3, :3] - about_camera_x).max() > 0.01


@pytest.mark.parametrize("start", [(0, 0, 0), (30, -20, 0), (-120, 60, 0)])
def test_yaw_and_pitch_only_actions_turn_about_world_y_and_camera_x(start):
    pose = np.eye(4)
    pose[:3, :3] = rotation_from_ypr(*start)
    after = apply_action(pose, CameraAction(turn=(7, -4, 0)))
    expected = rotation_from_ypr(7, 0, 0) @ pose[:3, :3] @ rotation_from_ypr(0, -4, 0)
    assert np.allclose(after[:3, :3], expected, atol=1e-12)


def test_many_small_mixed_actions_chain_exactly_where_summing_drifts():
    rng = np.random.default_rng(3)
    actions = [CameraAction(move=tuple(rng.uniform(-0.05, 0.05, 3)), turn=tuple(rng.uniform(-3, 3, 3))) for _ in range(40)]
    one_by_one = np.eye(4)
    for a in actions:
        one_by_one = apply_action(one_by_one, a)
    chained = actions[0]
    for a in actions[1:]:
        chained = chained + a
    assert np.allclose(apply_action(np.eye(4), chained), one_by_one, atol=1e-12)
    summed = CameraAction(move=tuple(np.sum([a.move for a in actions], axis=0)),
                          turn=tuple(np.sum([a.turn for a in actions], axis=0)))
    assert np.linalg.norm(apply_action(np.eye(4), summed)[:3, 3] - one_by_one[:3, 3]) > 0.01


@pytest.mark.parametrize(
    ("action", "words"),
    [
        (CameraAction(move=(0.0, 0.0, float("nan"))), "move_forward_m must be a finite number, got nan"),
        (CameraAction(turn=(0.0, float("-inf"), 0.0)), "turn_pitch_deg must be a finite number, got -inf"),
        (CameraAction(move=(1e9, 0.0, 0.0)), "move_right_m must be within +-100 m, got 1e+09"),
        (CameraAction(turn=(0.0, 0.0, 1e4)), "turn_roll_deg must be within +-360 degrees, got 10000"),
        (CameraAction(pose=np.full((4, 4), np.nan)), "pose must be finite, got nan at index 0"),
    ],
)
def test_errors_name_the_wire_field_and_its_value_in_plain_numbers(action, words):
    with pytest.raises(InvalidInput) as info:
        apply_action(np.eye(4), action)
    assert str(info.value) == words
    assert "np." not in str(info.value)


@pytest.mark.parametrize(
    "action",
    [
        CameraAction(move=(float("nan"), 0, 0)),
        CameraAction(turn=(0, float("inf"), 0)),
        CameraAction(move=(1e9, 0, 0)),
        CameraAction(turn=(1e4, 0, 0)),
        CameraAction(move=(1, 2)),
        CameraAction(pose=np.full((4, 4), np.nan)),
        CameraAction(pose=np.eye(3)),
        CameraAction(pose=np.diag([2.0, 1, 1, 1])),
    ],
)
def test_bad_actions_raise_invalid_input(action):
    with pytest.raises(InvalidInput):
        apply_action(np.eye(4), action)


def test_validate_pose_rejects_mirror():
    with pytest.raises(InvalidInput, match="right-handed"):
        validate_pose(np.diag([1.0, 1, -1, 1]))
