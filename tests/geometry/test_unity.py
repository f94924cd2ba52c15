import numpy as np
from unity_pose import pose_from_unity, pose_to_unity

from gwm_engine.geometry.actions import CameraAction, apply_action


def test_identity_maps_to_unity_identity():
    pos, q = pose_to_unity(np.eye(4))
    assert np.allclose(pos, 0) and np.allclose(q, (0, 0, 0, 1))


def test_forward_is_unity_plus_z():
    pose = apply_action(np.eye(4), CameraAction(move=(0, 0, 3)))  # 3 m forward: our -z
    pos, _ = pose_to_unity(pose)
    assert np.allclose(pos, (0, 0, 3))


def test_yaw_left_is_negative_unity_yaw():
    # Unity yaw (rotation about +y, left-handed) is positive to the right; our yaw + turns left.
    _, q = pose_to_unity(apply_action(np.eye(4), CameraAction(turn=(30, 0, 0))))
    assert np.isclose(q[1], -np.sin(np.radians(15))) and np.isclose(q[3], np.cos(np.radians(15)))


def test_round_trip_many_poses():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a = CameraAction(move=tuple(rng.normal(size=3)), turn=tuple(rng.uniform(-170, 170, 3)))
        pose = apply_action(np.eye(4), a)
        back = pose_from_unity(*pose_to_unity(pose))
        assert np.allclose(back, pose, atol=1e-9)
