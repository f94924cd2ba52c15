"""Cross-session batching: the steps of concurrent sessions go through the model together.

A step request waits at most `wait_ms` for other sessions' steps, then all of them run as one
`step_many` call (one batched model pass) in a worker thread. The wait ends early once every
open session has a step waiting: each session steps one at a time (its lock), so nobody else
can join, and a lone session never pays the wait. One batch runs at a time; requests that
arrive meanwhile gather for the next one, so every waiting session is in every batch (fair).
(Letting two batches overlap was tried: no gain, and unfair; benchmarks/RESULTS.md.) With
`wait_ms` 0 batching is off and every step runs on its own thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Callable

from gwm_engine.geometry import CameraAction
from gwm_engine.world import StepFrame, WorldSession, step_many

log = logging.getLogger(__name__)


@dataclass
class _Request:
    session: WorldSession
    action: CameraAction
    result: asyncio.Future


class StepBatcher:
    def __init__(self, executor: Executor, wait_ms: float, max_batch: int, open_sessions: Callable[[], int]):
        self._executor = executor
        self._wait_s = wait_ms / 1000.0
        self._max_batch = max_batch
        self._open_sessions = open_sessions
        self._pending: list[_Request] = []
        self._arrived = asyncio.Event()
        self._worker: asyncio.Task | None = None

    @property
    def enabled(self) -> bool:
        return self._wait_s > 0

    async def step(self, session: WorldSession, action: CameraAction) -> StepFrame:
        """One step of `session`; the caller must hold the session's lock."""
        loop = asyncio.get_running_loop()
        if not self.enabled:
            return await loop.run_in_executor(self._executor, session.step, action)
        if self._worker is None:
            self._worker = asyncio.create_task(self._run(), name="step-batcher")
        request = _Request(session, action, loop.create_future())
        self._pending.append(request)
        self._arrived.set()
        return await request.result

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker

    async def _run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            while not self._pending:
                self._arrived.clear()
                await self._arrived.wait()
            # Waiting on an Event (not a queue) means a timeout can never lose a request.
            deadline = loop.time() + self._wait_s
            while len(self._pending) < min(self._max_batch, self._open_sessions()):
                remaining = deadline - loop.time()
                if remaining <= 0:
                    break
                self._arrived.clear()
                try:
                    await asyncio.wait_for(self._arrived.wait(), remaining)
                except asyncio.TimeoutError:  # an alias of TimeoutError from 3.11
                    break
            batch = self._pending[: self._max_batch]
            del self._pending[: len(batch)]
            await self._run_batch(loop, batch)

    async def _run_batch(self, loop: asyncio.AbstractEventLoop, batch: list[_Request]) -> None:
        pairs = [(r.session, r.action) for r in batch]
        try:
            results = await loop.run_in_executor(self._executor, step_many, pairs)
        except Exception as e:  # step_many returns per-session errors; raising at all is a bug
            log.exception("batched step failed as a whole")
            results = [e] * len(batch)
        for request, result in zip(batch, results):
            if request.result.done():  # the caller went away
                continue
            if isinstance(result, BaseException):
                request.result.set_exception(result)
            else:
                request.result.set_result(result)
