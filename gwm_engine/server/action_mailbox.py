"""Latest action wins: the one pending action of a Play stream.

A Play stream's reader puts every action it receives here; its producer takes the pending
action, steps the session and sends the frame. Actions that arrive while a frame is being
produced are coalesced into the pending one instead of queueing, so a client sending faster
than frames come never builds a backlog, and the next frame answers everything sent so far.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

import numpy as np

from gwm_engine.geometry import CameraAction, apply_action
from gwm_engine.geometry.actions import MAX_MOVE_M, MAX_TURN_DEG


@dataclass
class PendingAction:
    action: CameraAction
    seq: int  # of the last action folded in: the frame answering this echoes it
    client_time_us: int  # of that same action
    arrived: float  # time.perf_counter() when that action arrived


def coalesce(first: CameraAction, then: CameraAction) -> CameraAction:
    """One action standing for `first` followed by `then`.

    Relative + relative sums moves and turns per axis (exact for pure moves or pure turns,
    close for small mixed ones); the sums saturate at the per-action limits so the result
    stays a valid action. An absolute pose replaces whatever came before it, and a relative
    action after an absolute pose is applied to that pose (exact).
    """
    if first.pose is not None and then.pose is None:
        return CameraAction(pose=apply_action(first.pose, then))
    if then.pose is not None:
        return then
    total = first + then
    return CameraAction(
        move=tuple(float(v) for v in np.clip(total.move, -MAX_MOVE_M, MAX_MOVE_M)),
        turn=tuple(float(v) for v in np.clip(total.turn, -MAX_TURN_DEG, MAX_TURN_DEG)),
    )


class ActionMailbox:
    """At most one pending action: `put` coalesces into it, `take` empties it."""

    def __init__(self) -> None:
        self._pending: PendingAction | None = None
        self._changed = asyncio.Event()
        self._finished = False
        self._error: BaseException | None = None

    def put(self, action: CameraAction, seq: int, client_time_us: int) -> None:
        if self._pending is not None:
            action = coalesce(self._pending.action, action)
        self._pending = PendingAction(action, seq, client_time_us, time.perf_counter())
        self._changed.set()

    def finish(self, error: BaseException | None = None) -> None:
        """No more actions will come; with `error`, `take` raises it (before any pending action)."""
        self._finished = True
        self._error = error
        self._changed.set()

    async def take(self) -> PendingAction | None:
        """The pending action, waiting for one; None once finished with nothing pending."""
        while True:
            if self._error is not None:
                raise self._error
            if self._pending is not None:
                pending, self._pending = self._pending, None
                return pending
            if self._finished:
                return None
            self._changed.clear()
            await self._changed.wait()
