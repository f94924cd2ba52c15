"""Latest action wins: the one pending action of a Play stream.

A Play stream's reader puts every action it receives here; its producer takes the pending
action, steps the session and sends the frame. Actions that arrive while a frame is being
produced are coalesced into the pending one instead of queueing, so a client sending faster
than frames come never builds a backlog of renders, and the next frame answers everything sent
so far. Coalescing is exact: the pending action keeps the actions in order and the step applies
them one by one, so the frame's pose is where stepping each would have led. Applying an action
is a few 3x3 products, cheaper than reading its message; what coalescing saves is the renders.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from gwm_engine.geometry import CameraAction


@dataclass
class PendingAction:
    action: CameraAction
    seq: int  # of the last action folded in: the frame answering this echoes it
    client_time_us: int  # of that same action
    arrived: float  # time.perf_counter() when that action arrived


def coalesce(first: CameraAction, then: CameraAction) -> CameraAction:
    """One action standing exactly for `first` followed by `then` (CameraAction.__add__): an
    absolute pose replaces whatever came before it, relative actions are kept in order."""
    return first + then


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

    def check(self) -> None:
        """Raise the error the stream finished with, if any."""
        if self._error is not None:
            raise self._error

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
