"""Seeded camera trajectories through a scene's free space, as CameraActions.

A trajectory is a start pose plus actions, so the same actions can drive a world session;
`poses[i]` is the pose after `actions[i]`, computed with `apply_action`. Moving kinds start from
the level version of the start pose (pitch and roll removed): a pitched camera walking
"forward" would climb or sink, and an out-and-back loop would not close.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from gwm_engine.errors import InvalidInput
from gwm_engine.geometry.actions import (
    CameraAction,
    apply_action,
    rotation_from_ypr,
    ypr_from_rotation,
)
from gwm_engine.scenes.render import Scene

KINDS = ("walk", "look", "strafe", "loop")


@dataclass
class Trajectory:
    start: np.ndarray  # (4, 4) world-from-camera
    actions: list[CameraAction]
    poses: list[np.ndarray]  # poses[i] = pose after actions[i]


@dataclass(frozen=True)
class TrajectoryConfig:
    step: float = 0.15  # metres per move
    max_turn: float = 4.0  # degrees per step of the gentle heading drift while walking
    avoid_turn: float = 15.0  # degrees per step when turning away from an obstacle
    look_turn: float = 6.0  # degrees per step for look-around
    max_pitch: float = 30.0  # look-around stays within this pitch
    margin: float = 0.35  # metres kept between the body and any surface
    lookahead: float = 0.6  # metres ahead of the body that must be free too


def make_trajectory(
    scene: Scene,
    kind: str = "walk",
    steps: int = 40,
    seed: int = 0,
    start: np.ndarray | None = None,
    config: TrajectoryConfig | None = None,
) -> Trajectory:
    """A `kind` trajectory (walk, look, strafe, loop) of `steps` actions from `start`
    (default: the scene's spawn pose). Loops end exactly where and how they started."""
    if kind not in KINDS:
        raise InvalidInput(f"unknown trajectory kind {kind!r}; expected one of {KINDS}")
    if steps < 1:
        raise InvalidInput(f"steps must be >= 1, got {steps}")
    cfg = config or TrajectoryConfig()
    rng = np.random.default_rng([KINDS.index(kind), int(seed)])
    pose = scene.spawn_pose() if start is None else np.asarray(start, dtype=np.float64)
    if kind != "look":
        pose = _level(pose)
    body = _Body(scene, cfg)
    actions = {"walk": _walk, "look": _look, "strafe": _strafe, "loop": _loop}[kind](pose, steps, rng, cfg, body)
    poses, p = [], pose
    for a in actions:
        p = apply_action(p, a)
        poses.append(p)
    return Trajectory(pose, actions, poses)


def _level(pose: np.ndarray) -> np.ndarray:
    yaw, _, _ = ypr_from_rotation(pose[:3, :3])
    out = np.eye(4)
    out[:3, :3] = rotation_from_ypr(yaw, 0.0, 0.0)
    out[:3, 3] = pose[:3, 3]
    return out


class _Body:
    """Free-space test for a standing body: points from the knees to the eye keep `margin`."""

    def __init__(self, scene: Scene, cfg: TrajectoryConfig) -> None:
        self.scene, self.cfg = scene, cfg

    def can_move(self, pose: np.ndarray, action: CameraAction) -> bool:
        a, nxt = pose[:3, 3], apply_action(pose, action)[:3, 3]
        step = nxt - a
        ahead = step / max(np.linalg.norm(step), 1e-9) * self.cfg.lookahead
        centres = np.stack([a + 0.5 * step, nxt, nxt + ahead])
        heights = [h for h in (0.0, -0.6, -1.1) if a[1] + h > 0.45]
        points = np.concatenate([centres + np.array([0.0, h, 0.0]) for h in heights])
        return bool(self.scene.clearance(points).min() >= self.cfg.margin)

    def open_side(self, pose: np.ndarray) -> float:
        """+1 if there is more room to the left (turn + yaw) than to the right, else -1."""
        side, ahead = math.sin(math.radians(60)), math.cos(math.radians(60))
        dirs = np.stack([pose[:3, :3] @ np.array([-s * side, 0.0, -ahead]) for s in (1, -1)])
        left, right = self.scene.raycast(pose[:3, 3], dirs)
        return 1.0 if left >= right else -1.0


def _walk(pose, steps, rng, cfg, body) -> list[CameraAction]:
    actions, drift, avoiding = [], 0.0, 0.0
    for _ in range(steps):
        drift = float(np.clip(0.8 * drift + rng.normal(0, cfg.max_turn / 2), -cfg.max_turn, cfg.max_turn))
        a = CameraAction(move=(0.0, 0.0, cfg.step), turn=(drift, 0.0, 0.0))
        if body.can_move(pose, a):
            avoiding = 0.0
        else:  # turn in place, keeping the same side until the way is clear
            avoiding = avoiding or body.open_side(pose)
            a = CameraAction(turn=(avoiding * cfg.avoid_turn, 0.0, 0.0))
        actions.append(a)
        pose = apply_action(pose, a)
    return actions


def _look(pose, steps, rng, cfg, body) -> list[CameraAction]:
    actions, yaw_rate, pitch_rate = [], 0.0, 0.0
    pitch = ypr_from_rotation(pose[:3, :3])[1]
    limit = cfg.look_turn
    for _ in range(steps):
        yaw_rate = float(np.clip(0.85 * yaw_rate + rng.normal(0, limit / 2), -limit, limit))
        pitch_rate = float(np.clip(0.85 * pitch_rate + rng.normal(0, limit / 3), -limit, limit))
        if abs(pitch + pitch_rate) > cfg.max_pitch:
            pitch_rate = -pitch_rate
        pitch += pitch_rate
        actions.append(CameraAction(turn=(yaw_rate, pitch_rate, 0.0)))
    return actions


def _strafe(pose, steps, rng, cfg, body) -> list[CameraAction]:
    actions, side = [], float(rng.choice([-1.0, 1.0]))
    for _ in range(steps):
        jitter = float(rng.normal(0, 0.5))
        a = CameraAction(move=(side * cfg.step, 0.0, 0.0), turn=(jitter, 0.0, 0.0))
        if not body.can_move(pose, a):
            side = -side
            a = CameraAction(move=(side * cfg.step, 0.0, 0.0), turn=(jitter, 0.0, 0.0))
            if not body.can_move(pose, a):  # boxed in both ways: only look around
                a = CameraAction(turn=(cfg.avoid_turn, 0.0, 0.0))
        actions.append(a)
        pose = apply_action(pose, a)
    return actions


def _loop(pose, steps, rng, cfg, body) -> list[CameraAction]:
    """Walk out, turn 180 degrees, retrace the way back, turn 180 degrees again.

    Out: turn t_i then move f_i (i = 1..k). Back, facing the other way, the same path is
    move f_k, turn -t_k, move f_(k-1), ..., move f_1, turn -t_1; packed into turn-then-move
    actions around the two half-turns that costs 2k - 1 + a + b actions for half-turns split
    into a and b steps. Too few steps for that: a full turn in place."""
    turn_steps = max(1, min(6, (steps + 1) // 4))
    k = (steps + 1 - 2 * turn_steps) // 2
    if k < 1:
        return [CameraAction(turn=(360.0 / steps, 0.0, 0.0)) for _ in range(steps)]
    out = _walk(pose, k, rng, cfg, body)
    turns = [a.turn[0] for a in out]
    moves = [a.move[2] for a in out]
    a_steps, b_steps = turn_steps, steps + 1 - 2 * k - turn_steps
    half_a, half_b = 180.0 / a_steps, 180.0 / b_steps
    back = [CameraAction(turn=(half_a, 0.0, 0.0)) for _ in range(a_steps - 1)]
    back.append(CameraAction(move=(0.0, 0.0, moves[-1]), turn=(half_a, 0.0, 0.0)))
    for i in range(k - 1, 0, -1):
        back.append(CameraAction(move=(0.0, 0.0, moves[i - 1]), turn=(-turns[i], 0.0, 0.0)))
    back.append(CameraAction(turn=(-turns[0] + half_b, 0.0, 0.0)))
    back += [CameraAction(turn=(half_b, 0.0, 0.0)) for _ in range(b_steps - 1)]
    return out + back
