"""Camera actions: relative moves/turns in the camera frame, or an absolute pose (VR).

The convention (proto/ENGINE_LINK.md "Camera actions" states it for clients):
orientation is three Euler angles, R = Ry(yaw) Rx(pitch) Rz(roll), the order of Godot's
default YXZ rotation and of Unity's Euler angles. Yaw + turns left about world +y, pitch + looks
up, roll + tilts the image counter-clockwise. A relative action reads the previous pose's angles
(pitch in [-90, 90]), adds its turns to them, clamps pitch to +-PITCH_LIMIT_DEG so the camera
never flips over, and then moves (right, up, forward) in the turned camera frame. So pitch turns
about the camera's x only while roll is 0; with roll it turns about the yawed x axis, as an
engine's yaw-pitch-roll camera does. Several actions compose by applying them one by one.
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

# The wire's names of the components, so an error names the field a client sent.
MOVE_FIELDS = ("move_right_m", "move_up_m", "move_forward_m")
TURN_FIELDS = ("turn_yaw_deg", "turn_pitch_deg", "turn_roll_deg")


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


def _number(value: float) -> str:
    return f"{float(value):g}"


@dataclass
class CameraAction:
    """One camera action. With `pose` set it is absolute and `move`/`turn` are ignored.

    `then`: actions applied after this one, in order. A Play stream's pending action holds the
    actions that arrived while a frame was being produced this way, so its frame lands exactly
    where applying them one by one leads (summing them would not: turns and moves do not
    commute).
    """

    move: tuple[float, float, float] = (0.0, 0.0, 0.0)  # (right, up, forward) metres, camera frame
    turn: tuple[float, float, float] = (0.0, 0.0, 0.0)  # (yaw, pitch, roll) degrees
    pose: np.ndarray | None = field(default=None)  # 4x4 world-from-camera
    then: tuple[CameraAction, ...] = ()

    def validate(self) -> CameraAction:
        """Raise InvalidInput, naming the wire field and its value, for non-finite or absurd
        values; returns self for chaining."""
        if self.pose is not None:
            validate_pose(self.pose)
        else:
            for kind, vec, names, limit, unit in (
                ("move", self.move, MOVE_FIELDS, MAX_MOVE_M, "m"),
                ("turn", self.turn, TURN_FIELDS, MAX_TURN_DEG, "degrees"),
            ):
                if len(vec) != 3:
                    raise InvalidInput(f"{kind} must have 3 components ({', '.join(names)}), got {len(vec)}")
                for name, value in zip(names, vec):
                    if not math.isfinite(value):
                        raise InvalidInput(f"{name} must be a finite number, got {_number(value)}")
                    if abs(value) > limit:
                        raise InvalidInput(f"{name} must be within +-{limit:g} {unit}, got {_number(value)}")
        for later in self.then:
            later.validate()
        return self

    def steps(self) -> list[CameraAction]:
        """This action and those of `then`, each on its own."""
        head = CameraAction(self.move, self.turn, self.pose) if self.then else self
        return [head, *(s for later in self.then for s in (later.steps() if later.then else (later,)))]

    def __add__(self, other: CameraAction) -> CameraAction:
        """`self`, then `other`, exactly. An absolute pose replaces what came before it, and
        relative actions right after an absolute pose fold into it, so a chain starts with at
        most one pose."""
        chain: list[CameraAction] = []
        for step in self.steps() + other.steps():
            if step.pose is not None:
                chain = [step]
            elif chain and chain[0].pose is not None and len(chain) == 1:
                chain = [CameraAction(pose=_apply_one(chain[0].pose, step))]
            else:
                chain.append(step)
        return CameraAction(chain[0].move, chain[0].turn, chain[0].pose, tuple(chain[1:]))


def validate_pose(pose: np.ndarray) -> np.ndarray:
    """Check a 4x4 rigid world-from-camera matrix; returns it as float64."""
    p = np.asarray(pose, dtype=np.float64)
    if p.shape != (4, 4):
        raise InvalidInput(f"pose must be 16 numbers (a 4x4 matrix), got {p.size}")
    if not np.all(np.isfinite(p)):
        bad = int(np.flatnonzero(~np.isfinite(p.ravel()))[0])
        raise InvalidInput(f"pose must be finite, got {_number(p.ravel()[bad])} at index {bad}")
    R = p[:3, :3]
    if not np.allclose(R @ R.T, np.eye(3), atol=1e-3) or np.linalg.det(R) < 0:
        raise InvalidInput("pose rotation (its upper-left 3x3) must be orthonormal and right-handed")
    if not np.allclose(p[3], (0, 0, 0, 1), atol=1e-6):
        raise InvalidInput(f"pose last row (indices 12..15) must be 0 0 0 1, got {' '.join(_number(v) for v in p[3])}")
    if np.any(np.abs(p[:3, 3]) > MAX_COORD_M):
        raise InvalidInput(f"pose translation (indices 3, 7, 11) must be within +-{MAX_COORD_M:g} m")
    return p


def _apply_one(pose: np.ndarray, action: CameraAction) -> np.ndarray:
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
        raise InvalidInput(f"the camera would leave the world (+-{MAX_COORD_M:g} m on an axis)")
    return out


def apply_action(pose: np.ndarray, action: CameraAction) -> np.ndarray:
    """The pose after `action` (and its `then`, in order): each turns (pitch clamped), then
    moves in the turned camera frame."""
    action.validate()
    for step in action.steps():
        pose = _apply_one(pose, step)
    return pose
