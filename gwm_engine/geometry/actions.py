"""Camera actions: relative moves/turns in the camera frame, or an absolute pose (VR).

Orientation is kept as yaw (about world +y), pitch (about the camera's x) and roll (about its
z), R = Ry(yaw) Rx(pitch) Rz(roll). Yaw + turns left, pitch + looks up, roll + tilts the image
counter-clockwise. Pitch is clamped to +-PITCH_LIMIT_DEG so the camera never flips over.
A relative action turns first, then moves (right, up, forward) in the turned camera frame.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from gwm_engine.errors import InvalidInput

PITCH_LIMIT_DEG = 89.0
# Largest relative move (metres) and turn (degrees) one action may carry; anything larger is a
# client bug (or an attack), not a camera motion, and is refused rather than clamped.
MAX_MOVE_M = 100.0
MAX_TURN_DEG = 360.0
MAX_COORD_M = 1e5


def _rot_x(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])


def _rot_y(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])


def _rot_z(a: float) -> np.ndarray:
    c, s = math.cos(a), math.sin(a)
    return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])


def rotation_from_ypr(yaw_deg: float, pitch_deg: float, roll_deg: float) -> np.ndarray:
    return _rot_y(math.radians(yaw_deg)) @ _rot_x(math.radians(pitch_deg)) @ _rot_z(math.radians(roll_deg))


def ypr_from_rotation(R: np.ndarray) -> tuple[float, float, float]:
    """Inverse of rotation_from_ypr (degrees); at pitch +-90 yaw absorbs roll."""
    pitch = math.asin(max(-1.0, min(1.0, -R[1, 2])))
    if abs(R[1, 2]) < 1 - 1e-9:
        yaw = math.atan2(R[0, 2], R[2, 2])
        roll = math.atan2(R[1, 0], R[1, 1])
    else:
        yaw, roll = math.atan2(-R[2, 0], R[0, 0]), 0.0
    return math.degrees(yaw), math.degrees(pitch), math.degrees(roll)


@dataclass
class CameraAction:
    """One camera action. With `pose` set it is absolute and `move`/`turn` are ignored."""

    move: tuple[float, float, float] = (0.0, 0.0, 0.0)  # (right, up, forward) metres, camera frame
    turn: tuple[float, float, float] = (0.0, 0.0, 0.0)  # (yaw, pitch, roll) degrees
    pose: np.ndarray | None = field(default=None)  # 4x4 world-from-camera

    def validate(self) -> "CameraAction":
        """Raise InvalidInput for non-finite or absurd values; returns self for chaining."""
        if self.pose is not None:
            validate_pose(self.pose)
            return self
        for name, vec, limit in (("move", self.move, MAX_MOVE_M), ("turn", self.turn, MAX_TURN_DEG)):
            v = np.asarray(vec, dtype=np.float64)
            if v.shape != (3,):
                raise InvalidInput(f"{name} must have 3 components, got shape {v.shape}")
            if not np.all(np.isfinite(v)):
                raise InvalidInput(f"{name} must be finite, got {tuple(v)}")
            if np.any(np.abs(v) > limit):
                raise InvalidInput(f"{name} components must be within +-{limit}, got {tuple(v)}")
        return self

    def __add__(self, other: "CameraAction") -> "CameraAction":
        """Coalesce two relative actions (moves and turns summed); an absolute pose wins."""
        if other.pose is not None:
            return other
        if self.pose is not None:
            raise InvalidInput("cannot add a relative action to an absolute one")
        return CameraAction(
            tuple(a + b for a, b in zip(self.move, other.move)),
            tuple(a + b for a, b in zip(self.turn, other.turn)),
        )


def validate_pose(pose: np.ndarray) -> np.ndarray:
    """Check a 4x4 rigid world-from-camera matrix; returns it as float64."""
    p = np.asarray(pose, dtype=np.float64)
    if p.shape != (4, 4):
        raise InvalidInput(f"pose must be 4x4, got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise InvalidInput("pose must be finite")
    R = p[:3, :3]
    if not np.allclose(R @ R.T, np.eye(3), atol=1e-3) or np.linalg.det(R) < 0:
        raise InvalidInput("pose rotation must be orthonormal and right-handed")
    if not np.allclose(p[3], (0, 0, 0, 1), atol=1e-6):
        raise InvalidInput("pose last row must be (0, 0, 0, 1)")
    if np.any(np.abs(p[:3, 3]) > MAX_COORD_M):
        raise InvalidInput(f"pose translation must be within +-{MAX_COORD_M} m")
    return p


def apply_action(pose: np.ndarray, action: CameraAction) -> np.ndarray:
    """The pose after `action`: turn (pitch clamped), then move in the turned camera frame."""
    action.validate()
    if action.pose is not None:
        return np.array(action.pose, dtype=np.float64)
    yaw, pitch, roll = ypr_from_rotation(pose[:3, :3])
    dyaw, dpitch, droll = action.turn
    pitch = max(-PITCH_LIMIT_DEG, min(PITCH_LIMIT_DEG, pitch + dpitch))
    R = rotation_from_ypr(yaw + dyaw, pitch, roll + droll)
    right, up, forward = action.move
    out = np.eye(4)
    out[:3, :3] = R
    out[:3, 3] = pose[:3, 3] + R @ np.array([right, up, -forward])
    if np.any(np.abs(out[:3, 3]) > MAX_COORD_M):
        raise InvalidInput(f"the camera would leave the world (+-{MAX_COORD_M} m)")
    return out
